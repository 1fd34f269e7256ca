// One test per row of cynod.card_debit (seed 000_375b0fce72fe380b.txt).
#include "statemachines/cynod_card_debit.hpp"

#include <gtest/gtest.h>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

json::object in_progress() {
  return {{"reference", "tx_test"}, {"card", "535522******0042"}, {"amount", 300}, {"cynod_reference", "CY-1"}};
}
json::object approved() {
  return {{"reference", "tx_test"},  {"card", "535522******0042"}, {"amount", 300},
          {"authorization_number", "A123456"}, {"status", "APPROVED"}, {"cynod_reference", "CY-1"}};
}

class CynodCardDebit : public ::testing::Test {
 protected:
  Harness h{cynod_card_debit_flow()};

  void expect_event(std::string_view state, std::string_view status) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].state, state);
    EXPECT_EQ(to_string(h.effects.events[0].status), status);
  }
  void expect_no_event() { EXPECT_TRUE(h.effects.events.empty()); }
  void expect_final() { EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"}); }
};

TEST_F(CynodCardDebit, CreateRequestsAuthorisationAndArmsConfirmationDelay) {
  h.settings.set("confirmation_ttl_ms", 120000);
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "authorization_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& call = h.effects.calls[0];
  EXPECT_EQ(call.op, "request_authorization");
  EXPECT_EQ(call.provider, "cynod");
  EXPECT_EQ(get_string(call.params, "reference"), "tx_test");
  EXPECT_EQ(get_int(*get_object(call.params, "amount"), "value"), 300);
  EXPECT_EQ(get_string(*get_object(call.params, "amount"), "currency"), "XOF");
  EXPECT_EQ(get_string(call.params, "card"), "attached");  // never the number itself
  EXPECT_EQ(get_string(*get_object(call.params, "customer"), "msisdn"), "+2250702968786");
  EXPECT_EQ(get_string(h.txn.data, "authorization_call_id"), call.call_id);
  ASSERT_NE(h.timer("timer.confirmation_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.confirmation_expired")->due_at_ms, kT0 + 120000);
  expect_event("authorization_requested", "pending");
}

TEST_F(CynodCardDebit, InProgressNoticeAwaitsWalletConfirmation) {
  h.in("authorization_requested").feed("authorization.in_progress", in_progress(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "awaiting_wallet_confirmation");
  EXPECT_EQ(get_string(h.txn.provider_refs, "cynod_reference"), "CY-1");
  EXPECT_EQ(get_string(h.txn.data, "card_masked"), "535522******0042");
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "type"), "wallet_confirmation");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());  // the confirmation delay armed at the request still runs
  expect_event("awaiting_wallet_confirmation", "requires_action");
}

TEST_F(CynodCardDebit, AnUnmaskedCardNumberIsNeverKept) {
  json::object notice = in_progress();
  notice["card"] = "5355220000000042";
  h.in("authorization_requested").feed("authorization.in_progress", notice, InputKind::webhook);
  EXPECT_FALSE(h.txn.data.contains("card_masked"));
}

TEST_F(CynodCardDebit, NoAccountOrNoBalanceIsDeclined) {
  h.in("authorization_requested").feed("authorization.declined", {{"reason", "insufficient_balance"}});
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "declined by Cynod: insufficient_balance");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("declined", "declined");
  expect_final();
}

TEST_F(CynodCardDebit, MalformedRequestFails) {
  h.in("authorization_requested").feed("authorization.rejected", {{"http_status", 400}, {"error", "bad card"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "authorisation request refused by Cynod: bad card");
  expect_event("failed", "failed");
  expect_final();
}

TEST_F(CynodCardDebit, ApprovalBeforeInProgressNoticeDebitsAndAcknowledges) {
  h.in("authorization_requested").feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "debited");
  EXPECT_EQ(get_string(h.txn.provider_refs, "authorization_number"), "A123456");
  EXPECT_EQ(get_int(h.txn.data, "debited_amount"), 300);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "acknowledge");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "authorization_number"), "A123456");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "status"), "APPROVED");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "reference"), "tx_test");
  EXPECT_TRUE(h.cancelled("timer.confirmation_expired"));
  expect_event("debited", "processing");
}

TEST_F(CynodCardDebit, ReconcileReadsTheAuthorisationBack) {
  for (std::string_view state : {"authorization_requested", "awaiting_wallet_confirmation", "expiring", "debited"}) {
    SCOPED_TRACE(std::string(state));
    h.in(state).feed(testing::make_input("transaction.reconcile", {}, kT0, InputKind::command, "cmd:rc"));
    EXPECT_EQ(h.txn.state, state);
    ASSERT_EQ(h.effects.calls.size(), 1u);
    EXPECT_EQ(h.effects.calls[0].op, "get_authorization");
    EXPECT_EQ(get_string(h.effects.calls[0].params, "reference"), "tx_test");
    expect_no_event();
  }
}

TEST_F(CynodCardDebit, AnAuthorisationCynodDoesNotKnowLeavesTheRequestToItsOwnAnswer) {
  h.in("authorization_requested").feed("authorization.not_found", {{"not_found", true}, {"http_status", 404}});
  EXPECT_EQ(h.txn.state, "authorization_requested");
  EXPECT_EQ(h.txn.rejected_inputs, 0);
  EXPECT_TRUE(h.effects.calls.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, RequestWithoutAnswerIsRetriedLater) {
  h.settings.set("retry_after_ms", 10000);
  h.in("authorization_requested").feed("call.failed", {{"op", "request_authorization"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "authorization_requested");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 10000);
  EXPECT_TRUE(h.effects.calls.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, RetryReusesTheFirstCallId) {
  h.feed(h.create_input());
  const std::string first = h.effects.calls.at(0).call_id;
  h.feed("call.failed", {{"op", "request_authorization"}});
  h.feed("timer.retry", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "authorization_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_EQ(h.effects.calls[0].op, "request_authorization");
  expect_no_event();
}

TEST_F(CynodCardDebit, NoAnswerInTimeCancelsTheWalletRequest) {
  h.in("authorization_requested").feed("timer.confirmation_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "cancel_authorization");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "reference"), "tx_test");
  EXPECT_TRUE(h.cancelled("timer.retry"));
  expect_event("expiring", "pending");
}

TEST_F(CynodCardDebit, CustomerConfirmsAndCardIsDebited) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "debited");
  EXPECT_TRUE(h.txn.next_action.is_null());
  ASSERT_NE(h.call("acknowledge"), nullptr);
  EXPECT_EQ(get_string(h.txn.data, "acknowledge_call_id"), h.call("acknowledge")->call_id);
  EXPECT_TRUE(h.cancelled("timer.confirmation_expired"));
  expect_event("debited", "processing");
}

TEST_F(CynodCardDebit, CustomerRefusesInWallet) {
  h.in("awaiting_wallet_confirmation").feed("authorization.declined", {{"reason", "customer_refused"}}, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "declined by Cynod: customer_refused");
  expect_event("declined", "declined");
  expect_final();
}

TEST_F(CynodCardDebit, DuplicateInProgressNoticeChangesNothing) {
  h.in("awaiting_wallet_confirmation").feed("authorization.in_progress", in_progress(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "awaiting_wallet_confirmation");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, ConfirmationDelayPassesWhileAwaiting) {
  h.in("awaiting_wallet_confirmation").feed("timer.confirmation_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_NE(h.call("cancel_authorization"), nullptr);
  EXPECT_EQ(get_string(h.txn.data, "cancel_call_id"), h.call("cancel_authorization")->call_id);
  EXPECT_TRUE(h.txn.next_action.is_null());
  expect_event("expiring", "pending");
}

TEST_F(CynodCardDebit, CancelledWalletRequestExpires) {
  h.in("expiring").feed("authorization.cancelled");
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.as_string(), "no wallet confirmation in time");
  expect_event("expired", "expired");
  expect_final();
}

TEST_F(CynodCardDebit, ApprovalRacingTheCancellationIsDebited) {
  h.in("expiring").feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "debited");
  ASSERT_NE(h.call("acknowledge"), nullptr);
  expect_event("debited", "processing");
}

TEST_F(CynodCardDebit, RefusalRacingTheCancellationIsDeclined) {
  h.in("expiring").feed("authorization.declined", {{"reason", "customer_refused"}}, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
  expect_event("declined", "declined");
}

TEST_F(CynodCardDebit, LateInProgressNoticeWhileExpiring) {
  h.in("expiring").feed("authorization.in_progress", in_progress(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "expiring");
  EXPECT_EQ(get_string(h.txn.provider_refs, "cynod_reference"), "CY-1");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, UndeliveredCancellationIsRetriedLater) {
  h.in("expiring").feed("call.failed", {{"op", "cancel_authorization"}});
  EXPECT_EQ(h.txn.state, "expiring");
  EXPECT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_TRUE(h.effects.calls.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, CancellationIsResentUnderItsFirstId) {
  h.in("authorization_requested").feed("timer.confirmation_expired", {}, InputKind::timer);
  const std::string first = h.call("cancel_authorization")->call_id;
  h.feed("timer.retry", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_EQ(h.effects.calls[0].op, "cancel_authorization");
}

TEST_F(CynodCardDebit, AcknowledgementAcceptedCompletes) {
  h.in("debited").feed("acknowledgement.accepted");
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("completed", "succeeded");
  expect_final();
}

TEST_F(CynodCardDebit, UndeliveredAcknowledgementIsRetriedLater) {
  h.in("debited").feed("call.failed", {{"op", "acknowledge"}});
  EXPECT_EQ(h.txn.state, "debited");
  EXPECT_NE(h.timer("timer.retry"), nullptr);
  expect_no_event();
}

TEST_F(CynodCardDebit, AcknowledgementIsResentUnderItsFirstId) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved(), InputKind::webhook);
  const std::string first = h.call("acknowledge")->call_id;
  h.feed("timer.retry", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "debited");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_EQ(get_string(h.effects.calls[0].params, "authorization_number"), "A123456");
}

TEST_F(CynodCardDebit, DuplicateApprovalChangesNothing) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved(), InputKind::webhook);
  const auto before = to_json(h.txn);
  auto r = h.feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(to_json(h.txn).at("provider_refs"), before.at("provider_refs"));
  EXPECT_EQ(h.txn.version, get_int(before, "version"));
  EXPECT_TRUE(h.effects.calls.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, InProgressNoticeAfterTheDebitChangesNothing) {
  h.in("debited").feed("authorization.in_progress", in_progress(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "debited");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_no_event();
}

TEST_F(CynodCardDebit, StaleConfirmationTimerAfterTheDebitIsIgnored) {
  h.in("debited");
  auto r = h.feed("timer.confirmation_expired", {}, InputKind::timer);
  EXPECT_EQ(r.outcome, Outcome::stale_timer);
  EXPECT_EQ(h.txn.state, "debited");
}

TEST_F(CynodCardDebit, ApprovalAfterExpiryIsAbsorbed) {
  h.in("expired");
  auto r = h.feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(h.txn.state, "expired");
}

TEST_F(CynodCardDebit, HappyPathVersionsAreConsecutive) {
  Harness fresh{cynod_card_debit_flow()};
  std::vector<std::string> states;
  auto feed = [&](const Input& in) {
    fresh.feed(in);
    for (auto& e : fresh.effects.events) states.emplace_back(e.state);
  };
  feed(fresh.create_input());
  feed(testing::make_input("authorization.in_progress", in_progress(), kT0 + 1000, InputKind::webhook));
  feed(testing::make_input("authorization.approved", approved(), kT0 + 30000, InputKind::webhook));
  feed(testing::make_input("acknowledgement.accepted", {}, kT0 + 31000));
  EXPECT_EQ(states, (std::vector<std::string>{"authorization_requested", "awaiting_wallet_confirmation", "debited", "completed"}));
  EXPECT_EQ(fresh.txn.version, 5);
}

}  // namespace
}  // namespace corridor
