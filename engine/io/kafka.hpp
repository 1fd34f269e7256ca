#pragma once
// Kafka through librdkafka: the embedded mock cluster, an idempotent acks=all producer, and a
// batch-polling consumer. Every C handle is held by an RAII owner declared here; no
// rd_kafka_*_destroy appears anywhere else.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_mock_cluster_s;
struct rd_kafka_queue_s;

namespace corridor {

using KafkaProps = std::map<std::string, std::string>;
// A record's headers, in order (a name may appear more than once).
using KafkaHeaders = std::vector<std::pair<std::string, std::string>>;

struct KafkaHandleDeleter {
  void operator()(rd_kafka_s* rk) const;
};
using KafkaHandle = std::unique_ptr<rd_kafka_s, KafkaHandleDeleter>;

struct KafkaMessageDeleter {
  void operator()(rd_kafka_message_s* m) const;
};

// One consumed record. Owns the librdkafka message.
class KafkaMessage {
 public:
  explicit KafkaMessage(rd_kafka_message_s* m) : m_(m) {}
  std::string_view topic() const;
  std::int32_t partition() const;
  std::int64_t offset() const;
  std::string_view key() const;
  std::string_view value() const;
  std::int64_t timestamp_ms() const;  // -1 when the record has none
  KafkaHeaders headers() const;       // empty when the record has none
  // The last value of header `name`, or nullopt when the record has no such header.
  std::optional<std::string> header(std::string_view name) const;
  // An error event delivered as a message (e.g. partition EOF): empty when the record is data.
  std::string error() const;

 private:
  std::unique_ptr<rd_kafka_message_s, KafkaMessageDeleter> m_;
};

// librdkafka's mock cluster: the real Kafka protocol on loopback, in this process. It lives as
// long as this object.
class EmbeddedKafka {
 public:
  // Client settings for it (a configuration's kafka.properties still win): the mock answers a fetch
  // that finds nothing only after fetch.wait.max.ms, where a broker answers as soon as a record
  // arrives, so each hop waits up to that long; and a shorter linger, as loopback costs little.
  static KafkaProps client_properties();

  // One broker by default: the mock's brokers share one process and one thread, so more of them
  // replicate nothing, while every client keeps a connection, and consumers a fetch loop, to each
  // (three brokers cost about a quarter more CPU end to end in bench_lifecycle, and latency with it).
  // Tests that take brokers down one by one ask for more.
  explicit EmbeddedKafka(int brokers = 1);
  ~EmbeddedKafka();
  std::string bootstrap() const;
  // `replication` 0: every broker holds a replica.
  void create_topic(const std::string& name, int partitions, int replication = 0);
  void set_broker_down(std::int32_t broker_id);
  void set_broker_up(std::int32_t broker_id);
  // The next `errors.size()` requests of this Kafka API (0 = Produce, 1 = Fetch, ...) fail with them.
  void push_request_errors(std::int16_t api_key, const std::vector<int>& errors);
  // A partition's leader: a broker id, or -1 for none (nothing can be produced to it meanwhile).
  void set_partition_leader(const std::string& topic, std::int32_t partition, std::int32_t broker_id);

 private:
  KafkaHandle rk_;
  rd_kafka_mock_cluster_s* cluster_ = nullptr;  // owned by rk_'s lifetime, destroyed explicitly
  int brokers_ = 1;
};

// An idempotent producer (enable.idempotence, acks=all): per-partition order is kept and retries
// never duplicate. Delivery reports are served on its own thread.
// What became of a produced record.
struct DeliveryReport {
  std::string error;       // empty: acknowledged
  bool permanent = false;  // refused for what the record is (too large, malformed): sending it again fails again

  bool ok() const { return error.empty(); }
};

class KafkaProducer {
 public:
  using Delivered = std::function<void(const std::string& error)>;  // empty error: acknowledged
  using Reported = std::function<void(const DeliveryReport& report)>;

  KafkaProducer(const std::string& bootstrap, const KafkaProps& extra = {});
  ~KafkaProducer();  // flushes what is in flight (bounded) and stops

  // Queues a record; `done` runs once, on the delivery thread, when Kafka acknowledged or refused it.
  void produce(const std::string& topic, std::string_view key, std::string_view value, Delivered done);
  void produce(const std::string& topic, std::string_view key, std::string_view value, Reported done);
  // The same with record headers (CloudEvents' binary mode, W3C traceparent).
  void produce(const std::string& topic, std::string_view key, std::string_view value, const KafkaHeaders& headers,
               Reported done);
  // Produces and waits for the acknowledgement.
  Result<Ok> produce_sync(const std::string& topic, std::string_view key, std::string_view value,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));
  Result<Ok> produce_sync(const std::string& topic, std::string_view key, std::string_view value,
                          const KafkaHeaders& headers, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  void flush(std::chrono::milliseconds timeout);

 private:
  KafkaHandle rk_;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

// A consumer in a group, whose partitions' starting offsets are chosen by the caller (the store's
// offsets, not Kafka's): `on_assign(topic, partition)` returns the offset to start from, or a
// negative value for the beginning of the log.
class KafkaConsumer {
 public:
  using OffsetFor = std::function<std::int64_t(const std::string& topic, std::int32_t partition)>;
  // Partitions the group takes away; `lost`: taken after this consumer's session expired (a pause, a
  // cut network), so another member may already consume them.
  using OnRevoke = std::function<void(const std::vector<std::pair<std::string, std::int32_t>>& partitions, bool lost)>;
  // The partitions a rebalance gives (none, possibly), before `on_assign` runs for each.
  using OnAssignment = std::function<void(const std::vector<std::pair<std::string, std::int32_t>>& partitions)>;

  KafkaConsumer(const std::string& bootstrap, const std::string& group, const KafkaProps& extra = {});
  ~KafkaConsumer();

  // Joins the group for `topics`. Partitions come and go by rebalances (incrementally with the
  // cooperative-sticky assignor: those a member keeps are never stopped); `on_assign` runs for each
  // partition given, before it is consumed, `on_revoke` once for those taken, before they go. Both
  // run on the thread that polls, inside poll().
  void subscribe(const std::vector<std::string>& topics, OffsetFor on_assign = nullptr, OnRevoke on_revoke = nullptr,
                 OnAssignment on_assignment = nullptr);
  // Takes every partition of `topic` without a group rebalance (one engine owns the whole topic).
  // `start_at` gives each partition's starting offset (negative: the beginning); without it, the
  // group's committed offset, or the beginning when there is none.
  void assign_all(const std::string& topic, OffsetFor start_at = nullptr);
  // Consumes `partition` from `offset` again (negative: the beginning), dropping what was fetched past
  // it; or stops fetching it until it is assigned again (pause).
  Result<Ok> seek(const std::string& topic, std::int32_t partition, std::int64_t offset);
  void pause(const std::string& topic, std::int32_t partition);
  // Drops subscribe's callbacks: what they refer to is going away, and closing the consumer still
  // serves a last rebalance (its partitions revoked).
  void forget_callbacks();
  // Up to `max` records, waiting at most `timeout` for the first one.
  std::vector<KafkaMessage> poll(std::size_t max, std::chrono::milliseconds timeout);
  // Commits the positions of the records consumed so far (group offsets, for tools and lag).
  Result<Ok> commit();
  // The same without waiting for the group coordinator: the positions are taken now, so what is
  // consumed after the call is not committed by it. Its outcome is not reported.
  Result<Ok> commit_async();

  // Offsets kept for a group by a consumer that is not its member (a group nobody joins): such a
  // commit carries no generation, so a rebalance can never refuse it. (librdkafka 2.0 takes a
  // member's commit refused for an old generation as the loss of its whole assignment and rejoins,
  // which starts another rebalance: members that commit while the group rebalances keep it
  // rebalancing.)
  struct PartitionOffset {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;  // the next record to read
  };
  // The positions of the records consumed so far in each assigned partition read from.
  Result<std::vector<PartitionOffset>> positions();
  // Commits `offsets` as this consumer's group's; `wait`: for the coordinator's answer, else the
  // answer is served by a later call (poll, or this).
  Result<Ok> commit(const std::vector<PartitionOffset>& offsets, bool wait);
  // The group's committed offset of `partition` (negative: none), asking the coordinator.
  Result<std::int64_t> committed(const std::string& topic, std::int32_t partition, std::chrono::milliseconds timeout);
  // Number of partitions of `topic` (waits briefly for a topic being created); 0 when unknown.
  int partition_count(const std::string& topic);
  // Last offset + 1 of a partition as the brokers see it (the end of the log), or an error.
  Result<std::int64_t> high_watermark(const std::string& topic, std::int32_t partition);

  // Metrics: records of the assigned partitions not consumed yet, from the end of the log this
  // consumer last fetched (no request is made) and its position (where assign_all started it, or
  // the group's committed offset, until it consumes). Callable from any thread once assigned.
  Result<std::int64_t> lag();

 private:
  friend struct ConsumerCallbacks;
  KafkaHandle rk_;
  rd_kafka_queue_s* queue_ = nullptr;
  OffsetFor on_assign_;
  OnRevoke on_revoke_;
  OnAssignment on_assignment_;
  bool subscribed_ = false;
  bool assigned_ = false;  // assign_all
  std::atomic<bool> ever_assigned_{false};
  std::vector<rd_kafka_message_s*> taken_;  // poll's buffer, kept: a batch of 5,000 is 40 KB to clear
  // For lag(): where each partition's consumption started (assign_all's offset, the group's commit;
  // negative: the beginning of the log).
  std::mutex lag_mu_;
  std::map<std::pair<std::string, std::int32_t>, std::int64_t> started_at_;
};

}  // namespace corridor
