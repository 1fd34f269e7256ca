#include "engine/pipeline/relay.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
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
    out.push_back(Outgoing{refused.topic, refused.key, boost::json::serialize(small), "", {}});
  }
  for (auto& d : minimal_deadletter("relay", refused, error, at_ms, std::move(context))) out.push_back(std::move(d));
  return out;
}

}  // namespace

void run_relay(const Config& config, Store& store, KafkaProducer& producer, Signal& wake, const Clock& clock,
               Metrics& metrics, Health& health, const std::atomic<bool>& stop) {
  name_thread("corridor-relay");
  // What the relay handed to Kafka and Kafka has not yet acknowledged. The relay does not wait for
  // it before publishing what the next batches committed (it used to, and an event committed during
  // that wait waited for it too, under load for tens of ms): the producer keeps each partition's
  // order, and rows leave the outbox once acknowledged. Outbox ids only grow (AUTOINCREMENT), so
  // the rows above `produced_up_to` are the ones not yet handed over.
  struct Published {
    std::vector<std::pair<std::int64_t, bool>> rows;  // outbox id, dead letter
    std::unique_ptr<Acks> acks;
  };
  constexpr std::size_t kBatch = 2000;
  constexpr std::size_t kMaxInFlight = 20000;  // rows; beyond it the relay waits for acknowledgements
  std::deque<Published> in_flight;
  std::size_t rows_in_flight = 0;
  std::int64_t produced_up_to = 0;
  // A row was refused or could not be removed: once nothing is in flight, the outbox is read from its
  // oldest row again and what is still there is published again (consumers deduplicate by event_id).
  bool read_again = false;
  // Acknowledged rows leave the outbox a few at a time: each removal is a write transaction on the
  // processor's one writing connection, which waits for it (one per acknowledged batch took that
  // lock about 70 times a second at 1,000 payins/s). Until removed they are only published again
  // after a crash, as any acknowledged row not yet removed always was.
  constexpr auto kRemoveEvery = std::chrono::milliseconds(50);
  std::vector<std::int64_t> acknowledged;
  std::int64_t acknowledged_events = 0, acknowledged_deadletters = 0;
  std::vector<std::pair<std::int64_t, std::string>> refused;  // outbox id, Kafka's error
  std::string last_error;
  // The store failed to give or remove outbox rows: the relay stalls, and retries after a pause.
  std::string store_error;
  auto last_removal = std::chrono::steady_clock::now();

  auto publish_new = [&]() -> bool {
    if (read_again || rows_in_flight >= kMaxInFlight) return false;
    // Only the rows after those already handed over: the ones in flight, or acknowledged and not
    // removed yet, are not read (nor their bodies copied) again.
    auto rows = store.outbox(kBatch, produced_up_to);
    if (!rows) {
      store_error = rows.error().message;
      return false;
    }
    if (rows->empty()) return false;
    Published batch;
    batch.acks = std::make_unique<Acks>(rows->size(), [&wake] { wake.notify(); });
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const OutboxRow& row = (*rows)[i];
      const bool deadletter = row.topic == "deadletter";
      producer.produce(deadletter ? config.kafka.deadletter : config.kafka.events, row.key, row.body,
                       batch.acks->callback(i));
      batch.rows.emplace_back(row.id, deadletter);
    }
    produced_up_to = rows->back().id;
    rows_in_flight += batch.rows.size();
    in_flight.push_back(std::move(batch));
    return true;
  };

  auto remove_acknowledged = [&](bool now) {
    if (acknowledged.empty()) return;
    if (!now && acknowledged.size() < kBatch && std::chrono::steady_clock::now() - last_removal < kRemoveEvery) return;
    last_removal = std::chrono::steady_clock::now();
    auto r = store.remove_outbox(acknowledged);
    acknowledged.clear();
    if (!r) {
      // Published but still in the outbox: published again; consumers deduplicate by event_id.
      store_error = r.error().message;
      read_again = true;
    } else {
      metrics.events_published += acknowledged_events;
      metrics.deadletters_published += acknowledged_deadletters;
    }
    acknowledged_events = acknowledged_deadletters = 0;
  };

  // Collects the acknowledged batches, oldest first; `wait` waits for every batch.
  auto collect_acknowledged = [&](bool wait) {
    while (!in_flight.empty()) {
      Published& batch = in_flight.front();
      if (wait) {
        batch.acks->drain();
      } else if (!batch.acks->complete()) {
        break;
      }
      for (std::size_t i = 0; i < batch.rows.size(); ++i) {
        if (batch.acks->permanent().contains(i)) {
          refused.push_back({batch.rows[i].first, batch.acks->last_error()});
          continue;
        }
        if (batch.acks->failed().contains(i)) {
          read_again = true;
          last_error = batch.acks->last_error();
          continue;
        }
        acknowledged.push_back(batch.rows[i].first);
        (batch.rows[i].second ? acknowledged_deadletters : acknowledged_events)++;
      }
      rows_in_flight -= batch.rows.size();
      in_flight.pop_front();
    }
  };

  // Rows Kafka refused for what they are: their minimal forms go instead, then the rows leave the
  // outbox like acknowledged ones. Each row is read again and refused again until that succeeds.
  auto replace_refused = [&] {
    if (refused.empty()) return;
    std::vector<std::int64_t> ids;
    for (const auto& [id, error] : refused) ids.push_back(id);
    auto rows = store.outbox_rows(ids);
    if (!rows) {
      store_error = rows.error().message;
      read_again = true;
      refused.clear();
      return;
    }
    std::vector<Outgoing> out;
    for (const OutboxRow& row : *rows) {
      const bool deadletter = row.topic == "deadletter";
      Outgoing original{deadletter ? config.kafka.deadletter : config.kafka.events, row.key, row.body,
                        config.kafka.deadletter, {}};
      std::string error;
      for (const auto& [id, e] : refused)
        if (id == row.id) error = e;
      auto replacement = deadletter ? minimal_deadletter("relay", original, error, clock.now_ms(), {})
                                    : minimal_event(original, error, clock.now_ms());
      for (auto& r : replacement) out.push_back(std::move(r));
    }
    if (deliver(producer, std::move(out), health, Health::Part::relay, clock, metrics, stop)) {
      metrics.records_refused += static_cast<std::int64_t>(rows->size());
      for (const OutboxRow& row : *rows) acknowledged.push_back(row.id);
    } else {
      read_again = true;
    }
    refused.clear();
  };

  std::int64_t backoff_ms = 100;
  // A pause that grows while the trouble lasts, the relay named stuck meanwhile.
  auto back_off = [&] {
    const std::string why = store_error.empty() ? "Kafka does not take outbox rows: " + last_error
                                                : "the store does not give or remove outbox rows: " + store_error;
    if (!store_error.empty()) std::cerr << "relay: " << store_error << std::endl;
    health.stalled(Health::Part::relay, why, clock.now_ms());
    store_error.clear();
    // The whole pause: commits and acknowledgements raise `wake` many times a second.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff_ms);
    for (auto now = std::chrono::steady_clock::now(); now < until && !stop.load(); now = std::chrono::steady_clock::now())
      wake.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(until - now) + std::chrono::milliseconds(1));
    backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
  };
  auto settle = [&] {
    if (read_again && in_flight.empty()) {
      remove_acknowledged(true);
      // Rows were not taken or not removed: read from the oldest again, after the pause.
      back_off();
      produced_up_to = 0;
      read_again = false;
    }
  };

  while (!stop.load()) {
    collect_acknowledged(false);
    replace_refused();
    remove_acknowledged(false);
    settle();
    if (publish_new()) continue;
    if (!store_error.empty() && !read_again) {
      back_off();
      continue;
    }
    if (in_flight.empty() && !read_again && store_error.empty()) {
      backoff_ms = 100;
      health.progressed(Health::Part::relay);
    }
    // Woken by a committed batch (the processor) or a completed one (the delivery thread), or when
    // acknowledged rows are due for removal.
    wake.wait_for(acknowledged.empty() ? std::chrono::milliseconds(100) : kRemoveEvery);
  }
  // Drain what the last batches wrote, in bounded time.
  collect_acknowledged(true);
  remove_acknowledged(true);
  for (int i = 0; i < 50; ++i) {
    if (read_again && in_flight.empty()) {
      produced_up_to = 0;
      read_again = false;
    }
    const bool published = publish_new();
    collect_acknowledged(true);
    remove_acknowledged(true);
    if (!published && !read_again) break;
  }
}

}  // namespace corridor
