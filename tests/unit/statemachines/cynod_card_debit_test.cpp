// One test per row of cynod.card_debit (seed 000_375b0fce72fe380b.txt).
#include "statemachines/cynod_card_debit.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "statemachines/reconcile.hpp"
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
// Step 8.2 with the amount as Cynod writes it (a decimal string) in `currency`.
json::object approved_for(json::value amount, std::string_view currency = "XOF") {
  json::object o = approved();
  o["amount"] = std::move(amount);
  o["currency"] = currency;
  return o;
}
CynodCardDebitData& data_of(Transaction& t) { return t.data.as<CynodCardDebitData>(); }
std::string reason_of(const Transaction& t) { return t.reason.value_or(""); }

class CynodCardDebit : public ::testing::Test {
 protected:
  Harness h{cynod_card_debit_flow()};

  void expect_event(std::string_view state, std::string_view status) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].state, state);
    EXPECT_EQ(to_string(h.effects.events[0].status), status);
  }
  void expect_no_event() { EXPECT_TRUE(h.effects.events.empty()); }
  void expect_final() { EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"}); }
  void expect_attention(std::string_view code) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].attention, code);
  }
  // Undelivered `op` calls, each followed by its retry timer, until the budget is spent; returns the
  // delays between a failure and the re-send it scheduled.
  std::vector<std::int64_t> fail_until_spent(std::string_view op) {
    std::vector<std::int64_t> delays;
    for (int i = 0; i < 20; ++i) {
      const std::string before = h.txn.state;
      h.feed(testing::make_input("call.failed", {{"op", op}, {"error", "timeout"}}, h.now));
      if (h.txn.state != before) break;
      const TimerSet* retry = h.timer("timer.retry");
      if (retry == nullptr) break;
      delays.push_back(retry->due_at_ms - h.now);
      h.now = retry->due_at_ms;
      h.feed(testing::make_input("timer.retry", {}, h.now, InputKind::timer));
      EXPECT_EQ(h.effects.calls.size(), 1u);
    }
    return delays;
  }
  // Expired on corridor's clock: the confirmation delay passed and Cynod withdrew the wallet request.
  void expire() {
    h.in("awaiting_wallet_confirmation").feed("timer.confirmation_expired", {}, InputKind::timer);
    h.feed("authorization.cancelled");
    ASSERT_EQ(h.txn.state, "expired");
  }
};

TEST_F(CynodCardDebit, CreateRequestsAuthorisationAndArmsConfirmationDelay) {
  h.settings.set("confirmation_ttl_ms", 120000);
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "authorization_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& call = h.effects.calls[0];
  EXPECT_EQ(call.op, "request_authorization");
  EXPECT_EQ(call.provider, "cynod");
  EXPECT_EQ(call.params.text("reference"), "tx_test");
  EXPECT_EQ(get_int(*get_object(call.params.object(), "amount"), "value"), 300);
  EXPECT_EQ(get_string(*get_object(call.params.object(), "amount"), "currency"), "XOF");
  EXPECT_EQ(call.params.text("card"), "attached");  // never the number itself
  EXPECT_EQ(get_string(*get_object(call.params.object(), "customer"), "msisdn"), "+2250702968786");
  EXPECT_EQ(data_of(h.txn).authorization_call_id, call.call_id);
  ASSERT_NE(h.timer("timer.confirmation_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.confirmation_expired")->due_at_ms, kT0 + 120000);
  expect_event("authorization_requested", "pending");
}

TEST_F(CynodCardDebit, InProgressNoticeAwaitsWalletConfirmation) {
  h.in("authorization_requested").feed("authorization.in_progress", in_progress(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "awaiting_wallet_confirmation");
  EXPECT_EQ(h.txn.provider_refs.find("cynod_reference"), "CY-1");
  EXPECT_EQ(data_of(h.txn).card_masked, "535522******0042");
  EXPECT_EQ(h.txn.next_action.value().type, "wallet_confirmation");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());  // the confirmation delay armed at the request still runs
  expect_event("awaiting_wallet_confirmation", "requires_action");
}

TEST_F(CynodCardDebit, AnUnmaskedCardNumberIsNeverKept) {
  json::object notice = in_progress();
  notice["card"] = "5355220000000042";
  h.in("authorization_requested").feed("authorization.in_progress", notice, InputKind::webhook);
  EXPECT_EQ(data_of(h.txn).card_masked, "");
  EXPECT_FALSE(data_json(h.txn).contains("card_masked"));
}

TEST_F(CynodCardDebit, NoAccountOrNoBalanceIsDeclined) {
  h.in("authorization_requested").feed("authorization.declined", {{"reason", "insufficient_balance"}});
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.value(), "declined by Cynod: insufficient_balance");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("declined", "declined");
  expect_final();
}

TEST_F(CynodCardDebit, MalformedRequestFails) {
  h.in("authorization_requested").feed("authorization.rejected", {{"http_status", 400}, {"error", "bad card"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "authorisation request refused by Cynod: bad card");
  expect_event("failed", "failed");
  expect_final();
}

TEST_F(CynodCardDebit, ApprovalBeforeInProgressNoticeDebitsAndAcknowledges) {
  h.in("authorization_requested").feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "debited");
  EXPECT_EQ(h.txn.provider_refs.find("authorization_number"), "A123456");
  EXPECT_EQ(data_of(h.txn).debited_amount, 300);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "acknowledge");
  EXPECT_EQ(h.effects.calls[0].params.text("authorization_number"), "A123456");
  EXPECT_EQ(h.effects.calls[0].params.text("status"), "APPROVED");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tx_test");
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
    EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tx_test");
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
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tx_test");
  EXPECT_TRUE(h.cancelled("timer.retry"));
  expect_event("expiring", "pending");
}

TEST_F(CynodCardDebit, CustomerConfirmsAndCardIsDebited) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "debited");
  EXPECT_FALSE(h.txn.next_action.has_value());
  ASSERT_NE(h.call("acknowledge"), nullptr);
  EXPECT_EQ(data_of(h.txn).acknowledge_call_id, h.call("acknowledge")->call_id);
  EXPECT_TRUE(h.cancelled("timer.confirmation_expired"));
  expect_event("debited", "processing");
}

TEST_F(CynodCardDebit, CustomerRefusesInWallet) {
  h.in("awaiting_wallet_confirmation").feed("authorization.declined", {{"reason", "customer_refused"}}, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.value(), "declined by Cynod: customer_refused");
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
  EXPECT_EQ(data_of(h.txn).cancel_call_id, h.call("cancel_authorization")->call_id);
  EXPECT_FALSE(h.txn.next_action.has_value());
  expect_event("expiring", "pending");
}

TEST_F(CynodCardDebit, CancelledWalletRequestExpires) {
  h.in("expiring").feed("authorization.cancelled");
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(), "no wallet confirmation in time");
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
  EXPECT_EQ(h.txn.provider_refs.find("cynod_reference"), "CY-1");
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
  EXPECT_EQ(h.effects.calls[0].params.text("authorization_number"), "A123456");
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

TEST_F(CynodCardDebit, ApprovalToATransactionFinalBeforeSettledFromWasKeptIsAbsorbed) {
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

// ---- step 8.2: the amount debited is the amount asked --------------------------------------------

TEST_F(CynodCardDebit, DebitOfAnotherAmountIsAnAmountMismatch) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved_for("299"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(reason_of(h.txn), "Cynod's debit (step 8.2) reports 299 XOF, corridor asked 300 XOF");
  EXPECT_EQ(h.txn.provider_refs.find("authorization_number"), "A123456");
  // Step 10 transmits a status corridor has accepted: not this one.
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("amount_mismatch", "amount_mismatch");
  expect_attention(attention::kAmountMismatch);
  ASSERT_TRUE(h.effects.events[0].provider_amount.has_value());
  EXPECT_EQ(*h.effects.events[0].provider_amount, (Money{299, "XOF"}));
  EXPECT_EQ(h.effects.events[0].amount, (Money{300, "XOF"}));
  expect_final();
}

TEST_F(CynodCardDebit, DebitInDecimalsIsReadExactly) {
  Harness cdf{cynod_card_debit_flow(), Money{1500050, "CDF"}};
  cdf.in("awaiting_wallet_confirmation").feed("authorization.approved", approved_for("15000.50", "CDF"), InputKind::webhook);
  EXPECT_EQ(cdf.txn.state, "debited");
  EXPECT_EQ(data_of(cdf.txn).debited_amount, 1500050);
  Harness off{cynod_card_debit_flow(), Money{1500050, "CDF"}};
  off.in("awaiting_wallet_confirmation").feed("authorization.approved", approved_for("15000.05", "CDF"), InputKind::webhook);
  EXPECT_EQ(off.txn.state, "amount_mismatch");
}

TEST_F(CynodCardDebit, DebitWithoutAReadableAmountIsAnAmountMismatch) {
  for (json::value amount : {json::value(nullptr), json::value(299.99), json::value("3OO"), json::value("300.5")}) {
    SCOPED_TRACE(json::value(amount).is_string() ? std::string(amount.get_string()) : "not a string");
    Harness fresh{cynod_card_debit_flow()};
    json::object data = approved();
    if (amount.is_null()) {
      data.erase("amount");
    } else {
      data["amount"] = amount;
    }
    fresh.in("awaiting_wallet_confirmation").feed("authorization.approved", data, InputKind::webhook);
    EXPECT_EQ(fresh.txn.state, "amount_mismatch");
    EXPECT_NE(reason_of(fresh.txn).find("reports no readable amount"), std::string::npos) << reason_of(fresh.txn);
  }
}

TEST_F(CynodCardDebit, DebitInAnotherCurrencyIsAnAmountMismatch) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved_for("300", "XAF"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
}

TEST_F(CynodCardDebit, DebitOfAnotherAmountBeforeTheInProgressNotice) {
  h.in("authorization_requested").feed("authorization.approved", approved_for("301"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(CynodCardDebit, DebitOfAnotherAmountRacingTheCancellation) {
  h.in("expiring").feed("authorization.approved", approved_for("301"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_TRUE(h.effects.calls.empty());
}

// Step 6.2: the wallet asks the customer to confirm another amount. Nothing is debited yet; the
// wallet request is withdrawn before the customer confirms it.
TEST_F(CynodCardDebit, WalletRequestForAnotherAmountIsWithdrawn) {
  json::object notice = in_progress();
  notice["amount"] = "3000";
  h.in("authorization_requested").feed("authorization.in_progress", notice, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_NE(h.call("cancel_authorization"), nullptr);
  EXPECT_EQ(reason_of(h.txn), "Cynod's wallet request (step 6.2) reports 3000 XOF, corridor asked 300 XOF");
  expect_attention(attention::kAmountMismatch);
  EXPECT_EQ(h.effects.events[0].provider_amount, (Money{3000, "XOF"}));
  h.feed("authorization.cancelled");
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(reason_of(h.txn), "wallet request withdrawn: Cynod asked the customer for another amount (step 6.2)");
}

TEST_F(CynodCardDebit, WalletRequestForAnotherAmountWhileAwaitingIsWithdrawn) {
  json::object notice = in_progress();
  notice["amount"] = "30";
  h.in("awaiting_wallet_confirmation").feed("authorization.in_progress", notice, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_NE(h.call("cancel_authorization"), nullptr);
}

TEST_F(CynodCardDebit, WalletNoticeWithoutAnAmountIsNotCompared) {
  json::object notice = in_progress();
  notice.erase("amount");
  h.in("authorization_requested").feed("authorization.in_progress", notice, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "awaiting_wallet_confirmation");
}

// ---- calls that never left, and budgets -----------------------------------------------------------

TEST_F(CynodCardDebit, RequestRefusedBeforeSendingFailsWithTheAdaptersReason) {
  h.in("authorization_requested")
      .feed("call.failed", {{"op", "request_authorization"},
                            {"error", "cynod request_authorization tx_test:1: the card number is not 12-19 digits"},
                            {"attempts", 0},
                            {"sent", false},
                            {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(reason_of(h.txn),
            "authorisation request refused before sending, nothing reached Cynod: cynod request_authorization "
            "tx_test:1: the card number is not 12-19 digits");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("failed", "failed");
  EXPECT_TRUE(h.effects.events[0].attention.empty());
  EXPECT_FALSE(!h.txn.settled_by.empty());  // certain: nothing left corridor
  expect_final();
}

TEST_F(CynodCardDebit, RequestNotSentIsRetriedUnderItsFirstId) {
  h.feed(h.create_input());
  const std::string first = h.effects.calls.at(0).call_id;
  h.feed("call.failed", {{"op", "request_authorization"}, {"error", "circuit open for cynod: not sent"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "authorization_requested");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  h.feed("timer.retry", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
}

TEST_F(CynodCardDebit, RequestRetriesBackOffAndEndUnknownOnceSpent) {
  h.settings.set("confirmation_ttl_ms", 86400000);
  h.feed(h.create_input());
  const auto delays = fail_until_spent("request_authorization");
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30000, 60000, 120000, 240000, 300000}));
  EXPECT_EQ(h.txn.state, "unknown");
  expect_event("unknown", "unknown");
  expect_attention(attention::kOutcomeUnknown);
  EXPECT_NE(reason_of(h.txn).find("no answer from Cynod to request_authorization, retries spent"), std::string::npos);
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(CynodCardDebit, RequestRetryBudgetIsASetting) {
  h.settings.set("max_retries", 1);
  h.settings.set("retry_after_ms", 1000);
  h.settings.set("retry_max_interval_ms", 1500);
  h.in("authorization_requested");
  EXPECT_EQ(fail_until_spent("request_authorization"), (std::vector<std::int64_t>{1000}));
  EXPECT_EQ(h.txn.state, "unknown");
}

TEST_F(CynodCardDebit, CancellationRetriesEndUnknownOnceSpent) {
  h.in("awaiting_wallet_confirmation").feed("timer.confirmation_expired", {}, InputKind::timer);
  const auto delays = fail_until_spent("cancel_authorization");
  EXPECT_EQ(delays.size(), 5u);
  EXPECT_EQ(h.txn.state, "unknown");
  expect_attention(attention::kOutcomeUnknown);
}

TEST_F(CynodCardDebit, CancellationRefusedBeforeSendingIsUnknown) {
  h.in("expiring").feed("call.failed", {{"op", "cancel_authorization"}, {"error", "bad"}, {"sent", false}, {"refused", true}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.timers.empty());
}

// The card is debited (step 8.2); the acknowledgement (step 10) is retried with a budget, never
// forever, and the payment then ends succeeded in a state that says step 10 did not go through.
TEST_F(CynodCardDebit, AcknowledgementRetriesAreBoundedAndTheDebitStands) {
  h.in("awaiting_wallet_confirmation").feed("authorization.approved", approved(), InputKind::webhook);
  const auto delays = fail_until_spent("acknowledge");
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30000, 60000, 120000, 240000, 300000}));
  EXPECT_EQ(h.txn.state, "debited_unacknowledged");
  expect_event("debited_unacknowledged", "succeeded");
  EXPECT_EQ(reason_of(h.txn),
            "debited by Cynod (step 8.2); acknowledgement (step 10) not delivered, retries spent: timeout");
  EXPECT_EQ(h.txn.provider_refs.find("authorization_number"), "A123456");
  EXPECT_EQ(h.txn.settled_by, "corridor");
  expect_final();
}

TEST_F(CynodCardDebit, AcknowledgementRefusedBeforeSendingEndsDebitedUnacknowledged) {
  h.in("debited").feed("call.failed", {{"op", "acknowledge"}, {"error", "missing field 'authorization_number'"},
                                       {"sent", false}, {"refused", true}});
  EXPECT_EQ(h.txn.state, "debited_unacknowledged");
  EXPECT_EQ(reason_of(h.txn), "debited by Cynod (step 8.2); acknowledgement (step 10) refused before sending: missing "
                              "field 'authorization_number'");
  expect_final();
}

// ---- unknown: the janitor reads the authorisation back (step 9) ------------------------------------

TEST_F(CynodCardDebit, UnknownIsReconciledByReadingTheAuthorisation) {
  h.in("unknown").feed(testing::make_input("timer.janitor", {}, kT0, InputKind::timer));
  EXPECT_EQ(h.txn.state, "unknown");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_authorization");
  expect_no_event();
}

TEST_F(CynodCardDebit, UnknownApprovedIsDebitedAndAcknowledged) {
  h.in("unknown").feed("authorization.approved", approved());
  EXPECT_EQ(h.txn.state, "debited");
  ASSERT_NE(h.call("acknowledge"), nullptr);
}

TEST_F(CynodCardDebit, UnknownApprovedForAnotherAmountIsAMismatch) {
  h.in("unknown").feed("authorization.approved", approved_for("1"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
}

TEST_F(CynodCardDebit, UnknownDeclined) {
  h.in("unknown").feed("authorization.declined", {{"reason", "no_account"}});
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_FALSE(!h.txn.settled_by.empty());
}

TEST_F(CynodCardDebit, UnknownWithdrawnExpiresProvisionally) {
  h.in("unknown").feed("authorization.cancelled");
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(CynodCardDebit, UnknownNotKnownToCynodFailsProvisionally) {
  h.in("unknown").feed("authorization.not_found", {{"not_found", true}, {"http_status", 404}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(reason_of(h.txn), "Cynod does not know the authorisation: the request never reached it");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(CynodCardDebit, UnknownInProgressWithinTheDelayAwaitsTheWallet) {
  h.in("unknown");
  data_of(h.txn).confirmation_deadline_ms = kT0 + 1000;
  h.feed("authorization.in_progress", in_progress());
  EXPECT_EQ(h.txn.state, "awaiting_wallet_confirmation");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(CynodCardDebit, UnknownInProgressPastTheDelayIsWithdrawn) {
  h.in("unknown");
  data_of(h.txn).confirmation_deadline_ms = kT0 - 1;
  h.feed("authorization.in_progress", in_progress());
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_NE(h.call("cancel_authorization"), nullptr);
}

// Found by the month-long property test: with Cynod still saying "in progress" and the cancellation
// undeliverable, unknown -> expiring -> unknown went on forever, two events a janitor round. Once
// corridor gave up re-sending the cancellation, a later "in progress" sends it again under its first key
// and stays where it is: no event, no new round of re-sends.
TEST_F(CynodCardDebit, UnknownInProgressAfterTheCancellationWasGivenUpSendsItAgainQuietly) {
  h.in("unknown");
  data_of(h.txn).confirmation_deadline_ms = kT0 - 1;
  data_of(h.txn).cancel_call_id = "tx_test:4:cancel_authorization";
  const std::int64_t version = h.txn.version;
  h.feed("authorization.in_progress", in_progress());
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.version, version);
  EXPECT_TRUE(h.effects.events.empty());
  const ProviderCall* cancel = h.call("cancel_authorization");
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->call_id, "tx_test:4:cancel_authorization");  // Cynod's idempotency: the first key
  EXPECT_TRUE(h.effects.timers.empty() || h.timer("timer.retry") == nullptr);
}

TEST_F(CynodCardDebit, UnknownConfirmationDelayPassingWithdrawsTheRequest) {
  h.in("unknown").feed("timer.confirmation_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "expiring");
  ASSERT_NE(h.call("cancel_authorization"), nullptr);
}

TEST_F(CynodCardDebit, CancellationOfAnAuthorisationCynodDoesNotKnowExpiresProvisionally) {
  h.in("expiring").feed("authorization.not_found", {{"not_found", true}, {"http_status", 404}});
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

// ---- the provider's word after the outcome ------------------------------------------------------------

TEST_F(CynodCardDebit, ExpiryAfterTheCancellationIsProvisional) {
  expire();
  EXPECT_EQ(h.txn.settled_by, "corridor");
  EXPECT_EQ(h.txn.settled_from, "expiring");
}

// Cynod debited the card after corridor's deadline had made the payment expired (its withdrawal
// raced the customer's confirmation): the debit is the outcome, and the transaction moves to it.
TEST_F(CynodCardDebit, DebitAfterTheExpiryReplacesIt) {
  expire();
  const auto version = h.txn.version;
  const auto r = h.feed(testing::make_input("authorization.approved", approved(), kT0 + 60000, InputKind::webhook, "late-82"));
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "debited_unacknowledged");
  EXPECT_EQ(h.txn.version, version + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  const StateChangedEvent& e = h.effects.events[0];
  EXPECT_EQ(e.previous_state, "expired");
  EXPECT_EQ(e.status, Status::succeeded);
  EXPECT_EQ(e.attention, attention::kLateOutcome);
  EXPECT_EQ(reason_of(h.txn),
            "debited_unacknowledged by the provider after corridor's own deadline had made it expired: debited by "
            "Cynod (step 8.2); acknowledgement (step 10) sent once, not awaited");
  // Step 10, once: the transaction is final and does not wait for it.
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "acknowledge");
  EXPECT_EQ(h.effects.calls[0].params.text("authorization_number"), "A123456");
  EXPECT_EQ(h.txn.provider_refs.find("authorization_number"), "A123456");
  // Its answer, later, changes nothing.
  EXPECT_EQ(h.feed("acknowledgement.accepted").outcome, Outcome::absorbed);
}

TEST_F(CynodCardDebit, DebitOfAnotherAmountAfterTheExpiryIsAnAmountMismatch) {
  expire();
  h.feed(testing::make_input("authorization.approved", approved_for("250"), kT0 + 60000, InputKind::webhook, "late-82"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
  EXPECT_EQ(h.effects.events[0].provider_amount, (Money{250, "XOF"}));
}

TEST_F(CynodCardDebit, RefusalAfterTheExpiryReplacesIt) {
  expire();
  h.feed(testing::make_input("authorization.declined", {{"reason", "customer_refused"}}, kT0 + 60000, InputKind::webhook));
  EXPECT_EQ(h.txn.state, "declined");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
}

// A reconciliation of the expired payment reads the authorisation back (step 9); Cynod's answer that
// it is approved moves the payment.
TEST_F(CynodCardDebit, ReconciliationFindsTheExpiredPaymentDebited) {
  expire();
  h.feed(testing::make_input("transaction.reconcile", {}, kT0 + 60000, InputKind::command, "cmd:rc"));
  EXPECT_EQ(h.txn.state, "expired");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_authorization");
  const std::string answer_id = h.effects.calls[0].answer_input_id();
  h.feed(testing::make_input("authorization.approved", approved(), kT0 + 61000, InputKind::provider_response, answer_id));
  EXPECT_EQ(h.txn.state, "debited_unacknowledged");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
}

// Cynod declined the payment itself, then reports it approved: corridor keeps its first word and says
// so with a disputed event.
TEST_F(CynodCardDebit, ApprovalAfterCynodsOwnDeclineIsDisputed) {
  h.in("awaiting_wallet_confirmation").feed("authorization.declined", {{"reason", "customer_refused"}}, InputKind::webhook);
  ASSERT_EQ(h.txn.state, "declined");
  const auto version = h.txn.version;
  h.feed(testing::make_input("authorization.approved", approved(), kT0 + 60000, InputKind::webhook, "contradiction"));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.version, version + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].state, "declined");
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(CynodCardDebit, CompletedPaymentAbsorbsALateInProgressNotice) {
  h.in("debited").feed("acknowledgement.accepted");
  ASSERT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.feed("authorization.in_progress", in_progress(), InputKind::webhook).outcome, Outcome::absorbed);
  EXPECT_TRUE(h.effects.events.empty());
}

// A document stored before the flow had a struct (tests/golden/states.v1.jsonl, GOLDEN-cynod-approved,
// with a cancellation's keys and a key the struct does not have): every key reads into its member,
// whatever its place, and the unknown key is kept and written back after the flow's fields.
TEST(CynodCardDebitData, AStoredDocumentOfTheEarlierFormReadsIntoTheStruct) {
  const std::string stored =
      R"({"txn_id":"tx_okrfameczust5hiviyudxmasyy","merchant":"ZANDO","reference":"GOLDEN-cynod-approved",)"
      R"("provider":"cynod","flow":"card_debit","amount":{"value":1500000,"currency":"CDF"},"state":"completed",)"
      R"("version":5,"seq":3,"provider_refs":{"cynod_reference":"cyn_auth_22n5gdgsjugg87o7gy4y","authorization_number":"097734"},)"
      R"("data":{"customer":{"name":"Jean Mukendi","msisdn":"+243810000001","country":"CD"},"description":"corridor demo",)"
      R"("retry_attempt":0,"authorization_call_id":"tx_okrfameczust5hiviyudxmasyy:1:request_authorization",)"
      R"("cancel_cause":"amount","confirmation_deadline_ms":1796431468679,"janitor_attempt":0,)"
      R"("operator_note":{"by":"ops","ticket":[42,"x"]},"card_masked":"626200******0001","cynod_status":"approved",)"
      R"("debited_amount":1500000,"cancel_call_id":"tx_okrfameczust5hiviyudxmasyy:2:cancel_authorization",)"
      R"("acknowledge_call_id":"tx_okrfameczust5hiviyudxmasyy:3:acknowledge","settled_from":"debited"},)"
      R"("next_action":null,"reason":null,"created_at":"2026-12-05T00:44:23.679Z","updated_at":"2026-12-05T00:44:24.715Z",)"
      R"("rejected_inputs":0,"last_rejection":null})";
  auto txn = transaction_from_json(boost::json::parse(stored));
  ASSERT_TRUE(txn) << txn.error().message;
  cynod_card_debit_flow().bind(*txn);
  const CynodCardDebitData& d = data_of(*txn);
  EXPECT_EQ(d.authorization_call_id, "tx_okrfameczust5hiviyudxmasyy:1:request_authorization");
  EXPECT_EQ(d.confirmation_deadline_ms, 1796431468679);
  EXPECT_EQ(d.card_masked, "626200******0001");
  EXPECT_EQ(d.cynod_status, "approved");
  EXPECT_EQ(d.debited_amount, std::optional<std::int64_t>(1500000));
  EXPECT_EQ(d.acknowledge_call_id, "tx_okrfameczust5hiviyudxmasyy:3:acknowledge");
  EXPECT_EQ(d.cancel_call_id, "tx_okrfameczust5hiviyudxmasyy:2:cancel_authorization");
  EXPECT_EQ(d.cancel_cause, "amount");
  EXPECT_EQ(txn->retry_attempt, 0);
  EXPECT_EQ(txn->settled_from, "debited");
  EXPECT_EQ(json_text(txn->data.unknown()), R"({"operator_note":{"by":"ops","ticket":[42,"x"]}})");
  EXPECT_EQ(json_text(data_json(*txn)),
            R"({"customer":{"name":"Jean Mukendi","msisdn":"+243810000001","country":"CD"},"description":"corridor demo",)"
            R"("retry_attempt":0,"janitor_attempt":0,"settled_from":"debited",)"
            R"("authorization_call_id":"tx_okrfameczust5hiviyudxmasyy:1:request_authorization",)"
            R"("confirmation_deadline_ms":1796431468679,"card_masked":"626200******0001","cynod_status":"approved",)"
            R"("debited_amount":1500000,"acknowledge_call_id":"tx_okrfameczust5hiviyudxmasyy:3:acknowledge",)"
            R"("cancel_call_id":"tx_okrfameczust5hiviyudxmasyy:2:cancel_authorization","cancel_cause":"amount",)"
            R"("operator_note":{"by":"ops","ticket":[42,"x"]}})");

  // A document without the facts of later steps (GOLDEN-cynod-no-balance): their members keep their
  // defaults and nothing is added when it is written again.
  auto declined = transaction_from_json(boost::json::parse(
      R"({"txn_id":"tx_gc5pmp2r4fok2eazmydv57pjty","provider":"cynod","flow":"card_debit","state":"declined",)"
      R"("data":{"retry_attempt":0,"authorization_call_id":"tx_gc5pmp2r4fok2eazmydv57pjty:1:request_authorization",)"
      R"("confirmation_deadline_ms":1796431468681,"janitor_attempt":0,"card_masked":"626200******0003",)"
      R"("settled_from":"authorization_requested"}})"));
  ASSERT_TRUE(declined) << declined.error().message;
  cynod_card_debit_flow().bind(*declined);
  const CynodCardDebitData& e = data_of(*declined);
  EXPECT_EQ(e.confirmation_deadline_ms, 1796431468681);
  EXPECT_EQ(e.debited_amount, std::nullopt);
  EXPECT_EQ(e.cynod_status, "");
  EXPECT_EQ(e.acknowledge_call_id, "");
  EXPECT_EQ(e.cancel_call_id, "");
  EXPECT_TRUE(declined->data.unknown().empty());
  EXPECT_EQ(json_text(data_json(*declined)),
            R"({"retry_attempt":0,"janitor_attempt":0,"settled_from":"authorization_requested",)"
            R"("authorization_call_id":"tx_gc5pmp2r4fok2eazmydv57pjty:1:request_authorization",)"
            R"("confirmation_deadline_ms":1796431468681,"card_masked":"626200******0003"})");
}

}  // namespace
}  // namespace corridor
