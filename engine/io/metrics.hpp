#pragma once
// corridor's metrics, served on GET /metrics in Prometheus' text format (0.0.4), written here rather
// than with prometheus-cpp (docs/operations.md, "What to watch", says why): every label comes from a
// closed set, so each label combination is one cell of integer atomics made on first use, and an
// increment or an observation is a lookup under a shared lock and an atomic add, never a mutex of
// its own or a double's compare-and-swap. Durations are kept in whole milliseconds and written in
// seconds, so no floating point is involved anywhere.
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace corridor {

namespace metrics_detail {

// Orders label values held (std::string) and label values asked for (std::string_view) alike, so a
// lookup builds no key.
struct LabelsLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    auto ai = a.begin();
    auto bi = b.begin();
    for (; ai != a.end() && bi != b.end(); ++ai, ++bi) {
      const int c = std::string_view(*ai).compare(std::string_view(*bi));
      if (c != 0) return c < 0;
    }
    return ai == a.end() && bi != b.end();
  }
};

// A metric's series: one cell per label combination, kept for the process's life (label sets are
// closed, so the map stays small). Cells never move once made.
template <class Cell>
class Series {
 public:
  using Labels = std::initializer_list<std::string_view>;
  using Make = std::function<std::unique_ptr<Cell>()>;
  explicit Series(Make make = [] { return std::make_unique<Cell>(); }) : make_(std::move(make)) {}
  Cell& at(Labels values) {
    {
      std::shared_lock lock(mu_);
      if (auto it = cells_.find(values); it != cells_.end()) return *it->second;
    }
    std::unique_lock lock(mu_);
    auto it = cells_.find(values);
    if (it == cells_.end())
      it = cells_.emplace(std::vector<std::string>(values.begin(), values.end()), make_()).first;
    return *it->second;
  }
  const Cell* find(Labels values) const {
    std::shared_lock lock(mu_);
    auto it = cells_.find(values);
    return it == cells_.end() ? nullptr : it->second.get();
  }
  template <class F>
  void each(F&& f) const {
    std::shared_lock lock(mu_);
    for (const auto& [values, cell] : cells_) f(values, *cell);
  }

 private:
  Make make_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Cell>, LabelsLess> cells_;
};

}  // namespace metrics_detail

// A label value as the exposition format wants it: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

// A metric with a name (without the corridor_ prefix), a help line and the names of its labels.
// A metric without labels is a family whose one series has no label values: `inc({})`.
class MetricFamily {
 public:
  using Labels = std::initializer_list<std::string_view>;
  MetricFamily(std::string_view name, std::string_view help, std::vector<std::string_view> label_names)
      : name_(name), help_(help), label_names_(std::move(label_names)) {}
  std::string_view name() const { return name_; }
  const std::vector<std::string_view>& label_names() const { return label_names_; }

 protected:
  void write_header(std::string& out, std::string_view type) const;
  // `{a="x",b="y"` plus `extra` (`le="0.5"`) and the closing brace; nothing when there is no label.
  void write_labels(std::string& out, const std::vector<std::string>& values, std::string_view extra = {}) const;

  std::string_view name_;
  std::string_view help_;
  std::vector<std::string_view> label_names_;
};

class Counter : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  void add(Labels values, std::int64_t n = 1) { series_.at(values).fetch_add(n, std::memory_order_relaxed); }
  // A series shown at 0 before anything happens, so dashboards and alerts see it.
  void declare(Labels values) { series_.at(values); }
  std::int64_t value(Labels values) const;
  std::int64_t load() const;  // the sum over every series
  void write(std::string& out) const;

 private:
  metrics_detail::Series<std::atomic<std::int64_t>> series_;
};

class Gauge : public MetricFamily {
 public:
  using MetricFamily::MetricFamily;
  void set(Labels values, std::int64_t v) { series_.at(values).store(v, std::memory_order_relaxed); }
  std::int64_t value(Labels values) const;
  void write(std::string& out) const;

 private:
  metrics_detail::Series<std::atomic<std::int64_t>> series_;
};

// Observations in milliseconds, written in seconds against fixed bucket bounds (in milliseconds).
class Histogram : public MetricFamily {
 public:
  Histogram(std::string_view name, std::string_view help, std::vector<std::string_view> label_names,
            std::vector<std::int64_t> bounds_ms);
  void observe_ms(Labels values, std::int64_t ms);
  std::int64_t count(Labels values) const;
  std::int64_t sum_ms(Labels values) const;
  const std::vector<std::int64_t>& bounds_ms() const { return bounds_ms_; }
  void write(std::string& out) const;

 private:
  struct Cell {
    explicit Cell(std::size_t buckets) : counts(buckets + 1) {}
    std::vector<std::atomic<std::int64_t>> counts;  // per bucket, not cumulative; the last is +Inf
    std::atomic<std::int64_t> sum_ms{0};
  };
  std::vector<std::int64_t> bounds_ms_;
  metrics_detail::Series<Cell> series_;
};

// Label values where a record names nothing corridor knows (an unknown provider in a webhook's path,
// a command without a flow): labels stay within closed sets whatever a sender writes.
inline constexpr std::string_view kNoLabel = "none";

struct Metrics {
  Metrics();
  ~Metrics();

  // Labelled by the closed sets of the provider registry and the command types (kNoLabel otherwise).
  Counter commands_routed{"commands_routed_total", "Commands validated and re-keyed onto the inputs topic.",
                          {"type", "provider", "flow"}};
  Counter commands_rejected{"commands_rejected_total", "Commands rejected with command.rejected and a dead letter.",
                            {"type", "provider", "flow"}};
  std::atomic<std::int64_t> inputs_applied{0};
  std::atomic<std::int64_t> inputs_duplicate{0};
  std::atomic<std::int64_t> inputs_rejected{0};
  std::atomic<std::int64_t> batches_committed{0};
  std::atomic<std::int64_t> events_published{0};
  std::atomic<std::int64_t> deadletters_published{0};
  // HTTP attempts: outcome ok (the provider's answer was read), retried (no usable answer, another
  // attempt follows) or failed (no usable answer, the call ends in call.failed).
  Counter provider_calls{"provider_calls_total", "Provider HTTP attempts, by provider, operation and outcome.",
                         {"provider", "op", "outcome"}};
  std::atomic<std::int64_t> provider_call_failures{0};
  std::atomic<std::int64_t> provider_call_retries{0};
  Counter webhooks_accepted{"webhooks_accepted_total", "Webhooks acknowledged by Kafka and answered 2xx.",
                            {"provider"}};
  Counter webhooks_refused{"webhooks_refused_total",
                           "HTTP requests refused with a 4xx (dead-lettered within their source's rate).",
                           {"provider"}};
  std::atomic<std::int64_t> timers_fired{0};
  std::atomic<std::int64_t> circuit_opened{0};
  std::atomic<std::int64_t> store_commit_failures{0};
  std::atomic<std::int64_t> commits_fenced{0};  // refused: a partition of the batch has a newer owner
  std::atomic<std::int64_t> records_refused{0};  // refused by Kafka for what they are: their minimal forms went instead
  std::atomic<std::int64_t> records_dropped{0};  // refused with their minimal forms too
  std::atomic<std::int64_t> refusals_unrecorded{0};  // HTTP refusals over a source's dead-letter rate

  // What the processor committed, from its transactions' events.
  Counter transactions_created{"transactions_created_total", "Transactions created (their first event).",
                               {"provider", "flow"}};
  Counter state_changes{"state_changes_total", "transaction.state_changed events committed, by canonical status.",
                        {"provider", "flow", "status"}};
  Counter transactions_final{"transactions_final_total",
                             "Transactions reaching an outcome (a final status) for the first time, by that status.",
                             {"provider", "flow", "status"}};
  // Changes needing a person (an event's `attention`), by code (attention:: in statemachines/domain.hpp).
  Counter attention{"attention_total", "Changes that need a person, by attention code.", {"provider", "flow", "code"}};
  static constexpr std::string_view kAttentionCodes[] = {"late_outcome", "late_input", "disputed", "amount_mismatch",
                                                         "outcome_unknown"};
  Histogram command_to_final{"command_to_final_seconds",
                             "From a transaction's creation to its outcome, in the inputs' own times.",
                             {"provider", "flow", "status"},
                             {100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000, 1800000,
                              3600000}};
  Histogram provider_call_seconds{"provider_call_seconds", "One HTTP round trip to a provider (an attempt).",
                                  {"provider", "op"},
                                  {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}};

  // Sampled at a scrape (kSampleMs at most), never on the hot path.
  Gauge consumer_lag{"consumer_lag", "Records on the topic not yet consumed (applied, for corridor.inputs).",
                     {"topic"}};
  Gauge outbox_depth{"outbox_depth", "Outbox rows (events, dead letters) waiting in the store for the relay.", {}};
  Gauge pending_calls{"pending_calls", "Provider calls waiting in the store for their answer.", {}};
  Gauge timers_due{"timers_due", "Durable timers due now, not yet fired.", {}};
  // Set by the circuit breaker as circuits open and close.
  Gauge circuit_open{"circuit_open", "1 while a provider's circuit breaker is open (or half-open).", {"provider"}};
  // Set by the processor as partitions are claimed and given up.
  Gauge partitions_owned{"partitions_owned", "Partitions of corridor.inputs this process owns (claimed in the store).",
                         {}};

  // Creates the series of every provider and flow at 0 (created, attention, webhooks, circuits).
  void declare_flows(const std::vector<std::pair<std::string_view, std::string_view>>& flows);

  // `sample` runs at a scrape, at most once per kSampleMs for all samplers together, to set the gauges
  // that read the store or Kafka. It is removed when the returned handle goes; a scrape in progress
  // finishes first.
  static constexpr std::int64_t kSampleMs = 1000;
  [[nodiscard]] std::shared_ptr<void> add_sampler(std::function<void()> sample);
  // Runs the samplers now (tests, and a scrape once kSampleMs passed).
  void sample();

  std::string prometheus();

 private:
  struct Samplers;
  std::shared_ptr<Samplers> samplers_;
};

}  // namespace corridor
