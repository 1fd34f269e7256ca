// corridor reconcile and the janitor through the real runtime: the ask goes out as a command, the
// provider's answer comes back through corridor.inputs, and the flow decides. Settlement files are
// matched against the store.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <atomic>
#include <map>
#include <sstream>

#include "engine/pipeline/commands.hpp"
#include "engine/io/http_client.hpp"
#include "engine/cli/provider_reconcile.hpp"
#include "engine/store/store.hpp"
#include "sandbox/esipay/esipay_sandbox.hpp"
#include "statemachines/esipay_card.hpp"
#include "statemachines/flow.hpp"
#include "statemachines/timefmt.hpp"
#include "tests/support/eventually.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

const std::string kCompletedSilently = "+2250700000010";  // NovaSend sandbox: completed, no webhook
const std::string kFailedSilently = "+2250700000013";     // failed, no webhook
const std::string kUnavailableOnce = "+2250700000006";    // the first request gets 503, creates nothing

// The engine never polls by itself here: only reconciliation can find out. That includes the last
// check at the confirmation TTL (the sandbox's demo setting is 3 s): it would settle the transactions
// by itself when the test is slow, and the reconcile report would say "settled meanwhile".
Config without_polls(const Cluster& cluster, const std::string& dir) {
  Config c = test_config(cluster, dir);
  c.providers["novasend"]["poll_interval_ms"] = "86400000";
  c.providers["novasend"]["poll_max_interval_ms"] = "86400000";
  c.providers["novasend"]["confirmation_ttl_ms"] = "86400000";
  c.janitor.enabled = false;
  return c;
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
  // The sandbox's customer acts 50 ms after each session: an ask before that is answered "pending".
  // The two sessions' customers may act on either side of one run, so each transaction's outcome is
  // the first run that settled it (a run lists only what is still in doubt).
  std::map<std::string, ReconcileItem> settled;
  int runs = 0;
  ASSERT_TRUE(eventually(
      [&] {
        options.run_id = "run-" + std::to_string(++runs);
        const ReconcileReport report = reconcile(engine.config(), *live, producer, options);
        for (const auto& item : report.items) {
          EXPECT_TRUE(item.txn_id == completed || item.txn_id == failed) << item.txn_id;
          EXPECT_NE(item.result, "no_answer") << item.txn_id;
          if (item.result != "pending") settled.emplace(item.txn_id, item);
        }
        return settled.size() == 2;
      },
      std::chrono::seconds(60)));
  const ReconcileItem& c = settled.at(completed);
  EXPECT_EQ(c.result, "corrected");
  EXPECT_EQ(c.from_state, "awaiting_confirmation");
  EXPECT_EQ(c.to_state, "succeeded");
  EXPECT_EQ(c.to_status, "succeeded");
  const ReconcileItem& f = settled.at(failed);
  EXPECT_EQ(f.result, "corrected");
  EXPECT_EQ(f.to_state, "failed");

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
    ASSERT_TRUE((*txn)->reconcile) << id << ": no reconcile record";
    const json::object rec = json::parse(fields::text(*(*txn)->reconcile)).as_object();
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
  ASSERT_TRUE((*loaded)->reconcile) << txn << ": no reconcile record";
  const json::object rec = json::parse(fields::text(*(*loaded)->reconcile)).as_object();
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
    if (!esipay.empty()) t.provider_refs.set({"transaction"}, esipay);
    if (refunded > 0) t.refunded_amount = refunded;
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
  auto lines = parse_settlement("esipay", csv);
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
            "kind,txn_id,merchant,reference,what,store,settlement,line\n"
            "\"mismatch\",\"tx_mismatch\",\"ZANDO\",\"tx_mismatch\",\"amount\",\"70.00 USD\",\"75.00 USD\",3\n"
            "\"missing_in_settlement\",\"tx_missing\",\"ZANDO\",\"tx_missing\",\"charge\",\"captured 50.00 USD\",\"\",0\n"
            "\"missing_in_store\",\"tx_unknown\",\"\",\"\",\"charge\",\"\",\"12.50 USD (esipay ESI-9)\",5\n");
  std::ostringstream text_out;  // a person finds the payment by its merchant and reference
  print_settlement_report(r, "text", text_out);
  EXPECT_NE(text_out.str().find("mismatch  tx_mismatch (ZANDO tx_mismatch)  amount"), std::string::npos) << text_out.str();
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
  auto lines = parse_settlement("esipay", csv);
  ASSERT_TRUE(lines) << lines.error().message;
  const SettlementReport r = reconcile_settlement(*store, *lines, {});
  std::vector<std::string> found;
  for (const auto& d : r.differences) found.push_back(d.txn_id + " " + d.what + ": " + d.store + " / " + d.settlement);
  EXPECT_EQ(found, (std::vector<std::string>{"tx_failed status: failed / charge settled",
                                             "tx_matched refunded: 0.00 USD / 10.00 USD",
                                             "tx_missing transaction: ESI-2 / ESI-7"}));
  EXPECT_EQ(r.matched, 1);
}

// ---- outcomes corridor did not know, settled by the file ------------------------------------------

// An esipay transaction as its flow keeps it: refunds with their outcome (data.refunds).
struct Refund {
  std::string id;
  std::int64_t amount;
  std::string status;
  std::string at = "2026-11-22T10:00:00.000Z";
};

class SettlementOutcomes : public ::testing::Test {
 protected:
  void SetUp() override { store = open_sqlite_store(dir.path() + "/corridor.db"); }
  // `settled_from` and `settled_by` as a final state reached on corridor's own clock records them.
  void put(const std::string& id, const std::string& state, std::vector<Refund> refunds, std::string settled_from = {},
           std::string settled_by = {}) {
    Transaction t;
    t.txn_id = id;
    t.merchant = "ZANDO";
    t.reference = id;
    t.provider = "esipay";
    t.flow = "card";
    t.amount = {10000, "USD"};
    t.state = state;
    t.version = 4;
    t.created_at_ms = kCreatedAt;
    if (state != "unknown" && state != "failed") t.provider_refs.set({"transaction"}, "ESI-" + id);
    std::vector<EsipayRefund> list;
    std::int64_t refunded = 0;
    for (const auto& r : refunds) {
      list.push_back({.command_id = r.id, .amount = r.amount, .status = r.status, .at = r.at, .reason = {}});
      if (r.status == "succeeded") refunded += r.amount;
    }
    if (!list.empty()) t.data.as<EsipayCardData>().refunds = std::move(list);
    t.refunded_amount = refunded;
    t.settled_from = std::move(settled_from);
    t.settled_by = std::move(settled_by);
    StoreBatch b;
    b.transactions.push_back(t);
    ASSERT_TRUE(store->commit(b));
  }
  SettlementReport run(const std::string& csv) {
    auto lines = parse_settlement("esipay", "date,transaction,cid,type,amount,currency\n" + csv);
    EXPECT_TRUE(lines) << lines.error().message;
    return lines ? reconcile_settlement(*store, *lines, {}) : SettlementReport{};
  }
  static const SettlementOutcome* outcome(const SettlementReport& r, const std::string& txn, const std::string& what) {
    for (const auto& o : r.outcomes)
      if (o.txn_id == txn && o.what == what) return &o;
    return nullptr;
  }
  const std::int64_t kCreatedAt = *parse_time("2026-11-22T09:00:00.000Z");
  TempDir dir;
  std::unique_ptr<Store> store;
};

// The case: 40.00 refunded with no answer (esipay did it), then the remaining 60.00. The file
// has both: the unknown refund is settled as done.
TEST_F(SettlementOutcomes, AnUnknownRefundTheFileHasIsSettledAsDone) {
  put("tx_done", "partially_refunded", {{"r1", 4000, "unknown"}, {"r2", 6000, "succeeded"}});
  const auto r = run("2026-11-22,ESI-tx_done,tx_done,card,100.00,USD\n"
                     "2026-11-22,ESI-tx_done,tx_done,refund,40.00,USD\n"
                     "2026-11-22,ESI-tx_done,tx_done,refund,60.00,USD\n");
  EXPECT_TRUE(r.matches()) << r.differences.size();
  ASSERT_EQ(r.outcomes.size(), 1u);
  const SettlementOutcome* o = outcome(r, "tx_done", "refund r1");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->result, "settled");
  EXPECT_EQ(o->input.name, "refund.settled");
  EXPECT_EQ(o->input.kind, InputKind::provider_response);
  EXPECT_EQ(o->input.txn_id, "tx_done");
  EXPECT_EQ(o->input.input_id, "settlement:tx_done:refund:r1");
  EXPECT_EQ(get_string(o->input.data, "command_id"), "r1");
  EXPECT_EQ(get_string(o->input.data, "amount"), "40.00");
  EXPECT_EQ(get_int(o->input.data, "line"), 3);
}

// The same, esipay did not do it: the file, which covers the refund's day, lacks it.
TEST_F(SettlementOutcomes, AnUnknownRefundACoveringFileLacksIsSettledAsNotDone) {
  put("tx_lost", "partially_refunded", {{"r1", 4000, "unknown"}, {"r2", 6000, "succeeded"}});
  const auto r = run("2026-11-22,ESI-tx_lost,tx_lost,card,100.00,USD\n"
                     "2026-11-22,ESI-tx_lost,tx_lost,refund,60.00,USD\n");
  EXPECT_TRUE(r.matches());
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].result, "not_settled");
  EXPECT_EQ(r.outcomes[0].input.name, "refund.not_settled");
  EXPECT_EQ(get_string(r.outcomes[0].input.data, "through"), "2026-11-22");
  EXPECT_EQ(r.through, "2026-11-22");
}

TEST_F(SettlementOutcomes, AFileEndingBeforeTheRefundsDaySaysNothingOfIt) {
  put("tx_later", "captured", {{"r1", 4000, "unknown", "2026-11-23T09:00:00.000Z"}});
  const auto r = run("2026-11-22,ESI-tx_later,tx_later,card,100.00,USD\n");
  EXPECT_TRUE(r.matches());
  EXPECT_TRUE(r.outcomes.empty());
}

TEST_F(SettlementOutcomes, RefundsOfEqualAmountsNeedNotBeToldApart) {
  put("tx_two", "captured", {{"r1", 2000, "unknown"}, {"r2", 2000, "unknown", "2026-11-22T11:00:00.000Z"}});
  const auto r = run("2026-11-22,ESI-tx_two,tx_two,card,100.00,USD\n"
                     "2026-11-22,ESI-tx_two,tx_two,refund,20.00,USD\n");
  EXPECT_TRUE(r.matches());
  ASSERT_EQ(r.outcomes.size(), 2u);
  EXPECT_EQ(outcome(r, "tx_two", "refund r1")->result, "settled");  // the earlier one
  EXPECT_EQ(outcome(r, "tx_two", "refund r2")->result, "not_settled");
}

// 30.00 could be the 30.00 refund or the 10.00 and 20.00 ones: the file does not say, nothing is
// settled and an operator is told.
TEST_F(SettlementOutcomes, AnAmbiguousFileSettlesNothing) {
  put("tx_which", "captured", {{"r1", 1000, "unknown"}, {"r2", 2000, "unknown"}, {"r3", 3000, "unknown"}});
  const auto r = run("2026-11-22,ESI-tx_which,tx_which,card,100.00,USD\n"
                     "2026-11-22,ESI-tx_which,tx_which,refund,30.00,USD\n");
  EXPECT_TRUE(r.outcomes.empty());
  ASSERT_EQ(r.differences.size(), 1u);
  EXPECT_EQ(r.differences[0].what, "refunded");
  EXPECT_NE(r.differences[0].store.find("does not say which"), std::string::npos) << r.differences[0].store;
}

TEST_F(SettlementOutcomes, AFileNoUnknownRefundExplainsIsADifference) {
  put("tx_odd", "captured", {{"r1", 4000, "unknown"}});
  const auto r = run("2026-11-22,ESI-tx_odd,tx_odd,card,100.00,USD\n"
                     "2026-11-22,ESI-tx_odd,tx_odd,refund,25.00,USD\n");
  EXPECT_TRUE(r.outcomes.empty());
  ASSERT_EQ(r.differences.size(), 1u);
  EXPECT_EQ(r.differences[0].what, "refunded");
}

TEST_F(SettlementOutcomes, WhileARefundIsOutNothingIsSettled) {
  put("tx_out", "captured", {{"r1", 4000, "unknown"}, {"r2", 1000, "pending"}});
  const auto r = run("2026-11-22,ESI-tx_out,tx_out,card,100.00,USD\n"
                     "2026-11-22,ESI-tx_out,tx_out,refund,10.00,USD\n");
  EXPECT_TRUE(r.outcomes.empty());
  EXPECT_TRUE(r.matches());
}

TEST_F(SettlementOutcomes, AnUnknownChargeIsSettledEitherWay) {
  put("tx_charged", "unknown", {});
  put("tx_never", "unknown", {});
  const auto r = run("2026-11-22,ESI-9,tx_charged,card,100.00,USD\n");
  EXPECT_TRUE(r.matches()) << r.differences.size();
  ASSERT_EQ(r.outcomes.size(), 2u);
  const SettlementOutcome* charged = outcome(r, "tx_charged", "charge");
  EXPECT_EQ(charged->input.name, "charge.settled");
  EXPECT_EQ(get_string(charged->input.data, "transaction"), "ESI-9");
  EXPECT_EQ(get_string(charged->input.data, "amount"), "100.00");
  EXPECT_EQ(get_string(charged->input.data, "currency"), "USD");
  const SettlementOutcome* never = outcome(r, "tx_never", "charge");
  EXPECT_EQ(never->input.name, "charge.not_settled");
  EXPECT_EQ(never->input.input_id, "settlement:tx_never:charge.not_settled");
}

TEST_F(SettlementOutcomes, AFileEndingBeforeTheChargesDaySaysNothingOfIt) {
  put("tx_new", "unknown", {});
  EXPECT_TRUE(run("2026-11-21,ESI-1,tx_other,card,1.00,USD\n").outcomes.empty());
}

// A charge corridor failed because an earlier file lacked it, found in a later one: published, so the
// flow's late-outcome rows decide (and listed, since the store says failed).
TEST_F(SettlementOutcomes, AChargeFailedForItsAbsenceFoundLaterIsPublished) {
  put("tx_late", "failed", {}, "unknown", "corridor");
  const auto r = run("2026-11-23,ESI-5,tx_late,card,100.00,USD\n");
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0].input.name, "charge.settled");
  ASSERT_EQ(r.differences.size(), 1u);
  EXPECT_EQ(r.differences[0].what, "status");
}

TEST_F(SettlementOutcomes, TheReportListsTheOutcomes) {
  put("tx_lost", "captured", {{"r1", 4000, "unknown"}});
  auto r = run("2026-11-22,ESI-tx_lost,tx_lost,card,100.00,USD\n");
  std::ostringstream text, csv, json_out;
  print_settlement_report(r, "text", text);
  EXPECT_NE(text.str().find("1 outcome(s) corridor did not know, not published"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("not_settled  tx_lost  refund r1 (refund.not_settled)"), std::string::npos) << text.str();
  print_settlement_report(r, "csv", csv);
  EXPECT_EQ(csv.str(), "kind,txn_id,merchant,reference,what,store,settlement,line\n"
                       "\"not_settled\",\"tx_lost\",,,\"refund r1\",\"unknown 40.00 USD\",\"absent through 2026-11-22\",0\n");
  print_settlement_report(r, "json", json_out);
  const json::object doc = boost::json::parse(json_out.str()).as_object();
  EXPECT_EQ(doc.at("outcomes").as_array().size(), 1u);
  EXPECT_EQ(doc.at("published").as_int64(), 0);
  EXPECT_TRUE(doc.at("matches").as_bool());
}

// Through the real runtime and the esipay sandbox, which follows the seed: two refunds of 40.00 time
// out, one done by esipay and one not; "refund the rest" goes out for 60.00 each time, never as a full
// refund. esipay's settlement file, published to the flows, settles both: the first payment is
// refunded (100.00 of 100.00), the second has 40.00 left to refund.
TEST(SettlementRuntime, UnknownRefundsAreSettledByTheFileThroughTheFlows) {
  TempDir dir;
  Cluster cluster;
  TopicCollector events{cluster.bootstrap, "corridor.events"};
  Config config = test_config(cluster, dir.path());
  config.executor.timeout_ms = 1500;  // esipay's silence becomes a timeout quickly
  Engine engine(config);
  auto payment = [](const std::string& reference, std::string_view card) {
    return json::object{{"type", "payment.create"},
                        {"command_id", "cmd-" + reference},
                        {"merchant", "ZANDO"},
                        {"reference", reference},
                        {"provider", "esipay"},
                        {"amount", {{"value", 10000}, {"currency", "XOF"}}},
                        {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}}};
  };
  auto refund = [](const std::string& reference, const std::string& id, std::int64_t amount) {
    json::object c{{"type", "refund.create"}, {"command_id", id}, {"merchant", "ZANDO"}, {"reference", reference}};
    if (amount > 0) c["amount"] = {{"value", amount}, {"currency", "XOF"}};
    return c;
  };
  const std::string done = derive_txn_id("ZANDO", "ST-done");
  const std::string lost = derive_txn_id("ZANDO", "ST-lost");
  auto stored = [&](const std::string& txn) {
    auto t = engine.runtime().store().load(txn);
    return t && *t ? std::move(**t) : Transaction{};
  };
  auto data_of = [&](const std::string& txn) { return stored(txn).data.as<EsipayCardData>(); };
  auto refund_status = [&](const std::string& txn, std::size_t i) -> std::string {
    const EsipayCardData d = data_of(txn);
    return d.refunds && i < d.refunds->size() ? d.refunds->at(i).status : std::string{};
  };
  engine.publish_command(payment("ST-done", esipay_cards::kRefundLostAnswer));
  engine.publish_command(payment("ST-lost", esipay_cards::kRefundNeverDone));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    return latest_status(evs, done) == "succeeded" && latest_status(evs, lost) == "succeeded";
  }));
  engine.publish_command(refund("ST-done", "done-r1", 4000));
  engine.publish_command(refund("ST-lost", "lost-r1", 4000));
  ASSERT_TRUE(eventually([&] { return refund_status(done, 0) == "unknown" && refund_status(lost, 0) == "unknown"; },
                         std::chrono::seconds(30)));
  EXPECT_EQ(data_of(done).remaining_amount, 6000);
  engine.publish_command(refund("ST-done", "done-r2", 0));  // "refund the rest"
  engine.publish_command(refund("ST-lost", "lost-r2", 0));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    return latest_status(evs, done) == "partially_refunded" && latest_status(evs, lost) == "partially_refunded";
  }));
  EXPECT_EQ(stored(done).refunded_amount, 6000);
  EXPECT_EQ(data_of(done).reserved_amount, 4000);

  // esipay's file, as its settlement report gives it.
  const std::string base = engine.runtime().config().providers.at("esipay").at("base_url");
  auto client = recording_http_client();
  HttpRequest get;
  get.method = "GET";
  get.target = base + "/_sandbox/settlement";
  auto csv = client->send(get, std::chrono::seconds(5));
  ASSERT_TRUE(csv && csv->status == 200);
  auto lines = parse_settlement("esipay", csv->body);
  ASSERT_TRUE(lines) << lines.error().message;
  auto live = open_sqlite_store(config.store.path);
  SettlementReport report = reconcile_settlement(*live, *lines, {});
  EXPECT_TRUE(report.matches());
  ASSERT_EQ(report.outcomes.size(), 2u);
  KafkaProducer producer(cluster.bootstrap);
  EXPECT_EQ(publish_settlement_outcomes(engine.runtime().config(), producer, report, SystemClock{}.now_ms()), 2);

  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    return latest_status(evs, done) == "refunded" && refund_status(lost, 0) == "failed";
  }));
  const auto done_events = events_of(events.records(), done);  // state changes only, so far
  EXPECT_EQ(get_string(done_events.back(), "state"), "refunded");
  EXPECT_EQ(done_events.back().at("amount_refunded").as_object().at("value").as_int64(), 10000);
  EXPECT_EQ(get_string(done_events.back().at("cause").as_object(), "input_id"), "settlement:" + done + ":refund:done-r1");
  const Transaction lost_txn = stored(lost);
  const EsipayCardData& lost_data = lost_txn.data.as<EsipayCardData>();
  EXPECT_EQ(lost_txn.refunded_amount, 6000);
  EXPECT_EQ(lost_data.reserved_amount, 0);
  EXPECT_EQ(lost_data.remaining_amount, 4000);
  EXPECT_EQ(latest_status(events.records(), lost), "partially_refunded");

  // The file and the store now agree, and a second run has nothing to settle.
  SettlementReport again = reconcile_settlement(*live, *lines, {});
  EXPECT_TRUE(again.matches());
  EXPECT_TRUE(again.outcomes.empty());
  // The same outcomes published twice are the same inputs: applied once. A command behind them on each
  // transaction's partition shows they were read: the refunded payment refuses another refund, and
  // the released 40.00 of the other is refunded, with the partial URL.
  EXPECT_EQ(publish_settlement_outcomes(engine.runtime().config(), producer, report, SystemClock{}.now_ms()), 2);
  engine.publish_command(refund("ST-done", "done-r3", 0));
  engine.publish_command(refund("ST-lost", "lost-r3", 0));
  ASSERT_TRUE(events.wait_until([&](const auto& evs) {
    bool refused = false;
    for (const auto& e : evs)
      refused = refused || (get_string(e, "type") == "command.rejected" && get_string(e, "txn_id") == done);
    return refused && latest_status(evs, lost) == "refunded";
  }));
  std::size_t done_changes = 0;
  for (const auto& e : events_of(events.records(), done))
    if (get_string(e, "type") == "transaction.state_changed") ++done_changes;
  EXPECT_EQ(done_changes, done_events.size());
  EXPECT_EQ(stored(lost).refunded_amount, 10000);
  EXPECT_EQ(refund_status(lost, 2), "succeeded");
}

TEST(SettlementFile, BadFilesAreRefusedWithTheLine) {
  EXPECT_FALSE(parse_settlement("esipay", ""));
  EXPECT_EQ(parse_settlement("esipay", "date,cid,type,amount,currency\n").error().message,
            "settlement header lacks the column 'transaction'");
  EXPECT_EQ(parse_settlement("esipay", "date,transaction,cid,type,amount,currency\nd,E,tx,card,1.001,USD\n").error().message,
            "settlement line 2: " + parse_decimal_amount("1.001", 2).error().message);
  EXPECT_EQ(parse_settlement("esipay", "date,transaction,cid,type,amount,currency\nd,E,tx,chargeback,1.00,USD\n").error().message,
            "settlement line 2: type must be card or refund, got 'chargeback'");
  EXPECT_EQ(parse_settlement("esipay", "date,transaction,cid,type,amount,currency\nd,E,tx,card,1.00,XXX\n").error().message,
            "settlement line 2: unknown currency 'XXX'");
  EXPECT_EQ(parse_settlement("esipay", "date,transaction,cid,type,amount,currency\nd,E,\"tx,card,1.00,USD\n").error().message,
            "settlement line 2: unterminated quoted field");
  auto quoted = parse_settlement("esipay", "date,transaction,cid,type,amount,currency\r\n\"22 Nov, 2026\",E,tx,card,1.00,USD\r\n");
  ASSERT_TRUE(quoted);
  EXPECT_EQ(quoted->lines.at(0).date, "22 Nov, 2026");
  EXPECT_EQ(quoted->lines.at(0).amount, 100);
}

}  // namespace
}  // namespace corridor
