// One test per row of flexpay.card (seed 001_4098339f3fd8c036.txt).
#include "statemachines/flexpay_card.hpp"

#include <gtest/gtest.h>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

json::object pay_answer() {
  return {{"code", "0"}, {"message", "Redirection"}, {"orderNumber", "9bsTX7qXdpQe243815877848"},
          {"url", "https://cardpayment.flexpay.cd/pay/9bsTX7qXdpQe243815877848"}};
}
json::object callback(std::string_view code = "0") {
  return {{"code", code}, {"reference", "tx_test"}, {"provider_reference", "7KI81020PHS"},
          {"orderNumber", "9bsTX7qXdpQe243815877848"}};
}
// As the adapter hands it over: amount_minor is the check's "amount" in integer minor units.
json::object check(std::string_view status, std::int64_t amount_minor = 300, std::string_view currency = "USD") {
  return {{"code", "0"},
          {"message", "Une transaction trouvée"},
          {"transaction",
           {{"orderNumber", "9bsTX7qXdpQe243815877848"}, {"reference", "tx_test"}, {"amount", "3.00"},
            {"amount_minor", amount_minor}, {"amountCustomer", "3.06"}, {"currency", currency},
            {"createdAt", "06-02-2021 17:32:46"}, {"status", status}}}};
}
constexpr std::string_view kOrder = "9bsTX7qXdpQe243815877848";
json::object not_found() { return {{"code", "1"}, {"message", "Aucune transaction trouvée"}, {"transaction", nullptr}}; }

class FlexPayCard : public ::testing::Test {
 protected:
  Harness h{flexpay_card_flow(), Money{300, "USD"}};

  void expect_event(std::string_view state, std::string_view status) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].state, state);
    EXPECT_EQ(to_string(h.effects.events[0].status), status);
  }
  void expect_check_call() {
    ASSERT_EQ(h.effects.calls.size(), 1u);
    EXPECT_EQ(h.effects.calls[0].op, "check");
    EXPECT_EQ(get_string(h.effects.calls[0].params, "orderNumber"), "9bsTX7qXdpQe243815877848");
  }
};

TEST_F(FlexPayCard, CreateSendsPayRequestAndArmsTheDelay) {
  h.settings.set("payment_ttl_ms", 600000);
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "payment_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& call = h.effects.calls[0];
  EXPECT_EQ(call.op, "pay");
  EXPECT_EQ(call.provider, "flexpay");
  EXPECT_EQ(get_string(call.params, "reference"), "tx_test");
  EXPECT_EQ(get_int(*get_object(call.params, "amount"), "value"), 300);
  EXPECT_EQ(get_string(*get_object(call.params, "amount"), "currency"), "USD");
  EXPECT_EQ(get_string(call.params, "description"), "test payment");
  EXPECT_FALSE(call.params.contains("card"));  // FlexPay's page takes the card, not corridor
  ASSERT_NE(h.timer("timer.payment_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.payment_expired")->due_at_ms, kT0 + 600000);
  EXPECT_EQ(get_int(h.txn.data, "payment_deadline_ms"), kT0 + 600000);
  expect_event("payment_requested", "pending");
}

TEST_F(FlexPayCard, PayAnswerRedirectsTheCustomer) {
  h.settings.set("awaiting_poll_interval_ms", 20000);
  h.in("payment_requested").feed("pay.accepted", pay_answer());
  ASSERT_NE(h.timer("timer.poll"), nullptr);  // no callback may ever come: check slowly meanwhile
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 20000);
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), "9bsTX7qXdpQe243815877848");
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "type"), "redirect");
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "url"), "https://cardpayment.flexpay.cd/pay/9bsTX7qXdpQe243815877848");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("awaiting_customer", "requires_action");
}

TEST_F(FlexPayCard, RefusedPayRequestFails) {
  h.in("payment_requested").feed("pay.rejected", {{"code", "1"}, {"message", "Marchand inconnu"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "payment request refused by FlexPay: Marchand inconnu");
  expect_event("failed", "failed");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
}

TEST_F(FlexPayCard, PayWithoutAnswerIsRetriedLater) {
  h.in("payment_requested").feed("call.failed", {{"op", "pay"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "payment_requested");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, RetryReusesTheFirstCallId) {
  h.feed(h.create_input());
  const std::string first = h.call("pay")->call_id;
  h.feed("call.failed", {{"op", "pay"}});
  h.feed("timer.retry", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_EQ(get_string(h.effects.calls[0].params, "reference"), "tx_test");
  EXPECT_EQ(h.txn.state, "payment_requested");
}

TEST_F(FlexPayCard, CallbackBeforeThePayAnswerIsChecked) {
  h.in("payment_requested").feed("flexpay.callback", callback(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), "9bsTX7qXdpQe243815877848");
  expect_check_call();
  EXPECT_NE(h.timer("timer.poll"), nullptr);
  expect_event("verifying", "processing");
}

TEST_F(FlexPayCard, NoPageBeforeTheDelayExpires) {
  h.in("payment_requested").feed("timer.payment_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("expired", "expired");
}

TEST_F(FlexPayCard, UnsignedCallbackOnlyTriggersACheck) {
  h.in("awaiting_customer").feed("flexpay.callback", callback("0"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");  // never succeeded on the callback's word
  EXPECT_EQ(get_string(h.txn.data, "callback_code"), "0");
  expect_check_call();
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 5000);
  EXPECT_TRUE(h.txn.next_action.is_null());
  expect_event("verifying", "processing");
}

TEST_F(FlexPayCard, DelayPassingWhileAwaitingIsChecked) {
  h.txn.provider_refs["orderNumber"] = "9bsTX7qXdpQe243815877848";
  h.in("awaiting_customer").feed("timer.payment_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "verifying");
  expect_check_call();
  EXPECT_NE(h.timer("timer.poll"), nullptr);
  expect_event("verifying", "processing");
}

TEST_F(FlexPayCard, DuplicatePayAnswerChangesNothing) {
  h.in("payment_requested").feed("pay.accepted", pay_answer());
  h.feed("pay.accepted", pay_answer());
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(FlexPayCard, CheckStatusZeroSucceeds) {
  h.in("awaiting_customer").feed("flexpay.callback", callback(), InputKind::webhook);
  h.feed("check.result", check("0"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(get_string(h.txn.provider_refs, "provider_reference"), "7KI81020PHS");
  EXPECT_EQ(get_int(h.txn.data, "amount_customer"), 306);
  expect_event("succeeded", "succeeded");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
}

TEST_F(FlexPayCard, CheckStatusOneFails) {
  h.in("verifying").feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "FlexPay check: the transaction did not go through");
  expect_event("failed", "failed");
}

TEST_F(FlexPayCard, NoTransactionAfterTheDelayExpires) {
  h.txn.data["payment_deadline_ms"] = kT0;
  h.in("verifying").feed("check.result", not_found());
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.as_string(), "payment delay passed and FlexPay has no transaction");
  expect_event("expired", "expired");
}

TEST_F(FlexPayCard, NoTransactionYetPollsAgainWithBackoff) {
  h.settings.set("poll_interval_ms", 5000);
  h.settings.set("poll_max_interval_ms", 12000);
  h.txn.data["payment_deadline_ms"] = kT0 + 100000;
  h.in("verifying");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    h.feed("check.result", i % 2 ? check("2") : not_found());
    EXPECT_EQ(h.txn.state, "verifying");
    ASSERT_EQ(h.effects.timers.size(), 1u);
    delays.push_back(h.effects.timers[0].due_at_ms - kT0);
    EXPECT_TRUE(h.effects.events.empty());
    EXPECT_TRUE(h.effects.calls.empty());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{5000, 10000, 12000, 12000}));
}

TEST_F(FlexPayCard, PollTimerChecks) {
  h.txn.provider_refs["orderNumber"] = "9bsTX7qXdpQe243815877848";
  h.in("verifying").feed("timer.poll", {}, InputKind::timer);
  expect_check_call();
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, DelayPassingWhileVerifyingChecksNow) {
  h.txn.provider_refs["orderNumber"] = "9bsTX7qXdpQe243815877848";
  h.in("verifying").feed("timer.payment_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "verifying");
  expect_check_call();
}

TEST_F(FlexPayCard, CallbackWhileVerifyingChecksAgain) {
  h.in("verifying").feed("flexpay.callback", callback("1"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");  // a failure code is not trusted either
  EXPECT_EQ(get_string(h.txn.data, "callback_code"), "1");
  expect_check_call();
  EXPECT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, PayAnswerAfterTheCallbackKeepsTheOrderNumber) {
  h.in("verifying").feed("pay.accepted", pay_answer());
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), "9bsTX7qXdpQe243815877848");
  EXPECT_TRUE(h.txn.next_action.is_null());  // too late to redirect
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, FailedCheckPollsLater) {
  h.in("verifying").feed("call.failed", {{"op", "check"}});
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(FlexPayCard, CallbackAfterSuccessIsAbsorbed) {
  h.in("succeeded");
  EXPECT_EQ(h.feed("flexpay.callback", callback("1"), InputKind::webhook).outcome, Outcome::absorbed);
}

// ---- item: a forged callback cannot redirect the checks ----------------------------------------

TEST_F(FlexPayCard, CallbackNeverReplacesTheOrderNumberFromThePayAnswer) {
  h.in("payment_requested").feed("pay.accepted", pay_answer());
  json::object forged = callback("0");
  forged["orderNumber"] = "FORGED";
  h.feed("flexpay.callback", forged, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), kOrder);
  expect_check_call();  // FlexPay is asked about the real order
}

TEST_F(FlexPayCard, CallbackWhileVerifyingKeepsTheRecordedOrderNumber) {
  h.txn.provider_refs["orderNumber"] = kOrder;
  json::object forged = callback("0");
  forged["orderNumber"] = "FORGED";
  h.in("verifying").feed("flexpay.callback", forged, InputKind::webhook);
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), kOrder);
  expect_check_call();
}

TEST_F(FlexPayCard, PayAnswerReplacesAnOrderNumberTakenFromACallback) {
  json::object forged = callback("0");
  forged["orderNumber"] = "FORGED";
  h.in("payment_requested").feed("flexpay.callback", forged, InputKind::webhook);
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), "FORGED");  // nothing better known yet
  h.feed("pay.accepted", pay_answer());
  EXPECT_EQ(get_string(h.txn.provider_refs, "orderNumber"), kOrder);  // FlexPay's own answer wins
}

// ---- item: the amount paid is compared ----------------------------------------------------------

TEST_F(FlexPayCard, CheckWithAnotherAmountFails) {
  h.in("verifying").feed("check.result", check("0", 299));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(),
            "FlexPay check: paid 299 USD (minor units), the transaction is 300 USD: not accepted as paid");
  EXPECT_FALSE(h.txn.provider_refs.contains("provider_reference"));
  expect_event("failed", "failed");
}

TEST_F(FlexPayCard, CheckWithAnotherCurrencyFails) {
  h.in("verifying").feed("check.result", check("0", 300, "CDF"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(),
            "FlexPay check: paid 300 CDF (minor units), the transaction is 300 USD: not accepted as paid");
}

TEST_F(FlexPayCard, CheckWithoutAnAmountIsNotAcceptedAsPaid) {
  json::object answer = check("0");
  answer["transaction"].as_object().erase("amount_minor");
  h.in("verifying").feed("check.result", answer);
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(),
            "FlexPay check: paid no amount USD (minor units), the transaction is 300 USD: not accepted as paid");
}

// ---- item: a check that keeps failing ends unknown ----------------------------------------------

TEST_F(FlexPayCard, FailedChecksAfterTheDelayEndUnknown) {
  h.settings.set("max_failed_checks", 3);
  h.txn.data["payment_deadline_ms"] = kT0 - 1;
  h.in("verifying");
  for (int i = 0; i < 2; ++i) {
    h.feed("call.failed", {{"op", "check"}, {"error", "HTTP 401"}});
    EXPECT_EQ(h.txn.state, "verifying");
    EXPECT_NE(h.timer("timer.poll"), nullptr);
  }
  h.feed("call.failed", {{"op", "check"}, {"error", "HTTP 401"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.as_string(),
            "FlexPay's check kept failing after the payment delay: outcome unknown, reconcile: HTTP 401");
  EXPECT_EQ(get_int(h.txn.data, "failed_checks_after_deadline"), 3);
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("unknown", "unknown");
}

TEST_F(FlexPayCard, FailedChecksBeforeTheDelayDoNotCount) {
  h.settings.set("max_failed_checks", 1);
  h.txn.data["payment_deadline_ms"] = kT0 + 1;
  h.in("verifying").feed("call.failed", {{"op", "check"}});
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(get_int(h.txn.data, "failed_checks_after_deadline"), 0);
}

TEST_F(FlexPayCard, AnAnsweredCheckStartsTheFailureCountOver) {
  h.settings.set("max_failed_checks", 2);
  h.txn.data["payment_deadline_ms"] = kT0 + 100000;  // "no transaction" is not final yet
  h.txn.data["failed_checks_after_deadline"] = 1;
  h.in("verifying").feed("check.result", not_found());
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(get_int(h.txn.data, "failed_checks_after_deadline"), 0);
}

TEST_F(FlexPayCard, ReconcileFromUnknownChecksAgain) {
  h.txn.provider_refs["orderNumber"] = kOrder;
  h.txn.data["failed_checks_after_deadline"] = 5;
  h.in("unknown").feed("transaction.reconcile", {{"command_id", "rec-1"}}, InputKind::command);
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(get_int(h.txn.data, "failed_checks_after_deadline"), 0);
  expect_check_call();
  EXPECT_NE(h.timer("timer.poll"), nullptr);
  expect_event("verifying", "processing");
}

TEST_F(FlexPayCard, CallbackInUnknownChecksAgain) {
  h.txn.provider_refs["orderNumber"] = kOrder;
  h.in("unknown").feed("flexpay.callback", callback("0"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");
  expect_check_call();
  expect_event("verifying", "processing");
}

TEST_F(FlexPayCard, UnknownIsNotFinal) {
  h.in("unknown");
  EXPECT_EQ(h.feed("check.result", check("0")).outcome, Outcome::rejected);  // reconcile first
  EXPECT_EQ(h.txn.state, "unknown");
}

// ---- item: awaiting_customer checks slowly ------------------------------------------------------

TEST_F(FlexPayCard, PollWhileAwaitingChecks) {
  h.txn.provider_refs["orderNumber"] = kOrder;
  h.in("awaiting_customer").feed("timer.poll", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  expect_check_call();
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, CheckWhileAwaitingFindsThePaymentWithoutACallback) {
  h.in("awaiting_customer").feed("check.result", check("0"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(get_int(h.txn.data, "amount_customer"), 306);
  expect_event("succeeded", "succeeded");
}

TEST_F(FlexPayCard, CheckWhileAwaitingWithAnotherAmountFails) {
  h.in("awaiting_customer").feed("check.result", check("0", 3));
  EXPECT_EQ(h.txn.state, "failed");
  expect_event("failed", "failed");
}

TEST_F(FlexPayCard, FailureSeenWhileAwaitingIsConfirmedOnceMore) {
  h.in("awaiting_customer").feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "verifying");
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 5000);
  expect_event("verifying", "processing");
  // The cancel callback sent at the same time arrives before the confirming check.
  json::object cancel = callback("2");
  cancel["customer_cancelled"] = true;  // the adapter's mark for code 2
  h.feed("flexpay.callback", cancel, InputKind::webhook);
  h.feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "cancelled");
}

TEST_F(FlexPayCard, NothingYetWhileAwaitingChecksAgainSlowly) {
  h.settings.set("awaiting_poll_interval_ms", 30000);
  h.settings.set("awaiting_poll_max_interval_ms", 100000);
  h.txn.data["failed_checks_after_deadline"] = 2;
  h.in("awaiting_customer");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    h.feed("check.result", i % 2 ? check("2") : not_found());
    EXPECT_EQ(h.txn.state, "awaiting_customer");
    ASSERT_NE(h.timer("timer.poll"), nullptr);
    delays.push_back(h.timer("timer.poll")->due_at_ms - kT0);
    EXPECT_TRUE(h.effects.events.empty());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30000, 60000, 100000, 100000}));
  EXPECT_EQ(get_int(h.txn.data, "failed_checks_after_deadline"), 0);
}

TEST_F(FlexPayCard, FailedCheckWhileAwaitingChecksLaterSlowly) {
  h.in("awaiting_customer").feed("call.failed", {{"op", "check"}});
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 30000);
  EXPECT_TRUE(h.effects.calls.empty());
}

// ---- item: the customer's cancel ends cancelled -------------------------------------------------

TEST_F(FlexPayCard, CancelCallbackIsRememberedAsAHint) {
  json::object cancel = callback("2");
  cancel["customer_cancelled"] = true;  // the adapter's mark for code 2 and the cancel_url return
  h.in("awaiting_customer").feed("flexpay.callback", cancel, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");  // the check decides, as for any callback
  EXPECT_TRUE(get_bool(h.txn.data, "customer_cancelled"));
  expect_check_call();
}

TEST_F(FlexPayCard, FailedCheckAfterTheCustomerCancelledEndsCancelled) {
  h.txn.data["customer_cancelled"] = true;
  h.in("verifying").feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "cancelled");
  EXPECT_EQ(h.txn.reason.as_string(), "the customer cancelled on FlexPay's page (FlexPay check: did not go through)");
  expect_event("cancelled", "cancelled");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
}

TEST_F(FlexPayCard, ACancelHintNeverOutweighsAPaidCheck) {
  h.txn.data["customer_cancelled"] = true;
  h.in("verifying").feed("check.result", check("0"));
  EXPECT_EQ(h.txn.state, "succeeded");
}

}  // namespace
}  // namespace corridor
