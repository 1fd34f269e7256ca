// One test per row of flexpay.card (seed 001_4098339f3fd8c036.txt).
#include "statemachines/flexpay_card.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;
using testing::make_input;

json::object pay_answer() {
  return {{"code", "0"}, {"message", "Redirection"}, {"orderNumber", "9bsTX7qXdpQe243815877848"},
          {"url", "https://cardpayment.flexpay.cd/pay/9bsTX7qXdpQe243815877848"}};
}
json::object callback(std::string_view code = "0") {
  return {{"code", code}, {"reference", "tx_test"}, {"provider_reference", "7KI81020PHS"},
          {"orderNumber", "9bsTX7qXdpQe243815877848"}};
}
// As the adapter hands it over: FlexPay's body, amounts as decimal text ("3.00"); amountCustomer adds
// 2 % of fees.
json::object check(std::string_view status, std::int64_t amount_minor = 300, std::string_view currency = "USD") {
  return {{"code", "0"},
          {"message", "Une transaction trouvée"},
          {"transaction",
           {{"orderNumber", "9bsTX7qXdpQe243815877848"}, {"reference", "tx_test"},
            {"amount", format_decimal_amount(amount_minor, 2)},
            {"amountCustomer", format_decimal_amount(amount_minor + amount_minor / 50, 2)}, {"currency", currency},
            {"createdAt", "06-02-2021 17:32:46"}, {"status", status}}}};
}
FlexPayCardData& data_of(Transaction& t) { return t.data.as<FlexPayCardData>(); }
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
    EXPECT_EQ(h.effects.calls[0].params.text("orderNumber"), "9bsTX7qXdpQe243815877848");
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
  EXPECT_EQ(call.params.text("reference"), "tx_test");
  EXPECT_EQ(get_int(*get_object(call.params.object(), "amount"), "value"), 300);
  EXPECT_EQ(get_string(*get_object(call.params.object(), "amount"), "currency"), "USD");
  EXPECT_EQ(call.params.text("description"), "test payment");
  EXPECT_FALSE(call.params.object().contains("card"));  // FlexPay's page takes the card, not corridor
  ASSERT_NE(h.timer("timer.payment_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.payment_expired")->due_at_ms, kT0 + 600000);
  EXPECT_EQ(data_of(h.txn).payment_deadline_ms, kT0 + 600000);
  expect_event("payment_requested", "pending");
}

TEST_F(FlexPayCard, PayAnswerRedirectsTheCustomer) {
  h.settings.set("awaiting_poll_interval_ms", 20000);
  h.in("payment_requested").feed("pay.accepted", pay_answer());
  ASSERT_NE(h.timer("timer.poll"), nullptr);  // no callback may ever come: check slowly meanwhile
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 20000);
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  EXPECT_EQ(h.txn.provider_refs.find("orderNumber"), "9bsTX7qXdpQe243815877848");
  EXPECT_EQ(h.txn.next_action.value().type, "redirect");
  EXPECT_EQ(h.txn.next_action.value().url, "https://cardpayment.flexpay.cd/pay/9bsTX7qXdpQe243815877848");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("awaiting_customer", "requires_action");
}

TEST_F(FlexPayCard, RefusedPayRequestFails) {
  h.in("payment_requested").feed("pay.rejected", {{"code", "1"}, {"message", "Marchand inconnu"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "payment request refused by FlexPay: Marchand inconnu");
  expect_event("failed", "failed");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
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
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tx_test");
  EXPECT_EQ(h.txn.state, "payment_requested");
}

// The callback overtook the pay answer: kept as a hint, nothing moves; FlexPay is asked about the
// order its own pay answer gives, as soon as it gives it.
TEST_F(FlexPayCard, CallbackBeforeThePayAnswerIsCheckedOnceThePayAnswerComes) {
  h.in("payment_requested").feed("flexpay.callback", callback(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "payment_requested");
  EXPECT_EQ(data_of(h.txn).callback_seen, true);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_FALSE(h.txn.provider_refs.contains("orderNumber"));
  h.feed("pay.accepted", pay_answer());
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  expect_check_call();
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 5000);  // the verifying pace: something happened
}

TEST_F(FlexPayCard, NoPageBeforeTheDelayExpiresProvisionally) {
  h.in("payment_requested").feed("timer.payment_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("expired", "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");  // corridor's clock, not FlexPay's word
}

// The callback is unsigned: it moves nothing and hides nothing. The payment page stays the next
// action and the state stays until FlexPay's check agrees.
TEST_F(FlexPayCard, UnsignedCallbackOnlyTriggersACheck) {
  h.in("payment_requested").feed("pay.accepted", pay_answer());
  const std::optional<NextAction> page = h.txn.next_action;
  const std::int64_t version = h.txn.version;
  h.feed("flexpay.callback", callback("0"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "awaiting_customer");  // never verifying, let alone succeeded, on its word
  EXPECT_EQ(h.txn.next_action, page);
  EXPECT_EQ(h.txn.version, version);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_EQ(data_of(h.txn).callback_code, "0");
  expect_check_call();
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 5000);
}

// A forged "paid" callback for a payment nobody made: FlexPay's check finds nothing and the customer
// still has the page.
TEST_F(FlexPayCard, AForgedCallbackLeavesThePaymentPageInPlace) {
  data_of(h.txn).payment_deadline_ms = kT0 + 600000;
  h.in("payment_requested").feed("pay.accepted", pay_answer());
  const std::optional<NextAction> page = h.txn.next_action;
  h.feed("flexpay.callback", callback("0"), InputKind::webhook);
  h.feed("check.result", not_found());
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  EXPECT_EQ(h.txn.next_action, page);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_NE(h.timer("timer.poll"), nullptr);
}

TEST_F(FlexPayCard, DelayPassingWhileAwaitingIsChecked) {
  h.txn.provider_refs.set({"orderNumber"}, "9bsTX7qXdpQe243815877848");
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
  EXPECT_EQ(h.txn.provider_refs.find("provider_reference"), "7KI81020PHS");
  EXPECT_EQ(data_of(h.txn).amount_customer, 306);
  expect_event("succeeded", "succeeded");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
}

TEST_F(FlexPayCard, CheckStatusOneFails) {
  h.in("verifying").feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "FlexPay check: the transaction did not go through");
  expect_event("failed", "failed");
}

TEST_F(FlexPayCard, NoTransactionAfterTheDelayExpires) {
  data_of(h.txn).payment_deadline_ms = kT0;
  h.in("verifying").feed("check.result", not_found());
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(), "payment delay passed and FlexPay has no transaction");
  expect_event("expired", "expired");
}

TEST_F(FlexPayCard, NoTransactionYetPollsAgainWithBackoff) {
  h.settings.set("poll_interval_ms", 5000);
  h.settings.set("poll_max_interval_ms", 12000);
  data_of(h.txn).payment_deadline_ms = kT0 + 100000;
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
  h.txn.provider_refs.set({"orderNumber"}, "9bsTX7qXdpQe243815877848");
  h.in("verifying").feed("timer.poll", {}, InputKind::timer);
  expect_check_call();
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, DelayPassingWhileVerifyingChecksNow) {
  h.txn.provider_refs.set({"orderNumber"}, "9bsTX7qXdpQe243815877848");
  h.in("verifying").feed("timer.payment_expired", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "verifying");
  expect_check_call();
}

TEST_F(FlexPayCard, CallbackWhileVerifyingChecksAgain) {
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  h.in("verifying").feed("flexpay.callback", callback("1"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "verifying");  // a failure code is not trusted either
  EXPECT_EQ(data_of(h.txn).callback_code, "1");
  expect_check_call();
  EXPECT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, PayAnswerAfterTheCallbackKeepsTheOrderNumber) {
  h.in("verifying").feed("pay.accepted", pay_answer());
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(h.txn.provider_refs.find("orderNumber"), "9bsTX7qXdpQe243815877848");
  EXPECT_FALSE(h.txn.next_action.has_value());  // too late to redirect
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
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  EXPECT_EQ(h.txn.provider_refs.find("orderNumber"), kOrder);
  expect_check_call();  // FlexPay is asked about the real order
}

TEST_F(FlexPayCard, CallbackWhileVerifyingKeepsTheRecordedOrderNumber) {
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  json::object forged = callback("0");
  forged["orderNumber"] = "FORGED";
  h.in("verifying").feed("flexpay.callback", forged, InputKind::webhook);
  EXPECT_EQ(h.txn.provider_refs.find("orderNumber"), kOrder);
  expect_check_call();
}

TEST_F(FlexPayCard, ACallbacksOrderNumberIsNeverTaken) {
  json::object forged = callback("0");
  forged["orderNumber"] = "FORGED";
  h.in("payment_requested").feed("flexpay.callback", forged, InputKind::webhook);
  EXPECT_FALSE(h.txn.provider_refs.contains("orderNumber"));
  h.feed("pay.accepted", pay_answer());
  EXPECT_EQ(h.txn.provider_refs.find("orderNumber"), kOrder);
  expect_check_call();  // about FlexPay's own order
}

// ---- item: the amount paid is compared ----------------------------------------------------------

TEST_F(FlexPayCard, CheckWithAnotherAmountIsAnAmountMismatch) {
  h.in("verifying").feed("check.result", check("0", 299));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "FlexPay's check reports 2.99 USD, corridor asked 3.00 USD");
  EXPECT_FALSE(h.txn.provider_refs.contains("provider_reference"));
  expect_event("amount_mismatch", "amount_mismatch");
  const StateChangedEvent& e = h.effects.events[0];
  EXPECT_EQ(e.attention, attention::kAmountMismatch);
  ASSERT_TRUE(e.provider_amount.has_value());
  EXPECT_EQ(*e.provider_amount, (Money{299, "USD"}));
  EXPECT_EQ(e.amount, (Money{300, "USD"}));
}

TEST_F(FlexPayCard, CheckWithAnotherCurrencyIsAnAmountMismatch) {
  h.in("verifying").feed("check.result", check("0", 300, "CDF"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "FlexPay's check reports 3.00 CDF, corridor asked 3.00 USD");
}

TEST_F(FlexPayCard, CheckWithoutAReadableAmountIsNotAcceptedAsPaid) {
  for (json::value amount : {json::value(nullptr), json::value("3,00"), json::value(3.0), json::value("3.001")}) {
    SCOPED_TRACE(boost::json::serialize(amount));
    Harness x{flexpay_card_flow(), Money{300, "USD"}};
    json::object answer = check("0");
    if (amount.is_null()) {
      answer["transaction"].as_object().erase("amount");
    } else {
      answer["transaction"].as_object()["amount"] = amount;
    }
    x.in("verifying").feed("check.result", answer);
    EXPECT_EQ(x.txn.state, "amount_mismatch");
    EXPECT_EQ(x.txn.reason.value(), "FlexPay's check reports no readable amount, corridor asked 3.00 USD");
  }
}

// FlexPay writes "50.0" for 50.00 and may send a whole number: the same amount either way.
TEST_F(FlexPayCard, AmountsAreComparedExactlyWhateverTheirWriting) {
  for (json::value amount : {json::value("3.0"), json::value("3"), json::value(3), json::value("3.00")}) {
    SCOPED_TRACE(boost::json::serialize(amount));
    Harness x{flexpay_card_flow(), Money{300, "USD"}};
    json::object answer = check("0");
    answer["transaction"].as_object()["amount"] = amount;
    x.in("verifying").feed("check.result", answer);
    EXPECT_EQ(x.txn.state, "succeeded");
  }
}

// Whatever the status: a transaction FlexPay holds for another amount is not this payment as asked.
TEST_F(FlexPayCard, AFailedOrPendingTransactionForAnotherAmountIsAnAmountMismatch) {
  for (std::string_view status : {"1", "2"}) {
    Harness x{flexpay_card_flow(), Money{300, "USD"}};
    x.in("verifying").feed("check.result", check(status, 30000));
    EXPECT_EQ(x.txn.state, "amount_mismatch") << status;
  }
}

// ---- item: a check that keeps failing ends unknown ----------------------------------------------

TEST_F(FlexPayCard, FailedChecksAfterTheDelayEndUnknown) {
  h.settings.set("max_failed_checks", 3);
  data_of(h.txn).payment_deadline_ms = kT0 - 1;
  h.in("verifying");
  for (int i = 0; i < 2; ++i) {
    h.feed("call.failed", {{"op", "check"}, {"error", "HTTP 401"}});
    EXPECT_EQ(h.txn.state, "verifying");
    EXPECT_NE(h.timer("timer.poll"), nullptr);
  }
  h.feed("call.failed", {{"op", "check"}, {"error", "HTTP 401"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "FlexPay's check kept failing after the payment delay: outcome unknown, reconcile: HTTP 401");
  EXPECT_EQ(data_of(h.txn).failed_checks_after_deadline, 3);
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("unknown", "unknown");
}

TEST_F(FlexPayCard, FailedChecksBeforeTheDelayDoNotCount) {
  h.settings.set("max_failed_checks", 1);
  data_of(h.txn).payment_deadline_ms = kT0 + 1;
  h.in("verifying").feed("call.failed", {{"op", "check"}});
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(data_of(h.txn).failed_checks_after_deadline.value_or(0), 0);
}

TEST_F(FlexPayCard, AnAnsweredCheckStartsTheFailureCountOver) {
  h.settings.set("max_failed_checks", 2);
  data_of(h.txn).payment_deadline_ms = kT0 + 100000;  // "no transaction" is not final yet
  data_of(h.txn).failed_checks_after_deadline = 1;
  h.in("verifying").feed("check.result", not_found());
  EXPECT_EQ(h.txn.state, "verifying");
  EXPECT_EQ(data_of(h.txn).failed_checks_after_deadline, 0);
}

// In unknown the janitor paces the asks: a reconcile is one check, with no polling and no event, so
// nothing loops from unknown; the answer decides.
TEST_F(FlexPayCard, ReconcileFromUnknownChecksOnce) {
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  h.in("unknown").feed("transaction.reconcile", {{"command_id", "rec-1"}}, InputKind::command);
  EXPECT_EQ(h.txn.state, "unknown");
  expect_check_call();
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, CallbackInUnknownOnlyChecks) {
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  h.in("unknown").feed("flexpay.callback", callback("0"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "unknown");
  expect_check_call();
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(FlexPayCard, UnknownSettlesOnTheChecksAnswer) {
  struct Case {
    json::object answer;
    bool cancelled_hint;
    std::string_view state;
  };
  const std::vector<Case> cases = {{check("0"), false, "succeeded"},
                                   {check("1"), false, "failed"},
                                   {check("1"), true, "cancelled"},
                                   {check("0", 3), false, "amount_mismatch"},
                                   {not_found(), false, "expired"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.state));
    Harness x{flexpay_card_flow(), Money{300, "USD"}};
    data_of(x.txn).payment_deadline_ms = kT0 - 1;
    if (c.cancelled_hint) data_of(x.txn).customer_cancelled = true;
    x.in("unknown").feed("check.result", c.answer);
    EXPECT_EQ(x.txn.state, c.state);
  }
}

TEST_F(FlexPayCard, UnknownExpiryOnNoTransactionIsProvisional) {
  data_of(h.txn).payment_deadline_ms = kT0 - 1;
  h.in("unknown").feed("check.result", not_found());
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(FlexPayCard, UnknownStillPendingOrUnreachableStaysQuietly) {
  h.in("unknown");
  h.feed("check.result", check("2"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.timers.empty());
  h.feed("call.failed", {{"op", "check"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_EQ(h.txn.rejected_inputs, 0);
}

// ---- item: awaiting_customer checks slowly ------------------------------------------------------

TEST_F(FlexPayCard, PollWhileAwaitingChecks) {
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  h.in("awaiting_customer").feed("timer.poll", {}, InputKind::timer);
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  expect_check_call();
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, CheckWhileAwaitingFindsThePaymentWithoutACallback) {
  h.in("awaiting_customer").feed("check.result", check("0"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(data_of(h.txn).amount_customer, 306);
  expect_event("succeeded", "succeeded");
}

TEST_F(FlexPayCard, CheckWhileAwaitingWithAnotherAmountIsAnAmountMismatch) {
  h.in("awaiting_customer").feed("check.result", check("0", 3));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  expect_event("amount_mismatch", "amount_mismatch");
  EXPECT_EQ(h.effects.events[0].attention, attention::kAmountMismatch);
}

// After a callback the check's status 1 is final at once: the callback already said why.
TEST_F(FlexPayCard, FailureAfterACallbackEndsWithoutAConfirmingCheck) {
  h.in("awaiting_customer").feed("flexpay.callback", callback("1"), InputKind::webhook);
  h.feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "FlexPay check: the transaction did not go through");
  expect_event("failed", "failed");
}

TEST_F(FlexPayCard, CancelAfterACancelCallbackEndsCancelled) {
  json::object cancel = callback("2");
  cancel["customer_cancelled"] = true;
  h.in("awaiting_customer").feed("flexpay.callback", cancel, InputKind::webhook);
  h.feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "cancelled");
  expect_event("cancelled", "cancelled");
}

TEST_F(FlexPayCard, AfterACallbackChecksGoOnAtTheVerifyingPace) {
  data_of(h.txn).callback_seen = true;
  data_of(h.txn).payment_deadline_ms = kT0 + 600000;
  h.in("awaiting_customer").feed("check.result", check("2"));
  EXPECT_EQ(h.txn.state, "awaiting_customer");
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 5000);
  h.feed("call.failed", {{"op", "check"}});
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 10000);
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
  data_of(h.txn).failed_checks_after_deadline = 2;
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
  EXPECT_EQ(data_of(h.txn).failed_checks_after_deadline, 0);
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
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  h.in("awaiting_customer").feed("flexpay.callback", cancel, InputKind::webhook);
  EXPECT_EQ(h.txn.state, "awaiting_customer");  // the check decides, as for any callback
  EXPECT_EQ(data_of(h.txn).customer_cancelled, true);
  expect_check_call();
}

TEST_F(FlexPayCard, FailedCheckAfterTheCustomerCancelledEndsCancelled) {
  data_of(h.txn).customer_cancelled = true;
  h.in("verifying").feed("check.result", check("1"));
  EXPECT_EQ(h.txn.state, "cancelled");
  EXPECT_EQ(h.txn.reason.value(), "the customer cancelled on FlexPay's page (FlexPay check: did not go through)");
  expect_event("cancelled", "cancelled");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
}

TEST_F(FlexPayCard, ACancelHintNeverOutweighsAPaidCheck) {
  data_of(h.txn).customer_cancelled = true;
  h.in("verifying").feed("check.result", check("0"));
  EXPECT_EQ(h.txn.state, "succeeded");
}

// ---- item: calls that never left ------------------------------------------------------------------

// The adapter refuses the pay request (a currency FlexPay does not take) before anything is sent:
// the payment failed, with the adapter's reason, and nothing is retried.
TEST_F(FlexPayCard, PayRefusedBeforeSendFails) {
  h.in("payment_requested")
      .feed("call.failed", {{"op", "pay"},
                            {"error", "flexpay pay tx_test:1:pay: currency EUR is not accepted (CDF, USD)"},
                            {"sent", false},
                            {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(),
            "payment request refused before it was sent: flexpay pay tx_test:1:pay: currency EUR is not accepted (CDF, "
            "USD)");
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_FALSE(!h.txn.settled_by.empty());
  expect_event("failed", "failed");
}

TEST_F(FlexPayCard, PayNotSentIsRetriedUnderTheSameReference) {
  h.feed(h.create_input());
  const std::string first = h.call("pay")->call_id;
  h.feed("call.failed", {{"op", "pay"}, {"error", "circuit open for flexpay: not sent"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "payment_requested");
  EXPECT_TRUE(h.effects.events.empty());
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  h.feed("timer.retry", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
}

// ---- item: every wait and retry is bounded --------------------------------------------------------

TEST_F(FlexPayCard, PayRetriesBackOffAndStopAtTheirBudget) {
  h.settings.set("retry_after_ms", 1000);
  h.settings.set("max_retries", 3);
  h.in("payment_requested");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 3; ++i) {
    h.feed("call.failed", {{"op", "pay"}, {"error", "timeout"}});
    ASSERT_NE(h.timer("timer.retry"), nullptr);
    delays.push_back(h.timer("timer.retry")->due_at_ms - kT0);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 4000}));
  h.feed("call.failed", {{"op", "pay"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "payment_requested");  // nobody has a page: the payment delay decides
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(FlexPayCard, VerifyingChecksEndUnknownOnceTheirBudgetIsSpent) {
  h.settings.set("max_polls", 2);
  h.txn.provider_refs.set({"orderNumber"}, kOrder);
  h.in("awaiting_customer").feed("timer.payment_expired", {}, InputKind::timer);
  ASSERT_EQ(h.txn.state, "verifying");
  h.feed("check.result", check("2"));
  EXPECT_EQ(h.txn.state, "verifying");
  h.feed("check.result", check("2"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(), "FlexPay's check gave no outcome in max_polls checks: outcome unknown, reconcile");
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
}

TEST_F(FlexPayCard, FailedChecksWithinTheBudgetBeforeTheDelayAlsoEnd) {
  h.settings.set("max_polls", 2);
  data_of(h.txn).payment_deadline_ms = kT0 + 1;  // max_failed_checks does not count yet
  h.txn.poll_attempt = 2;
  h.in("verifying").feed("call.failed", {{"op", "check"}, {"error", "HTTP 401"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "FlexPay's check gave no outcome in max_polls checks: outcome unknown, reconcile: HTTP 401");
}

// FlexPay says "pending" (or nothing) for a month: corridor's events end. Every timer fires when due,
// every check answers status 2 or fails, no callback comes; the janitor runs on the default schedule.
TEST_F(FlexPayCard, AMonthOfPendingEndsInABoundedNumberOfEvents) {
  for (bool answers : {true, false}) {
    SCOPED_TRACE(answers ? "pending forever" : "no answer");
    Harness x{flexpay_card_flow(), Money{300, "USD"}};
    x.feed(x.create_input());
    const auto answer = answers ? +[](const ProviderCall& c) -> std::optional<std::pair<std::string, json::object>> {
      if (c.op == "pay") return std::pair{std::string("pay.accepted"), pay_answer()};
      return std::pair{std::string("check.result"), check("2")};
    }
                                : +[](const ProviderCall& c) -> std::optional<std::pair<std::string, json::object>> {
      if (c.op == "pay") return std::pair{std::string("pay.accepted"), pay_answer()};
      return std::nullopt;
    };
    const std::size_t events = testing::run_unattended(x, answer, kT0 + 31LL * 86400000);
    EXPECT_EQ(x.txn.state, "unknown");
    EXPECT_LE(events, 6u);
  }
}

// ---- item: late outcomes --------------------------------------------------------------------------

class FlexPayLateOutcome : public FlexPayCard {
 protected:
  // The delay passed, the last check found no transaction: corridor expires on its own clock.
  void expire_on_corridors_clock() {
    h.txn.provider_refs.set({"orderNumber"}, kOrder);
    data_of(h.txn).payment_deadline_ms = kT0 - 1;
    h.in("verifying").feed("check.result", not_found());
    ASSERT_EQ(h.txn.state, "expired");
    ASSERT_EQ(h.txn.settled_by, "corridor");
    version = h.txn.version;
  }
  std::int64_t version = 0;
};

// A check still in flight when corridor expired the payment answers "paid": FlexPay's word wins.
TEST_F(FlexPayLateOutcome, APaidCheckAfterCorridorsExpiryReplacesIt) {
  expire_on_corridors_clock();
  h.feed(make_input("check.result", check("0"), kT0 + 5000, InputKind::provider_response, "late-check"));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].previous_state, "expired");
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
  EXPECT_EQ(h.txn.reason.value(), "succeeded by the provider after corridor's own deadline had made it expired");
}

TEST_F(FlexPayLateOutcome, ALateCheckWithAnotherAmountEndsAmountMismatch) {
  expire_on_corridors_clock();
  h.feed(make_input("check.result", check("0", 250), kT0 + 5000, InputKind::provider_response, "late-check"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
  ASSERT_TRUE(h.effects.events[0].provider_amount.has_value());
  EXPECT_EQ(h.effects.events[0].provider_amount->value, 250);
}

// corridor reconcile on the expired payment asks FlexPay (the check of the state it settled from);
// the answer decides.
TEST_F(FlexPayLateOutcome, AReconcileAfterCorridorsExpiryAsksAndTheAnswerDecides) {
  expire_on_corridors_clock();
  h.feed(make_input("transaction.reconcile", {}, kT0 + 5000, InputKind::command, "cmd:rc"));
  expect_check_call();
  const std::string call_id = h.effects.calls[0].answer_input_id();
  h.feed(make_input("check.result", check("1"), kT0 + 6000, InputKind::provider_response, call_id));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

// An unsigned callback after corridor's expiry only asks, as it does before: the payment stays expired
// until FlexPay's check answers, and the check's answer decides.
TEST_F(FlexPayLateOutcome, ALateCallbackIsAnnouncedAndTheCheckDecides) {
  expire_on_corridors_clock();
  h.feed(make_input("flexpay.callback", {{"code", "0"}, {"reference", "tx_test"}, {"orderNumber", kOrder}}, kT0 + 5000,
                    InputKind::webhook, "webhook:flexpay:cb"));
  EXPECT_EQ(h.txn.state, "expired");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateInput);
  expect_check_call();
  const std::string call_id = h.effects.calls[0].answer_input_id();
  h.feed(make_input("check.result", check("0"), kT0 + 6000, InputKind::provider_response, call_id));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

TEST_F(FlexPayLateOutcome, AnExpiryWithoutAPageIsProvisionalToo) {
  h.in("payment_requested").feed("timer.payment_expired", {}, InputKind::timer);
  ASSERT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
  EXPECT_EQ(h.txn.settled_from, "payment_requested");
}

TEST_F(FlexPayLateOutcome, AContradictionOfFlexPaysOwnOutcomeIsDisputed) {
  h.in("verifying").feed("check.result", check("1"));
  ASSERT_EQ(h.txn.state, "failed");
  const std::int64_t v = h.txn.version;
  h.feed(make_input("check.result", check("0"), kT0 + 5000, InputKind::provider_response, "later"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.version, v + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
}

// A document stored before the flow had a struct (tests/golden/states.v1.jsonl, GOLDEN-flexpay-cancelled,
// with the callback's reference and a key the struct does not have): every key reads into its member,
// whatever its place, and the unknown key is kept and written back after the flow's fields.
TEST(FlexPayCardData, AStoredDocumentOfTheEarlierFormReadsIntoTheStruct) {
  const std::string stored =
      R"({"txn_id":"tx_fc3b4yv4cuwapp74svh4stzifi","merchant":"ZANDO","reference":"GOLDEN-flexpay-cancelled",)"
      R"("provider":"flexpay","flow":"card","amount":{"value":1002,"currency":"USD"},"state":"cancelled","version":4,)"
      R"("seq":5,"provider_refs":{"orderNumber":"taI48SP5giRs303181302166"},)"
      R"("data":{"customer":{"name":"John Doe","country":"CD"},"description":"corridor demo",)"
      R"("pay_call_id":"tx_fc3b4yv4cuwapp74svh4stzifi:1:pay","payment_deadline_ms":1796431466669,"janitor_attempt":0,)"
      R"("poll_attempt":1,"callback_seen":true,"operator_note":{"by":"ops","ticket":[42,"x"]},"callback_code":"2",)"
      R"("customer_cancelled":true,"failed_checks_after_deadline":0,"amount_customer":1022,)"
      R"("callback_provider_reference":"ZIFVF0BM9A8","settled_from":"awaiting_customer"},)"
      R"json("next_action":null,"reason":"the customer cancelled on FlexPay's page (FlexPay check: did not go through)",)json"
      R"("created_at":"2026-12-05T00:44:23.669Z","updated_at":"2026-12-05T00:44:24.771Z","rejected_inputs":0,)"
      R"("last_rejection":null})";
  auto txn = transaction_from_json(boost::json::parse(stored));
  ASSERT_TRUE(txn) << txn.error().message;
  flexpay_card_flow().bind(*txn);
  const FlexPayCardData& d = data_of(*txn);
  EXPECT_EQ(d.pay_call_id, "tx_fc3b4yv4cuwapp74svh4stzifi:1:pay");
  EXPECT_EQ(d.payment_deadline_ms, std::optional<std::int64_t>(1796431466669));
  EXPECT_EQ(d.callback_seen, std::optional<bool>(true));
  EXPECT_EQ(d.callback_code, "2");
  EXPECT_EQ(d.callback_provider_reference, "ZIFVF0BM9A8");
  EXPECT_EQ(d.customer_cancelled, std::optional<bool>(true));
  EXPECT_EQ(d.failed_checks_after_deadline, std::optional<std::int64_t>(0));
  EXPECT_EQ(d.amount_customer, std::optional<std::int64_t>(1022));
  EXPECT_EQ(txn->poll_attempt, 1);
  EXPECT_EQ(txn->settled_from, "awaiting_customer");
  EXPECT_EQ(json_text(txn->data.unknown()), R"({"operator_note":{"by":"ops","ticket":[42,"x"]}})");
  EXPECT_EQ(json_text(data_json(*txn)),
            R"({"customer":{"name":"John Doe","country":"CD"},"description":"corridor demo","poll_attempt":1,)"
            R"("janitor_attempt":0,"settled_from":"awaiting_customer","pay_call_id":"tx_fc3b4yv4cuwapp74svh4stzifi:1:pay",)"
            R"("payment_deadline_ms":1796431466669,"callback_seen":true,"callback_code":"2",)"
            R"("callback_provider_reference":"ZIFVF0BM9A8","customer_cancelled":true,"failed_checks_after_deadline":0,)"
            R"("amount_customer":1022,"operator_note":{"by":"ops","ticket":[42,"x"]}})");

  // A document with no callback and no check (GOLDEN-flexpay-refused): the flags and the count stay
  // unset, read as false and 0, and nothing is added when it is written again.
  auto refused = transaction_from_json(boost::json::parse(
      R"({"txn_id":"tx_vrzmloihy2i27rena4kyyi6b7m","provider":"flexpay","flow":"card","state":"failed",)"
      R"("data":{"pay_call_id":"tx_vrzmloihy2i27rena4kyyi6b7m:1:pay","payment_deadline_ms":1796431466676,)"
      R"("janitor_attempt":0,"settled_from":"payment_requested"}})"));
  ASSERT_TRUE(refused) << refused.error().message;
  flexpay_card_flow().bind(*refused);
  const FlexPayCardData& e = data_of(*refused);
  EXPECT_EQ(e.payment_deadline_ms, std::optional<std::int64_t>(1796431466676));
  EXPECT_EQ(e.callback_seen, std::nullopt);
  EXPECT_EQ(e.customer_cancelled, std::nullopt);
  EXPECT_EQ(e.failed_checks_after_deadline, std::nullopt);
  EXPECT_EQ(e.amount_customer, std::nullopt);
  EXPECT_EQ(e.callback_code, "");
  EXPECT_TRUE(refused->data.unknown().empty());
  EXPECT_EQ(json_text(data_json(*refused)),
            R"({"janitor_attempt":0,"settled_from":"payment_requested",)"
            R"("pay_call_id":"tx_vrzmloihy2i27rena4kyyi6b7m:1:pay","payment_deadline_ms":1796431466676})");
}

}  // namespace
}  // namespace corridor
