// Reconciliation and the janitor in the framework (statemachines/reconcile.hpp): every state in
// doubt has a transaction.reconcile row, every such row asks the provider or says why not, answers
// are classified, and the janitor's durable timer follows its schedule.
#include "statemachines/reconcile.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "statemachines/esipay_card.hpp"
#include "statemachines/novasend_payin.hpp"
#include "adapters/registry.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;
using testing::make_input;

constexpr std::int64_t kMinute = 60000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

std::string flow_name(const ::testing::TestParamInfo<const Flow*>& info) {
  std::string n(info.param->id);
  for (char& c : n)
    if (c == '.') c = '_';
  return n;
}

// The unguarded transaction.reconcile row of a state, if any: the one a plain ask meets.
const Row* reconcile_row(const Flow& f, std::string_view state) {
  for (const Row& r : f.rows)
    if (r.from == state && r.on == kReconcileInput && r.guard == nullptr) return &r;
  return nullptr;
}

Input reconcile_command(std::int64_t at = kT0, std::string id = "cmd:reconcile-1") {
  return make_input(std::string(kReconcileInput), {{"type", "transaction.reconcile"}}, at, InputKind::command,
                    std::move(id));
}

const ReconcileRecord& record(const Harness& h) { return h.txn.reconcile.value(); }

class ReconcileRows : public ::testing::TestWithParam<const Flow*> {};

// A transaction that may still change (not final, past its creation) can always be reconciled.
TEST_P(ReconcileRows, EveryStateInDoubtHasAReconcileRow) {
  const Flow& f = *GetParam();
  for (const auto& s : f.states) {
    if (s.terminal || s.name == f.initial()) continue;
    EXPECT_NE(reconcile_row(f, s.name), nullptr) << s.name << " has no unguarded transaction.reconcile row";
  }
}

// Each reconcile row either asks the provider (its record waits for the answer to that call) or
// asks nothing and records why (its citation). A row that leaves its state (FlexPay's unknown back
// to verifying) publishes that change.
TEST_P(ReconcileRows, EveryReconcileRowAsksOrSaysWhy) {
  const Flow& f = *GetParam();
  for (const Row& row : f.rows) {
    if (row.on != kReconcileInput || row.guard != nullptr) continue;
    SCOPED_TRACE(std::string(row.from));
    Harness h(f);
    h.in(row.from);
    const auto r = h.feed(reconcile_command());
    ASSERT_EQ(r.outcome, Outcome::applied);
    EXPECT_EQ(r.row, &row);
    EXPECT_EQ(h.txn.state, row.to);
    EXPECT_EQ(h.effects.events.size(), row.to == row.from ? 0u : 1u);
    const ReconcileRecord& rec = record(h);
    EXPECT_EQ(rec.id, "cmd:reconcile-1");
    EXPECT_EQ(rec.by, "command");
    EXPECT_EQ(rec.state, row.from);
    if (h.effects.calls.empty()) {
      EXPECT_EQ(rec.answer, "not_asked");
      EXPECT_EQ(rec.note, row.cite);
    } else {
      EXPECT_TRUE(rec.pending());
      EXPECT_EQ(rec.call_id, h.effects.calls.back().answer_input_id());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFlows, ReconcileRows, ::testing::ValuesIn(all_flows()), flow_name);

// ---- answers, on novasend.payin --------------------------------------------------------------------

class ReconcileAnswers : public ::testing::Test {
 protected:
  ReconcileAnswers() {
    h.in("awaiting_confirmation");
    h.txn.provider_refs.set({"reference"}, "tr_abc");
    h.feed(reconcile_command());
    call_id = h.effects.calls.at(0).answer_input_id();
  }
  Input answer(std::string name, json::object data) {
    return make_input(std::move(name), std::move(data), kT0 + 1000, InputKind::provider_response, call_id);
  }
  Harness h{novasend_payin_flow()};
  std::string call_id;
};

TEST_F(ReconcileAnswers, TheAskIsAStatusCall) {
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tr_abc");
}

TEST_F(ReconcileAnswers, AnAnswerThatMovesTheStateIsACorrection) {
  h.feed(answer("status.checked", {{"confirmationStatus", "accepted"},
                                   {"transaction", {{"reference", "tr_core"}, {"status", "completed"}}}}));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(record(h).answer, "corrected");
  EXPECT_EQ(record(h).to, "succeeded");
  // The log says why: the event's cause is the provider's answer to the reconcile call.
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].cause.input_id, call_id);
}

TEST_F(ReconcileAnswers, AnAnswerThatKeepsTheStateIsRecordedUnchanged) {
  h.feed(answer("status.checked", {{"confirmationStatus", "none"}, {"transaction", nullptr}}));
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
  EXPECT_EQ(record(h).answer, "unchanged");
  EXPECT_EQ(record(h).to, "awaiting_confirmation");
}

TEST_F(ReconcileAnswers, TheProviderNotKnowingThePaymentIsNotFound) {
  h.feed(answer("status.checked", {{"not_found", true}, {"http_status", 404}}));
  EXPECT_EQ(record(h).answer, "not_found");
}

TEST_F(ReconcileAnswers, ACallThatFailedIsRecordedWithItsError) {
  h.feed(answer("call.failed", {{"op", "check_status"}, {"error", "connection refused"}}));
  EXPECT_EQ(record(h).answer, "failed");
  EXPECT_EQ(record(h).note, "connection refused");
}

TEST_F(ReconcileAnswers, AnotherInputIsNotTheAnswer) {
  h.feed(make_input("status.checked", {{"transaction", {{"status", "completed"}}}}, kT0 + 500,
                    InputKind::provider_response, "some-poll"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_TRUE(record(h).pending());
}

// ---- final transactions: verified, never changed -------------------------------------------------

class Verification : public ::testing::Test {
 protected:
  Verification() {
    h.in("confirmed");
    h.txn.provider_refs.set({"reference"}, "tr_abc");
    h.feed("status.checked", {{"transaction", {{"reference", "tr_core"}, {"status", "completed"}}}});
    version = h.txn.version;
  }
  std::string ask() {
    const auto r = h.feed(reconcile_command(kT0 + 5000));
    EXPECT_EQ(r.outcome, Outcome::applied);
    EXPECT_EQ(h.effects.calls.size(), 1u);
    return h.effects.calls.empty() ? "" : h.effects.calls[0].answer_input_id();
  }
  Harness h{novasend_payin_flow()};
  std::int64_t version = 0;
};

TEST_F(Verification, AFinalTransactionRemembersWhereItSettledFrom) {
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.settled_from, "confirmed");
}

TEST_F(Verification, TheAskIsTheStatusCallOfTheStateItSettledFrom) {
  const std::string call_id = ask();
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tr_abc");
  EXPECT_EQ(record(h).state, "succeeded");
  EXPECT_TRUE(record(h).pending());
  EXPECT_EQ(record(h).call_id, call_id);
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(Verification, AnAnswerLeadingToTheSameStateConfirms) {
  const std::string call_id = ask();
  h.feed(make_input("status.checked", {{"transaction", {{"reference", "tr_core"}, {"status", "completed"}}}},
                    kT0 + 6000, InputKind::provider_response, call_id));
  EXPECT_EQ(record(h).answer, "confirmed");
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version);
}

// The provider reported `succeeded` itself: a later contradiction never changes it silently. The state
// stays, and an event flagged `disputed` says what the provider now reports.
TEST_F(Verification, AnAnswerLeadingToAnotherOutcomeIsADisputeAnnouncedAndKeepsTheState) {
  const std::string call_id = ask();
  h.feed(make_input("status.checked", {{"transaction", {{"reference", "tr_core"}, {"status", "failed"}}}},
                    kT0 + 6000, InputKind::provider_response, call_id));
  const std::string why =
      "the provider now reports status.checked, which leads to failed; corridor keeps succeeded, the provider's own "
      "earlier outcome";
  EXPECT_EQ(record(h).answer, "disputed");
  EXPECT_EQ(record(h).note, why);
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  const StateChangedEvent& e = h.effects.events[0];
  EXPECT_EQ(e.state, "succeeded");
  EXPECT_EQ(e.previous_state, "succeeded");
  EXPECT_EQ(e.status, Status::succeeded);
  EXPECT_EQ(e.attention, attention::kDisputed);
  EXPECT_EQ(e.reason_json, boost::json::serialize(json::value(why)));
  EXPECT_EQ(h.txn.attention.value().code, "disputed");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(Verification, AnAnswerLeadingBackToAPendingStateIsRecordedAsDisputedWithoutAnEvent) {
  const std::string call_id = ask();
  h.feed(make_input("status.checked", {{"transaction", {{"reference", "tr_core"}, {"status", "pending"}}}},
                    kT0 + 6000, InputKind::provider_response, call_id));
  EXPECT_EQ(record(h).answer, "disputed");
  EXPECT_EQ(record(h).note, "corridor has succeeded; the provider's answer leads to confirmed");
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version);
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(Verification, AnotherInputLeadingElsewhereIsDisputedAndLeavesTheAskOpen) {
  ask();
  const auto r = h.feed("status.checked", {{"transaction", {{"status", "failed"}}}});
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "succeeded");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
  EXPECT_TRUE(record(h).pending());
}

TEST_F(Verification, AnotherInputAgreeingWithTheOutcomeIsAbsorbed) {
  ask();
  const auto before = boost::json::serialize(to_json(h.txn));
  const auto r = h.feed("status.checked", {{"transaction", {{"status", "completed"}}}});
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(boost::json::serialize(to_json(h.txn)), before);
  EXPECT_TRUE(h.effects.events.empty());
}

TEST(VerificationWithoutEndpoint, EsipaySaysWhyItCannotAsk) {
  Harness h(esipay_card_flow(), {10000, "USD"});
  h.in("charging");
  h.feed("charge.failed", {{"http_status", 400}});
  ASSERT_EQ(h.txn.state, "failed");
  const auto r = h.feed(reconcile_command());
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(record(h).answer, "not_asked");
  EXPECT_EQ(record(h).state, "failed");
}

// ---- re-sent calls --------------------------------------------------------------------------------

TEST(ResentCalls, KeepTheirKeyAndGetAnAnswerIdOfTheirOwn) {
  Harness h(novasend_payin_flow());
  h.feed(testing::create_command("novasend.payin"));
  const std::string key = h.txn.data.as<NovaSendPayinData>().session_call_id;
  h.feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  ASSERT_EQ(h.txn.state, "unknown");
  for (int n = 1; n <= 2; ++n) {
    h.feed(reconcile_command(kT0, "cmd:reconcile-" + std::to_string(n)));
    ASSERT_EQ(h.effects.calls.size(), 1u);
    EXPECT_EQ(h.effects.calls[0].call_id, key);  // NovaSend's idempotency key: the first one
    EXPECT_EQ(h.effects.calls[0].answer_id, key + ":resend:" + std::to_string(n));
  }
}

// ---- the janitor ----------------------------------------------------------------------------------

class Janitor : public ::testing::Test {
 protected:
  Janitor() { h.settings.janitor = {{5 * kMinute, kHour, kDay}, {kHour, kDay}}; }
  Input due(const TimerSet& t) { return make_input(t.name, {}, t.due_at_ms, InputKind::timer, t.input_id); }
  Harness h{novasend_payin_flow()};
};

TEST_F(Janitor, APendingTransactionIsReconciledAfterAnHour) {
  h.feed(testing::create_command("novasend.payin"));
  ASSERT_EQ(h.txn.state, "session_requested");
  const TimerSet* t = h.timer(kJanitorTimer);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->due_at_ms, kT0 + kHour);
}

TEST_F(Janitor, AnUnknownTransactionIsReconciledAfterFiveMinutesAnHourThenDaily) {
  h.feed(testing::create_command("novasend.payin"));
  h.now = kT0 + 1000;
  h.feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  ASSERT_EQ(h.txn.state, "unknown");
  const TimerSet* t = h.timer(kJanitorTimer);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->due_at_ms, kT0 + 1000 + 5 * kMinute);

  std::vector<std::int64_t> waits;
  for (int i = 0; i < 4; ++i) {
    const TimerSet fired = *h.timer(kJanitorTimer);
    const auto r = h.feed(due(fired));
    ASSERT_EQ(r.outcome, Outcome::applied);
    EXPECT_EQ(record(h).by, "janitor");
    EXPECT_EQ(record(h).id, fired.input_id);
    ASSERT_EQ(h.effects.calls.size(), 1u);  // the session asked again, under its first key
    EXPECT_EQ(h.effects.calls[0].op, "create_session");
    const TimerSet* next = h.timer(kJanitorTimer);
    ASSERT_NE(next, nullptr);
    EXPECT_NE(next->input_id, fired.input_id);
    waits.push_back(next->due_at_ms - fired.due_at_ms);
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{kHour, kDay, kDay, kDay}));
}

TEST_F(Janitor, AnAnswerThatSettlesTheTransactionEndsTheJanitor) {
  h.feed(testing::create_command("novasend.payin"));
  h.feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  h.feed("session.rejected", {{"error", "msisdn not eligible"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.timer(kJanitorTimer), nullptr);
  EXPECT_TRUE(h.cancelled("*"));
}

TEST_F(Janitor, AStateThatIsNotInDoubtCancelsIt) {
  Harness e(esipay_card_flow(), {10000, "USD"});
  e.settings = h.settings;
  e.in("charging");
  e.feed("charge.succeeded", {{"http_status", 200}});
  ASSERT_EQ(e.txn.state, "captured");  // status succeeded: refunds may follow, nothing is in doubt
  EXPECT_EQ(e.timer(kJanitorTimer), nullptr);
  EXPECT_TRUE(e.cancelled(kJanitorTimer));
}

TEST_F(Janitor, ATimerOfAStateWithoutReconcileRowIsStale) {
  h.in("created");
  const auto r = h.feed(make_input(std::string(kJanitorTimer), {}, kT0, InputKind::timer, "tx_test:janitor:1:0"));
  EXPECT_EQ(r.outcome, Outcome::stale_timer);
}

TEST_F(Janitor, ItLeavesTheIdsOfCallsAsTheyWereAndIsOffWithoutASchedule) {
  Harness plain(novasend_payin_flow());
  for (Harness* x : {&h, &plain}) {
    x->feed(testing::create_command("novasend.payin"));
    x->feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
    x->feed("timer.retry", {}, InputKind::timer);
  }
  EXPECT_EQ(h.effects.calls.at(0).call_id, plain.effects.calls.at(0).call_id);
  EXPECT_EQ(h.txn.seq, plain.txn.seq);
  EXPECT_NE(h.timer(kJanitorTimer), nullptr);
  EXPECT_EQ(plain.timer(kJanitorTimer), nullptr);
}

}  // namespace
}  // namespace corridor
