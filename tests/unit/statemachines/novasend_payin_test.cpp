// One test per row of novasend.payin (seed 003_bf421fd2ae9f23ae.txt).
#include "statemachines/novasend_payin.hpp"

#include <gtest/gtest.h>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;

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

json::object txn_status(std::string_view s) { return {{"reference", "tr_core"}, {"status", s}}; }

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
  EXPECT_EQ(get_string(call.params, "reference"), "tx_test");
  EXPECT_EQ(get_string(call.params, "msisdn"), "+2250702968786");
  EXPECT_EQ(get_string(call.params, "customerName"), "John Doe");
  EXPECT_EQ(get_string(call.params, "country"), "CI");
  EXPECT_EQ(get_string(h.txn.data, "session_call_id"), call.call_id);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].state, "session_requested");
  EXPECT_EQ(h.effects.events[0].previous_state, "created");
  EXPECT_EQ(to_string(h.effects.events[0].status), "pending");
  EXPECT_EQ(h.effects.events[0].version, 2);
}

TEST_F(NovaSendPayin, SessionWithConfirmationAwaitsCustomer) {
  h.in("session_requested").feed("session.created", session(true));
  EXPECT_EQ(h.txn.state, "awaiting_confirmation");
  EXPECT_EQ(get_string(h.txn.provider_refs, "reference"), "tr_abc");
  EXPECT_EQ(get_int(h.txn.data, "fee"), 6);
  EXPECT_EQ(get_int(h.txn.data, "charged_amount"), 306);
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "url"), "https://link.novasend.app/link/abc");
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
  EXPECT_TRUE(h.txn.next_action.is_null());
  EXPECT_TRUE(has_timer(h.effects, "timer.poll"));
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "processing");
}

TEST_F(NovaSendPayin, SessionRejectedFails) {
  h.in("session_requested").feed("session.rejected", {{"http_status", 400}, {"error", "invalid msisdn"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_NE(h.txn.reason.as_string().find("invalid msisdn"), std::string::npos);
}

TEST_F(NovaSendPayin, SessionCallFailedIsUnknownAndRetriesLater) {
  h.in("session_requested").feed("call.failed", {{"op", "create_session"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(has_timer(h.effects, "timer.retry"));
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "unknown");
}

TEST_F(NovaSendPayin, WebhookConfirmedBeforeSessionResponse) {
  h.in("session_requested").feed("payin.confirmed", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "confirmed");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "reference"), "tr_abc");
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
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"timer.confirmation_expired"});
  EXPECT_TRUE(h.txn.next_action.is_null());
}

TEST_F(NovaSendPayin, AwaitingWebhookDeclined) {
  h.in("awaiting_confirmation").feed("payin.declined", session(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(to_string(h.effects.events.at(0).status), "declined");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
}

TEST_F(NovaSendPayin, AwaitingCheckCompletedSucceeds) {
  h.in("awaiting_confirmation").feed("status.checked", check("none", txn_status("completed"), "processed"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(get_string(h.txn.provider_refs, "transaction"), "tr_core");
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
  h.txn.data["confirmation_deadline_ms"] = testing::kT0;
  h.in("awaiting_confirmation").feed("status.checked", check("none"));
  EXPECT_EQ(h.txn.state, "expired");
}

TEST_F(NovaSendPayin, AwaitingCheckPendingPollsAgainWithBackoff) {
  h.settings.set("poll_interval_ms", 5000);
  h.settings.set("poll_max_interval_ms", 12000);
  h.txn.data["confirmation_deadline_ms"] = testing::kT0 + 100000;
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
  h.txn.provider_refs["reference"] = "tr_abc";
  h.in("awaiting_confirmation").feed("timer.poll", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "reference"), "tr_abc");
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
  EXPECT_NE(h.txn.reason.as_string().find("insufficient funds"), std::string::npos);
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
  EXPECT_EQ(get_string(h.txn.provider_refs, "customerReference"), "tx_test");
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

}  // namespace
}  // namespace corridor
