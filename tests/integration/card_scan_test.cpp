// The card-number scan (issue 4): full Cynod and esipay payments through the real runtime, then the
// test card numbers are looked for in clear everywhere corridor writes: the SQLite store file and its
// -wal/-shm, corridor.inputs, corridor.events, corridor.deadletter, and the process's stdout/stderr.
// corridor.commands is the upstream input and does carry them: that is checked too, to prove the
// scan would see a number where there is one.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>

#include "engine/pipeline/commands.hpp"
#include "adapters/novasend/novasend_adapter.hpp"
#include "engine/io/http_client.hpp"
#include "sandbox/cynod/cynod_sandbox.hpp"
#include "sandbox/esipay/esipay_sandbox.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

bool set_card_key() {
  return ::setenv("CORRIDOR_CARD_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1) == 0;
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// stdout and stderr go to a file for the test's duration (a file, not a pipe: nothing can block).
class CapturedOutput {
 public:
  explicit CapturedOutput(const std::string& path) : path_(path) {
    std::fflush(stdout);
    std::fflush(stderr);
    std::cout.flush();
    std::cerr.flush();
    fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
    saved_out_ = ::dup(1);
    saved_err_ = ::dup(2);
    ::dup2(fd_, 1);
    ::dup2(fd_, 2);
  }
  ~CapturedOutput() { restore(); }
  std::string restore() {
    if (fd_ >= 0) {
      std::fflush(stdout);
      std::fflush(stderr);
      std::cout.flush();
      std::cerr.flush();
      ::dup2(saved_out_, 1);
      ::dup2(saved_err_, 2);
      ::close(saved_out_);
      ::close(saved_err_);
      ::close(fd_);
      fd_ = -1;
    }
    return file_bytes(path_);
  }

 private:
  std::string path_;
  int fd_ = -1;
  int saved_out_ = -1;
  int saved_err_ = -1;
};

json::object cynod_payment(const std::string& reference, std::string_view card) {
  return {{"type", "payment.create"}, {"command_id", "cmd-" + reference}, {"merchant", "ZANDO"},
          {"reference", reference}, {"provider", "cynod"}, {"flow", "card_debit"},
          {"amount", {{"value", 1500000}, {"currency", "CDF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}},
          {"customer", {{"name", "Jean Mukendi"}, {"msisdn", "+243810000001"}}}};
}

json::object esipay_payment(const std::string& reference, std::string_view card) {
  return {{"type", "payment.create"}, {"command_id", "cmd-" + reference}, {"merchant", "ZANDO"},
          {"reference", reference}, {"provider", "esipay"}, {"flow", "card"},
          {"amount", {{"value", 10000}, {"currency", "XOF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}}};
}

json::object refund(const std::string& reference, const std::string& id, std::int64_t amount = 0) {
  json::object c{{"type", "refund.create"}, {"command_id", id}, {"merchant", "ZANDO"}, {"reference", reference}};
  if (amount > 0) c["amount"] = {{"value", amount}, {"currency", "XOF"}};
  return c;
}

std::string all_records(const TopicCollector& topic) {
  std::string out;
  for (const auto& r : topic.records()) out += json::serialize(r) + "\n";
  return out;
}

struct Scan {
  std::string store, inputs, events, deadletter, commands, output;
};

void expect_nowhere(const Scan& s, std::string_view pan) {
  EXPECT_EQ(s.store.find(pan), std::string::npos) << pan << " in the store file";
  EXPECT_EQ(s.inputs.find(pan), std::string::npos) << pan << " on corridor.inputs";
  EXPECT_EQ(s.events.find(pan), std::string::npos) << pan << " on corridor.events";
  EXPECT_EQ(s.deadletter.find(pan), std::string::npos) << pan << " on corridor.deadletter";
  EXPECT_EQ(s.output.find(pan), std::string::npos) << pan << " in stdout/stderr";
  // The scan can see: upstream's commands carry the number.
  EXPECT_NE(s.commands.find(pan), std::string::npos) << pan << " should be on corridor.commands";
}

class CardScan : public ::testing::Test {
 protected:
  bool key = set_card_key();
  TempDir dir;
  Cluster cluster;
  TopicCollector commands{cluster.bootstrap, "corridor.commands"};
  TopicCollector inputs{cluster.bootstrap, "corridor.inputs"};
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  TopicCollector deadletter{cluster.bootstrap, "corridor.deadletter"};

  // Runs `drive` against a fresh engine with stdout/stderr captured, stops the engine, reads everything.
  template <typename Drive>
  Scan run(Config config, Drive&& drive) {
    Scan s;
    CapturedOutput captured(dir.path() + "/output.txt");
    {
      auto engine = std::make_unique<Engine>(std::move(config));
      drive(*engine);
      // Read while running (WAL not checkpointed yet) and again after the engine closed the store.
      const std::string db = dir.path() + "/corridor.db";
      s.store = file_bytes(db) + file_bytes(db + "-wal") + file_bytes(db + "-shm");
      engine.reset();
      s.store += file_bytes(db) + file_bytes(db + "-wal") + file_bytes(db + "-shm");
    }
    s.output = captured.restore();
    s.inputs = all_records(inputs);
    s.events = all_records(events);
    s.deadletter = all_records(deadletter);
    s.commands = all_records(commands);
    return s;
  }

  bool reaches(const std::string& reference, std::string_view status) {
    return events.wait_until(
        [&](const auto& evs) { return latest_status(evs, derive_txn_id("ZANDO", reference)) == status; },
        std::chrono::seconds(30));
  }
};

TEST_F(CardScan, FullCynodAndEsipayPaymentsLeaveNoCardNumberInClear) {
  ASSERT_TRUE(key);
  bool finished = false;
  const Scan s = run(test_config(cluster, dir.path()), [&](Engine& engine) {
    engine.publish_command(cynod_payment("SCAN-cynod", cynod_cards::kApprove));
    engine.publish_command(cynod_payment("SCAN-cynod-expired", cynod_cards::kNeverConfirms));
    engine.publish_command(esipay_payment("SCAN-esipay", esipay_cards::kApprove));
    if (!reaches("SCAN-esipay", "succeeded")) return;
    engine.publish_command(refund("SCAN-esipay", "scan-refund-1", 4000));
    if (!reaches("SCAN-esipay", "partially_refunded")) return;
    engine.publish_command(refund("SCAN-esipay", "scan-refund-2"));
    finished = reaches("SCAN-esipay", "refunded") && reaches("SCAN-cynod", "succeeded") &&
               reaches("SCAN-cynod-expired", "expired");
  });
  ASSERT_TRUE(finished) << "the payments did not all end";
  EXPECT_FALSE(s.store.empty());
  expect_nowhere(s, cynod_cards::kApprove);
  expect_nowhere(s, cynod_cards::kNeverConfirms);
  expect_nowhere(s, esipay_cards::kApprove);
  // The masked form is what travels (events carry no card at all).
  EXPECT_NE(s.inputs.find("626200******0001"), std::string::npos);
}

// esipay puts the card in the URL path: an HTTP error that quotes the URL (a timeout) must not carry
// it into call.failed, the store or the logs.
TEST_F(CardScan, EsipayTimeoutLeavesNoCardNumberInClear) {
  ASSERT_TRUE(key);
  Config config = test_config(cluster, dir.path());
  config.executor.timeout_ms = 1000;
  bool finished = false;
  const Scan s = run(std::move(config), [&](Engine& engine) {
    engine.publish_command(esipay_payment("SCAN-esipay-timeout", esipay_cards::kNoAnswer));
    engine.publish_command(esipay_payment("SCAN-esipay-400", esipay_cards::kBadRequest));
    finished = reaches("SCAN-esipay-timeout", "unknown") && reaches("SCAN-esipay-400", "failed");
  });
  ASSERT_TRUE(finished);
  if (auto at = s.events.find(esipay_cards::kNoAnswer); at != std::string::npos) {
    ADD_FAILURE() << "event around the card number: " << s.events.substr(at > 200 ? at - 200 : 0, 300);
  }
  expect_nowhere(s, esipay_cards::kNoAnswer);
  expect_nowhere(s, esipay_cards::kBadRequest);
}

// Every encoding in which a card number could sit in what corridor writes: plain, split by spaces or
// dashes, as JSON escapes (also escaped again), percent-encoded. find_card_number reads them all.
void expect_no_card_anywhere(const Scan& s) {
  for (const auto& [where, text] : {std::pair<const char*, const std::string*>{"the store file", &s.store},
                                    {"corridor.inputs", &s.inputs},
                                    {"corridor.events", &s.events},
                                    {"corridor.deadletter", &s.deadletter},
                                    {"stdout/stderr", &s.output}}) {
    const auto found = find_card_number(*text);
    EXPECT_FALSE(found) << "a card number (" << found.value_or("") << ") in " << where;
  }
}

// A hostile run: card numbers where none belongs, in every writing, through commands and webhooks, a
// security answer, credentials in a URL. Afterwards nothing corridor wrote holds a card number or the
// answer, in any encoding.
TEST_F(CardScan, HostileInputsLeaveNoCardNumberOrSecretAnywhere) {
  ASSERT_TRUE(key);
  const std::string answer = "vermilion-hostile-42";
  const std::string cvv = "cvv-hostile-9731";
  bool echo_accepted = false;
  Config config = test_config(cluster, dir.path());
  const std::string token = config.providers.at("esipay").at("callback_token");
  bool finished = false;
  const Scan s = run(std::move(config), [&](Engine& engine) {
    auto payin = [](std::string reference) { return payin_command(std::move(reference), "+2250700000001"); };
    // Card numbers outside card.number: in a description, a key, a metadata list, the reference.
    auto described = payin("HOSTILE-1");
    described["description"] = "card 4111 1111 1111 1111 exp 12/29";
    engine.publish_command(described);
    auto keyed = payin("HOSTILE-2");
    keyed["metadata"] = {{"5500-0000-0000-0004", "pan"}};
    engine.publish_command(keyed);
    engine.publish_command(payin("4111111111111111"));
    // Written with JSON escapes and the card number as a JSON number, in raw commands.
    engine.publish_raw("ZANDO:HOSTILE-3", R"({"type":"payment.create","command_id":"h3","merchant":"ZANDO","reference":"HOSTILE-3","provider":"novasend","amount":{"value":300,"currency":"XOF"},"customer":{"msisdn":"+2250700000001"},"description":"\u0034\u0031\u0031\u0031111111111111"})");
    engine.publish_raw("ZANDO:HOSTILE-4", R"({"type":"payment.create","command_id":"h4","merchant":"ZANDO","reference":"HOSTILE-4","provider":"cynod","amount":{"value":1500000,"currency":"CDF"},"card":{"number":4111111111111111,"exp_month":12,"exp_year":2027}})");
    engine.publish_raw("ZANDO:HOSTILE-5", "not json 4111 1111 1111 1111 \\u00345500000000000004");
    // Through the public listener: a card number in the path, the query and the body of refused
    // requests, and esipay's callback token in a path it does not belong to.
    auto http = recording_http_client();
    const std::string base = engine.runtime().public_url();
    for (const std::string& target : std::vector<std::string>{
             "/webhooks/novasend?pan=4111-1111-1111-1111", "/callbacks/esipay/" + token + "/4111111111111111",
             "/webhooks/nobody/%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31"}) {
      (void)http->send(HttpRequest{"POST", base + target, {}, R"({"card":"4111 1111 1111 1111"})", ""},
                       std::chrono::seconds(10));
    }
    // A signed notification echoing a card, in a field, a key and its id: accepted, the card masked.
    engine.publish_command(payin("HOSTILE-ECHO"));
    if (reaches("HOSTILE-ECHO", "succeeded")) {
      const std::string secret = engine.config().providers.at("novasend").at("webhook_secret");
      // Two events whose ids and keys differ only in a card's middle digits: still two, each kept.
      echo_accepted = true;
      for (const std::string card : {"4111111111111111", "4111111000071111"}) {
        const std::string body = boost::json::serialize(json::object{
            {"id", "evt_" + card},
            {"event", "payin.refunded"},
            {"data", {{"customerReference", derive_txn_id("ZANDO", "HOSTILE-ECHO")},
                      {"card", "4111 1111 1111 1111"},
                      {"5500000000000004", {{"escaped", "\\u00345500000000000004"}}},
                      {"5500001000080004", "other"}}}});
        const std::string t = "1795867200";
        auto echoed = http->send(
            HttpRequest{"POST", base + "/webhooks/novasend",
                        {{"Content-Type", "application/json"},
                         {"X-NovaSend-Signature", "t=" + t + ",v1=" + novasend_webhook_signature(secret, t, body)}},
                        body, ""},
            std::chrono::seconds(10));
        echo_accepted = echo_accepted && echoed && echoed->status == 200;
      }
    }
    // A withdrawal with a security question: the answer is sealed at the router.
    json::object withdrawal{{"type", "payout.create"}, {"command_id", "w1"}, {"merchant", "ZANDO"},
                            {"reference", "HOSTILE-W"}, {"provider", "interac"}, {"flow", "withdrawal"},
                            {"amount", {{"value", 50000}, {"currency", "CAD"}}},
                            {"customer", {{"email", "madhu@interac.sandbox"}, {"name", "Madhu"}, {"country", "CA"}}},
                            {"interac", {{"question", "what is your name"}, {"answer", answer}}}};
    engine.publish_command(withdrawal);
    // Refused commands carrying the answer and a card's code: their dead letters hide both.
    json::object refused_withdrawal = withdrawal;
    refused_withdrawal["merchant"] = "NOBODY";
    engine.publish_command(refused_withdrawal);
    json::object refused_card = cynod_payment("HOSTILE-refused-card", cynod_cards::kApprove);
    refused_card["merchant"] = "NOBODY";
    refused_card["card"].as_object()["cvv2"] = cvv;
    engine.publish_command(refused_card);
    // And a real card payment, so the sealed card goes through the store and the executor.
    engine.publish_command(cynod_payment("HOSTILE-cynod", cynod_cards::kApprove));
    finished = reaches("HOSTILE-W", "succeeded") && reaches("HOSTILE-cynod", "succeeded") &&
               deadletter.wait_until([](const auto& recs) { return recs.size() >= 11; });
  });
  ASSERT_TRUE(finished) << "the run did not end: " << latest_status(events.records(), derive_txn_id("ZANDO", "HOSTILE-W"))
                        << " " << latest_status(events.records(), derive_txn_id("ZANDO", "HOSTILE-cynod")) << " "
                        << deadletter.records().size() << "\n" << s.output.substr(0, 3000);
  expect_no_card_anywhere(s);
  for (const auto& [where, text] : {std::pair<const char*, const std::string*>{"the store file", &s.store},
                                    {"corridor.inputs", &s.inputs},
                                    {"corridor.events", &s.events},
                                    {"corridor.deadletter", &s.deadletter},
                                    {"stdout/stderr", &s.output}}) {
    EXPECT_EQ(text->find(answer), std::string::npos) << "the security answer in " << where;
    EXPECT_EQ(text->find(cvv), std::string::npos) << "a card's code in " << where;
    EXPECT_EQ(text->find(token), std::string::npos) << "esipay's callback token in " << where;
  }
  EXPECT_TRUE(echo_accepted);
  // Two events alike but for a card's digits: two input ids.
  std::set<std::string> echo_ids;
  const std::string_view prefix = "webhook:novasend:evt_411111******1111:";
  for (auto at = s.inputs.find(prefix); at != std::string::npos; at = s.inputs.find(prefix, at + 1))
    echo_ids.insert(s.inputs.substr(at, s.inputs.find('"', at) - at));
  EXPECT_EQ(echo_ids.size(), 2u);
  EXPECT_NE(s.inputs.find("\"550000******0004#2\""), std::string::npos) << "two keys alike became one";
  // The scan can see: upstream's commands carry them.
  EXPECT_TRUE(find_card_number(s.commands));
  EXPECT_NE(s.commands.find(answer), std::string::npos);
}

}  // namespace
}  // namespace corridor
