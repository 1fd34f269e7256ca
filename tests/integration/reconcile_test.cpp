// corridor reconcile and the janitor through the real runtime: the ask goes out as a command, the
// provider's answer comes back through corridor.inputs, and the flow decides. Settlement files are
// matched against the store.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <sstream>

#include "engine/commands.hpp"
#include "engine/reconcile.hpp"
#include "engine/store.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

const std::string kCompletedSilently = "+2250700000010";  // NovaSend sandbox: completed, no webhook
const std::string kFailedSilently = "+2250700000013";     // failed, no webhook
const std::string kUnavailableOnce = "+2250700000006";    // the first request gets 503, creates nothing

// The engine never polls by itself here: only reconciliation can find out.
Config without_polls(const Cluster& cluster, const std::string& dir) {
  Config c = test_config(cluster, dir);
  c.providers["novasend"]["poll_interval_ms"] = "86400000";
  c.providers["novasend"]["poll_max_interval_ms"] = "86400000";
  c.janitor.enabled = false;
  return c;
}

const ReconcileItem* item_for(const ReconcileReport& r, const std::string& txn_id) {
  for (const auto& i : r.items)
    if (i.txn_id == txn_id) return &i;
  return nullptr;
}

TEST(Reconcile, CorrectsAPaymentCompletedAndOneFailedWithoutWebhook) {
  TempDir dir;
  Cluster cluster;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  Engine engine(without_polls(cluster, dir.path()));
  const std::string completed = derive_txn_id("ZANDO", "RC-completed");
  const std::string failed = derive_txn_id("ZANDO", "RC-failed");
  engine.publish_command(payin_command("RC-completed", kCompletedSilently));
  engine.publish_command(payin_command("RC-failed", kFailedSilently));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    return latest_status(evs, completed) == "requires_action" && latest_status(evs, failed) == "requires_action";
  }));

  auto live = open_sqlite_store(engine.config().store.path);
  KafkaProducer producer(cluster.bootstrap);
  ReconcileOptions options;
  options.provider = "novasend";
  options.wait = std::chrono::seconds(30);
  // The sandbox's customer acts 50 ms after the session: an ask before that is answered "pending".
  ReconcileReport report;
  int runs = 0;
  ASSERT_TRUE(eventually(
      [&] {
        options.run_id = "run-" + std::to_string(++runs);
        report = reconcile(engine.config(), *live, producer, options);
        const ReconcileItem* c = item_for(report, completed);
        const ReconcileItem* f = item_for(report, failed);
        EXPECT_TRUE(c != nullptr && f != nullptr);
        if (c == nullptr || f == nullptr) return true;
        EXPECT_NE(c->result, "no_answer");
        return c->result != "pending" && f->result != "pending";
      },
      std::chrono::seconds(60)));
  ASSERT_EQ(report.items.size(), 2u);
  const ReconcileItem& c = *item_for(report, completed);
  EXPECT_EQ(c.result, "corrected");
  EXPECT_EQ(c.from_state, "awaiting_confirmation");
  EXPECT_EQ(c.to_state, "succeeded");
  EXPECT_EQ(c.to_status, "succeeded");
  const ReconcileItem& f = *item_for(report, failed);
  EXPECT_EQ(f.result, "corrected");
  EXPECT_EQ(f.to_state, "failed");
  EXPECT_FALSE(report.needs_attention());

  // The log says why: the final events' cause is the provider's answer to the reconcile call.
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    return latest_status(evs, completed) == "succeeded" && latest_status(evs, failed) == "failed";
  }));
  for (const auto& id : {completed, failed}) {
    const auto evs = events_of(events.records(), id);
    const json::object& cause = evs.back().at("cause").as_object();
    EXPECT_EQ(get_string(cause, "kind"), "provider_response");
    EXPECT_TRUE(std::string_view(get_string(cause, "input_id")).find(":check_status") != std::string_view::npos)
        << get_string(cause, "input_id");
    auto txn = live->load(id);
    ASSERT_TRUE(txn && *txn);
    const json::object& rec = (*txn)->data.at("reconcile").as_object();
    EXPECT_EQ(get_string(rec, "by"), "command");
    EXPECT_EQ(get_string(rec, "answer"), "corrected");
    EXPECT_EQ(get_string(rec, "call_id"), get_string(cause, "input_id"));
  }

  // Asked again, nothing is left in doubt.
  options.run_id = "after";
  EXPECT_TRUE(reconcile(engine.config(), *live, producer, options).items.empty());
  // Final transactions asked for by status are verified: the provider agrees, nothing changes.
  options.statuses = {"succeeded", "failed"};
  const ReconcileReport finals = reconcile(engine.config(), *live, producer, options);
  ASSERT_EQ(finals.items.size(), 2u);
  EXPECT_EQ(finals.count("confirmed"), 2);
  EXPECT_FALSE(finals.needs_attention());
  for (const auto& id : {completed, failed}) {
    auto txn = live->load(id);
    ASSERT_TRUE(txn && *txn);
    EXPECT_EQ((*txn)->version, events_of(events.records(), id).back().at("version").as_int64());
  }
}

// No engine reads the commands: the ask goes out and nothing answers. The report says so, in each
// format, and needs attention.
TEST(Reconcile, WithoutARunningEngineNothingIsAnsweredAndTheReportSaysSo) {
  TempDir dir;
  Cluster cluster;
  const Config config = test_config(cluster, dir.path());
  auto store = open_sqlite_store(config.store.path);
  Transaction t;
  t.txn_id = derive_txn_id("ZANDO", "RC-alone");
  t.merchant = "ZANDO";
  t.reference = "RC-alone";
  t.provider = "novasend";
  t.flow = "payin";
  t.amount = {300, "XOF"};
  t.state = "awaiting_confirmation";
  t.version = 3;
  StoreBatch b;
  b.transactions.push_back(t);
  ASSERT_TRUE(store->commit(b));

  KafkaProducer producer(cluster.bootstrap);
  ReconcileOptions options;
  options.run_id = "alone";
  options.wait = std::chrono::milliseconds(300);
  const ReconcileReport r = reconcile(config, *store, producer, options);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].result, "no_answer");
  EXPECT_EQ(r.items[0].from_status, "requires_action");
  EXPECT_TRUE(r.needs_attention());

  std::ostringstream csv, json_out, text;
  print_reconcile_report(r, "csv", csv);
  EXPECT_EQ(csv.str(),
            "txn_id,merchant,reference,flow,result,from_state,from_status,to_state,to_status,note\n\"" + t.txn_id +
                "\",\"ZANDO\",\"RC-alone\",\"novasend.payin\",\"no_answer\",\"awaiting_confirmation\",\"requires_action\","
                "\"awaiting_confirmation\",\"requires_action\",\"no answer within the wait: is the engine running on "
                "this store and log?\"\n");
  print_reconcile_report(r, "json", json_out);
  const json::object doc = boost::json::parse(json_out.str()).as_object();
  EXPECT_EQ(doc.at("transactions").as_int64(), 1);
  EXPECT_EQ(doc.at("counts").as_object().at("no_answer").as_int64(), 1);
  print_reconcile_report(r, "text", text);
  EXPECT_NE(text.str().find("1 no_answer"), std::string::npos) << text.str();
}

// A clock the test moves forward: the janitor's delays pass without waiting for them.
class ShiftedClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return system_.now_ms() + shift.load(); }
  std::atomic<std::int64_t> shift{0};

 private:
  SystemClock system_;
};

TEST(Janitor, ResolvesAnUnknownNovaSendPayinOnItsOwn) {
  TempDir dir;
  Cluster cluster;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  Config config = test_config(cluster, dir.path());
  config.executor.max_attempts = 1;                               // the 503 ends the call: unknown
  config.providers["novasend"]["retry_after_ms"] = "864000000";   // the flow's own retry: ten days off
  ShiftedClock clock;
  Engine engine(config, RuntimeOptions{&clock});
  const std::string txn = derive_txn_id("ZANDO", "JN-unknown");
  engine.publish_command(payin_command("JN-unknown", kUnavailableOnce));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "unknown"; }));

  clock.shift = 5 * 60 * 1000 + 1000;  // the janitor's first delay for unknown: 5 minutes
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; },
                                std::chrono::seconds(60)));
  std::vector<std::string> states;
  const auto evs = events_of(events.records(), txn);
  for (const auto& e : evs) states.push_back(std::string(get_string(e, "state")));
  EXPECT_EQ(states, (std::vector<std::string>{"created", "session_requested", "unknown", "awaiting_confirmation",
                                              "confirmed", "succeeded"}));
  // unknown -> awaiting_confirmation was NovaSend's answer to the janitor's ask, a re-send of the
  // session request under its first idempotency key.
  const std::string cause(get_string(evs.at(3).at("cause").as_object(), "input_id"));
  EXPECT_TRUE(cause.ends_with(":resend:1")) << cause;
  auto live = open_sqlite_store(config.store.path);
  auto loaded = live->load(txn);
  ASSERT_TRUE(loaded && *loaded);
  const json::object& rec = (*loaded)->data.at("reconcile").as_object();
  EXPECT_EQ(get_string(rec, "by"), "janitor");
  EXPECT_EQ(get_string(rec, "state"), "unknown");
  EXPECT_EQ(get_string(rec, "answer"), "corrected");
  EXPECT_EQ(get_string(rec, "to"), "awaiting_confirmation");
}

// ---- esipay settlement files ----------------------------------------------------------------------

class Settlement : public ::testing::Test {
 protected:
  void SetUp() override {
    store = open_sqlite_store(dir.path() + "/corridor.db");
    put("tx_matched", "captured", 10000, "ESI-1", 0);
    put("tx_missing", "captured", 5000, "ESI-2", 0);
    put("tx_mismatch", "partially_refunded", 7000, "ESI-3", 2000);
    put("tx_failed", "failed", 3000, "", 0);
  }
  void put(const std::string& id, const std::string& state, std::int64_t amount, const std::string& esipay,
           std::int64_t refunded) {
    Transaction t;
    t.txn_id = id;
    t.merchant = "ZANDO";
    t.reference = id;
    t.provider = "esipay";
    t.flow = "card";
    t.amount = {amount, "USD"};
    t.state = state;
    t.version = 3;
    t.created_at_ms = kCreatedAt;
    if (!esipay.empty()) t.provider_refs["transaction"] = esipay;
    if (refunded > 0) t.data["refunded_amount"] = refunded;
    StoreBatch b;
    b.transactions.push_back(t);
    ASSERT_TRUE(store->commit(b));
  }
  static constexpr std::int64_t kCreatedAt = 1795867200000;
  TempDir dir;
  std::unique_ptr<Store> store;
};

TEST_F(Settlement, AMissingAnExtraAndAMismatchedLineAreReportedExactly) {
  const std::string csv =
      "date,transaction,cid,type,amount,currency\n"
      "2026-11-22,ESI-1,tx_matched,card,100.00,USD\n"
      "2026-11-22,ESI-3,tx_mismatch,card,75.00,USD\n"      // store: 70.00
      "2026-11-22,ESI-3,tx_mismatch,refund,20.00,USD\n"
      "2026-11-22,ESI-9,tx_unknown,card,12.50,USD\n";      // no such transaction
  auto lines = parse_settlement(csv);
  ASSERT_TRUE(lines) << lines.error().message;
  const SettlementReport r = reconcile_settlement(*store, *lines, {});
  EXPECT_EQ(r.lines, 4);
  EXPECT_EQ(r.transactions, 4);
  EXPECT_EQ(r.matched, 2);  // tx_matched, and tx_failed: nothing settled, nothing expected
  ASSERT_EQ(r.differences.size(), 3u);
  auto has = [&](std::string kind, std::string txn, std::string what, std::string ours, std::string theirs, int line) {
    for (const auto& d : r.differences)
      if (d.kind == kind && d.txn_id == txn && d.what == what && d.store == ours && d.settlement == theirs && d.line == line)
        return true;
    return false;
  };
  EXPECT_TRUE(has("missing_in_settlement", "tx_missing", "charge", "captured 50.00 USD", "", 0));
  EXPECT_TRUE(has("mismatch", "tx_mismatch", "amount", "70.00 USD", "75.00 USD", 3));
  EXPECT_TRUE(has("missing_in_store", "tx_unknown", "charge", "", "12.50 USD (esipay ESI-9)", 5));

  std::ostringstream csv_out;  // transactions in txn_id order, then the lines the store lacks
  print_settlement_report(r, "csv", csv_out);
  EXPECT_EQ(csv_out.str(),
            "kind,txn_id,what,store,settlement,line\n"
            "\"mismatch\",\"tx_mismatch\",\"amount\",\"70.00 USD\",\"75.00 USD\",3\n"
            "\"missing_in_settlement\",\"tx_missing\",\"charge\",\"captured 50.00 USD\",\"\",0\n"
            "\"missing_in_store\",\"tx_unknown\",\"charge\",\"\",\"12.50 USD (esipay ESI-9)\",5\n");
}

TEST_F(Settlement, RefundsStatusAndIdsAreCompared) {
  const std::string csv =
      "cid,type,amount,currency,transaction,date\n"   // any column order
      "tx_matched,card,100.00,USD,ESI-1,2026-11-22\n"
      "tx_matched,refund,10.00,USD,ESI-1,2026-11-23\n"  // the store has no refund
      "tx_missing,card,50.00,USD,ESI-7,2026-11-22\n"    // another esipay id
      "tx_mismatch,card,70.00,USD,ESI-3,2026-11-22\n"
      "tx_mismatch,refund,20.00,USD,ESI-3,2026-11-23\n"
      "tx_failed,card,30.00,USD,ESI-4,2026-11-22\n";    // corridor says failed
  auto lines = parse_settlement(csv);
  ASSERT_TRUE(lines) << lines.error().message;
  const SettlementReport r = reconcile_settlement(*store, *lines, {});
  std::vector<std::string> found;
  for (const auto& d : r.differences) found.push_back(d.txn_id + " " + d.what + ": " + d.store + " / " + d.settlement);
  EXPECT_EQ(found, (std::vector<std::string>{"tx_failed status: failed / charge settled",
                                             "tx_matched refunded: 0.00 USD / 10.00 USD",
                                             "tx_missing transaction: ESI-2 / ESI-7"}));
  EXPECT_EQ(r.matched, 1);
}

TEST(SettlementFile, BadFilesAreRefusedWithTheLine) {
  EXPECT_FALSE(parse_settlement(""));
  EXPECT_EQ(parse_settlement("date,cid,type,amount,currency\n").error().message,
            "settlement header lacks the column 'transaction'");
  EXPECT_EQ(parse_settlement("date,transaction,cid,type,amount,currency\nd,E,tx,card,1.001,USD\n").error().message,
            "settlement line 2: " + parse_decimal_amount("1.001", 2).error().message);
  EXPECT_EQ(parse_settlement("date,transaction,cid,type,amount,currency\nd,E,tx,chargeback,1.00,USD\n").error().message,
            "settlement line 2: type must be card or refund, got 'chargeback'");
  EXPECT_EQ(parse_settlement("date,transaction,cid,type,amount,currency\nd,E,tx,card,1.00,XXX\n").error().message,
            "settlement line 2: unknown currency 'XXX'");
  EXPECT_EQ(parse_settlement("date,transaction,cid,type,amount,currency\nd,E,\"tx,card,1.00,USD\n").error().message,
            "settlement line 2: unterminated quoted field");
  auto quoted = parse_settlement("date,transaction,cid,type,amount,currency\r\n\"22 Nov, 2026\",E,tx,card,1.00,USD\r\n");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->at(0).date, "22 Nov, 2026");
  EXPECT_EQ(quoted->at(0).amount, 100);
}

}  // namespace
}  // namespace corridor
