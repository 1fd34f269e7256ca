#include "engine/pipeline/scheduler.hpp"

#include <iostream>

#include "engine/pipeline/delivery.hpp"

namespace corridor {

void run_scheduler(const Config& config, Store& store, KafkaProducer& producer, const Clock& clock, Signal& wake,
                   Metrics& metrics, Health& health, const std::atomic<bool>& stop, const Ownership* ownership) {
  name_thread("corridor-timers");
  std::int64_t backoff_ms = 50;
  while (!stop.load()) {
    const auto owned = ownership != nullptr ? ownership->filter() : std::nullopt;
    auto due = store.due_timers(clock.now_ms(), 1000, owned ? &*owned : nullptr);
    if (!due) {
      health.stalled(Health::Part::scheduler, due.error().message, clock.now_ms());
      std::cerr << "scheduler: " << due.error().message << std::endl;
      wake.wait_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
      continue;
    }
    if (due->empty()) {
      backoff_ms = 50;
      health.progressed(Health::Part::scheduler);
      wake.wait_for(std::chrono::milliseconds(50));
      continue;
    }
    std::vector<Outgoing> out;
    out.reserve(due->size());
    for (const TimerRow& t : *due) {
      Input in;
      in.input_id = t.input_id;
      in.txn_id = t.txn_id;
      in.kind = InputKind::timer;
      in.name = t.name;
      in.at_ms = t.due_at_ms;  // the flow sees the time the timer was due: replays agree
      out.push_back(Outgoing{config.kafka.inputs, t.txn_id, input_record(in), config.kafka.deadletter, {}});
    }
    if (!deliver(producer, std::move(out), health, Health::Part::scheduler, clock, metrics, stop)) return;
    if (auto r = store.remove_timers(*due); !r) {
      // Fired again on the next read: the flow's input id makes the second firing a duplicate.
      health.stalled(Health::Part::scheduler, r.error().message, clock.now_ms());
      std::cerr << "scheduler: " << r.error().message << std::endl;
      wake.wait_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
      continue;
    }
    metrics.timers_fired += static_cast<std::int64_t>(due->size());
  }
}

}  // namespace corridor
