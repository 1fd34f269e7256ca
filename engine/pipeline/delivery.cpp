#include "engine/pipeline/delivery.hpp"

#include <boost/json/serialize.hpp>
#include <iostream>
#include <thread>

#include "engine/pipeline/commands.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

// Waits `ms` unless `stop` is raised first (checked every 50 ms); false when stopping.
bool pause(std::int64_t ms, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

}  // namespace

std::string input_record(const Input& in) { return boost::json::serialize(to_json(in)); }

std::vector<Outgoing> minimal_deadletter(std::string_view source, const Outgoing& refused, std::string_view error,
                                         std::int64_t at_ms, json::object context) {
  context["refused_topic"] = refused.topic;
  context["record_bytes"] = refused.value.size();
  json::object d = deadletter_record(source, "Kafka refused the record (" + std::string(error) + "): its minimal form",
                                     refused.value, at_ms, 0, std::move(context));
  std::string body = boost::json::serialize(d);
  RecordHeaders headers = deadletter_headers(source, body, format_time(at_ms), header_value(refused.headers, "ce_subject"),
                                             header_value(refused.headers, "traceparent"));
  return {Outgoing{refused.deadletter_topic, "", std::move(body), "", {}, std::move(headers)}};
}

bool deliver(KafkaProducer& producer, std::vector<Outgoing> records, Health& health, Health::Part part,
             const Clock& clock, Metrics& metrics, const std::atomic<bool>& stop) {
  std::int64_t backoff_ms = 100;
  std::vector<Outgoing> batch = std::move(records);
  while (!batch.empty()) {
    Acks acks(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i)
      producer.produce(batch[i].topic, batch[i].key, batch[i].value, batch[i].headers, acks.callback(i));
    acks.wait(std::chrono::seconds(30));
    acks.drain();
    if (acks.failed().empty()) break;
    const bool unavailable = acks.failed().size() > acks.permanent().size();
    // Refused for what they are: their minimal forms instead, once. A minimal form refused again is
    // dropped, counted and said: it names nothing that could be sent.
    std::vector<Outgoing> next;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!acks.permanent().contains(i)) {
        if (unavailable) next.push_back(std::move(batch[i]));
        continue;
      }
      metrics.records_refused++;
      if (!batch[i].instead) {
        metrics.records_dropped++;
        std::cerr << "corridor: Kafka refused a record of " << batch[i].value.size() << " bytes for "
                  << batch[i].topic << ", which has no smaller form; dropped" << std::endl;
        continue;
      }
      for (auto& r : batch[i].instead(batch[i], acks.last_error())) next.push_back(std::move(r));
    }
    batch = std::move(next);
    if (unavailable) {
      // Kafka is not taking records: the whole batch again (its order kept; repeated records are
      // recognised downstream), backing off.
      health.stalled(part, "Kafka does not take its records: " + acks.last_error(), clock.now_ms());
      if (!pause(backoff_ms, stop)) return false;
      backoff_ms = std::min<std::int64_t>(backoff_ms * 2, 5000);
    }
  }
  health.progressed(part);
  return true;
}

}  // namespace corridor
