#pragma once
// Producing on Kafka until it holds what was produced: the router, the relay and the scheduler hand
// their records over here, and a record Kafka refuses for what it is (too large) gives way to its
// minimal form.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/io/health.hpp"
#include "engine/io/kafka.hpp"
#include "engine/io/metrics.hpp"
#include "engine/pipeline/clock.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "statemachines/domain.hpp"

namespace corridor {

// A record to produce, and what goes instead when Kafka refuses it for what it is (too large).
struct Outgoing {
  std::string topic;
  std::string key;
  std::string value;
  std::string deadletter_topic;  // where its minimal form goes
  // The records that replace it; empty: nothing can (it is dropped, counted and logged).
  std::function<std::vector<Outgoing>(const Outgoing& refused, const std::string& error)> instead;
  RecordHeaders headers{};  // record headers: traceparent, CloudEvents (record_headers.hpp)
};

// A dead letter of a few hundred bytes standing for a refused record: where it was going, its size and
// SHA-256, and `context` (where it came from). It goes to refused.deadletter_topic.
std::vector<Outgoing> minimal_deadletter(std::string_view source, const Outgoing& refused, std::string_view error,
                                         std::int64_t at_ms, json::object context);

// Produces `records` in order and returns once Kafka holds each of them or what replaced it: a record
// Kafka refuses for what it is gives way to its `instead` records; while Kafka is unavailable the whole
// batch is produced again (order kept; the processor and consumers recognise repeated records),
// backing off up to 5 s, and `part` shows as stalled. False when `stop` is raised first.
bool deliver(KafkaProducer& producer, std::vector<Outgoing> records, Health& health, Health::Part part,
             const Clock& clock, Metrics& metrics, const std::atomic<bool>& stop);

// Counts acknowledgements of a group of records produced together.
class Acks {
 public:
  // `on_complete` runs once, on the delivery thread, when the last record is acknowledged or refused.
  explicit Acks(std::size_t expected, std::function<void()> on_complete = {})
      : expected_(expected), on_complete_(std::move(on_complete)) {}
  KafkaProducer::Reported callback(std::size_t index) {
    return [this, index](const DeliveryReport& report) {
      std::lock_guard lock(mu_);
      if (!report.ok()) {
        failed_.insert(index);
        if (report.permanent) permanent_.insert(index);
        last_error_ = report.error;
      }
      if (++done_ == expected_) {
        cv_.notify_all();
        if (on_complete_) on_complete_();
      }
    };
  }
  // Every record acknowledged or refused: failed() is final.
  bool complete() {
    std::lock_guard lock(mu_);
    return done_ == expected_;
  }
  // True when every record was acknowledged within the timeout.
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return done_ == expected_; });
    return done_ == expected_ && failed_.empty();
  }
  // Waits for every callback to have run, so none outlives this object.
  void drain() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_ == expected_; });
  }
  // After drain(): the records refused, those refused for what they are, and the last error.
  const std::set<std::size_t>& failed() const { return failed_; }
  const std::set<std::size_t>& permanent() const { return permanent_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t expected_;
  std::function<void()> on_complete_;
  std::size_t done_ = 0;
  std::set<std::size_t> failed_, permanent_;
  std::string last_error_;
};

// An input as its record on corridor.inputs.
std::string input_record(const Input& in);

}  // namespace corridor
