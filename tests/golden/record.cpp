// golden_record (make golden): runs the engine with its sandboxes through every provider's demo
// scenarios (follow-ups included) and a set of hostile inputs, reads corridor.inputs back as it was
// written, and writes tests/golden/inputs.jsonl with the outbox rows and states its replay gives
// (outbox.jsonl, states.jsonl). It replays twice and refuses to write results that differ.
#include <boost/json/serialize.hpp>
#include <chrono>
#include <iostream>
#include <map>

#include "adapters/novasend/novasend_adapter.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "sandbox/sandbox.hpp"
#include "tests/golden/golden.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

struct Tracked {
  std::string reference;
  std::string provider;
  std::string expected;
  std::vector<DemoFollowUp> follow_ups;
};

json::object command(const std::string& reference, const json::object& fields, const std::string& command_id) {
  json::object c{{"type", "payment.create"}, {"command_id", command_id}, {"merchant", "ZANDO"}, {"reference", reference}};
  for (const auto& kv : fields) c[kv.key()] = kv.value();
  return c;
}

// Every scenario at its expected status, follow-ups published as their statuses are reached.
bool run_scenarios(Engine& engine, const TopicCollector& events, std::map<std::string, Tracked>& tracked) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  int follow_up = 0;
  for (;;) {
    const auto evs = events.records();
    bool all = true;
    for (auto& [txn, t] : tracked) {
      const std::string status = latest_status(evs, txn);
      if (!t.follow_ups.empty() && t.follow_ups.front().after_status == status) {
        json::object c{{"command_id", "golden-follow-up-" + std::to_string(++follow_up)},
                       {"merchant", "ZANDO"},
                       {"reference", t.reference}};
        for (const auto& kv : t.follow_ups.front().command) c[kv.key()] = kv.value();
        t.follow_ups.erase(t.follow_ups.begin());
        engine.publish_command(c);
      }
      all = all && t.follow_ups.empty() && status == t.expected;
    }
    if (all) return true;
    if (std::chrono::steady_clock::now() > deadline) {
      for (const auto& [txn, t] : tracked)
        if (latest_status(evs, txn) != t.expected)
          std::cerr << "golden_record: " << t.reference << " is " << latest_status(evs, txn) << ", not " << t.expected << "\n";
      return false;
    }
    (void)events.wait_until([&](const auto& now) { return now.size() > evs.size(); }, std::chrono::seconds(1));
  }
}

// corridor.inputs as written, every partition to its end.
std::vector<InputRecord> read_log(const std::string& bootstrap, const std::string& topic) {
  KafkaConsumer consumer(bootstrap, "golden-record");
  consumer.assign_all(topic);
  const int partitions = consumer.partition_count(topic);
  std::map<std::int32_t, std::int64_t> end;
  for (std::int32_t p = 0; p < partitions; ++p) {
    auto hw = consumer.high_watermark(topic, p);
    if (!hw) throw std::runtime_error(hw.error().message);
    end[p] = *hw;
  }
  std::vector<InputRecord> records;
  std::map<std::int32_t, std::int64_t> next;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto caught_up = [&] {
    for (const auto& [p, e] : end)
      if (next[p] < e) return false;
    return true;
  };
  while (!caught_up()) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("corridor.inputs not read to its end");
    for (const auto& m : consumer.poll(1000, std::chrono::milliseconds(200))) {
      if (!m.error().empty()) continue;
      records.push_back({std::string(m.topic()), m.partition(), m.offset(), m.timestamp_ms(), std::string(m.value())});
      next[m.partition()] = m.offset() + 1;
    }
  }
  return records;
}

int write_results();

int record() {
  Cluster cluster;
  TempDir dir;
  const Config config = test_config(cluster, dir.path());
  std::map<std::string, Tracked> tracked;
  {
    TopicCollector events(cluster.bootstrap, "corridor.events");
    TopicCollector deadletters(cluster.bootstrap, "corridor.deadletter");
    Engine engine(config);
    for (const auto& reg : sandbox_registrations()) {
      for (const auto& s : reg.demo_scenarios()) {
        const std::string reference = "GOLDEN-" + std::string(reg.provider) + "-" + s.name;
        engine.publish_command(command(reference, s.command, "golden-" + reference));
        tracked[derive_txn_id("ZANDO", reference)] = {reference, std::string(reg.provider), s.expected_status, s.follow_ups};
      }
    }
    if (!run_scenarios(engine, events, tracked)) return 1;

    // Hostile inputs that reach corridor.inputs.
    const json::object payin{{"provider", "novasend"},
                             {"amount", {{"value", 300}, {"currency", "XOF"}}},
                             {"customer", {{"msisdn", "+2250700000001"}}}};
    engine.publish_command(command("GOLDEN-dup", payin, "dup"));
    engine.publish_command(command("GOLDEN-dup", payin, "dup"));  // the same command again: a no-op
    engine.publish_command(command("GOLDEN-reuse", payin, "reuse"));
    json::object other = payin;
    other["amount"] = {{"value", 900}, {"currency", "XOF"}};
    engine.publish_command(command("GOLDEN-reuse", other, "reuse"));  // the id again, another command
    engine.publish_command({{"type", "refund.create"}, {"command_id", "r-nobody"}, {"merchant", "ZANDO"},
                            {"reference", "GOLDEN-nobody"}, {"amount", {{"value", 100}, {"currency", "XOF"}}}});
    const std::string final_txn = derive_txn_id("ZANDO", "GOLDEN-novasend-declined");
    engine.publish_command({{"type", "payment.cancel"}, {"command_id", "cancel-final"}, {"merchant", "ZANDO"},
                            {"reference", "GOLDEN-novasend-declined"}});
    // Records no router wrote, straight onto corridor.inputs.
    KafkaProducer producer(cluster.bootstrap);
    const std::string inputs = config.kafka.inputs;
    (void)producer.produce_sync(inputs, "tx_golden_raw", "not json at all");
    Input stray{"golden:stray", "tx_golden_stray", InputKind::webhook, "payin.confirmed", 1795867200000, {}};
    (void)producer.produce_sync(inputs, stray.txn_id, boost::json::serialize(to_json(stray)));
    Input huge{"golden:huge", final_txn, InputKind::webhook, "payin.confirmed", 1795867200000,
               {{"padding", std::string(600 * 1024, 'x')}}};
    (void)producer.produce_sync(inputs, final_txn, boost::json::serialize(to_json(huge)));
    // A signed NovaSend notification of a type corridor does not handle, echoing a card.
    const std::string secret = config.providers.at("novasend").at("webhook_secret");
    const std::string body = boost::json::serialize(json::object{
        {"id", "evt_4111111111111111"},
        {"event", "payin.refunded"},
        {"data", {{"customerReference", derive_txn_id("ZANDO", "GOLDEN-novasend-accepted-completed")},
                  {"card", "4111 1111 1111 1111"}}}});
    const std::string t = "1795867200";
    auto http = make_http_client();
    auto answered = http->send(
        HttpRequest{"POST", engine.runtime().public_url() + "/webhooks/novasend",
                    {{"Content-Type", "application/json"},
                     {"X-NovaSend-Signature", "t=" + t + ",v1=" + novasend_webhook_signature(secret, t, body)}},
                    body, ""},
        std::chrono::seconds(10));
    if (!answered || answered->status != 200) {
      std::cerr << "golden_record: the notification was not accepted\n";
      return 1;
    }
    // Applied once the processor has dead-lettered the huge record (the last one written).
    if (!deadletters.wait_until(
            [](const auto& recs) {
              for (const auto& d : recs)
                if (get_string(d, "reason").find("limits.input_bytes") != std::string_view::npos) return true;
              return false;
            },
            std::chrono::seconds(60))) {
      std::cerr << "golden_record: the hostile inputs were not applied\n";
      return 1;
    }
  }
  const std::vector<InputRecord> log = read_log(cluster.bootstrap, config.kafka.inputs);
  golden::write_inputs(golden::directory() + "/inputs.jsonl", log);
  return write_results();
}

// The results come from the replay of the log as written, twice: they must agree.
int write_results() {
  const std::string out = golden::directory();
  const auto read_back = golden::read_inputs(out + "/inputs.jsonl");
  TempDir scratch;
  const Config replay_config = golden::config(scratch.path());
  const golden::Replayed first = golden::replay(read_back, replay_config, scratch.path() + "/first.db");
  const golden::Replayed second = golden::replay(read_back, replay_config, scratch.path() + "/second.db");
  if (first.outbox != second.outbox || first.states != second.states) {
    std::cerr << "golden_record: two replays of the same log differ\n";
    return 1;
  }
  golden::write_lines(out + "/outbox.jsonl", first.outbox);
  golden::write_lines(out + "/states.jsonl", first.states);
  std::cout << "golden_record: " << read_back.size() << " inputs, " << first.outbox.size() << " outbox rows, "
            << first.states.size() << " transactions in " << out << std::endl;
  return 0;
}

}  // namespace
}  // namespace corridor

// `golden_record --results-only` replays the log already recorded and writes its results again: for a
// change of the stored form that is meant (with its migration test), not of behaviour.
int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string_view(argv[1]) == "--results-only") return corridor::write_results();
    return corridor::record();
  } catch (const std::exception& e) {
    std::cerr << "golden_record: " << e.what() << std::endl;
    return 1;
  }
}
