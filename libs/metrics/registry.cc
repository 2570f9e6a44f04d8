#include "libs/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mesh::metrics {
namespace {

// Debian's Abseil has its own string_view type, distinct from std::string_view.
absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Misuse is a bug found on the first start; abort in every build mode rather
// than export a malformed or ambiguous series.
[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "mesh::metrics: %s\n", message.c_str());
  std::abort();
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_' || c == ':'; });
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0]) || name.starts_with("__")) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

void AppendEscaped(std::string_view text, bool escape_quotes, std::string& out) {
  for (char c : text) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '"' && escape_quotes) {
      out.append("\\\"");
    } else {
      out.push_back(c);
    }
  }
}

// `a="x",b="y"` with labels sorted by name; empty for no labels.
std::string LabelText(std::string_view metric, const Labels& labels, bool is_histogram) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const auto& [key, value] = sorted[i];
    if (!IsValidLabelName(key) || (is_histogram && key == "le")) {
      Die(absl::StrCat("invalid label name \"", key, "\" on ", Sv(metric)));
    }
    if (i > 0 && sorted[i - 1].first == key) {
      Die(absl::StrCat("label \"", key, "\" repeated on ", Sv(metric)));
    }
    if (i > 0) out.push_back(',');
    absl::StrAppend(&out, key, "=\"");
    AppendEscaped(value, /*escape_quotes=*/true, out);
    out.push_back('"');
  }
  return out;
}

struct CallbackSlot {
  absl::Mutex mu;
  std::function<double()> fn ABSL_GUARDED_BY(mu);
};

std::string_view TypeName(int type) {
  static constexpr std::string_view kNames[] = {"counter", "gauge", "histogram"};
  return kNames[type];
}

void AppendSample(std::string_view name, std::string_view suffix, std::string_view labels,
                  std::string_view extra_label, const std::string& value, std::string& out) {
  out.append(name);
  out.append(suffix);
  if (!labels.empty() || !extra_label.empty()) {
    out.push_back('{');
    out.append(labels);
    if (!labels.empty() && !extra_label.empty()) out.push_back(',');
    out.append(extra_label);
    out.push_back('}');
  }
  out.push_back(' ');
  out.append(value);
  out.push_back('\n');
}

}  // namespace

struct Registry::Series {
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;
  std::shared_ptr<CallbackSlot> callback;
};

struct Registry::Family {
  Type type;
  std::string help;
  std::map<std::string, Series> series;  // keyed by LabelText
};

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::abs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::general);
  return std::string(buffer, result.ptr);
}

void Counter::Increment(double v) {
  if (!(v >= 0)) return;
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds) {
  std::erase_if(upper_bounds, [](double b) { return !std::isfinite(b); });
  std::sort(upper_bounds.begin(), upper_bounds.end());
  upper_bounds.erase(std::unique(upper_bounds.begin(), upper_bounds.end()), upper_bounds.end());
  upper_bounds_ = std::move(upper_bounds);
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const size_t index =
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin();
  buckets_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
  }
  return total;
}

Histogram::Snapshot Histogram::Collect() const {
  Snapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.cumulative.reserve(upper_bounds_.size() + 1);
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    snapshot.count += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(snapshot.count);
  }
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Series& Registry::FindOrCreate(std::string_view name, std::string_view help, Type type,
                                         const Labels& labels) {
  if (!IsValidMetricName(name)) Die(absl::StrCat("invalid metric name \"", Sv(name), "\""));
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family>();
    family->type = type;
    family->help = std::string(help);
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  Family& family = *it->second;
  if (family.type != type) {
    Die(absl::StrCat("metric ", Sv(name), " is a ", Sv(TypeName(static_cast<int>(family.type))),
                     ", asked for as a ", Sv(TypeName(static_cast<int>(type)))));
  }
  return family.series[LabelText(name, labels, type == Type::kHistogram)];
}

Counter& Registry::GetCounter(std::string_view name, std::string_view help, const Labels& labels) {
  absl::MutexLock lock(&mu_);
  Series& series = FindOrCreate(name, help, Type::kCounter, labels);
  if (series.counter == nullptr) series.counter = std::make_unique<Counter>();
  return *series.counter;
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, const Labels& labels) {
  absl::MutexLock lock(&mu_);
  Series& series = FindOrCreate(name, help, Type::kGauge, labels);
  if (series.callback != nullptr) {
    Die(absl::StrCat("gauge ", Sv(name), " with these labels is a callback gauge"));
  }
  if (series.gauge == nullptr) series.gauge = std::make_unique<Gauge>();
  return *series.gauge;
}

Histogram& Registry::GetHistogram(std::string_view name, std::string_view help,
                                  const Labels& labels, std::vector<double> buckets) {
  absl::MutexLock lock(&mu_);
  Series& series = FindOrCreate(name, help, Type::kHistogram, labels);
  if (series.histogram == nullptr) {
    series.histogram = std::make_unique<Histogram>(std::move(buckets));
  }
  return *series.histogram;
}

void Registry::AddCallbackGauge(std::string_view name, std::string_view help, const Labels& labels,
                                std::function<double()> fn) {
  std::shared_ptr<CallbackSlot> slot;
  {
    absl::MutexLock lock(&mu_);
    Series& series = FindOrCreate(name, help, Type::kGauge, labels);
    if (series.gauge != nullptr) {
      Die(absl::StrCat("gauge ", Sv(name), " with these labels is not a callback gauge"));
    }
    if (series.callback == nullptr) series.callback = std::make_shared<CallbackSlot>();
    slot = series.callback;
  }
  // Taken after the registry lock is released: a scrape holds the slot lock
  // while the function runs, and the function may take the registry lock.
  absl::MutexLock lock(&slot->mu);
  slot->fn = std::move(fn);
}

void Registry::RemoveCallbackGauge(std::string_view name, const Labels& labels) {
  std::shared_ptr<CallbackSlot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto family = families_.find(name);
    if (family == families_.end() || family->second->type != Type::kGauge) return;
    auto series = family->second->series.find(LabelText(name, labels, false));
    if (series == family->second->series.end() || series->second.callback == nullptr) return;
    slot = std::move(series->second.callback);
    family->second->series.erase(series);
  }
  // Waits for a scrape that is running the function right now.
  absl::MutexLock lock(&slot->mu);
  slot->fn = nullptr;
}

std::string Registry::RenderText() const {
  struct SeriesView {
    std::string labels;
    const Counter* counter;
    const Gauge* gauge;
    const Histogram* histogram;
    std::shared_ptr<CallbackSlot> callback;
  };
  struct FamilyView {
    std::string name;
    std::string help;
    Type type;
    std::vector<SeriesView> series;
  };

  // Copy the structure under the lock and read values without it, so that
  // callback gauges may use the registry and slow ones do not block writers.
  std::vector<FamilyView> families;
  {
    absl::MutexLock lock(&mu_);
    families.reserve(families_.size());
    for (const auto& [name, family] : families_) {
      if (family->series.empty()) continue;
      FamilyView view{name, family->help, family->type, {}};
      view.series.reserve(family->series.size());
      for (const auto& [labels, series] : family->series) {
        view.series.push_back(SeriesView{labels, series.counter.get(), series.gauge.get(),
                                         series.histogram.get(), series.callback});
      }
      families.push_back(std::move(view));
    }
  }

  std::string out;
  for (const FamilyView& family : families) {
    out.append("# HELP ");
    out.append(family.name);
    out.push_back(' ');
    AppendEscaped(family.help, /*escape_quotes=*/false, out);
    absl::StrAppend(&out, "\n# TYPE ", family.name, " ",
                    Sv(TypeName(static_cast<int>(family.type))), "\n");
    for (const SeriesView& series : family.series) {
      if (series.counter != nullptr) {
        AppendSample(family.name, "", series.labels, "", FormatValue(series.counter->value()), out);
      } else if (series.gauge != nullptr) {
        AppendSample(family.name, "", series.labels, "", FormatValue(series.gauge->value()), out);
      } else if (series.callback != nullptr) {
        absl::MutexLock lock(&series.callback->mu);
        if (series.callback->fn) {
          AppendSample(family.name, "", series.labels, "", FormatValue(series.callback->fn()), out);
        }
      } else if (series.histogram != nullptr) {
        const Histogram::Snapshot snapshot = series.histogram->Collect();
        for (size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
          AppendSample(family.name, "_bucket", series.labels,
                       absl::StrCat("le=\"", FormatValue(snapshot.upper_bounds[i]), "\""),
                       absl::StrCat(snapshot.cumulative[i]), out);
        }
        AppendSample(family.name, "_bucket", series.labels, "le=\"+Inf\"",
                     absl::StrCat(snapshot.count), out);
        AppendSample(family.name, "_sum", series.labels, "", FormatValue(snapshot.sum), out);
        AppendSample(family.name, "_count", series.labels, "", absl::StrCat(snapshot.count), out);
      }
    }
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace mesh::metrics
