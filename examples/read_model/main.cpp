// corridor-read-model: consumes corridor.events from the beginning and prints the read model it
// rebuilds, one line per transaction, when no new event arrived for a second (or at --max-seconds).
//   corridor-read-model <bootstrap> [topic] [--max-seconds N]
#include <librdkafka/rdkafka.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "examples/read_model/read_model.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <bootstrap> [topic] [--max-seconds N]\n", argv[0]);
    return 2;
  }
  const std::string topic = argc > 2 && std::strncmp(argv[2], "--", 2) != 0 ? argv[2] : "corridor.events";
  int max_seconds = 30;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], "--max-seconds") == 0) max_seconds = std::atoi(argv[i + 1]);

  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "corridor-read-model-example", err, sizeof err);
  rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", err, sizeof err);
  std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)> rk(rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err),
                                                        rd_kafka_destroy);
  if (!rk) {
    std::fprintf(stderr, "kafka: %s\n", err);
    return 1;
  }
  rd_kafka_poll_set_consumer(rk.get());
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_subscribe(rk.get(), topics);
  rd_kafka_topic_partition_list_destroy(topics);

  corridor::examples::ReadModel model;
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(max_seconds)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 200);
    if (m == nullptr) {
      if (!model.transactions().empty() && std::chrono::steady_clock::now() - last > std::chrono::seconds(1)) break;
      continue;
    }
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      boost::system::error_code ec;
      auto v = boost::json::parse(std::string_view(static_cast<const char*>(m->payload), m->len), ec);
      if (!ec && v.is_object()) model.apply(v.get_object());
      last = std::chrono::steady_clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  for (const auto& [id, t] : model.transactions())
    std::printf("%s %-10s %-22s v%-3lld %-20s %lld %s\n", id.c_str(), t.provider.c_str(), t.state.c_str(),
                static_cast<long long>(t.version), t.status.c_str(), static_cast<long long>(t.amount), t.currency.c_str());
  std::printf("%zu transactions, %zu rejected commands, %zu events held back\n", model.transactions().size(),
              model.rejected_commands(), model.held_back());
  return 0;
}
