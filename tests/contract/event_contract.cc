#include "tests/contract/event_contract.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace mesh::contract {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// Collects the parser's complaints, so that the status names line and column.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    absl::StrAppend(&errors_, errors_.empty() ? "" : "; ", line + 1, ":", column + 1, ": ",
                    message);
  }
  const std::string& errors() const { return errors_; }

 private:
  std::string errors_;
};

// Walks the path; returns the last field, or the reason it does not resolve.
absl::StatusOr<const FieldDescriptor*> Resolve(const Descriptor* message, absl::string_view path) {
  const FieldDescriptor* field = nullptr;
  const std::vector<std::string> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i < steps.size(); ++i) {
    if (field != nullptr) {
      if (field->type() != FieldDescriptor::TYPE_MESSAGE || field->is_repeated()) {
        return absl::NotFoundError(absl::StrCat(
            field->full_name(), " is not a singular message, so it has no field ", steps[i]));
      }
      message = field->message_type();
    }
    field = message->FindFieldByName(steps[i]);
    if (field == nullptr) {
      return absl::NotFoundError(absl::StrCat(message->full_name(), " has no field ", steps[i]));
    }
  }
  return field;
}

}  // namespace

absl::StatusOr<ConsumerContract> LoadContract(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  ConsumerContract contract;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &contract)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", errors.errors()));
  }
  return contract;
}

std::vector<std::string> FindContracts(const std::string& source_dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(source_dir + "/services", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().filename() == "consumes.textproto") {
      paths.push_back(it->path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string EventsFileOf(absl::string_view producer) {
  const absl::string_view context = producer.substr(producer.rfind('.') + 1);
  return absl::StrCat(absl::StrReplaceAll(producer, {{".", "/"}}), "/v1/", context,
                      "_events.proto");
}

std::string EventTypeOf(absl::string_view message) {
  return std::string(message.substr(message.rfind('.') + 1));
}

std::vector<std::string> CheckContract(const ConsumerContract& contract,
                                       const google::protobuf::DescriptorPool& pool) {
  std::vector<std::string> problems;
  const std::string who = contract.consumer().empty() ? "a consumer" : contract.consumer();
  if (contract.consumer().empty()) problems.push_back("consumer is empty");
  std::set<std::pair<std::string, std::string>> seen;
  for (const ConsumedEvent& event : contract.events()) {
    const std::string what = absl::StrCat(who, " reads ", event.producer(), " ", event.message());
    if (event.producer().empty() || event.message().empty()) {
      problems.push_back(absl::StrCat(what, ": producer and message are required"));
      continue;
    }
    if (!seen.emplace(event.producer(), event.message()).second) {
      problems.push_back(absl::StrCat(what, ": declared twice"));
    }
    const Descriptor* message = pool.FindMessageTypeByName(event.message());
    if (message == nullptr) {
      problems.push_back(absl::StrCat(what, ": no such message"));
      continue;
    }
    const std::string expected_file = EventsFileOf(event.producer());
    if (message->file()->name() != expected_file) {
      problems.push_back(absl::StrCat(what, ": the message is in ", message->file()->name(),
                                      ", not in the producer's ", expected_file));
    }
    if (event.fields().empty()) {
      problems.push_back(absl::StrCat(what, ": no fields declared"));
    }
    for (const std::string& field : event.fields()) {
      absl::StatusOr<const FieldDescriptor*> resolved = Resolve(message, field);
      if (!resolved.ok()) {
        problems.push_back(absl::StrCat(what, ": field ", field,
                                        " does not exist: ", resolved.status().message()));
      }
    }
  }
  return problems;
}

bool FieldIsSet(const google::protobuf::Message& message, absl::string_view path) {
  const google::protobuf::Message* current = &message;
  const std::vector<std::string> steps = absl::StrSplit(path, '.');
  for (size_t i = 0; i < steps.size(); ++i) {
    const FieldDescriptor* field = current->GetDescriptor()->FindFieldByName(steps[i]);
    if (field == nullptr) return false;
    const google::protobuf::Reflection* reflection = current->GetReflection();
    if (field->is_repeated())
      return i + 1 == steps.size() && reflection->FieldSize(*current, field) > 0;
    if (!reflection->HasField(*current, field)) return false;
    if (i + 1 < steps.size()) {
      if (field->type() != FieldDescriptor::TYPE_MESSAGE) return false;
      current = &reflection->GetMessage(*current, field);
    }
  }
  return true;
}

}  // namespace mesh::contract
