#include "engine/io/kafka.hpp"
#include "engine/io/errc.hpp"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace corridor {

void KafkaHandleDeleter::operator()(rd_kafka_s* rk) const { rd_kafka_destroy(rk); }
void KafkaMessageDeleter::operator()(rd_kafka_message_s* m) const { rd_kafka_message_destroy(m); }

namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const { rd_kafka_topic_partition_list_destroy(l); }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* h) const { rd_kafka_headers_destroy(h); }
};
using Headers = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};

void set(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
    throw std::runtime_error("kafka setting " + key + "=" + value + ": " + err);
}

Conf make_conf(const std::string& bootstrap, const KafkaProps& defaults, const KafkaProps& extra) {
  Conf conf(rd_kafka_conf_new());
  if (!bootstrap.empty()) set(conf.get(), "bootstrap.servers", bootstrap);
  for (const auto& [k, v] : defaults) set(conf.get(), k, v);
  for (const auto& [k, v] : extra) set(conf.get(), k, v);
  return conf;
}

KafkaHandle make_handle(rd_kafka_type_t type, Conf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (rk == nullptr) throw std::runtime_error(std::string("kafka client: ") + err);
  conf.release();  // rd_kafka_new took ownership
  return KafkaHandle(rk);
}

// Errors that come from the record itself: it would be refused again whatever the cluster's health.
bool permanent_error(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE ||
         err == RD_KAFKA_RESP_ERR_INVALID_MSG || err == RD_KAFKA_RESP_ERR_INVALID_RECORD ||
         err == RD_KAFKA_RESP_ERR__BAD_MSG;
}

DeliveryReport report_of(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  return {rd_kafka_err2str(err), permanent_error(err)};
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* done = static_cast<KafkaProducer::Reported*>(m->_private);
  if (done == nullptr) return;
  (*done)(report_of(m->err));
  delete done;
}

}  // namespace

std::string_view KafkaMessage::topic() const { return rd_kafka_topic_name(m_->rkt); }
std::int32_t KafkaMessage::partition() const { return m_->partition; }
std::int64_t KafkaMessage::offset() const { return m_->offset; }
std::string_view KafkaMessage::key() const {
  return m_->key ? std::string_view(static_cast<const char*>(m_->key), m_->key_len) : std::string_view();
}
std::string_view KafkaMessage::value() const {
  return m_->payload ? std::string_view(static_cast<const char*>(m_->payload), m_->len) : std::string_view();
}
std::int64_t KafkaMessage::timestamp_ms() const {
  rd_kafka_timestamp_type_t type;
  return rd_kafka_message_timestamp(m_.get(), &type);
}
KafkaHeaders KafkaMessage::headers() const {
  KafkaHeaders out;
  rd_kafka_headers_t* hdrs = nullptr;  // owned by the message
  if (rd_kafka_message_headers(m_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || hdrs == nullptr) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
    out.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : std::string());
  return out;
}
std::optional<std::string> KafkaMessage::header(std::string_view name) const {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m_.get(), &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || hdrs == nullptr) return std::nullopt;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(hdrs, std::string(name).c_str(), &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return std::nullopt;
  return value ? std::string(static_cast<const char*>(value), size) : std::string();
}
std::string KafkaMessage::error() const { return m_->err ? rd_kafka_message_errstr(m_.get()) : std::string(); }

// ---- embedded cluster ----------------------------------------------------------------------------

EmbeddedKafka::EmbeddedKafka(int brokers) : brokers_(brokers) {
  Conf conf = make_conf("", {{"log_level", "3"}}, {});
  rk_ = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
  cluster_ = rd_kafka_mock_cluster_new(rk_.get(), brokers);
  if (cluster_ == nullptr) throw std::runtime_error("cannot start the embedded Kafka cluster");
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
}

KafkaProps EmbeddedKafka::client_properties() { return {{"fetch.wait.max.ms", "2"}, {"linger.ms", "0.5"}}; }

std::string EmbeddedKafka::bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

void EmbeddedKafka::create_topic(const std::string& name, int partitions, int replication) {
  rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, replication > 0 ? replication : brokers_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw std::runtime_error("cannot create topic " + name + ": " + rd_kafka_err2str(err));
}

void EmbeddedKafka::set_broker_down(std::int32_t broker_id) { rd_kafka_mock_broker_set_down(cluster_, broker_id); }
void EmbeddedKafka::set_broker_up(std::int32_t broker_id) { rd_kafka_mock_broker_set_up(cluster_, broker_id); }

void EmbeddedKafka::push_request_errors(std::int16_t api_key, const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> errs;
  for (int e : errors) errs.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(cluster_, api_key, errs.size(), errs.data());
}

void EmbeddedKafka::set_partition_leader(const std::string& topic, std::int32_t partition, std::int32_t broker_id) {
  rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker_id);
}

// ---- producer ------------------------------------------------------------------------------------

KafkaProducer::KafkaProducer(const std::string& bootstrap, const KafkaProps& extra) {
  Conf conf = make_conf(bootstrap,
                        {{"enable.idempotence", "true"},
                         {"acks", "all"},
                         {"linger.ms", "2"},
                         {"socket.nagle.disable", "true"},
                         {"partitioner", "murmur2_random"},  // the Java client's: keys land alike
                         {"message.timeout.ms", "300000"},
                         {"log_level", "3"}},
                        extra);
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  rk_ = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
  poller_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "corridor-kafka");
    while (!stop_.load()) rd_kafka_poll(rk_.get(), 50);
  });
}

KafkaProducer::~KafkaProducer() {
  rd_kafka_flush(rk_.get(), 10000);
  stop_ = true;
  poller_.join();
  rd_kafka_poll(rk_.get(), 0);
}

void KafkaProducer::produce(const std::string& topic, std::string_view key, std::string_view value, Delivered done) {
  produce(topic, key, value, Reported([done = std::move(done)](const DeliveryReport& r) { done(r.error); }));
}

void KafkaProducer::produce(const std::string& topic, std::string_view key, std::string_view value, Reported done) {
  produce(topic, key, value, KafkaHeaders{}, std::move(done));
}

void KafkaProducer::produce(const std::string& topic, std::string_view key, std::string_view value,
                            const KafkaHeaders& headers, Reported done) {
  auto* opaque = new Reported(std::move(done));
  for (;;) {
    // librdkafka takes the headers when it takes the record; each attempt gets its own copy.
    Headers hdrs;
    if (!headers.empty()) {
      hdrs.reset(rd_kafka_headers_new(headers.size()));
      for (const auto& [name, v] : headers)
        rd_kafka_header_add(hdrs.get(), name.data(), static_cast<ssize_t>(name.size()), v.data(), static_cast<ssize_t>(v.size()));
    }
    rd_kafka_resp_err_t err =
        hdrs ? rd_kafka_producev(rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs.get()),
                                 RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END)
             : rd_kafka_producev(rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                                 RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      hdrs.release();  // owned by the record now
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_.get(), 10);  // the local queue drains as the brokers acknowledge
      continue;
    }
    (*opaque)(report_of(err));
    delete opaque;
    return;
  }
}

Result<Ok> KafkaProducer::produce_sync(const std::string& topic, std::string_view key, std::string_view value,
                                       std::chrono::milliseconds timeout) {
  return produce_sync(topic, key, value, KafkaHeaders{}, timeout);
}

Result<Ok> KafkaProducer::produce_sync(const std::string& topic, std::string_view key, std::string_view value,
                                       const KafkaHeaders& headers, std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<std::string>>();
  auto future = promise->get_future();
  produce(topic, key, value, headers,
          Reported([promise](const DeliveryReport& r) { promise->set_value(r.error); }));
  if (future.wait_for(timeout) != std::future_status::ready)
    return fail(kafka_errc::not_acknowledged, "kafka did not acknowledge within " + std::to_string(timeout.count()) + " ms");
  std::string error = future.get();
  if (!error.empty()) return fail(kafka_errc::refused, "kafka refused the record: " + error);
  return Ok{};
}

void KafkaProducer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
}

// ---- consumer ------------------------------------------------------------------------------------

struct ConsumerCallbacks {
  static void rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                        void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      self->ever_assigned_ = true;
      if (self->on_assignment_) {
        std::vector<std::pair<std::string, std::int32_t>> given;
        for (int i = 0; i < parts->cnt; ++i) given.emplace_back(parts->elems[i].topic, parts->elems[i].partition);
        self->on_assignment_(given);
      }
      for (int i = 0; i < parts->cnt; ++i) {
        auto& p = parts->elems[i];
        std::int64_t offset = self->on_assign_ ? self->on_assign_(p.topic, p.partition) : -1;
        if (self->on_assign_) p.offset = offset >= 0 ? offset : RD_KAFKA_OFFSET_BEGINNING;
        if (self->on_assign_) {
          std::lock_guard lock(self->lag_mu_);
          self->started_at_[{p.topic, p.partition}] = p.offset;
        }
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_assign(rk, parts)) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, parts);
      }
      // A partition paused when it was lost (KafkaConsumer::pause) is read again once given back.
      rd_kafka_resume_partitions(rk, parts);
    } else {
      if (self->on_revoke_) {
        std::vector<std::pair<std::string, std::int32_t>> taken;
        for (int i = 0; i < parts->cnt; ++i) taken.emplace_back(parts->elems[i].topic, parts->elems[i].partition);
        self->on_revoke_(taken, rd_kafka_assignment_lost(rk) != 0);
      }
      if (cooperative) {
        if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts)) rd_kafka_error_destroy(e);
      } else {
        rd_kafka_assign(rk, nullptr);
      }
    }
  }
};

KafkaConsumer::KafkaConsumer(const std::string& bootstrap, const std::string& group, const KafkaProps& extra) {
  Conf conf = make_conf(bootstrap,
                        {{"group.id", group},
                         {"enable.auto.commit", "false"},
                         {"auto.offset.reset", "earliest"},
                         {"enable.partition.eof", "false"},
                         {"fetch.wait.max.ms", "10"},
                         {"socket.nagle.disable", "true"},
                         {"session.timeout.ms", "10000"},
                         // A rebalance moves only the partitions that change hands: the others go on.
                         {"partition.assignment.strategy", "cooperative-sticky"},
                         {"log_level", "3"}},
                        extra);
  rd_kafka_conf_set_rebalance_cb(conf.get(), &ConsumerCallbacks::rebalance);
  rd_kafka_conf_set_opaque(conf.get(), this);
  rk_ = make_handle(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(rk_.get());
  queue_ = rd_kafka_queue_get_consumer(rk_.get());
}

KafkaConsumer::~KafkaConsumer() {
  // librdkafka 2.0 (Debian's) aborts closing a cooperative-sticky member that never received an
  // assignment (its sticky assignor's state is destroyed before it exists; confluentinc/librdkafka
  // #4312, fixed in 2.2). A member stopped that early waits, a bounded time, for its first
  // assignment; records it takes meanwhile are dropped, read again by whoever owns them next (their
  // positions were not committed, and the processor starts from the store's offsets).
  if (subscribed_ && queue_ != nullptr) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!ever_assigned_.load() && std::chrono::steady_clock::now() < until)
      if (rd_kafka_message_t* m = rd_kafka_consume_queue(queue_, 100)) rd_kafka_message_destroy(m);
  }
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  rd_kafka_consumer_close(rk_.get());
}

void KafkaConsumer::subscribe(const std::vector<std::string>& topics, OffsetFor on_assign, OnRevoke on_revoke,
                              OnAssignment on_assignment) {
  on_assign_ = std::move(on_assign);
  on_revoke_ = std::move(on_revoke);
  on_assignment_ = std::move(on_assignment);
  subscribed_ = true;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("subscribe: ") + rd_kafka_err2str(err));
}

int KafkaConsumer::partition_count(const std::string& topic) {
  struct TopicDeleter {
    void operator()(rd_kafka_topic_t* t) const { rd_kafka_topic_destroy(t); }
  };
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> rkt(rd_kafka_topic_new(rk_.get(), topic.c_str(), nullptr));
  int partitions = 0;
  for (int attempt = 0; attempt < 100 && partitions == 0; ++attempt) {
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt.get(), &md, 5000);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
      partitions = md->topics[0].partition_cnt;
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    if (partitions == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the topic is being created
  }
  return partitions;
}

void KafkaConsumer::assign_all(const std::string& topic, OffsetFor start_at) {
  assigned_ = true;
  const int partitions = partition_count(topic);
  if (partitions == 0) throw std::runtime_error("topic " + topic + " not found on the cluster");
  PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    auto* tp = rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p);
    const std::int64_t offset = start_at ? start_at(topic, p) : RD_KAFKA_OFFSET_STORED;
    tp->offset = start_at ? (offset >= 0 ? offset : RD_KAFKA_OFFSET_BEGINNING) : RD_KAFKA_OFFSET_STORED;
    if (start_at) {
      std::lock_guard lock(lag_mu_);
      started_at_[{topic, p}] = offset >= 0 ? offset : RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(err));
}

Result<Ok> KafkaConsumer::seek(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset =
      offset >= 0 ? offset : RD_KAFKA_OFFSET_BEGINNING;
  if (rd_kafka_error_t* e = rd_kafka_seek_partitions(rk_.get(), list.get(), 5000)) {
    std::string what = rd_kafka_error_string(e);
    rd_kafka_error_destroy(e);
    return fail(kafka_errc::refused, "seek " + topic + " partition " + std::to_string(partition) + ": " + what);
  }
  if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail(kafka_errc::refused, "seek " + topic + " partition " + std::to_string(partition) + ": " +
                                         rd_kafka_err2str(list->elems[0].err));
  return Ok{};
}

void KafkaConsumer::forget_callbacks() {
  on_assign_ = nullptr;
  on_revoke_ = nullptr;
  on_assignment_ = nullptr;
}

void KafkaConsumer::pause(const std::string& topic, std::int32_t partition) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  rd_kafka_pause_partitions(rk_.get(), list.get());
}

std::vector<KafkaMessage> KafkaConsumer::poll(std::size_t max, std::chrono::milliseconds timeout) {
  // Waits for the first record only, then takes what is already queued: a batch never waits to
  // fill up (that would add the whole timeout to every hop at low load).
  std::vector<KafkaMessage> out;
  rd_kafka_message_t* first = rd_kafka_consume_queue(queue_, static_cast<int>(timeout.count()));
  if (first == nullptr) return out;
  out.emplace_back(first);
  if (max <= 1) return out;
  if (taken_.size() < max - 1) taken_.resize(max - 1);
  const ssize_t n = rd_kafka_consume_batch_queue(queue_, 0, taken_.data(), max - 1);
  out.reserve(static_cast<std::size_t>(n) + 1);
  for (ssize_t i = 0; i < n; ++i) out.emplace_back(taken_[static_cast<std::size_t>(i)]);
  return out;
}

Result<Ok> KafkaConsumer::commit() {
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), nullptr, 0);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    return fail(kafka_errc::commit_failed, std::string("commit: ") + rd_kafka_err2str(err));
  return Ok{};
}

Result<Ok> KafkaConsumer::commit_async() {
  auto at = positions();
  if (!at) return at.error();
  return commit(*at, false);
}

Result<std::vector<KafkaConsumer::PartitionOffset>> KafkaConsumer::positions() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_.get(), &raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(kafka_errc::commit_failed, std::string("commit: ") + rd_kafka_err2str(err));
  PartitionList assigned(raw);
  err = rd_kafka_position(rk_.get(), assigned.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(kafka_errc::commit_failed, std::string("commit: ") + rd_kafka_err2str(err));
  std::vector<PartitionOffset> out;
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& p = assigned->elems[i];
    if (p.offset >= 0) out.push_back({p.topic, p.partition, p.offset});
  }
  return out;
}

Result<Ok> KafkaConsumer::commit(const std::vector<PartitionOffset>& offsets, bool wait) {
  // Answers to earlier unawaited commits: a consumer that reads nothing is not polled and would keep
  // them queued (one that reads serves them in poll, and its queue holds records).
  if (!subscribed_ && !assigned_ && queue_ != nullptr)
    while (rd_kafka_message_t* m = rd_kafka_consume_queue(queue_, 0)) rd_kafka_message_destroy(m);
  if (offsets.empty()) return Ok{};
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& o : offsets)
    rd_kafka_topic_partition_list_add(list.get(), o.topic.c_str(), o.partition)->offset = o.offset;
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list.get(), wait ? 0 : 1);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(kafka_errc::commit_failed, std::string("commit: ") + rd_kafka_err2str(err));
  return Ok{};
}

Result<std::int64_t> KafkaConsumer::committed(const std::string& topic, std::int32_t partition,
                                              std::chrono::milliseconds timeout) {
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk_.get(), list.get(), static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return fail(kafka_errc::commit_failed, "committed offset of " + topic + " partition " + std::to_string(partition) +
                                               ": " + rd_kafka_err2str(err));
  return list->elems[0].offset >= 0 ? list->elems[0].offset : -1;
}

Result<std::int64_t> KafkaConsumer::high_watermark(const std::string& topic, std::int32_t partition) {
  std::int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk_.get(), topic.c_str(), partition, &low, &high, 5000);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(kafka_errc::watermarks_unavailable, std::string("watermarks: ") + rd_kafka_err2str(err));
  return high;
}

Result<std::int64_t> KafkaConsumer::lag() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(rk_.get(), &raw);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return fail(kafka_errc::watermarks_unavailable, std::string("lag: ") + rd_kafka_err2str(err));
  PartitionList assigned(raw);
  rd_kafka_position(rk_.get(), assigned.get());
  std::lock_guard lock(lag_mu_);
  // Partitions not consumed from since the assignment: where they started, or the group's commit,
  // asked once (only this consumer moves it, and it has not consumed them).
  PartitionList unknown(rd_kafka_topic_partition_list_new(assigned->cnt));
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& p = assigned->elems[i];
    if (p.offset < 0 && !started_at_.contains({p.topic, p.partition}))
      rd_kafka_topic_partition_list_add(unknown.get(), p.topic, p.partition);
  }
  if (unknown->cnt > 0 && rd_kafka_committed(rk_.get(), unknown.get(), 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < unknown->cnt; ++i) {
      const auto& c = unknown->elems[i];
      // No commit: consumption starts at the beginning of the log.
      started_at_[{c.topic, c.partition}] = c.offset >= 0 ? c.offset : RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  for (int i = 0; i < assigned->cnt; ++i) {
    auto& p = assigned->elems[i];
    if (p.offset >= 0) continue;
    if (auto it = started_at_.find({p.topic, p.partition}); it != started_at_.end()) p.offset = it->second;
  }
  std::int64_t total = 0;
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& p = assigned->elems[i];
    std::int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
    if (rd_kafka_get_watermark_offsets(rk_.get(), p.topic, p.partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        high < 0)
      continue;  // not fetched from yet: nothing known
    const std::int64_t position = p.offset >= 0 ? p.offset : std::max<std::int64_t>(low, 0);
    total += std::max<std::int64_t>(0, high - position);
  }
  return total;
}

}  // namespace corridor
