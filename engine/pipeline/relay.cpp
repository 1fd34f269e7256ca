#include "engine/pipeline/relay.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <iostream>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/delivery.hpp"

namespace corridor {

namespace {

// An event Kafka refused for what it is (a body too large): its version still reaches consumers, with
// the fields that identify the change and "truncated": true, and the whole is said in a dead letter.
std::vector<Outgoing> minimal_event(const Outgoing& refused, const std::string& error, std::int64_t at_ms) {
  json::object context;
  std::vector<Outgoing> out;
  boost::system::error_code ec;
  json::value v = boost::json::parse(refused.value, ec);
  if (!ec && v.is_object()) {
    const json::object& e = v.get_object();
    json::object small;
    for (std::string_view key : {"event_id", "type", "txn_id", "merchant", "reference", "provider", "flow", "version",
                                 "state", "previous_state", "status", "amount", "attention", "cause", "occurred_at"}) {
      if (auto* f = e.if_contains(key); f != nullptr && json_text(*f).size() <= 1024) small[key] = *f;
    }
    small["truncated"] = true;
    context["event_id"] = small.contains("event_id") ? small["event_id"] : json::value(nullptr);
    out.push_back(Outgoing{refused.topic, refused.key, boost::json::serialize(small), "", {}, refused.headers});
  }
  for (auto& d : minimal_deadletter("relay", refused, error, at_ms, std::move(context))) out.push_back(std::move(d));
  return out;
}

// The relay's state between its steps. It does not wait for what it handed to Kafka before
// publishing what the next batches committed (it used to, and an event committed during that wait
// waited for it too, under load for tens of ms): the producer keeps each partition's order, and rows
// leave the outbox once acknowledged. Outbox ids only grow (AUTOINCREMENT), so the rows above
// `produced_up_to_` are the ones not yet handed over.
class Relay {
 public:
  Relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, const Clock& clock,
        Metrics& metrics, Health& health, const std::atomic<bool>& stop, const Ownership* ownership)
      : config_(config),
        store_(store),
        producer_(producer),
        wake_(wake),
        clock_(clock),
        metrics_(metrics),
        health_(health),
        stop_(stop),
        ownership_(ownership),
        last_removal_(std::chrono::steady_clock::now()) {}

  void run() {
    while (!stop_.load()) {
      collect_acknowledged(false);
      replace_refused();
      remove_acknowledged(false);
      settle();
      if (publish_new()) continue;
      if (!store_error_.empty() && !read_again_) {
        back_off();
        continue;
      }
      if (in_flight_.empty() && !read_again_ && store_error_.empty()) {
        backoff_ms_ = 100;
        health_.progressed(Health::Part::relay);
      }
      // Woken by a committed batch (the processor) or a completed one (the delivery thread), or when
      // acknowledged rows are due for removal.
      wake_.wait_for(acknowledged_.empty() ? std::chrono::milliseconds(100) : kRemoveEvery);
    }
    drain();
  }

 private:
  // Rows handed to Kafka together, and their acknowledgements.
  struct Published {
    std::vector<std::pair<std::int64_t, bool>> rows;  // outbox id, dead letter
    std::unique_ptr<Acks> acks;
  };
  static constexpr std::size_t kBatch = 2000;
  static constexpr std::size_t kMaxInFlight = 20000;  // rows; beyond it the relay waits for acknowledgements
  // Acknowledged rows leave the outbox a few at a time: each removal is a write transaction on the
  // processor's one writing connection, which waits for it (one per acknowledged batch took that
  // lock about 70 times a second at 1,000 payins/s). Until removed they are only published again
  // after a crash, as any acknowledged row not yet removed always was.
  static constexpr auto kRemoveEvery = std::chrono::milliseconds(50);

  // Publishes the rows after those already handed over: the ones in flight, or acknowledged and not
  // removed yet, are not read (nor their bodies copied) again. False when there was nothing to publish.
  bool publish_new() {
    if (read_again_ || rows_in_flight_ >= kMaxInFlight) return false;
    const auto owned = ownership_ != nullptr ? ownership_->filter() : std::nullopt;
    auto rows = store_.outbox(kBatch, cursor(owned), owned ? &*owned : nullptr);
    if (!rows) {
      store_error_ = rows.error().message;
      return false;
    }
    if (rows->empty()) return false;
    const std::int64_t last_read = rows->back().id;
    // Rows of partitions whose cursor is further on (a partition just claimed reads from the first
    // row, the others skip what they handed over already).
    if (owned) {
      std::erase_if(*rows, [&](const OutboxRow& r) { return r.id <= produced_up_to_partition_[r.partition]; });
      for (std::int32_t p : *owned) produced_up_to_partition_[p] = std::max(produced_up_to_partition_[p], last_read);
      if (rows->empty()) return true;
    }
    Published batch;
    batch.acks = std::make_unique<Acks>(rows->size(), [&wake = wake_] { wake.notify(); });
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const OutboxRow& row = (*rows)[i];
      const bool deadletter = row.topic == "deadletter";
      producer_.produce(deadletter ? config_.kafka.deadletter : config_.kafka.events, row.key, row.body, row.headers,
                        batch.acks->callback(i));
      batch.rows.emplace_back(row.id, deadletter);
    }
    produced_up_to_ = last_read;
    rows_in_flight_ += batch.rows.size();
    in_flight_.push_back(std::move(batch));
    return true;
  }

  // Removes the acknowledged rows from the outbox: `now`, or once enough of them or enough time.
  void remove_acknowledged(bool now) {
    if (acknowledged_.empty()) return;
    if (!now && acknowledged_.size() < kBatch && std::chrono::steady_clock::now() - last_removal_ < kRemoveEvery)
      return;
    last_removal_ = std::chrono::steady_clock::now();
    auto r = store_.remove_outbox(acknowledged_);
    acknowledged_.clear();
    if (!r) {
      // Published but still in the outbox: published again; consumers deduplicate by event_id.
      store_error_ = r.error().message;
      read_again_ = true;
    } else {
      metrics_.events_published += acknowledged_events_;
      metrics_.deadletters_published += acknowledged_deadletters_;
    }
    acknowledged_events_ = acknowledged_deadletters_ = 0;
  }

  // Collects the acknowledged batches, oldest first; `wait` waits for every batch.
  void collect_acknowledged(bool wait) {
    while (!in_flight_.empty()) {
      Published& batch = in_flight_.front();
      if (wait) {
        batch.acks->drain();
      } else if (!batch.acks->complete()) {
        break;
      }
      for (std::size_t i = 0; i < batch.rows.size(); ++i) {
        if (batch.acks->permanent().contains(i)) {
          refused_.push_back({batch.rows[i].first, batch.acks->last_error()});
          continue;
        }
        if (batch.acks->failed().contains(i)) {
          read_again_ = true;
          last_error_ = batch.acks->last_error();
          continue;
        }
        acknowledged_.push_back(batch.rows[i].first);
        (batch.rows[i].second ? acknowledged_deadletters_ : acknowledged_events_)++;
      }
      rows_in_flight_ -= batch.rows.size();
      in_flight_.pop_front();
    }
  }

  // Rows Kafka refused for what they are: their minimal forms go instead, then the rows leave the
  // outbox like acknowledged ones. Each row is read again and refused again until that succeeds.
  void replace_refused() {
    if (refused_.empty()) return;
    std::vector<std::int64_t> ids;
    for (const auto& [id, error] : refused_) ids.push_back(id);
    auto rows = store_.outbox_rows(ids);
    if (!rows) {
      store_error_ = rows.error().message;
      read_again_ = true;
      refused_.clear();
      return;
    }
    std::vector<Outgoing> out;
    for (const OutboxRow& row : *rows) {
      const bool deadletter = row.topic == "deadletter";
      Outgoing original{deadletter ? config_.kafka.deadletter : config_.kafka.events, row.key, row.body,
                        config_.kafka.deadletter, {}, row.headers};
      std::string error;
      for (const auto& [id, e] : refused_)
        if (id == row.id) error = e;
      auto replacement = deadletter ? minimal_deadletter("relay", original, error, clock_.now_ms(), {})
                                    : minimal_event(original, error, clock_.now_ms());
      for (auto& r : replacement) out.push_back(std::move(r));
    }
    if (deliver(producer_, std::move(out), health_, Health::Part::relay, clock_, metrics_, stop_)) {
      metrics_.records_refused += static_cast<std::int64_t>(rows->size());
      for (const OutboxRow& row : *rows) acknowledged_.push_back(row.id);
    } else {
      read_again_ = true;
    }
    refused_.clear();
  }

  // A pause that grows while the trouble lasts, the relay named stuck meanwhile.
  void back_off() {
    const std::string why = store_error_.empty() ? "Kafka does not take outbox rows: " + last_error_
                                                 : "the store does not give or remove outbox rows: " + store_error_;
    if (!store_error_.empty()) std::cerr << "relay: " << store_error_ << std::endl;
    health_.stalled(Health::Part::relay, why, clock_.now_ms());
    store_error_.clear();
    // The whole pause: commits and acknowledgements raise `wake` many times a second.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms_);
    for (auto now = std::chrono::steady_clock::now(); now < until && !stop_.load(); now = std::chrono::steady_clock::now())
      wake_.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + std::chrono::milliseconds(1));
    backoff_ms_ = std::min<std::int64_t>(backoff_ms_ * 2, 5000);
  }

  void settle() {
    if (read_again_ && in_flight_.empty()) {
      remove_acknowledged(true);
      // Rows were not taken or not removed: read from the oldest again, after the pause.
      back_off();
      read_from_start();
      read_again_ = false;
    }
  }

  // Where the next read starts: after the rows every partition read has handed over. Partitions
  // owned here since the last read start from the first row; those no longer owned are forgotten.
  std::int64_t cursor(const std::optional<std::vector<std::int32_t>>& owned) {
    if (!owned) return produced_up_to_;
    std::erase_if(produced_up_to_partition_, [&](const auto& kv) {
      return !std::binary_search(owned->begin(), owned->end(), kv.first);
    });
    std::int64_t from = std::numeric_limits<std::int64_t>::max();
    for (std::int32_t p : *owned) {
      auto it = produced_up_to_partition_.find(p);
      from = std::min(from, it == produced_up_to_partition_.end() ? 0 : it->second);
    }
    return owned->empty() ? produced_up_to_ : from;
  }

  void read_from_start() {
    produced_up_to_ = 0;
    produced_up_to_partition_.clear();
  }

  // Drains what the last batches wrote, in bounded time.
  void drain() {
    collect_acknowledged(true);
    remove_acknowledged(true);
    for (int i = 0; i < 50; ++i) {
      if (read_again_ && in_flight_.empty()) {
        read_from_start();
        read_again_ = false;
      }
      const bool published = publish_new();
      collect_acknowledged(true);
      remove_acknowledged(true);
      if (!published && !read_again_) break;
    }
  }

  const Config& config_;
  Store& store_;
  KafkaProducer& producer_;
  Signal& wake_;
  const Clock& clock_;
  Metrics& metrics_;
  Health& health_;
  const std::atomic<bool>& stop_;
  const Ownership* ownership_;  // nullptr: every row is this relay's

  std::deque<Published> in_flight_;
  std::size_t rows_in_flight_ = 0;
  std::int64_t produced_up_to_ = 0;
  // With partitions owned: the last row handed over, per partition.
  std::map<std::int32_t, std::int64_t> produced_up_to_partition_;
  // A row was refused or could not be removed: once nothing is in flight, the outbox is read from its
  // oldest row again and what is still there is published again (consumers deduplicate by event_id).
  bool read_again_ = false;
  std::vector<std::int64_t> acknowledged_;
  std::int64_t acknowledged_events_ = 0, acknowledged_deadletters_ = 0;
  std::vector<std::pair<std::int64_t, std::string>> refused_;  // outbox id, Kafka's error
  std::string last_error_;
  // The store failed to give or remove outbox rows: the relay stalls, and retries after a pause.
  std::string store_error_;
  std::chrono::steady_clock::time_point last_removal_;
  std::int64_t backoff_ms_ = 100;
};

}  // namespace

void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, const Clock& clock,
               Metrics& metrics, Health& health, const std::atomic<bool>& stop, const Ownership* ownership) {
  name_thread("corridor-relay");
  Relay(config, store, producer, wake, clock, metrics, health, stop, ownership).run();
}

}  // namespace corridor
