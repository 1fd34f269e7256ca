#include "engine/io/metrics.hpp"

#include <chrono>

namespace corridor {

namespace {

// Milliseconds as seconds in decimal, trailing zeros dropped: 2500 -> "2.5", 5 -> "0.005", 0 -> "0".
std::string seconds(std::int64_t ms) {
  std::string out;
  if (ms < 0) {
    out += '-';
    ms = -ms;
  }
  out += std::to_string(ms / 1000);
  std::int64_t frac = ms % 1000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 3 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + '.' + digits;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricFamily::write_header(std::string& out, std::string_view type) const {
  out += "# HELP corridor_";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE corridor_";
  out += name_;
  out += ' ';
  out += type;
  out += '\n';
}

void MetricFamily::write_labels(std::string& out, const std::vector<std::string>& values, std::string_view extra) const {
  if (values.empty() && extra.empty()) return;
  out += '{';
  for (std::size_t i = 0; i < values.size() && i < label_names_.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names_[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!values.empty()) out += ',';
    out += extra;
  }
  out += '}';
}

std::int64_t Counter::value(Labels values) const {
  const auto* cell = series_.find(values);
  return cell == nullptr ? 0 : cell->load(std::memory_order_relaxed);
}

std::int64_t Counter::load() const {
  std::int64_t total = 0;
  series_.each([&](const auto&, const auto& cell) { total += cell.load(std::memory_order_relaxed); });
  return total;
}

namespace {

// A counter's or a gauge's lines: one per series; a family without labels shows 0 before its first
// change. `labels` writes a series' label set (MetricFamily::write_labels).
template <class Series, class WriteLabels>
void write_integer_series(std::string& out, std::string_view name, bool labelled, const Series& series,
                          WriteLabels labels) {
  bool any = false;
  series.each([&](const std::vector<std::string>& values, const std::atomic<std::int64_t>& cell) {
    any = true;
    out += "corridor_";
    out += name;
    labels(values);
    out += ' ';
    out += std::to_string(cell.load(std::memory_order_relaxed));
    out += '\n';
  });
  if (!any && !labelled) {
    out += "corridor_";
    out += name;
    out += " 0\n";
  }
}

}  // namespace

void Counter::write(std::string& out) const {
  write_header(out, "counter");
  write_integer_series(out, name_, !label_names_.empty(), series_,
                       [&](const std::vector<std::string>& values) { write_labels(out, values); });
}

std::int64_t Gauge::value(Labels values) const {
  const auto* cell = series_.find(values);
  return cell == nullptr ? 0 : cell->load(std::memory_order_relaxed);
}

void Gauge::write(std::string& out) const {
  write_header(out, "gauge");
  write_integer_series(out, name_, !label_names_.empty(), series_,
                       [&](const std::vector<std::string>& values) { write_labels(out, values); });
}

Histogram::Histogram(std::string_view name, std::string_view help, std::vector<std::string_view> label_names,
                     std::vector<std::int64_t> bounds_ms)
    : MetricFamily(name, help, std::move(label_names)),
      bounds_ms_(std::move(bounds_ms)),
      series_([n = bounds_ms_.size()] { return std::make_unique<Cell>(n); }) {}

void Histogram::observe_ms(Labels values, std::int64_t ms) {
  Cell& c = series_.at(values);
  std::size_t i = 0;
  while (i < bounds_ms_.size() && ms > bounds_ms_[i]) ++i;
  c.counts[i].fetch_add(1, std::memory_order_relaxed);
  c.sum_ms.fetch_add(ms, std::memory_order_relaxed);
}

std::int64_t Histogram::count(Labels values) const {
  const Cell* c = series_.find(values);
  if (c == nullptr) return 0;
  std::int64_t total = 0;
  for (const auto& n : c->counts) total += n.load(std::memory_order_relaxed);
  return total;
}

std::int64_t Histogram::sum_ms(Labels values) const {
  const Cell* c = series_.find(values);
  return c == nullptr ? 0 : c->sum_ms.load(std::memory_order_relaxed);
}

void Histogram::write(std::string& out) const {
  write_header(out, "histogram");
  series_.each([&](const std::vector<std::string>& values, const Cell& c) {
    // Cumulative, and _count is the +Inf bucket as read here: the lines agree with each other even
    // while observations arrive.
    std::int64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds_ms_.size(); ++i) {
      cumulative += c.counts[i].load(std::memory_order_relaxed);
      out += "corridor_";
      out += name_;
      out += "_bucket";
      write_labels(out, values, i < bounds_ms_.size() ? "le=\"" + seconds(bounds_ms_[i]) + "\"" : "le=\"+Inf\"");
      out += ' ';
      out += std::to_string(cumulative);
      out += '\n';
    }
    out += "corridor_";
    out += name_;
    out += "_sum";
    write_labels(out, values);
    out += ' ';
    out += seconds(c.sum_ms.load(std::memory_order_relaxed));
    out += "\ncorridor_";
    out += name_;
    out += "_count";
    write_labels(out, values);
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  });
}

struct Metrics::Samplers {
  std::mutex mu;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::function<void()>> samplers;
  std::chrono::steady_clock::time_point last{};
  bool sampled = false;
};

Metrics::Metrics() : samplers_(std::make_shared<Samplers>()) {}
Metrics::~Metrics() = default;

void Metrics::declare_flows(const std::vector<std::pair<std::string_view, std::string_view>>& flows) {
  for (const auto& [provider, flow] : flows) {
    transactions_created.declare({provider, flow});
    for (auto code : kAttentionCodes) attention.declare({provider, flow, code});
    webhooks_accepted.declare({provider});
    webhooks_refused.declare({provider});
    circuit_open.set({provider}, 0);
  }
}

std::shared_ptr<void> Metrics::add_sampler(std::function<void()> sample) {
  std::uint64_t id = 0;
  {
    std::lock_guard lock(samplers_->mu);
    id = samplers_->next_id++;
    samplers_->samplers.emplace(id, std::move(sample));
    samplers_->sampled = false;  // the next scrape shows what this one reads
  }
  std::weak_ptr<Samplers> weak = samplers_;
  return std::shared_ptr<void>(nullptr, [weak, id](void*) {
    if (auto s = weak.lock()) {
      std::lock_guard lock(s->mu);
      s->samplers.erase(id);
    }
  });
}

void Metrics::sample() {
  std::lock_guard lock(samplers_->mu);
  for (auto& [_, f] : samplers_->samplers) f();
  samplers_->last = std::chrono::steady_clock::now();
  samplers_->sampled = true;
}

std::string Metrics::prometheus() {
  {
    std::lock_guard lock(samplers_->mu);
    const auto now = std::chrono::steady_clock::now();
    if (!samplers_->sampled || now - samplers_->last >= std::chrono::milliseconds(kSampleMs)) {
      for (auto& [_, f] : samplers_->samplers) f();
      samplers_->last = now;
      samplers_->sampled = true;
    }
  }
  std::string out;
  out.reserve(16384);
  auto counter = [&](const char* name, const char* help, const std::atomic<std::int64_t>& v) {
    out += "# HELP corridor_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE corridor_";
    out += name;
    out += " counter\ncorridor_";
    out += name;
    out += ' ';
    out += std::to_string(v.load());
    out += '\n';
  };
  commands_routed.write(out);
  commands_rejected.write(out);
  counter("inputs_applied_total", "Inputs applied by a transition row.", inputs_applied);
  counter("inputs_duplicate_total", "Inputs recognised as already processed.", inputs_duplicate);
  counter("inputs_rejected_total", "Inputs with no row in their flow's table.", inputs_rejected);
  counter("batches_committed_total", "Store transactions committed by the processor.", batches_committed);
  counter("events_published_total", "Events acknowledged by Kafka on the events topic.", events_published);
  counter("deadletters_published_total", "Records acknowledged on the dead-letter topic.", deadletters_published);
  provider_calls.write(out);
  counter("provider_call_failures_total", "Provider calls that ended in call.failed.", provider_call_failures);
  counter("provider_call_retries_total", "Provider call attempts retried after a transient error.", provider_call_retries);
  webhooks_accepted.write(out);
  webhooks_refused.write(out);
  counter("timers_fired_total", "Durable timers fired as inputs.", timers_fired);
  counter("circuit_opened_total", "Times a provider's circuit breaker opened.", circuit_opened);
  counter("store_commit_failures_total", "Processor batches the store could not commit (retried).", store_commit_failures);
  counter("commits_fenced_total", "Processor batches refused because a partition of theirs has a newer owner.",
          commits_fenced);
  counter("records_refused_total", "Records Kafka refused for what they are; their minimal forms went instead.",
          records_refused);
  counter("records_dropped_total", "Records Kafka refused together with their minimal forms.", records_dropped);
  counter("refusals_unrecorded_total", "HTTP refusals counted but not dead-lettered: their source passed its rate.",
          refusals_unrecorded);
  attention.write(out);
  transactions_created.write(out);
  state_changes.write(out);
  transactions_final.write(out);
  command_to_final.write(out);
  provider_call_seconds.write(out);
  consumer_lag.write(out);
  outbox_depth.write(out);
  pending_calls.write(out);
  timers_due.write(out);
  circuit_open.write(out);
  partitions_owned.write(out);
  return out;
}

}  // namespace corridor
