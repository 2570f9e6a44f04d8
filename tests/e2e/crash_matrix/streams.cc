#include "tests/e2e/crash_matrix/streams.h"

#include <thread>

#include "absl/strings/str_cat.h"

namespace mesh::crash_matrix {
namespace {

bool NotFound(natsStatus status, jsErrCode error) {
  return status == NATS_NOT_FOUND || error == JSStreamNotFoundErr ||
         error == JSConsumerNotFoundErr || error == JSNoMessageFoundErr;
}

// Stream info; nullptr (with OK) when the stream does not exist.
absl::StatusOr<jsStreamInfo*> StreamInfo(messaging::NatsClient& client, const std::string& stream) {
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus status = js_GetStreamInfo(&info, client.jetstream(), stream.c_str(), nullptr, &error);
  if (status == NATS_OK) return info;
  if (NotFound(status, error)) return nullptr;
  return messaging::FromNats(status, absl::StrCat("stream info ", stream), error);
}

}  // namespace

const std::vector<std::string>& StoryStreams() {
  static const auto* kStreams = new std::vector<std::string>{
      messaging::StreamName("usedcar.purchase"), messaging::StreamName("billing"),
      messaging::StreamName("usedcar.consign"), messaging::StreamName("usedcar.stock")};
  return *kStreams;
}

absl::StatusOr<StreamContents> ReadStream(messaging::NatsClient& client, const std::string& stream,
                                          int readers) {
  StreamContents contents;
  contents.stream = stream;
  absl::StatusOr<jsStreamInfo*> info = StreamInfo(client, stream);
  if (!info.ok()) return info.status();
  if (*info == nullptr) return contents;
  contents.first_seq = (*info)->State.FirstSeq;
  contents.last_seq = (*info)->State.LastSeq;
  jsStreamInfo_Destroy(*info);
  if (contents.last_seq == 0 || contents.last_seq < contents.first_seq) return contents;

  const uint64_t count = contents.last_seq - contents.first_seq + 1;
  std::vector<std::string> data(count);
  // 0: not read yet or failed, 1: read, 2: no message at that sequence.
  std::vector<char> state(count, 0);
  std::vector<absl::Status> errors(std::max(readers, 1));
  std::vector<std::thread> threads;
  for (int r = 0; r < std::max(readers, 1); ++r) {
    threads.emplace_back([&, r] {
      for (uint64_t i = r; i < count; i += std::max(readers, 1)) {
        natsMsg* msg = nullptr;
        jsErrCode error = static_cast<jsErrCode>(0);
        natsStatus status = js_GetMsg(&msg, client.jetstream(), stream.c_str(),
                                      contents.first_seq + i, nullptr, &error);
        if (status == NATS_OK) {
          data[i].assign(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
          state[i] = 1;
          natsMsg_Destroy(msg);
        } else if (NotFound(status, error)) {
          state[i] = 2;
        } else {
          errors[r] = messaging::FromNats(
              status, absl::StrCat("get ", stream, " #", contents.first_seq + i), error);
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& error : errors) {
    if (!error.ok()) return error;
  }
  contents.events.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    if (state[i] == 2) {
      ++contents.missing;
      continue;
    }
    StreamEvent event;
    event.seq = contents.first_seq + i;
    if (!event.event.ParseFromString(data[i])) {
      ++contents.unparsable;
      continue;
    }
    contents.events.push_back(std::move(event));
  }
  return contents;
}

absl::StatusOr<uint64_t> LastSequence(messaging::NatsClient& client, const std::string& stream) {
  absl::StatusOr<jsStreamInfo*> info = StreamInfo(client, stream);
  if (!info.ok()) return info.status();
  if (*info == nullptr) return 0;
  const uint64_t last = (*info)->State.LastSeq;
  jsStreamInfo_Destroy(*info);
  return last;
}

absl::StatusOr<std::map<std::string, uint64_t>> ConsumerBacklogs(messaging::NatsClient& client,
                                                                 const std::string& stream) {
  std::map<std::string, uint64_t> backlogs;
  jsConsumerInfoList* list = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus status = js_Consumers(&list, client.jetstream(), stream.c_str(), nullptr, &error);
  if (NotFound(status, error)) return backlogs;
  if (status != NATS_OK) {
    return messaging::FromNats(status, absl::StrCat("consumers of ", stream), error);
  }
  for (int i = 0; i < list->Count; ++i) {
    const jsConsumerInfo* info = list->List[i];
    backlogs[info->Name] = info->NumPending + static_cast<uint64_t>(info->NumAckPending);
  }
  jsConsumerInfoList_Destroy(list);
  return backlogs;
}

absl::StatusOr<uint64_t> DeadLetterCount(messaging::NatsClient& client,
                                         const std::string& service) {
  absl::StatusOr<jsStreamInfo*> info = StreamInfo(client, messaging::DeadLetterStream(service));
  if (!info.ok()) return info.status();
  if (*info == nullptr) return 0;
  const uint64_t messages = (*info)->State.Msgs;
  jsStreamInfo_Destroy(*info);
  return messages;
}

absl::StatusOr<DeletedDurables> DeleteDurables(messaging::NatsClient& client,
                                               const std::string& service) {
  const std::string durable = messaging::DurableName(service);
  DeletedDurables result;
  for (const std::string& stream : StoryStreams()) {
    jsConsumerInfo* info = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    natsStatus status = js_GetConsumerInfo(&info, client.jetstream(), stream.c_str(),
                                           durable.c_str(), nullptr, &error);
    if (NotFound(status, error)) continue;
    if (status != NATS_OK) {
      return messaging::FromNats(status, absl::StrCat("info of ", durable, " on ", stream), error);
    }
    const uint64_t delivered = info->Delivered.Stream;
    jsConsumerInfo_Destroy(info);
    error = static_cast<jsErrCode>(0);
    status =
        js_DeleteConsumer(client.jetstream(), stream.c_str(), durable.c_str(), nullptr, &error);
    if (status != NATS_OK && !NotFound(status, error)) {
      return messaging::FromNats(status, absl::StrCat("delete ", durable, " on ", stream), error);
    }
    ++result.deleted;
    result.delivered += delivered;
  }
  return result;
}

}  // namespace mesh::crash_matrix
