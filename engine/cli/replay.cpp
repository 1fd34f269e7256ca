#include "engine/cli/replay.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <map>
#include <set>

#include "adapters/support/csv.hpp"
#include "engine/io/kafka.hpp"
#include "engine/pipeline/processor.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

std::string show(const json::value& v) { return boost::json::serialize(v); }

ReplayDifference difference(const Transaction& t, std::string what, std::string live, std::string replayed) {
  return {t.txn_id, t.merchant, t.reference, std::move(what), std::move(live), std::move(replayed)};
}

void compare(const Transaction& live, const Transaction& replayed, std::vector<ReplayDifference>& out) {
  auto diff = [&](std::string what, const json::value& a, const json::value& b) {
    if (a != b) out.push_back(difference(live, std::move(what), show(a), show(b)));
  };
  diff("state", json::value(live.state), json::value(replayed.state));
  diff("version", json::value(live.version), json::value(replayed.version));
  diff("amount", json::value{{"value", live.amount.value}, {"currency", live.amount.currency}},
       json::value{{"value", replayed.amount.value}, {"currency", replayed.amount.currency}});
  diff("provider_refs", to_json(live.provider_refs), to_json(replayed.provider_refs));
  diff("data", data_json(live), data_json(replayed));
  diff("reason", fields::to_value(live.reason), fields::to_value(replayed.reason));
}

// The row's columns beside its document, against the replayed transaction.
void compare_columns(const Store::RowColumns& live, const Transaction& replayed, std::vector<ReplayDifference>& out) {
  if (live.state != replayed.state)
    out.push_back(difference(replayed, "state column", show(json::value(live.state)), show(json::value(replayed.state))));
  if (live.version != replayed.version)
    out.push_back(difference(replayed, "version column", std::to_string(live.version), std::to_string(replayed.version)));
}

class Progress {
 public:
  Progress(std::ostream* out, std::int64_t total) : out_(out), total_(total) {}
  void update(std::int64_t done, bool final = false) {
    if (out_ == nullptr) return;
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0;
    const int width = 30;
    const int filled = total_ > 0 ? static_cast<int>(width * done / total_) : width;
    *out_ << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
          << std::string(static_cast<std::size_t>(width - filled), ' ') << "] " << done << "/" << total_ << " records, "
          << static_cast<std::int64_t>(rate) << "/s, ETA " << static_cast<std::int64_t>(eta) << " s   " << std::flush;
    if (final) *out_ << "\n";
  }

 private:
  std::ostream* out_;
  std::int64_t total_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace

ReplayReport replay(const Config& config, Store& live, const std::string& bootstrap, const std::string& scratch_path,
                    const ReplayOptions& options) {
  ReplayReport report;
  // Replay exactly what the live store has applied: the live engine may be running, ahead of nothing.
  auto applied = live.offsets(config.kafka.inputs);
  if (!applied) throw std::runtime_error(applied.error().message);
  std::map<std::int32_t, std::int64_t> until = *applied;
  if (options.until_offset)
    for (auto& [_, next] : until) next = std::min(next, *options.until_offset);
  std::int64_t total = 0;
  for (const auto& [_, next] : until) total += next;

  KafkaConsumer consumer(bootstrap, config.kafka.group + ".replay", config.kafka.properties);
  consumer.assign_all(config.kafka.inputs, [](const std::string&, std::int32_t) -> std::int64_t { return -1; });
  std::unique_ptr<Store> scratch = open_sqlite_store(scratch_path);
  BatchProcessor processor(*scratch, config);
  Progress progress(options.progress, total);

  std::map<std::int32_t, std::int64_t> position;  // next offset to read, per partition
  auto done = [&] {
    for (const auto& [partition, next] : until)
      if (next > 0 && position[partition] < next) return false;
    return true;
  };
  int idle_polls = 0;
  while (!done() && idle_polls < 100) {
    auto messages = consumer.poll(2000, std::chrono::milliseconds(100));
    if (messages.empty()) {
      ++idle_polls;
      continue;
    }
    idle_polls = 0;
    std::vector<InputRecord> batch;
    for (const auto& m : messages) {
      if (!m.error().empty()) continue;
      position[m.partition()] = m.offset() + 1;
      auto bound = until.find(m.partition());
      if (bound == until.end() || m.offset() >= bound->second) continue;
      ++report.records;
      if (!options.txn_id.empty() && m.key() != options.txn_id) continue;
      InputRecord rec{std::string(m.topic()), m.partition(), m.offset(), m.timestamp_ms(), std::string(m.value()),
                      m.header("traceparent").value_or("")};
      if (options.until_ms) {
        auto in = input_from_json(boost::json::parse(rec.value));
        if (in && in->at_ms > *options.until_ms) continue;
      }
      batch.push_back(std::move(rec));
    }
    BatchStats stats;
    auto applied_batch = processor.process(batch, stats);
    if (!applied_batch) throw std::runtime_error("replay: " + applied_batch.error().message);
    if (auto r = scratch->commit(*applied_batch); !r) throw std::runtime_error("replay: " + r.error().message);
    progress.update(report.records);
  }
  progress.update(report.records, true);

  // Compare: every transaction the replay rebuilt, against the live store.
  std::set<std::string> txn_ids;
  {
    auto ids = scratch->transaction_ids();
    if (!ids) throw std::runtime_error(ids.error().message);
    txn_ids.insert(ids->begin(), ids->end());
  }
  if (!options.txn_id.empty()) txn_ids = {options.txn_id};
  // A partial replay stops before the live store did: what it decides is the versions it rebuilt.
  const bool part_of_the_log = options.until_ms.has_value() || options.until_offset.has_value();
  for (const auto& id : txn_ids) {
    auto replayed = scratch->load(id);
    auto current = live.load(id);
    auto columns = live.row_columns(id);
    if (!replayed || !current || !columns) throw std::runtime_error("replay: cannot read transaction " + id);
    if (!*replayed) {
      if (*current) {
        // Outside the part replayed, a transaction the log has not reached yet is no difference.
        if (!part_of_the_log)
          report.differences.push_back(difference(**current, "missing in the replay", (*current)->state, ""));
      } else if (!options.txn_id.empty()) {
        report.txn_unknown = true;
      }
      continue;
    }
    if (options.from_ms && (*replayed)->created_at_ms < *options.from_ms) continue;
    ++report.transactions;
    if (!*current) {
      report.differences.push_back(difference(**replayed, "missing in the live store", "", (*replayed)->state));
      continue;
    }
    auto live_events = live.events_of(id);
    auto replayed_events = scratch->events_of(id);
    if (!live_events || !replayed_events) throw std::runtime_error("replay: cannot read events of " + id);
    // The live transaction went further than the part replayed: compare the versions both have.
    const bool partial = part_of_the_log && (*current)->version > (*replayed)->version;
    if (!partial) {
      compare(**current, **replayed, report.differences);
      if (*columns) compare_columns(**columns, **replayed, report.differences);
    }
    const std::size_t n = std::min(live_events->size(), replayed_events->size());
    for (std::size_t i = 0; i < n; ++i) {
      if ((*live_events)[i] != (*replayed_events)[i])
        report.differences.push_back(difference(**replayed, "event " + std::to_string(i + 1),
                                                show((*live_events)[i]), show((*replayed_events)[i])));
    }
    if (!partial && live_events->size() != replayed_events->size())
      report.differences.push_back(difference(**replayed, "event count", std::to_string(live_events->size()),
                                              std::to_string(replayed_events->size())));
  }
  return report;
}

void print_replay_report(const ReplayReport& r, const std::string& format, std::ostream& out) {
  if (format == "json") {
    json::array diffs;
    for (const auto& d : r.differences)
      diffs.push_back({{"txn_id", d.txn_id},
                       {"merchant", d.merchant},
                       {"reference", d.reference},
                       {"what", d.what},
                       {"live", d.live},
                       {"replayed", d.replayed}});
    out << boost::json::serialize(json::object{{"records", r.records},
                                               {"transactions", r.transactions},
                                               {"matches", r.matches()},
                                               {"differences", std::move(diffs)}})
        << "\n";
    return;
  }
  if (format == "csv") {
    out << "txn_id,merchant,reference,what,live,replayed\n";
    for (const auto& d : r.differences)
      out << csv_field(d.txn_id) << "," << csv_field(d.merchant) << "," << csv_field(d.reference) << ","
          << csv_field(d.what) << "," << csv_field(d.live) << "," << csv_field(d.replayed) << "\n";
    return;
  }
  out << "replayed " << r.records << " input records; compared " << r.transactions << " transactions\n";
  if (r.matches()) {
    out << "every transaction matches the log\n";
    return;
  }
  out << r.differences.size() << " difference(s):\n";
  for (const auto& d : r.differences) {
    out << "  " << d.txn_id << " (" << d.merchant << " " << d.reference << ")  " << d.what
        << "\n      live:     " << d.live << "\n      replayed: " << d.replayed << "\n";
  }
}

}  // namespace corridor
