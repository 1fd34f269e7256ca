// One test per row of novasend.payin (seed 003_bf421fd2ae9f23ae.txt).
#include "statemachines/novasend_payin.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;
using testing::make_input;

json::object session(bool confirmation_required = true) {
  return {{"type", "payin"},           {"fee", 6},
          {"reference", "tr_abc"},     {"amount", 300},
          {"chargedAmount", 306},      {"status", "processing"},
          {"currency", "XOF"},         {"customerReference", "tx_test"},
          {"confirmationRequired", confirmation_required}, {"confirmationStatus", "none"},
          {"paymentUrl", "https://link.novasend.app/link/abc"}};
}

json::object check(std::string_view confirmation, json::value transaction = nullptr, std::string_view status = "processing") {
  json::object o = session();
  o["status"] = status;
  o["confirmationStatus"] = confirmation;
  o["transaction"] = transaction;
  o["failure"] = nullptr;
  return o;
}

// The seed's transaction object: amounts as decimal text, "Montant effectivement traité".
json::object txn_status(std::string_view s, std::string_view amount = "300.00") {
  return {{"reference", "tr_core"}, {"status", s},     {"amount", amount},
          {"fees", "0.00"},         {"chargedAmount", amount}, {"currency", "XOF"}};
}

NovaSendPayinData& data(Harness& h) { return h.txn.data.as<NovaSendPayinData>(); }

bool has_timer(const Effects& e, std::string_view name) {
  for (const auto& t : e.timers)
    if (t.name == name) return true;
  return false;
}

class NovaSendPayin : public ::testing::Test {
 protected:
  Harness h{novasend_payin_flow()};
};

TEST_F(NovaSendPayin, CreateRequestsSessionWithIdempotencyKey) {
  auto r = h.feed(testing::create_command("novasend.payin"));
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "session_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& call = h.effects.calls[0];
  EXPECT_EQ(call.op, "create_session");
  EXPECT_EQ(call.provider, "novasend");
  EXPECT_EQ(call.params.text("reference"), "tx_test");
  EXPECT_EQ(call.params.text("msisdn"), "+2250702968786");
  EXPECT_EQ(call.params.text("customerName"), "John Doe");
  EXPECT_EQ(call.params.text("country"), "CI");
  EXPECT_EQ(data(h).session_call_id, call.call_id);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].state, "session_requested");
  EXPECT_EQ(h.effects.events[0].previous_state, "created");
  EXPECT_EQ(to_string(h.effects.events[0].status), "pending");
  EXPECT_EQ(h.effects.events[0].version, 2);
}

TEST_F(NovaSendPayin, SessionWithConfirmationAwaitsCustomer) {
  h.in("session_requested").feed("session.created", session(true));
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
  EXPECT_EQ(h.txn.provider_refs.find("reference"), "tr_abc");
  EXPECT_EQ(data(h).fee, 6);
  EXPECT_EQ(data(h).charged_amount, 306);
  EXPECT_EQ(h.txn.next_action.value().url, "https://link.novasend.app/link/abc");
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
  EXPECT_TRUE(has_timer(h.effects, "timer.confirmation_expired"));
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(to_string(h.effects.events[0].status), "requires_action");
  EXPECT_EQ(get_string(to_json(h.effects.events[0]).at("next_action").as_object(), "type"), "redirect");
}

TEST_F(NovaSendPayin, PollAndTtlTimersFollowSettings) {
  h.settings.set("poll_interval_ms", 1000);
  h.settings.set("confirmation_ttl_ms", 30000);
  h.in("session_requested").feed("session.created", session(true));
  for (const auto& t : h.effects.timers) {
    if (t.name == "timer.poll") {
      EXPECT_EQ(t.due_at_ms, testing::kT0 + 1000);
    } else {
      EXPECT_EQ(t.name, "timer.confirmation_expired");
      EXPECT_EQ(t.due_at_ms, testing::kT0 + 30000);
    }
  }
}

TEST_F(NovaSendPayin, SessionWithoutConfirmationSkipsAwaiting) {
  h.in("session_requested").feed("session.created", session(false));
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_FALSE(h.txn.next_action.has_value());
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "processing");
}

TEST_F(NovaSendPayin, SessionRejectedFails) {
  h.in("session_requested").feed("session.rejected", {{"http_status", 400}, {"error", "invalid msisdn"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_NE(h.txn.reason.value().find("invalid msisdn"), std::string::npos);
}

TEST_F(NovaSendPayin, SessionCallFailedIsUnknownAndRetriesLater) {
  h.in("session_requested").feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(has_timer(h.effects, "timer.retry"));
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "unknown");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
  EXPECT_EQ(h.txn.reason.value(), "session request outcome unknown: timeout");
}

TEST_F(NovaSendPayin, WebhookConfirmedBeforeSessionResponse) {
  h.in("session_requested").feed("payin.confirmed", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "confirmed");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tr_abc");
}

TEST_F(NovaSendPayin, WebhookDeclinedBeforeSessionResponse) {
  h.in("session_requested").feed("payin.declined", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
}

TEST_F(NovaSendPayin, UnknownRetriesSessionUnderSameIdempotencyKey) {
  h.feed(testing::create_command("novasend.payin"));
  const std::string first_key = h.effects.calls.at(0).call_id;
  h.feed("call.failed", {{"op", "create_session"}});
  h.feed("timer.retry", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "session_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first_key);
  EXPECT_FALSE(h.effects.calls[0].answer_id.empty());  // a re-send: its answer has an id of its own
}

TEST_F(NovaSendPayin, UnknownReconciledAsksTheSessionAgainUnderItsKey) {
  h.feed(testing::create_command("novasend.payin"));
  const std::string first_key = h.effects.calls.at(0).call_id;
  h.feed("call.failed", {{"op", "create_session"}});
  h.feed(testing::make_input("transaction.reconcile", {}, testing::kT0, InputKind::command, "cmd:rc"));
  EXPECT_EQ(h.txn.state, "unknown");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "create_session");
  EXPECT_EQ(h.effects.calls[0].call_id, first_key);
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(NovaSendPayin, UnknownReconciledWithoutASessionKeyAsksNothing) {
  h.in("unknown").feed(testing::make_input("transaction.reconcile", {}, testing::kT0, InputKind::command, "cmd:rc"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.calls.empty());  // never a first session request
}

TEST_F(NovaSendPayin, UnknownReconcileThatCannotReachNovaSendStaysUnknown) {
  h.in("unknown").feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.rejected_inputs, 0);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(NovaSendPayin, UnknownLateSessionResponse) {
  h.in("unknown").feed("session.created", session(true));
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
}

TEST_F(NovaSendPayin, UnknownLateSessionResponseWithoutConfirmation) {
  h.in("unknown").feed("session.created", session(false));
  EXPECT_EQ(h.txn.state, "confirmed");
}

TEST_F(NovaSendPayin, UnknownLateRefusal) {
  h.in("unknown").feed("session.rejected", {{"error", "bad"}});
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(NovaSendPayin, UnknownThenWebhookConfirmed) {
  h.in("unknown").feed("payin.confirmed", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "confirmed");
}

TEST_F(NovaSendPayin, UnknownThenWebhookDeclined) {
  h.in("unknown").feed("payin.declined", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
}

TEST_F(NovaSendPayin, AwaitingWebhookConfirmedChecksStatusNow) {
  h.in("awaiting_confirmation").feed("payin.confirmed", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "confirmed");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"timer.confirmation_expired"});
  EXPECT_FALSE(h.txn.next_action.has_value());
}

TEST_F(NovaSendPayin, AwaitingWebhookDeclined) {
  h.in("awaiting_confirmation").feed("payin.declined", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "declined");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
}

TEST_F(NovaSendPayin, AwaitingCheckCompletedSucceeds) {
  h.in("awaiting_confirmation").feed("status.checked", check("none", txn_status("completed"), "processed"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "tr_core");
}

TEST_F(NovaSendPayin, AwaitingCheckTransactionFailed) {
  h.in("awaiting_confirmation").feed("status.checked", check("accepted", txn_status("failed"), "processed"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(NovaSendPayin, AwaitingCheckDeclined) {
  h.in("awaiting_confirmation").feed("status.checked", check("declined"));
  EXPECT_EQ(h.txn.state, "declined");
}

TEST_F(NovaSendPayin, AwaitingCheckExpired) {
  h.in("awaiting_confirmation").feed("status.checked", check("expired", nullptr, "expired"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "expired");
}

TEST_F(NovaSendPayin, AwaitingCheckAcceptedIsConfirmed) {
  h.in("awaiting_confirmation").feed("status.checked", check("accepted", json::object{}, "processed"));
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
}

TEST_F(NovaSendPayin, AwaitingCheckPastDeadlineExpires) {
  data(h).confirmation_deadline_ms = testing::kT0;
  h.in("awaiting_confirmation").feed("status.checked", check("none"));
  EXPECT_EQ(h.txn.state, "expired");
}

TEST_F(NovaSendPayin, AwaitingCheckPendingPollsAgainWithBackoff) {
  h.settings.set("poll_interval_ms", 5000);
  h.settings.set("poll_max_interval_ms", 12000);
  data(h).confirmation_deadline_ms = testing::kT0 + 100000;
  h.in("awaiting_confirmation");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    h.feed("status.checked", check("pending"));
    EXPECT_EQ(h.txn.state, "awaiting_confirmation");
    ASSERT_EQ(h.effects.timers.size(), 1u);
    delays.push_back(h.effects.timers[0].due_at_ms - testing::kT0);
    EXPECT_TRUE(h.effects.events.empty());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{5000, 10000, 12000, 12000}));
}

TEST_F(NovaSendPayin, AwaitingPollTimerChecksStatus) {
  h.txn.provider_refs.set({"reference"}, "tr_abc");
  h.in("awaiting_confirmation").feed("timer.poll", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tr_abc");
}

TEST_F(NovaSendPayin, AwaitingTtlTimerMakesALastCheck) {
  h.in("awaiting_confirmation").feed("timer.confirmation_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
}

TEST_F(NovaSendPayin, AwaitingCheckCallFailedPollsLater) {
  h.in("awaiting_confirmation").feed("call.failed", {{"op", "check_status"}});
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
}

TEST_F(NovaSendPayin, ConfirmedCheckCompletedSucceeds) {
  h.in("confirmed").feed("status.checked", check("accepted", txn_status("completed"), "processed"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "succeeded");
}

TEST_F(NovaSendPayin, ConfirmedCheckFailed) {
  json::object c = check("accepted", txn_status("failed"), "processed");
  c["failure"] = {{"code", "INSUFFICIENT_FUNDS"}, {"message", "insufficient funds"}};
  h.in("confirmed").feed("status.checked", c);
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_NE(h.txn.reason.value().find("insufficient funds"), std::string::npos);
}

TEST_F(NovaSendPayin, ConfirmedCheckPendingPollsAgain) {
  h.in("confirmed").feed("status.checked", check("accepted", txn_status("pending"), "processed"));
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
}

TEST_F(NovaSendPayin, ConfirmedPollTimerChecksStatus) {
  h.in("confirmed").feed("timer.poll", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
}

TEST_F(NovaSendPayin, ConfirmedCheckCallFailedPollsLater) {
  h.in("confirmed").feed("call.failed", {{"op", "check_status"}});
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
}

TEST_F(NovaSendPayin, ConfirmedDuplicateWebhookChangesNothing) {
  h.in("confirmed");
  const auto before = to_json(h.txn);
  auto r = h.feed("payin.confirmed", session(), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::applied);
  auto after = to_json(h.txn);
  after["updated_at"] = before.at("updated_at");
  EXPECT_EQ(after, before);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(NovaSendPayin, ConfirmedLateSessionResponseKeepsReferences) {
  h.in("confirmed").feed("session.created", session(true));
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_EQ(h.txn.provider_refs.find("customerReference"), "tx_test");
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(NovaSendPayin, DeclinedAfterConfirmedIsRejected) {
  h.in("confirmed");
  auto r = h.feed("payin.declined", session(), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::rejected);
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_EQ(h.txn.rejected_inputs, 1);
}

TEST_F(NovaSendPayin, FullHappyPathVersionsAreConsecutive) {
  Harness fresh{novasend_payin_flow()};
  std::vector<StateChangedEvent> events;
  auto feed = [&](const Input& in) {
    fresh.feed(in);
    for (auto& e : fresh.effects.events) events.push_back(e);
  };
  feed(testing::create_command("novasend.payin"));
  feed(testing::make_input("session.created", session(true)));
  feed(testing::make_input("payin.confirmed", session(), testing::kT0 + 1000, InputKind::webhook));
  feed(testing::make_input("status.checked", check("accepted", txn_status("completed"), "processed")));
  ASSERT_EQ(events.size(), 4u);
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].version, static_cast<std::int64_t>(i + 2));
  EXPECT_EQ(fresh.txn.state, "succeeded");
}

// ---- item: the seed's `processed` (issue 12, seed conformance) -----------------------------------

// The seed's own example: status processed ("validé par le client") while confirmationStatus is still
// none and transaction null: the customer confirmed, transaction.status decides.
TEST_F(NovaSendPayin, AwaitingCheckProcessedWithoutAConfirmationStatusIsConfirmed) {
  h.in("awaiting_confirmation").feed("status.checked", check("none", nullptr, "processed"));
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_TRUE(h.cancelled("timer.confirmation_expired"));
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
}

// Corridor's TTL passes while NovaSend already says processed: the payin is never expired on
// corridor's clock; it goes on to transaction.status.
TEST_F(NovaSendPayin, ProcessedPastTheDeadlineIsConfirmedNotExpired) {
  data(h).confirmation_deadline_ms = kT0 - 1;
  h.in("awaiting_confirmation").feed("status.checked", check("none", json::object{}, "processed"));
  EXPECT_EQ(h.txn.state, "confirmed");
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "processing");
}

// ---- item: amounts reported are compared ---------------------------------------------------------

TEST_F(NovaSendPayin, CompletedWithTheAmountAskedSucceeds) {
  h.in("awaiting_confirmation").feed("status.checked", check("accepted", txn_status("completed", "300.00"), "processed"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_FALSE(h.txn.provider_amount.has_value());
}

TEST_F(NovaSendPayin, CompletedWithAnotherTransactionAmountIsAnAmountMismatch) {
  h.in("confirmed").feed("status.checked", check("accepted", txn_status("completed", "153.00"), "processed"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "NovaSend's transaction.amount reports 153 XOF, corridor asked 300 XOF");
  ASSERT_EQ(h.effects.events.size(), 1u);
  const StateChangedEvent& e = h.effects.events[0];
  EXPECT_EQ(e.status, Status::amount_mismatch);
  EXPECT_EQ(e.attention, attention::kAmountMismatch);
  ASSERT_TRUE(e.provider_amount.has_value());
  EXPECT_EQ(*e.provider_amount, (Money{153, "XOF"}));
  EXPECT_EQ(e.amount, (Money{300, "XOF"}));
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "tr_core");
}

TEST_F(NovaSendPayin, AwaitingCheckWithAnotherTransactionAmountIsAnAmountMismatch) {
  h.in("awaiting_confirmation").feed("status.checked", check("none", txn_status("completed", "299.00"), "processed"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.provider_amount->value, 299);
}

TEST_F(NovaSendPayin, AnotherCurrencyIsAnAmountMismatch) {
  json::object t = txn_status("completed");
  t["currency"] = "XAF";
  h.in("confirmed").feed("status.checked", check("accepted", t, "processed"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "NovaSend's transaction.amount reports 300 XAF, corridor asked 300 XOF");
}

TEST_F(NovaSendPayin, AnUnreadableAmountCountsAsDifferent) {
  h.in("confirmed").feed("status.checked", check("accepted", txn_status("completed", "3OO.00"), "processed"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "NovaSend's transaction.amount reports no readable amount, corridor asked 300 XOF");
}

// The gross amount of the payin itself ("Montant brut du paiement", whole units) is compared too.
TEST_F(NovaSendPayin, SessionForAnotherAmountIsAnAmountMismatch) {
  json::object s = session(true);
  s["amount"] = 30;
  h.in("session_requested").feed("session.created", s);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "NovaSend's payin amount reports 30 XOF, corridor asked 300 XOF");
  EXPECT_FALSE(h.txn.next_action.has_value());  // the customer is never sent to pay it
  EXPECT_EQ(h.txn.provider_refs.find("reference"), "tr_abc");
}

TEST_F(NovaSendPayin, LateSessionForAnotherAmountIsAnAmountMismatch) {
  json::object s = session(false);
  s["amount"] = 301;
  h.in("unknown").feed("session.created", s);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
}

TEST_F(NovaSendPayin, WebhookForAnotherAmountIsAnAmountMismatch) {
  for (std::string_view from : {"session_requested", "unknown", "awaiting_confirmation"}) {
    SCOPED_TRACE(from);
    Harness x{novasend_payin_flow()};
    json::object s = session();
    s["status"] = "processed";
    s["confirmationStatus"] = "accepted";
    s["transaction"] = txn_status("completed", "200.00");
    x.in(from).feed("payin.confirmed", s, InputKind::webhook);
    EXPECT_EQ(x.txn.state, "amount_mismatch");
    EXPECT_TRUE(x.effects.calls.empty());
  }
}

// Fees are the customer's, on top of the amount asked (chargedAmount = amount + fee): kept in minor
// units, never taken for the amount.
TEST_F(NovaSendPayin, FeesAreKeptInMinorUnitsAndNotCompared) {
  Harness usd{novasend_payin_flow(), Money{15000, "USD"}};
  json::object s = session(true);
  s["amount"] = 150;
  s["fee"] = 3;
  s["chargedAmount"] = 153;
  s["currency"] = "USD";
  usd.in("session_requested").feed("session.created", s);
  EXPECT_EQ(usd.txn.state, "awaiting_confirmation");
  EXPECT_EQ(data(usd).fee, 300);
  EXPECT_EQ(data(usd).charged_amount, 15300);
}

// ---- item: calls that never left ------------------------------------------------------------------

// A 12.50 USD payin: the adapter refuses it (whole units only) before anything is sent. The payment
// failed, with the adapter's reason; nothing is unknown and nothing is retried.
TEST_F(NovaSendPayin, SessionRefusedBeforeSendFails) {
  h.in("session_requested")
      .feed("call.failed", {{"op", "create_session"},
                            {"error", "amount 12.50 USD is not a whole number of units; NovaSend takes whole units only"},
                            {"sent", false},
                            {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(),
            "session request refused before it was sent: amount 12.50 USD is not a whole number of units; NovaSend "
            "takes whole units only");
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.events.at(0).attention.empty());
  EXPECT_FALSE(!h.txn.settled_by.empty());  // the adapter's word, not a deadline
}

TEST_F(NovaSendPayin, SessionNotSentIsRetriedWithoutGoingUnknown) {
  h.feed(testing::create_command("novasend.payin"));
  const std::string key = h.effects.calls.at(0).call_id;
  h.feed("call.failed", {{"op", "create_session"}, {"error", "circuit open for novasend: not sent"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "session_requested");
  EXPECT_TRUE(h.effects.events.empty());
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 60000);
  h.feed("timer.retry", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "session_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, key);
}

TEST_F(NovaSendPayin, SessionNeverSentAfterItsRetriesFails) {
  h.settings.set("max_retries", 2);
  h.txn.retry_attempt = 2;
  h.in("session_requested").feed("call.failed", {{"op", "create_session"}, {"error", "circuit open"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "NovaSend could not be reached: the session request was never sent: circuit open");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

// ---- item: every wait and retry is bounded --------------------------------------------------------

TEST_F(NovaSendPayin, SessionRetriesBackOffThenLeaveItToTheJanitor) {
  h.settings.set("retry_after_ms", 1000);
  h.settings.set("max_retries", 3);
  h.feed(testing::create_command("novasend.payin"));
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    h.feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
    ASSERT_EQ(h.txn.state, "unknown");
    ASSERT_NE(h.timer("timer.retry"), nullptr);
    delays.push_back(h.timer("timer.retry")->due_at_ms - kT0);
    h.feed("timer.retry", {}, InputKind::timer);
    ASSERT_EQ(h.txn.state, "session_requested");
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 4000}));
  h.feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.timer("timer.retry"), nullptr);  // the janitor asks from here
  EXPECT_EQ(h.txn.reason.value(),
            "session request outcome unknown after max_retries re-sends: reconciliation decides: timeout");
}

TEST_F(NovaSendPayin, ConfirmedPollsEndUnknownOnceTheirBudgetIsSpent) {
  h.settings.set("max_polls", 3);
  h.in("session_requested").feed("session.created", session(false));
  ASSERT_EQ(h.txn.state, "confirmed");
  for (int i = 0; i < 2; ++i) {
    h.feed("status.checked", check("accepted", txn_status("pending"), "processed"));
    ASSERT_EQ(h.txn.state, "confirmed");
    ASSERT_TRUE(has_timer(h.effects, "timer.poll"));
  }
  h.feed("status.checked", check("accepted", txn_status("pending"), "processed"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
  EXPECT_EQ(h.txn.reason.value(),
            "transaction.status still not final after max_polls status checks: reconciliation decides");
}

TEST_F(NovaSendPayin, ConfirmedFailedChecksEndUnknownOnceTheBudgetIsSpent) {
  h.settings.set("max_polls", 2);
  h.txn.poll_attempt = 2;
  h.in("confirmed").feed("call.failed", {{"op", "check_status"}, {"error", "HTTP 401"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "transaction.status still not final after max_polls status checks: reconciliation decides: HTTP 401");
}

// NovaSend answers nothing, or "pending", for a month: corridor's events end. Every timer fires when
// due and every call fails or says pending; the janitor runs on the default schedule.
TEST_F(NovaSendPayin, AMonthOfSilenceEndsInABoundedNumberOfEvents) {
  for (bool session_answers : {false, true}) {
    SCOPED_TRACE(session_answers ? "pending forever" : "no answer");
    Harness x{novasend_payin_flow()};
    x.feed(testing::create_command("novasend.payin"));
    const auto answer = session_answers
                            ? +[](const ProviderCall& c) -> std::optional<std::pair<std::string, json::object>> {
                                if (c.op == "create_session") return std::pair{std::string("session.created"), session(false)};
                                return std::pair{std::string("status.checked"),
                                                 check("accepted", txn_status("pending"), "processed")};
                              }
                            : +[](const ProviderCall&) -> std::optional<std::pair<std::string, json::object>> {
                                return std::nullopt;
                              };
    const std::size_t events = testing::run_unattended(x, answer, kT0 + 31LL * 86400000);
    EXPECT_EQ(x.txn.state, "unknown");
    EXPECT_LE(events, 12u);
  }
}

// ---- item: late outcomes --------------------------------------------------------------------------

// The TTL passed and the last check got no answer: corridor expires the payin on its own clock.
TEST_F(NovaSendPayin, NoAnswerToTheLastCheckExpiresProvisionally) {
  data(h).confirmation_deadline_ms = kT0 - 1;
  h.in("awaiting_confirmation").feed("call.failed", {{"op", "check_status"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(),
            "confirmation delay passed and NovaSend did not answer the last status check: timeout");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(NovaSendPayin, AFailedCheckBeforeTheDeadlinePollsAgain) {
  data(h).confirmation_deadline_ms = kT0 + 1;
  h.in("awaiting_confirmation").feed("call.failed", {{"op", "check_status"}});
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
}

TEST_F(NovaSendPayin, TheProvidersCompletionAfterAProvisionalExpiryReplacesIt) {
  h.txn.provider_refs.set({"reference"}, "tr_abc");
  data(h).confirmation_deadline_ms = kT0 - 1;
  h.in("awaiting_confirmation").feed("call.failed", {{"op", "check_status"}, {"error", "timeout"}});
  ASSERT_EQ(h.txn.state, "expired");
  const std::int64_t v = h.txn.version;
  h.feed(make_input("status.checked", check("accepted", txn_status("completed"), "processed"), kT0 + 5000,
                    InputKind::provider_response, "late-check"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, v + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].previous_state, "expired");
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
}

// A late payin.confirmed after a provisional expiry asks NovaSend; an amount mismatch in its answer
// replaces the expiry as any outcome would.
TEST_F(NovaSendPayin, ALateAnswerWithAnotherAmountEndsAmountMismatch) {
  h.txn.provider_refs.set({"reference"}, "tr_abc");
  data(h).confirmation_deadline_ms = kT0 - 1;
  h.in("awaiting_confirmation").feed("status.checked", check("none"));
  ASSERT_EQ(h.txn.state, "expired");
  h.feed(make_input("payin.confirmed", check("accepted", nullptr, "processed"), kT0 + 1000, InputKind::webhook, "w1"));
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateInput);
  h.feed(make_input("status.checked", check("accepted", txn_status("completed", "250.00"), "processed"), kT0 + 2000,
                    InputKind::provider_response, h.effects.calls[0].answer_input_id()));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
  EXPECT_EQ(h.txn.provider_amount->value, 250);
}

TEST_F(NovaSendPayin, AContradictionOfTheProvidersOwnOutcomeIsDisputed) {
  h.in("confirmed").feed("status.checked", check("accepted", txn_status("failed"), "processed"));
  ASSERT_EQ(h.txn.state, "failed");
  const std::int64_t v = h.txn.version;
  h.feed(make_input("status.checked", check("accepted", txn_status("completed"), "processed"), kT0 + 5000,
                    InputKind::provider_response, "later"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.version, v + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
  EXPECT_EQ(h.effects.events[0].state, "failed");
}

// ---- unknown: the janitor's asks settle it, and nothing else moves it ------------------------------

TEST_F(NovaSendPayin, UnknownWithAReferenceIsReconciledWithAStatusCheck) {
  h.txn.provider_refs.set({"reference"}, "tr_abc");
  data(h).session_call_id = "tx_test:1:create_session";
  h.in("unknown").feed(make_input("transaction.reconcile", {}, kT0, InputKind::command, "cmd:rc"));
  EXPECT_EQ(h.txn.state, "unknown");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tr_abc");
}

TEST_F(NovaSendPayin, UnknownStatusCheckCompletedSucceeds) {
  h.in("unknown").feed("status.checked", check("accepted", txn_status("completed"), "processed"));
  EXPECT_EQ(h.txn.state, "succeeded");
}

TEST_F(NovaSendPayin, UnknownStatusCheckFailedFails) {
  h.in("unknown").feed("status.checked", check("accepted", txn_status("failed"), "processed"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(NovaSendPayin, UnknownStatusCheckDeclinedOrExpired) {
  h.in("unknown").feed("status.checked", check("declined"));
  EXPECT_EQ(h.txn.state, "declined");
  Harness x{novasend_payin_flow()};
  x.in("unknown").feed("status.checked", check("expired", nullptr, "expired"));
  EXPECT_EQ(x.txn.state, "expired");
  EXPECT_FALSE(!x.txn.settled_by.empty());  // NovaSend's word
}

TEST_F(NovaSendPayin, UnknownStatusCheckWithAnotherAmountIsAnAmountMismatch) {
  h.in("unknown").feed("status.checked", check("accepted", txn_status("completed", "30.00"), "processed"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
}

// Not final yet: the janitor asks again later. No event, no poll: nothing loops from `unknown`.
TEST_F(NovaSendPayin, UnknownStatusCheckStillPendingStaysQuietly) {
  h.in("unknown").feed("status.checked", check("accepted", txn_status("pending"), "processed"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "tr_core");
}

// ---- the stored document ---------------------------------------------------------------------------

// A transaction stored before the flow had a struct (tests/golden/states.v1.jsonl), with a key the
// struct does not know: the flow's keys read into their members, the other key is kept, and every
// key is written back with its value.
TEST(NovaSendPayinData, ADocumentOfTheEarlierFormReadsIntoTheStructAndKeepsAnUnknownKey) {
  const json::value stored = json::parse(R"({"txn_id":"tx_47yjq7f32bcc5vocte7jszn2na","merchant":"ZANDO",
    "reference":"GOLDEN-novasend-accepted-failed","provider":"novasend","flow":"payin",
    "amount":{"value":300,"currency":"XOF"},"state":"failed","version":5,"seq":5,
    "provider_refs":{"reference":"tr_63gb83o9o284egi66ms372ilqi","customerReference":"tx_47yjq7f32bcc5vocte7jszn2na",
                     "transaction":"tr_2k8206bzkzlq5cmy"},
    "data":{"customer":{"msisdn":"+2250700000002","name":"John Doe","country":"CI"},"description":"corridor demo",
            "session_call_id":"tx_47yjq7f32bcc5vocte7jszn2na:1:create_session","janitor_attempt":0,"fee":6,
            "charged_amount":306,"confirmation_deadline_ms":1796431467643,"poll_attempt":1,"settled_from":"confirmed",
            "operator_note":{"ticket":"OPS-12","checked":true}},
    "next_action":null,"reason":"transaction.status failed: the wallet balance is too low",
    "created_at":"2026-12-05T00:44:23.654Z","updated_at":"2026-12-05T00:44:24.697Z","rejected_inputs":0,
    "last_rejection":null})");
  auto txn = transaction_from_json(stored);
  ASSERT_TRUE(txn) << txn.error().message;
  novasend_payin_flow().bind(*txn);

  const auto& d = txn->data.as<NovaSendPayinData>();
  EXPECT_EQ(d.session_call_id, "tx_47yjq7f32bcc5vocte7jszn2na:1:create_session");
  EXPECT_EQ(d.fee, 6);
  EXPECT_EQ(d.charged_amount, 306);
  EXPECT_EQ(d.confirmation_deadline_ms, 1796431467643);
  EXPECT_EQ(txn->poll_attempt, 1);
  EXPECT_EQ(txn->settled_from, "confirmed");

  ASSERT_EQ(txn->data.unknown().size(), 1u);
  EXPECT_TRUE(txn->data.unknown().contains("operator_note"));
  // Every key written back with its value (Boost.JSON compares objects regardless of key order).
  EXPECT_EQ(data_json(*txn), stored.at("data").as_object());
}

}  // namespace
}  // namespace corridor
