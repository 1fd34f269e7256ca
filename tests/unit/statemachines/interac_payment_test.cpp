// One test per row of interac.payment (seed 004_65eeba9a99dbfec8.txt, Paysafe Interac e-Transfer).
#include "statemachines/interac_payment.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "statemachines/reconcile.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

InteracPaymentData& data_of(Harness& h) { return h.txn.data.as<InteracPaymentData>(); }

constexpr std::int64_t kTwoDaysAndAnHour = 2 * 86400000 + 3600000;

json::object handle(std::string_view status, std::string_view action = "REDIRECT") {
  return {{"id", "514b4cf1-8891-445d-9b58-e50ae02d8c3c"},
          {"amount", 54400},
          {"currencyCode", "CAD"},
          {"paymentType", "INTERAC_ETRANSFER"},
          {"paymentHandleToken", "PHEkR6gInY2NM05X"},
          {"merchantRefNum", "tx_test"},
          {"status", status},
          {"action", action},
          {"timeToLiveSeconds", 899},
          {"transactionType", "PAYMENT"},
          {"links", json::array{json::object{{"rel", "redirect_payment"}, {"href", "https://api.qa.paysafe.com/redirect?x=1"}}}}};
}
json::object payment(std::string_view status) {
  return {{"id", "568530f0-262a-453f-b681-1088195d9439"}, {"paymentHandleToken", "PHEkR6gInY2NM05X"},
          {"merchantRefNum", "tx_test"}, {"status", status}, {"amount", 54400}, {"settleWithAuth", true}};
}

class InteracPayment : public ::testing::Test {
 protected:
  Harness h{interac_payment_flow(), Money{54400, "CAD"}};

  void expect_event(std::string_view state, std::string_view status) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].state, state);
    EXPECT_EQ(to_string(h.effects.events[0].status), status);
  }
  void expect_stays(std::string_view state) {
    EXPECT_EQ(h.txn.state, state);
    EXPECT_TRUE(h.effects.events.empty());
  }
  void expect_payment_call() {
    ASSERT_EQ(h.effects.calls.size(), 1u);
    const auto& call = h.effects.calls[0];
    EXPECT_EQ(call.op, "create_payment");
    EXPECT_EQ(call.params.text("merchantRefNum"), "tx_test");
    EXPECT_EQ(call.params.text("paymentHandleToken"), "PHEkR6gInY2NM05X");
    EXPECT_TRUE(get_bool(call.params.object(), "settleWithAuth"));
    EXPECT_TRUE(get_bool(call.params.object(), "dupCheck"));
    EXPECT_EQ(get_int(*get_object(call.params.object(), "amount"), "value"), 54400);
    EXPECT_EQ(get_string(*get_object(call.params.object(), "amount"), "currency"), "CAD");
  }
  void expect_awaiting_payment() {
    EXPECT_EQ(h.txn.state, "payment_processing");
    ASSERT_NE(h.timer("timer.payment_deadline"), nullptr);
    EXPECT_EQ(h.timer("timer.payment_deadline")->due_at_ms, kT0 + kTwoDaysAndAnHour);
    ASSERT_NE(h.timer("timer.poll"), nullptr);
    EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 60000);
    EXPECT_TRUE(h.cancelled("timer.handle_expired"));
    expect_event("payment_processing", "processing");
  }
  void webhook(std::string name, json::object data = {}) { h.feed(std::move(name), std::move(data), InputKind::webhook); }
  void timer(std::string name) { h.feed(std::move(name), {}, InputKind::timer); }
};

// ---- created ----------------------------------------------------------------------------------

TEST_F(InteracPayment, UnknownModeFails) {
  h.feed(h.create_input({{"mode", "pull_money"}}));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "unknown mode 'pull_money': request_money or send_money");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, CreateRequestsAPaymentHandle) {
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "handle_requested");
  EXPECT_EQ(data_of(h).mode, "request_money");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const json::object p = h.effects.calls[0].params.object();
  EXPECT_EQ(h.effects.calls[0].op, "create_payment_handle");
  EXPECT_EQ(get_string(p, "merchantRefNum"), "tx_test");
  EXPECT_EQ(get_string(p, "transactionType"), "PAYMENT");
  EXPECT_EQ(get_string(p, "paymentType"), "INTERAC_ETRANSFER");
  EXPECT_EQ(get_string(p, "mode"), "REQUEST_MONEY");
  EXPECT_FALSE(p.contains("timeToLiveSeconds"));
  EXPECT_EQ(get_string(*get_object(p, "interacEtransfer"), "consumerId"), "john@example.com");
  EXPECT_EQ(get_string(*get_object(p, "interacEtransfer"), "type"), "EMAIL");
  EXPECT_EQ(get_int(*get_object(p, "amount"), "value"), 54400);
  expect_event("handle_requested", "pending");
}

TEST_F(InteracPayment, SendMoneyHandleCarriesItsTtlOf120SecondsAtLeast) {
  h.settings.set("send_money_ttl_seconds", 60);
  h.feed(h.create_input({{"mode", "send_money"}}));
  EXPECT_EQ(data_of(h).mode, "send_money");
  const json::object p = h.effects.calls.at(0).params.object();
  EXPECT_EQ(get_string(p, "mode"), "SEND_MONEY");
  EXPECT_EQ(get_int(p, "timeToLiveSeconds"), 120);
  Harness other{interac_payment_flow(), Money{54400, "CAD"}};
  other.feed(other.create_input({{"mode", "send_money"}}));
  EXPECT_EQ(get_int(other.effects.calls.at(0).params.object(), "timeToLiveSeconds"), 899);
}

// ---- handle_requested -------------------------------------------------------------------------

TEST_F(InteracPayment, FailedHandleIsDeclined) {
  h.in("handle_requested").feed("handle.created", handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
  expect_event("declined", "declined");
}

TEST_F(InteracPayment, HandlePayableAtOnceIsPaid) {
  h.in("handle_requested").feed("handle.created", handle("PAYABLE", "NONE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  EXPECT_EQ(h.txn.provider_refs.find("payment_handle_id"), "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
  expect_payment_call();
  EXPECT_EQ(data_of(h).payment_call_id, h.effects.calls[0].call_id);
  expect_event("handle_payable", "processing");
}

TEST_F(InteracPayment, SendMoneyHandleShowsInstructions) {
  data_of(h).mode = "send_money";
  json::object d = handle("INITIATED", "PAYABLE");
  d["interacEtransfer"] = {{"consumerId", "john@example.com"}, {"paymentReference", "CA1MRZ9Bxx"}};
  h.in("handle_requested").feed("handle.created", d);
  EXPECT_EQ(h.txn.state, "handle_initiated");
  ASSERT_TRUE(h.txn.next_action.has_value());
  const NextAction& next = *h.txn.next_action;
  EXPECT_EQ(next.type, "display_instructions");
  EXPECT_EQ(next.method, "interac_send_money");
  EXPECT_EQ(next.payment_reference, "CA1MRZ9Bxx");
  EXPECT_EQ(next.amount, (Money{54400, "CAD"}));
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 899000);
  ASSERT_NE(h.timer("timer.poll"), nullptr);  // the handle is read meanwhile: a lost webhook is not left to the TTL
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("handle_initiated", "requires_action");
}

TEST_F(InteracPayment, RequestMoneyHandleRedirects) {
  json::object d = handle("INITIATED");
  d["timeToLiveSeconds"] = 600;
  h.in("handle_requested").feed("handle.created", d);
  EXPECT_EQ(h.txn.state, "handle_initiated");
  EXPECT_EQ(h.txn.next_action.value().type, "redirect");
  EXPECT_EQ(h.txn.next_action.value().url, "https://api.qa.paysafe.com/redirect?x=1");
  EXPECT_EQ(h.txn.provider_refs.find("payment_handle_token"), "PHEkR6gInY2NM05X");
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 600000);
  EXPECT_EQ(data_of(h).handle_deadline_ms, kT0 + 600000);
  // A lost PAYMENT_HANDLE_PAYABLE is noticed by reading the handle, not only at the TTL.
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 60000);
  EXPECT_EQ(h.txn.poll_attempt.value_or(0), 1);
  expect_event("handle_initiated", "requires_action");
}

TEST_F(InteracPayment, RequestMoneyHandlePollBacksOffToItsCap) {
  h.settings.set("poll_interval_ms", 1000);
  h.settings.set("poll_max_interval_ms", 3000);
  h.in("handle_requested").feed("handle.created", handle("INITIATED"));
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  std::vector<std::int64_t> delays{h.timer("timer.poll")->due_at_ms - kT0};
  for (int i = 0; i < 3; ++i) {
    h.feed("timer.poll", {}, InputKind::timer);
    ASSERT_NE(h.call("get_payment_handle"), nullptr);
    EXPECT_EQ(h.call("get_payment_handle")->params.text("payment_handle_id"),
              h.txn.provider_refs.find("payment_handle_id"));
    h.feed("handle.status", handle("INITIATED"));
    EXPECT_EQ(h.txn.state, "handle_initiated");
    delays.push_back(h.timer("timer.poll")->due_at_ms - kT0);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 3000, 3000}));
}

TEST_F(InteracPayment, RefusedHandleFails) {
  h.in("handle_requested").feed("handle.rejected", {{"http_status", 400}, {"error", "5068 field error"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe refused the payment handle: 5068 field error");
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, HandleRequestWithoutAnswerFails) {
  h.in("handle_requested").feed("call.failed", {{"op", "create_payment_handle"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "failed");
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, PayableWebhookBeforeTheHandleResponseIsPaid) {
  h.in("handle_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  expect_payment_call();
}

TEST_F(InteracPayment, FailedWebhookBeforeTheHandleResponseIsDeclined) {
  h.in("handle_requested");
  webhook("PAYMENT_HANDLE_FAILED", handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
  expect_event("declined", "declined");
}

// ---- handle_initiated -------------------------------------------------------------------------

TEST_F(InteracPayment, PayableWebhookCallsPayments) {
  h.in("handle_requested").feed("handle.created", handle("INITIATED"));
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  expect_payment_call();
  // The handle's TTL still applies while /payments is out: its timer stays, the handle polls stop.
  EXPECT_FALSE(h.cancelled("timer.handle_expired"));
  EXPECT_EQ(h.timer("timer.handle_expired"), nullptr);  // armed at handle.created, not moved
  EXPECT_EQ(data_of(h).handle_deadline_ms, kT0 + 899000);
  EXPECT_TRUE(h.cancelled("timer.poll"));
  EXPECT_FALSE(h.txn.next_action.has_value());
  expect_event("handle_payable", "processing");
}

TEST_F(InteracPayment, SendMoneyInstructionsStayAfterPayable) {
  data_of(h).mode = "send_money";
  json::object d = handle("INITIATED", "PAYABLE");
  d["paymentReference"] = "CA1MRZ9Bxx";
  h.in("handle_requested").feed("handle.created", d);
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  EXPECT_EQ(h.txn.next_action.value().payment_reference, "CA1MRZ9Bxx");
  h.feed("payment.created", payment("PENDING"));
  EXPECT_EQ(h.txn.next_action.value().type, "display_instructions");
}

TEST_F(InteracPayment, HandleFailedWebhookIsDeclined) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_FAILED", handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.value(), "payment handle FAILED: the customer refused or did not finish the transfer");
  expect_event("declined", "declined");
}

TEST_F(InteracPayment, HandleExpiredWebhookExpires) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  expect_event("expired", "expired");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
}

TEST_F(InteracPayment, HandleCompletedWebhookAwaitsThePayment) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_COMPLETED", handle("COMPLETED"));
  expect_awaiting_payment();
}

TEST_F(InteracPayment, PaymentProcessingWebhookWithoutOurPaymentsCall) {
  h.in("handle_initiated");
  webhook("PAYMENT_PROCESSING", payment("PROCESSING"));
  expect_awaiting_payment();
  EXPECT_EQ(h.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
}

TEST_F(InteracPayment, PaymentCompletedWebhookWithoutOurPaymentsCall) {
  h.in("handle_initiated");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
  expect_event("completed", "succeeded");
}

TEST_F(InteracPayment, SettlementCompletedWhileInitiatedCompletes) {
  h.in("handle_initiated");
  webhook("SETTLEMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  expect_event("completed", "succeeded");
}

TEST_F(InteracPayment, PaymentFailedWhileInitiatedFails) {
  h.in("handle_initiated");
  webhook("PAYMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: PAYMENT_FAILED (the downstream PSP refused it, HTTP 402)");
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, PaymentErroredWhileInitiatedFails) {
  h.in("handle_initiated");
  webhook("PAYMENT_ERRORED", payment("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: PAYMENT_ERRORED");
}

TEST_F(InteracPayment, TtlTimerChecksTheHandle) {
  h.txn.poll_attempt = 3;
  h.txn.provider_refs.set({"payment_handle_id"}, "514b4cf1");
  h.in("handle_initiated");
  timer("timer.handle_expired");
  expect_stays("handle_initiated");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
  EXPECT_EQ(h.effects.calls[0].params.text("payment_handle_id"), "514b4cf1");
  EXPECT_EQ(h.effects.calls[0].params.text("merchantRefNum"), "tx_test");
  EXPECT_EQ(h.txn.poll_attempt.value_or(0), 0);
}

TEST_F(InteracPayment, PollTimerChecksTheHandle) {
  h.in("handle_initiated");
  timer("timer.poll");
  expect_stays("handle_initiated");
  ASSERT_NE(h.call("get_payment_handle"), nullptr);
}

TEST_F(InteracPayment, HandleCheckFailedIsDeclined) {
  h.in("handle_initiated").feed("handle.status", handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
}

TEST_F(InteracPayment, HandleCheckExpiredExpires) {
  h.in("handle_initiated").feed("handle.status", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(), "payment handle expired before it was used");
}

TEST_F(InteracPayment, HandleCheckPayableCallsPayments) {
  h.in("handle_initiated").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  expect_payment_call();
}

TEST_F(InteracPayment, HandleCheckCompletedAwaitsThePayment) {
  h.in("handle_initiated").feed("handle.status", handle("COMPLETED"));
  expect_awaiting_payment();
  EXPECT_EQ(h.txn.provider_refs.find("payment_handle_id"), "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
}

TEST_F(InteracPayment, HandleStillInitiatedAfterTtlAndGraceExpiresOnCorridorsClock) {
  h.settings.set("handle_expiry_grace_ms", 60000);
  data_of(h).handle_deadline_ms = kT0 - 60000;
  h.in("handle_initiated").feed("handle.status", handle("INITIATED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(),
            "the handle's TTL and Interac's 30 minutes passed and Paysafe still shows it INITIATED: expired on "
            "corridor's clock");
  // Provisional: Paysafe may still pay for the merchant, and its word then replaces the expiry.
  EXPECT_EQ(h.txn.settled_by, "corridor");
  EXPECT_EQ(h.txn.settled_from, "handle_initiated");
}

TEST_F(InteracPayment, HandleStillInitiatedWithinGracePollsAgain) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("handle_initiated").feed("handle.status", handle("INITIATED"));
  expect_stays("handle_initiated");
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 60000);
}

TEST_F(InteracPayment, HandleCheckFailureCallPollsAgain) {
  h.in("handle_initiated").feed("call.failed", {{"op", "get_payment_handle"}});
  expect_stays("handle_initiated");
  EXPECT_NE(h.timer("timer.poll"), nullptr);
}

TEST_F(InteracPayment, DuplicateHandleResponseChangesNothing) {
  h.in("handle_requested").feed("handle.created", handle("INITIATED"));
  h.feed("handle.created", handle("INITIATED"));
  expect_stays("handle_initiated");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

// ---- handle_payable ---------------------------------------------------------------------------

TEST_F(InteracPayment, PaymentCompletedAtOnce) {
  h.in("handle_payable").feed("payment.created", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
  expect_event("completed", "succeeded");
}

TEST_F(InteracPayment, PaymentFailedAtOnce) {
  h.in("handle_payable").feed("payment.created", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: payment FAILED");
}

TEST_F(InteracPayment, PaymentPendingAwaitsTheCustomer) {
  h.in("handle_payable").feed("payment.created", payment("PROCESSING"));
  expect_awaiting_payment();
  EXPECT_EQ(data_of(h).processing_deadline_ms, kT0 + kTwoDaysAndAnHour);
  EXPECT_TRUE(h.cancelled("timer.retry"));
}

TEST_F(InteracPayment, RefusedPaymentFails) {
  h.in("handle_payable").feed("payment.rejected", {{"http_status", 400}, {"error", "handle not PAYABLE"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe refused the payment: handle not PAYABLE");
}

TEST_F(InteracPayment, PaymentsCallWithoutAnswerIsRetriedLater) {
  h.in("handle_payable").feed("call.failed", {{"op", "create_payment"}});
  expect_stays("handle_payable");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
}

TEST_F(InteracPayment, PaymentsRetryReusesTheFirstCallId) {
  h.in("handle_requested").feed("handle.created", handle("PAYABLE"));
  const std::string first = h.call("create_payment")->call_id;
  h.feed("call.failed", {{"op", "create_payment"}});
  timer("timer.retry");
  expect_stays("handle_payable");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  expect_payment_call();
}

TEST_F(InteracPayment, ProcessingWebhookBeforeThePaymentsResponse) {
  h.in("handle_payable");
  webhook("PAYMENT_PROCESSING", payment("PROCESSING"));
  expect_awaiting_payment();
}

TEST_F(InteracPayment, CompletedWebhookBeforeThePaymentsResponse) {
  h.in("handle_payable");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracPayment, SettlementCompletedBeforeThePaymentsResponse) {
  h.in("handle_payable");
  webhook("SETTLEMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracPayment, PaymentFailedBeforeThePaymentsResponse) {
  h.in("handle_payable");
  webhook("PAYMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracPayment, PaymentErroredBeforeThePaymentsResponse) {
  h.in("handle_payable");
  webhook("PAYMENT_ERRORED", payment("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracPayment, HandleExpiredBeforeOurPaymentsCallReachedPaysafe) {
  h.in("handle_payable");
  webhook("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  expect_event("expired", "expired");
}

TEST_F(InteracPayment, DuplicatePayableWebhookDoesNotPayTwice) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  expect_stays("handle_payable");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracPayment, HandleCompletedWhilePaying) {
  h.in("handle_payable");
  webhook("PAYMENT_HANDLE_COMPLETED", handle("COMPLETED"));
  expect_stays("handle_payable");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracPayment, HandleResponseAfterItsPayableWebhook) {
  h.in("handle_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", json::object{{"id", "h1"}, {"paymentHandleToken", "PHEkR6gInY2NM05X"}, {"status", "PAYABLE"}});
  h.feed("handle.created", handle("PAYABLE"));
  expect_stays("handle_payable");
  EXPECT_EQ(h.txn.provider_refs.find("payment_handle_id"), "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
  EXPECT_TRUE(h.effects.calls.empty());  // paid once only
}

// ---- payment_processing -----------------------------------------------------------------------

TEST_F(InteracPayment, PaymentCompletedWebhookCompletes) {
  h.in("payment_processing");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  expect_event("completed", "succeeded");
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
}

TEST_F(InteracPayment, SettlementCompletedWebhookCompletes) {
  h.in("payment_processing");
  webhook("SETTLEMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracPayment, PaymentFailedAfterTwoDaysFails) {
  h.in("payment_processing");
  webhook("PAYMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, PaymentErroredWhileProcessingFails) {
  h.in("payment_processing");
  webhook("PAYMENT_ERRORED", payment("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracPayment, SettlementFailedFails) {
  h.in("payment_processing");
  webhook("SETTLEMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: SETTLEMENT_FAILED");
}

TEST_F(InteracPayment, SettlementErroredFails) {
  h.in("payment_processing");
  webhook("SETTLEMENT_ERRORED", payment("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracPayment, DuplicateProcessingWebhookChangesNothing) {
  h.in("payment_processing");
  webhook("PAYMENT_PROCESSING", payment("PROCESSING"));
  expect_stays("payment_processing");
  EXPECT_TRUE(h.effects.timers.empty());
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracPayment, LatePaymentsResponseSaysCompleted) {
  h.in("payment_processing").feed("payment.created", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracPayment, LatePaymentsResponseKeepsThePaymentId) {
  h.in("payment_processing").feed("payment.created", payment("PROCESSING"));
  expect_stays("payment_processing");
  EXPECT_EQ(h.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
}

TEST_F(InteracPayment, LateHandleCompletedWebhookChangesNothing) {
  h.in("payment_processing");
  webhook("PAYMENT_HANDLE_COMPLETED", handle("COMPLETED"));
  expect_stays("payment_processing");
}

TEST_F(InteracPayment, LatePayableWebhookDoesNotPayAgain) {
  h.in("payment_processing");
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  expect_stays("payment_processing");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracPayment, PollTimerGetsThePayment) {
  h.txn.provider_refs.set({"payment_id"}, "568530f0");
  h.in("payment_processing");
  timer("timer.poll");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment");
  EXPECT_EQ(h.effects.calls[0].params.text("payment_id"), "568530f0");
  EXPECT_EQ(h.effects.calls[0].params.text("merchantRefNum"), "tx_test");
}

TEST_F(InteracPayment, TwoDayTimerMakesALastCheck) {
  h.in("payment_processing");
  timer("timer.payment_deadline");
  expect_stays("payment_processing");
  ASSERT_NE(h.call("get_payment"), nullptr);
}

TEST_F(InteracPayment, CheckSaysCompleted) {
  h.in("payment_processing").feed("payment.status", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracPayment, CheckSaysFailed) {
  h.in("payment_processing").feed("payment.status", payment("CANCELLED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: payment CANCELLED");
}

// Seed: "Deux jours plus tard, nous marquerons l'échec de la transaction et vous recevrez la
// notification PAYMENT_FAILED". Paysafe marks the failure; corridor never does on its own clock while
// Paysafe answers PROCESSING.
TEST_F(InteracPayment, StillProcessingAfterTwoDaysIsUnknownNeverFailed) {
  h.in("handle_payable").feed("payment.created", payment("PROCESSING"));
  h.now = kT0 + kTwoDaysAndAnHour;
  h.feed("payment.status", payment("PROCESSING"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "still PROCESSING two days after /payments: Paysafe marks such a payment failed and sends PAYMENT_FAILED; "
            "corridor waits for its word (reconciliation)");
  expect_event("unknown", "unknown");
  EXPECT_EQ(h.effects.events[0].attention, attention::kOutcomeUnknown);
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(h.timer("timer.poll"), nullptr);  // no wait of its own: the janitor asks
  EXPECT_TRUE(h.cancelled("timer.poll"));
  EXPECT_TRUE(h.cancelled("timer.payment_deadline"));
  // Paysafe's PAYMENT_FAILED then decides.
  webhook("PAYMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_FALSE(!h.txn.settled_by.empty());
}

TEST_F(InteracPayment, StillProcessingPollsAgainWithCappedBackoff) {
  h.settings.set("poll_interval_ms", 60000);
  h.settings.set("poll_max_interval_ms", 200000);
  data_of(h).processing_deadline_ms = kT0 + kTwoDaysAndAnHour;
  h.in("payment_processing");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    h.feed("payment.status", payment("PROCESSING"));
    expect_stays("payment_processing");
    delays.push_back(h.timer("timer.poll")->due_at_ms - kT0);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{60000, 120000, 200000, 200000}));
}

TEST_F(InteracPayment, PaymentCheckFailurePollsAgain) {
  h.in("payment_processing").feed("call.failed", {{"op", "get_payment"}});
  expect_stays("payment_processing");
  EXPECT_NE(h.timer("timer.poll"), nullptr);
}

// ---- late inputs on final states --------------------------------------------------------------

TEST_F(InteracPayment, PayableAfterTheHandleExpiredIsAbsorbed) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"));
  auto r = h.feed("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracPayment, StaleHandleTimerAfterPaymentIsIgnored) {
  h.in("payment_processing");
  EXPECT_EQ(h.feed("timer.handle_expired", {}, InputKind::timer).outcome, Outcome::stale_timer);
}


// ---- issue 12: a call that never left, bounded waits and retries -------------------------------

TEST_F(InteracPayment, HandleRequestRefusedBeforeSendFailsWithTheAdaptersReason) {
  h.in("handle_requested")
      .feed("call.failed", {{"op", "create_payment_handle"},
                            {"error", "interac create_payment_handle: unknown currency 'XYZ'"},
                            {"sent", false},
                            {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(),
            "the payment handle request could not be sent: interac create_payment_handle: unknown currency 'XYZ'");
  EXPECT_FALSE(!h.txn.settled_by.empty());  // nothing left corridor: nothing can say otherwise
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, HandleRequestNotSentIsSentAgainUnderItsFirstId) {
  h.feed(h.create_input());
  const std::string first = h.call("create_payment_handle")->call_id;
  h.feed("call.failed", {{"op", "create_payment_handle"}, {"error", "circuit open for interac: not sent"}, {"sent", false}});
  expect_stays("handle_requested");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
  timer("timer.retry");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "create_payment_handle");
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_EQ(h.effects.calls[0].params.text("merchantRefNum"), "tx_test");
}

TEST_F(InteracPayment, HandleRequestNotSentAfterItsBudgetFails) {
  h.settings.set("max_retries", 2);
  h.txn.retry_attempt = 2;
  h.in("handle_requested").feed("call.failed", {{"op", "create_payment_handle"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracPayment, HandleRequestWithoutAnswerFailsOnCorridorsClock) {
  h.in("handle_requested").feed("call.failed", {{"op", "create_payment_handle"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "no answer to the payment handle request; the customer never got a link: timeout");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(InteracPayment, ReconcileWhileTheHandleRequestIsOutLooksTheHandleUp) {
  h.in("handle_requested").feed("transaction.reconcile", {}, InputKind::command);
  expect_stays("handle_requested");
  ASSERT_NE(h.call("get_payment_handle"), nullptr);
  EXPECT_EQ(h.call("get_payment_handle")->params.text("payment_handle_id"), "");
  EXPECT_EQ(h.call("get_payment_handle")->params.text("merchantRefNum"), "tx_test");
}

TEST_F(InteracPayment, HandleFoundByLookUpRedirects) {
  h.in("handle_requested").feed("handle.status", handle("INITIATED"));
  EXPECT_EQ(h.txn.state, "handle_initiated");
  EXPECT_EQ(h.txn.next_action.value().type, "redirect");
  EXPECT_NE(h.timer("timer.handle_expired"), nullptr);
}

TEST_F(InteracPayment, HandleFoundByLookUpPayableIsPaid) {
  h.in("handle_requested").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  expect_payment_call();
}

TEST_F(InteracPayment, HandleFoundByLookUpExpiredOrFailedOrUsed) {
  h.in("handle_requested").feed("handle.status", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  Harness failed{interac_payment_flow(), Money{54400, "CAD"}};
  failed.in("handle_requested").feed("handle.status", handle("FAILED"));
  EXPECT_EQ(failed.txn.state, "declined");
  Harness used{interac_payment_flow(), Money{54400, "CAD"}};
  used.in("handle_requested").feed("handle.status", handle("COMPLETED"));
  EXPECT_EQ(used.txn.state, "payment_processing");
}

TEST_F(InteracPayment, LookUpThatFindsNoHandleWaitsForTheRequestsAnswer) {
  h.in("handle_requested").feed("call.failed", {{"op", "get_payment_handle"}, {"not_found", true}});
  expect_stays("handle_requested");
  EXPECT_EQ(h.txn.rejected_inputs, 0);
}

TEST_F(InteracPayment, PaysafesOutcomeBeforeTheHandleResponse) {
  h.in("handle_requested");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  for (std::string_view event : {"PAYMENT_FAILED", "PAYMENT_ERRORED"}) {
    Harness other{interac_payment_flow(), Money{54400, "CAD"}};
    other.in("handle_requested").feed(std::string(event), payment("FAILED"), InputKind::webhook);
    EXPECT_EQ(other.txn.state, "failed") << event;
  }
  Harness processing{interac_payment_flow(), Money{54400, "CAD"}};
  processing.in("handle_requested").feed("PAYMENT_PROCESSING", payment("PROCESSING"), InputKind::webhook);
  EXPECT_EQ(processing.txn.state, "payment_processing");
  Harness expired{interac_payment_flow(), Money{54400, "CAD"}};
  expired.in("handle_requested").feed("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"), InputKind::webhook);
  EXPECT_EQ(expired.txn.state, "expired");
  Harness settled{interac_payment_flow(), Money{54400, "CAD"}};
  settled.in("handle_requested").feed("SETTLEMENT_COMPLETED", payment("COMPLETED"), InputKind::webhook);
  EXPECT_EQ(settled.txn.state, "completed");
  Harness used{interac_payment_flow(), Money{54400, "CAD"}};
  used.in("handle_requested").feed("PAYMENT_HANDLE_COMPLETED", handle("COMPLETED"), InputKind::webhook);
  EXPECT_EQ(used.txn.state, "payment_processing");
}

TEST_F(InteracPayment, SettlementFailuresWhileInitiatedFail) {
  for (std::string_view event : {"SETTLEMENT_FAILED", "SETTLEMENT_ERRORED"}) {
    Harness other{interac_payment_flow(), Money{54400, "CAD"}};
    other.in("handle_initiated").feed(std::string(event), payment("FAILED"), InputKind::webhook);
    EXPECT_EQ(other.txn.state, "failed") << event;
  }
}

// Interac takes up to 30 minutes to tell Paysafe: a handle still open at its TTL is checked for that
// long (and 2 minutes more) before corridor expires it.
TEST_F(InteracPayment, HandleStillOpenWithinInteracsThirtyMinutesIsCheckedAgain) {
  data_of(h).handle_deadline_ms = kT0 - 20 * 60000;
  h.in("handle_initiated").feed("handle.status", handle("INITIATED"));
  expect_stays("handle_initiated");
  ASSERT_NE(h.timer("timer.poll"), nullptr);
}

TEST_F(InteracPayment, HandleChecksNeverWaitPastTheExpiryDeadline) {
  data_of(h).handle_deadline_ms = kT0 - 31 * 60000;  // the expiry deadline is a minute away
  h.txn.poll_attempt = 3;                        // the next delay would be 8 minutes
  h.in("handle_initiated").feed("handle.status", handle("INITIATED"));
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 60000);
}

TEST_F(InteracPayment, LastHandleCheckWithoutAnswerExpiresOnCorridorsClock) {
  data_of(h).handle_deadline_ms = kT0 - 32 * 60000;
  h.in("handle_initiated").feed("call.failed", {{"op", "get_payment_handle"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
  EXPECT_EQ(h.txn.reason.value(),
            "the handle's TTL and Interac's 30 minutes passed and the last check got no answer: expired on corridor's "
            "clock: timeout");
}

TEST_F(InteracPayment, HandleChecksBudgetEndsInUnknown) {
  h.settings.set("max_polls", 4);
  h.txn.poll_attempt = 4;
  h.in("handle_initiated").feed("handle.status", handle("INITIATED"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(), "payment handle checks spent (max_polls) without an outcome: reconciliation asks");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
  EXPECT_EQ(h.timer("timer.poll"), nullptr);
  Harness failing{interac_payment_flow(), Money{54400, "CAD"}};
  failing.settings.set("max_polls", 4);
  failing.txn.poll_attempt = 4;
  failing.in("handle_initiated").feed("call.failed", {{"op", "get_payment_handle"}});
  EXPECT_EQ(failing.txn.state, "unknown");
}

TEST_F(InteracPayment, HandleChecksBackOffAndEndWithinTheirBudget) {
  // Every check either ends the wait or arms the next one; with Paysafe answering INITIATED for ever,
  // the wait ends at the expiry deadline on corridor's clock, after a bounded number of checks.
  h.in("handle_requested").feed("handle.created", handle("INITIATED"));
  int checks = 0;
  while (h.txn.state == "handle_initiated" && checks < 100) {
    const TimerSet* next = h.timer("timer.poll");
    if (next == nullptr) next = h.timer("timer.handle_expired");
    ASSERT_NE(next, nullptr);
    h.now = next->due_at_ms;
    h.feed(next->name, {}, InputKind::timer);
    ASSERT_NE(h.call("get_payment_handle"), nullptr);
    h.feed("handle.status", handle("INITIATED"));
    ++checks;
  }
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_LE(checks, 16);
  EXPECT_EQ(h.now, kT0 + 899000 + 1920000);  // the TTL and Interac's 30 minutes and 2 more
}

// ---- handle_payable: the TTL applies, /payments re-sends are bounded --------------------------

TEST_F(InteracPayment, PayableAtOnceArmsTheHandlesTtl) {
  h.in("handle_requested").feed("handle.created", handle("PAYABLE", "NONE"));
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 899000);
}

TEST_F(InteracPayment, PaymentsRefusedBeforeSendFailsWithTheAdaptersReason) {
  h.in("handle_payable")
      .feed("call.failed",
            {{"op", "create_payment"}, {"error", "interac create_payment: missing field 'paymentHandleToken'"},
             {"sent", false}, {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(),
            "/payments could not be sent: interac create_payment: missing field 'paymentHandleToken'");
  // Paysafe pays for the merchant when no /payments comes within the TTL: its later word decides.
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(InteracPayment, PaymentsNotSentIsSentAgainUnderTheSameKey) {
  h.in("handle_requested").feed("handle.created", handle("PAYABLE"));
  const std::string first = h.call("create_payment")->call_id;
  h.now = kT0 + 1000;
  h.feed("call.failed", {{"op", "create_payment"}, {"error", "circuit open for interac: not sent"}, {"sent", false}});
  expect_stays("handle_payable");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  h.now = h.timer("timer.retry")->due_at_ms;
  timer("timer.retry");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
}

TEST_F(InteracPayment, PaymentsReSendsBackOffAndEndInUnknown) {
  h.in("handle_requested").feed("handle.created", handle("PAYABLE"));
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 10 && h.txn.state == "handle_payable"; ++i) {
    h.feed("call.failed", {{"op", "create_payment"}, {"error", "timeout"}});
    if (h.txn.state != "handle_payable") break;
    delays.push_back(h.timer("timer.retry")->due_at_ms - h.now);
    h.now = h.timer("timer.retry")->due_at_ms;
    timer("timer.retry");
    ASSERT_NE(h.call("create_payment"), nullptr);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30000, 60000, 120000, 240000, 300000}));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "no answer to /payments after 5 re-sends: Paysafe may have taken it; reconciliation asks: timeout");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
  EXPECT_TRUE(h.cancelled("timer.handle_expired"));
  EXPECT_LT(h.now, kT0 + 899000);  // within the handle's TTL
}

TEST_F(InteracPayment, PaymentsUnansweredAfterTheTtlChecksTheHandle) {
  data_of(h).handle_deadline_ms = kT0 - 1;
  h.in("handle_payable").feed("call.failed", {{"op", "create_payment"}, {"error", "timeout"}});
  expect_stays("handle_payable");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
  EXPECT_EQ(h.timer("timer.retry"), nullptr);
}

TEST_F(InteracPayment, RetryTimerAfterTheTtlChecksTheHandleInsteadOfPosting) {
  data_of(h).handle_deadline_ms = kT0 - 1;
  h.in("handle_payable");
  timer("timer.retry");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
}

TEST_F(InteracPayment, TtlWhilePayingChecksTheHandle) {
  h.in("handle_payable");
  timer("timer.handle_expired");
  expect_stays("handle_payable");
  ASSERT_NE(h.call("get_payment_handle"), nullptr);
  EXPECT_TRUE(h.cancelled("timer.retry"));
}

TEST_F(InteracPayment, HandleCheckWhilePayingFollowsPaysafe) {
  data_of(h).handle_deadline_ms = kT0 - 1;
  h.in("handle_payable").feed("handle.status", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_FALSE(!h.txn.settled_by.empty());  // Paysafe's own word
  Harness failed{interac_payment_flow(), Money{54400, "CAD"}};
  failed.in("handle_payable").feed("handle.status", handle("FAILED"));
  EXPECT_EQ(failed.txn.state, "declined");
  Harness used{interac_payment_flow(), Money{54400, "CAD"}};
  used.in("handle_payable").feed("handle.status", handle("COMPLETED"));
  EXPECT_EQ(used.txn.state, "payment_processing");
  Harness open{interac_payment_flow(), Money{54400, "CAD"}};
  data_of(open).handle_deadline_ms = kT0 - 1;
  open.in("handle_payable").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(open.txn.state, "handle_payable");
  EXPECT_NE(open.timer("timer.poll"), nullptr);
  EXPECT_TRUE(open.effects.calls.empty());  // no /payments past the TTL
}

TEST_F(InteracPayment, HandleStillPayableAfterTheExpiryDeadlineExpiresOnCorridorsClock) {
  data_of(h).handle_deadline_ms = kT0 - 1920000;
  h.in("handle_payable").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(InteracPayment, HandleChecksWhilePayingAreBounded) {
  h.settings.set("max_polls", 2);
  h.txn.poll_attempt = 2;
  data_of(h).handle_deadline_ms = kT0 - 1;
  h.in("handle_payable").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "unknown");
  Harness failing{interac_payment_flow(), Money{54400, "CAD"}};
  data_of(failing).handle_deadline_ms = kT0 - 1920000;
  failing.in("handle_payable").feed("call.failed", {{"op", "get_payment_handle"}});
  EXPECT_EQ(failing.txn.state, "unknown");  // /payments may be out: never expired without an answer
}

TEST_F(InteracPayment, ReconcileWhilePayingGetsThePayment) {
  h.in("handle_payable").feed("transaction.reconcile", {}, InputKind::command);
  ASSERT_NE(h.call("get_payment"), nullptr);
  EXPECT_EQ(h.call("get_payment")->params.text("merchantRefNum"), "tx_test");
  h.feed("payment.status", payment("PROCESSING"));
  EXPECT_EQ(h.txn.state, "payment_processing");
  Harness done{interac_payment_flow(), Money{54400, "CAD"}};
  done.in("handle_payable").feed("payment.status", payment("COMPLETED"));
  EXPECT_EQ(done.txn.state, "completed");
  Harness failed{interac_payment_flow(), Money{54400, "CAD"}};
  failed.in("handle_payable").feed("payment.status", payment("FAILED"));
  EXPECT_EQ(failed.txn.state, "failed");
  Harness none{interac_payment_flow(), Money{54400, "CAD"}};
  none.in("handle_payable").feed("call.failed", {{"op", "get_payment"}, {"not_found", true}});
  EXPECT_EQ(none.txn.state, "handle_payable");
  EXPECT_EQ(none.txn.rejected_inputs, 0);
}

TEST_F(InteracPayment, HandleFailedWebhookWhilePayingIsDeclined) {
  h.in("handle_payable");
  webhook("PAYMENT_HANDLE_FAILED", handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
}

TEST_F(InteracPayment, SettlementFailuresWhilePayingFail) {
  for (std::string_view event : {"SETTLEMENT_FAILED", "SETTLEMENT_ERRORED"}) {
    Harness other{interac_payment_flow(), Money{54400, "CAD"}};
    other.in("handle_payable").feed(std::string(event), payment("FAILED"), InputKind::webhook);
    EXPECT_EQ(other.txn.state, "failed") << event;
  }
}

// ---- payment_processing: bounded checks -------------------------------------------------------

TEST_F(InteracPayment, PaymentChecksBudgetEndsInUnknown) {
  h.settings.set("max_polls", 3);
  h.txn.poll_attempt = 3;
  data_of(h).processing_deadline_ms = kT0 + kTwoDaysAndAnHour;
  h.in("payment_processing").feed("payment.status", payment("PROCESSING"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "payment checks spent (max_polls) while Paysafe says PROCESSING: reconciliation asks");
  Harness failing{interac_payment_flow(), Money{54400, "CAD"}};
  failing.settings.set("max_polls", 3);
  failing.txn.poll_attempt = 3;
  failing.in("payment_processing").feed("call.failed", {{"op", "get_payment"}, {"error", "timeout"}});
  EXPECT_EQ(failing.txn.state, "unknown");
}

TEST_F(InteracPayment, LastPaymentCheckWithoutAnswerIsUnknown) {
  data_of(h).processing_deadline_ms = kT0;
  h.in("payment_processing").feed("call.failed", {{"op", "get_payment"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(), "no answer to the payment checks: reconciliation asks: timeout");
}

TEST_F(InteracPayment, PaymentChecksOverTwoDaysStayWithinTheDefaultBudget) {
  h.in("handle_payable").feed("payment.created", payment("PROCESSING"));
  int checks = 0;
  while (h.txn.state == "payment_processing" && checks < 200) {
    const TimerSet* poll = h.timer("timer.poll");
    ASSERT_NE(poll, nullptr);
    if (poll->due_at_ms >= kT0 + kTwoDaysAndAnHour) {
      h.now = kT0 + kTwoDaysAndAnHour;
      timer("timer.payment_deadline");
    } else {
      h.now = poll->due_at_ms;
      timer("timer.poll");
    }
    ASSERT_NE(h.call("get_payment"), nullptr);
    h.feed("payment.status", payment("PROCESSING"));
    ++checks;
  }
  EXPECT_EQ(h.txn.state, "unknown");
  // The deadline's last check ends the wait, not the budget: Paysafe had its two days.
  EXPECT_TRUE(std::string_view(h.txn.reason.value()).starts_with("still PROCESSING two days after /payments"));
  EXPECT_LE(checks, 60);
}

TEST_F(InteracPayment, LatePaymentsResponseSaysFailed) {
  h.in("payment_processing").feed("payment.created", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
}

// ---- unknown: the janitor asks, Paysafe's word decides ----------------------------------------

TEST_F(InteracPayment, ReconcileInUnknownGetsThePaymentAndEmitsNothing) {
  h.txn.provider_refs.set({"payment_id"}, "568530f0");
  h.in("unknown").feed("transaction.reconcile", {}, InputKind::command);
  expect_stays("unknown");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment");
  EXPECT_EQ(h.effects.calls[0].params.text("payment_id"), "568530f0");
  EXPECT_TRUE(h.effects.timers.empty());
  h.feed("payment.status", payment("PROCESSING"));
  expect_stays("unknown");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(InteracPayment, PaysafesAnswerDecidesInUnknown) {
  h.in("unknown").feed("payment.status", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  Harness failed{interac_payment_flow(), Money{54400, "CAD"}};
  failed.in("unknown").feed("payment.status", payment("FAILED"));
  EXPECT_EQ(failed.txn.state, "failed");
  Harness late{interac_payment_flow(), Money{54400, "CAD"}};
  late.in("unknown").feed("payment.created", payment("COMPLETED"));
  EXPECT_EQ(late.txn.state, "completed");
  Harness late_failed{interac_payment_flow(), Money{54400, "CAD"}};
  late_failed.in("unknown").feed("payment.created", payment("FAILED"));
  EXPECT_EQ(late_failed.txn.state, "failed");
  Harness late_processing{interac_payment_flow(), Money{54400, "CAD"}};
  late_processing.in("unknown").feed("payment.created", payment("PROCESSING"));
  EXPECT_EQ(late_processing.txn.state, "unknown");
  EXPECT_EQ(late_processing.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
}

TEST_F(InteracPayment, PaysafesWebhooksDecideInUnknown) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"PAYMENT_COMPLETED", "completed"}, {"SETTLEMENT_COMPLETED", "completed"}, {"PAYMENT_FAILED", "failed"},
      {"PAYMENT_ERRORED", "failed"},      {"SETTLEMENT_FAILED", "failed"},       {"SETTLEMENT_ERRORED", "failed"},
      {"PAYMENT_HANDLE_FAILED", "declined"}, {"PAYMENT_HANDLE_EXPIRED", "expired"},
      {"PAYMENT_PROCESSING", "unknown"},  {"PAYMENT_HANDLE_COMPLETED", "unknown"}};
  for (const auto& [event, state] : cases) {
    Harness u{interac_payment_flow(), Money{54400, "CAD"}};
    data_of(u).payment_call_id = "tx_test:3:create_payment";
    const bool handle_event = event.starts_with("PAYMENT_HANDLE");
    u.in("unknown").feed(event, handle_event ? handle("X") : payment("X"), InputKind::webhook);
    EXPECT_EQ(u.txn.state, state) << event;
    EXPECT_EQ(u.txn.rejected_inputs, 0) << event;
  }
}

TEST_F(InteracPayment, NoPaymentInUnknownAsksAfterTheHandle) {
  h.in("unknown").feed("call.failed", {{"op", "get_payment"}, {"not_found", true}, {"error", "no payments"}});
  expect_stays("unknown");
  ASSERT_NE(h.call("get_payment_handle"), nullptr);
  h.feed("handle.status", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  Harness failed{interac_payment_flow(), Money{54400, "CAD"}};
  failed.in("unknown").feed("handle.status", handle("FAILED"));
  EXPECT_EQ(failed.txn.state, "declined");
  Harness still{interac_payment_flow(), Money{54400, "CAD"}};
  still.in("unknown").feed("call.failed", {{"op", "get_payment"}, {"error", "timeout"}});
  EXPECT_EQ(still.txn.state, "unknown");
  EXPECT_TRUE(still.effects.calls.empty());
  EXPECT_EQ(still.txn.rejected_inputs, 0);
}

TEST_F(InteracPayment, PayableHandleInUnknownIsPaidOnceOnly) {
  h.in("unknown").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  expect_payment_call();
  Harness asked{interac_payment_flow(), Money{54400, "CAD"}};
  data_of(asked).payment_call_id = "tx_test:3:create_payment";
  asked.in("unknown").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(asked.txn.state, "unknown");
  EXPECT_TRUE(asked.effects.calls.empty());
  asked.feed("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"), InputKind::webhook);
  EXPECT_EQ(asked.txn.state, "unknown");
  EXPECT_TRUE(asked.effects.calls.empty());
  Harness webhook_first{interac_payment_flow(), Money{54400, "CAD"}};
  webhook_first.in("unknown").feed("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"), InputKind::webhook);
  EXPECT_EQ(webhook_first.txn.state, "handle_payable");
}

// ---- amounts Paysafe reports ------------------------------------------------------------------

json::object with_amount(json::object resource, json::value amount, std::string_view currency = "CAD") {
  resource["amount"] = std::move(amount);
  resource["currencyCode"] = currency;
  return resource;
}

TEST_F(InteracPayment, PaymentCompletedForAnotherAmountIsAMismatch) {
  h.in("payment_processing");
  webhook("PAYMENT_COMPLETED", with_amount(payment("COMPLETED"), 54300));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe's payment reports 543.00 CAD, corridor asked 544.00 CAD");
  expect_event("amount_mismatch", "amount_mismatch");
  const StateChangedEvent& e = h.effects.events[0];
  EXPECT_EQ(e.attention, attention::kAmountMismatch);
  ASSERT_TRUE(e.provider_amount.has_value());
  EXPECT_EQ(*e.provider_amount, (Money{54300, "CAD"}));
  EXPECT_EQ(e.amount, (Money{54400, "CAD"}));
  EXPECT_EQ(h.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
}

TEST_F(InteracPayment, AmountMismatchesEverywherePaysafeReportsAnAmount) {
  struct Case {
    std::string state, input;
    json::object data;
  };
  const json::object short_payment = with_amount(payment("PROCESSING"), 100);
  const json::object short_completed = with_amount(payment("COMPLETED"), 100);
  const json::object short_handle = with_amount(handle("PAYABLE"), 100);
  const std::vector<Case> cases{
      {"handle_requested", "handle.created", with_amount(handle("INITIATED"), 100)},
      {"handle_requested", "handle.status", short_handle},
      {"handle_requested", "PAYMENT_HANDLE_PAYABLE", short_handle},
      {"handle_requested", "PAYMENT_PROCESSING", short_payment},
      {"handle_requested", "PAYMENT_COMPLETED", short_completed},
      {"handle_requested", "SETTLEMENT_COMPLETED", short_completed},
      {"handle_initiated", "PAYMENT_HANDLE_PAYABLE", short_handle},
      {"handle_initiated", "handle.status", short_handle},
      {"handle_initiated", "PAYMENT_PROCESSING", short_payment},
      {"handle_initiated", "PAYMENT_COMPLETED", short_completed},
      {"handle_initiated", "SETTLEMENT_COMPLETED", short_completed},
      {"handle_payable", "payment.created", short_payment},
      {"handle_payable", "payment.status", short_completed},
      {"handle_payable", "handle.status", with_amount(handle("COMPLETED"), 100)},
      {"handle_payable", "PAYMENT_PROCESSING", short_payment},
      {"handle_payable", "PAYMENT_COMPLETED", short_completed},
      {"handle_payable", "SETTLEMENT_COMPLETED", short_completed},
      {"payment_processing", "payment.status", short_completed},
      {"payment_processing", "payment.created", short_payment},
      {"payment_processing", "PAYMENT_PROCESSING", short_payment},
      {"payment_processing", "SETTLEMENT_COMPLETED", short_completed},
      {"unknown", "payment.status", short_completed},
      {"unknown", "payment.created", short_payment},
      {"unknown", "handle.status", short_handle},
      {"unknown", "PAYMENT_HANDLE_PAYABLE", short_handle},
      {"unknown", "PAYMENT_COMPLETED", short_completed},
      {"unknown", "SETTLEMENT_COMPLETED", short_completed},
  };
  for (const auto& k : cases) {
    Harness m{interac_payment_flow(), Money{54400, "CAD"}};
    m.in(k.state).feed(k.input, k.data, k.input.find('.') == std::string::npos ? InputKind::webhook : InputKind::provider_response);
    EXPECT_EQ(m.txn.state, "amount_mismatch") << k.state << " + " << k.input;
    EXPECT_TRUE(m.effects.calls.empty()) << k.state << " + " << k.input;  // nothing paid with it
  }
}

TEST_F(InteracPayment, AnUnreadableOrOtherCurrencyAmountIsAMismatch) {
  h.in("handle_payable").feed("payment.created", with_amount(payment("COMPLETED"), "lots"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe's payment reports no readable amount, corridor asked 544.00 CAD");
  Harness usd{interac_payment_flow(), Money{54400, "CAD"}};
  usd.in("handle_payable").feed("payment.created", with_amount(payment("COMPLETED"), 54400, "USD"));
  EXPECT_EQ(usd.txn.state, "amount_mismatch");
  EXPECT_EQ(usd.txn.reason.value(), "Paysafe's payment reports 544.00 USD, corridor asked 544.00 CAD");
}

TEST_F(InteracPayment, TheAmountAskedIsNoMismatch) {
  h.in("handle_payable").feed("payment.created", with_amount(payment("COMPLETED"), 54400));
  EXPECT_EQ(h.txn.state, "completed");
  // The adapter's answer to a 5031 duplicate reports no amount: nothing to compare.
  Harness dup{interac_payment_flow(), Money{54400, "CAD"}};
  dup.in("handle_payable").feed("payment.created", {{"status", "PROCESSING"}, {"merchantRefNum", "tx_test"}, {"duplicate", true}});
  EXPECT_EQ(dup.txn.state, "payment_processing");
}

TEST_F(InteracPayment, AFailureIsNotComparedNothingMoved) {
  h.in("payment_processing");
  webhook("PAYMENT_FAILED", with_amount(payment("FAILED"), 100));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracPayment, TheSameWrongAmountCompletedLaterChangesNothing) {
  h.in("handle_payable").feed("payment.created", with_amount(payment("PROCESSING"), 100));
  ASSERT_EQ(h.txn.state, "amount_mismatch");
  const std::int64_t v = h.txn.version;
  auto r = h.feed("PAYMENT_COMPLETED", with_amount(payment("COMPLETED"), 100), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(h.txn.version, v);
}

// ---- the provider's word in a final state -----------------------------------------------------

class InteracPaymentLate : public InteracPayment {
 protected:
  // handle_initiated, then the last check after the TTL and Interac's 30 minutes still shows the
  // handle INITIATED: corridor expires the payment on its own clock.
  void expire_on_corridors_clock() {
    h.in("handle_requested").feed("handle.created", handle("INITIATED"));
    h.now = kT0 + 899000 + 1920000;
    h.feed("handle.status", handle("INITIATED"));
    ASSERT_EQ(h.txn.state, "expired");
    ASSERT_EQ(h.txn.settled_by, "corridor");
    version = h.txn.version;
  }
  std::int64_t version = 0;
};

// Seed: "Si le marchand n'effectue pas d'appel /payments dans les 899 secondes ... Paysafe effectue le
// paiement pour le compte du marchand. et ce dernier reçoit a) PAYMENT_COMPLETED".
TEST_F(InteracPaymentLate, PaymentCompletedAfterCorridorsExpiryCompletes) {
  expire_on_corridors_clock();
  h.now += 3600000;
  auto r = h.feed(testing::make_input("PAYMENT_COMPLETED", payment("COMPLETED"), h.now, InputKind::webhook, "webhook:late"));
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_EQ(h.txn.reason.value(), "completed by the provider after corridor's own deadline had made it expired");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].previous_state, "expired");
  EXPECT_EQ(h.effects.events[0].status, Status::succeeded);
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
  EXPECT_EQ(h.txn.provider_refs.find("payment_id"), "568530f0-262a-453f-b681-1088195d9439");
  EXPECT_FALSE(!h.txn.settled_by.empty());
}

TEST_F(InteracPaymentLate, PaymentFailedAfterCorridorsExpiryFails) {
  expire_on_corridors_clock();
  h.feed("PAYMENT_FAILED", payment("FAILED"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

TEST_F(InteracPaymentLate, ACompletionForAnotherAmountAfterCorridorsExpiryIsAMismatch) {
  expire_on_corridors_clock();
  h.feed("PAYMENT_COMPLETED", with_amount(payment("COMPLETED"), 100), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
  ASSERT_TRUE(h.effects.events.at(0).provider_amount.has_value());
}

// PAYMENT_PROCESSING after corridor's expiry is not an outcome: announced, and Paysafe asked about the
// handle (the reconcile row of handle_initiated).
TEST_F(InteracPaymentLate, ProcessingAfterCorridorsExpiryIsAnnouncedAndPaysafeAsked) {
  expire_on_corridors_clock();
  h.feed("PAYMENT_PROCESSING", payment("PROCESSING"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateInput);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
  // ... and the completion that follows replaces the expiry.
  h.feed("PAYMENT_COMPLETED", payment("COMPLETED"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

TEST_F(InteracPaymentLate, PaymentCompletedAfterARefusedPaymentsCallCompletes) {
  h.in("handle_payable").feed("call.failed", {{"op", "create_payment"}, {"sent", false}, {"refused", true}});
  ASSERT_EQ(h.txn.state, "failed");
  h.feed("PAYMENT_COMPLETED", payment("COMPLETED"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

TEST_F(InteracPaymentLate, PaymentCompletedAfterTheHandleRequestGotNoAnswerCompletes) {
  h.in("handle_requested").feed("call.failed", {{"op", "create_payment_handle"}, {"error", "timeout"}});
  ASSERT_EQ(h.txn.state, "failed");
  h.feed("PAYMENT_COMPLETED", payment("COMPLETED"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

// PAYMENT_HANDLE_EXPIRED is Paysafe's own word ("le marchand peut donc clore la transaction"): a later
// completion contradicts it and is recorded as disputed, never applied silently.
TEST_F(InteracPaymentLate, PaymentCompletedAfterPaysafesExpiryIsDisputed) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"));
  ASSERT_EQ(h.txn.state, "expired");
  ASSERT_FALSE(!h.txn.settled_by.empty());
  const std::int64_t v = h.txn.version;
  h.feed("PAYMENT_COMPLETED", payment("COMPLETED"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.version, v + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
  EXPECT_EQ(h.effects.events[0].state, "expired");
  EXPECT_EQ(h.txn.dispute.value().leads_to, "completed");
}

TEST_F(InteracPaymentLate, PaymentFailedAfterPaysafesCompletionIsDisputed) {
  h.in("payment_processing");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  ASSERT_EQ(h.txn.state, "completed");
  webhook("PAYMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "completed");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
  EXPECT_EQ(h.txn.dispute.value().leads_to, "failed");
}

TEST_F(InteracPaymentLate, AGetThatContradictsPaysafesFailureIsDisputed) {
  h.in("payment_processing");
  webhook("PAYMENT_FAILED", payment("FAILED"));
  ASSERT_EQ(h.txn.state, "failed");
  h.feed("payment.status", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
}

// Settled from handle_requested (the EXPIRED webhook overtook the handle's answer): Paysafe's later
// completion still reaches the transaction, as a dispute.
TEST_F(InteracPaymentLate, CompletionAfterPaysafesExpiryBeforeTheHandleResponseIsDisputed) {
  h.in("handle_requested");
  webhook("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"));
  ASSERT_EQ(h.txn.state, "expired");
  ASSERT_EQ(h.txn.settled_from, "handle_requested");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "expired");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
}

TEST_F(InteracPaymentLate, FailureAfterACompletionFoundInUnknownIsDisputed) {
  h.in("unknown").feed("payment.status", payment("COMPLETED"));
  ASSERT_EQ(h.txn.state, "completed");
  webhook("PAYMENT_FAILED", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
}

TEST_F(InteracPaymentLate, EveryStateAProvisionalOutcomeSettlesFromAsksPaysafe) {
  // handle_requested, handle_initiated and handle_payable are left by kProvisional rows: a reconcile
  // there makes a status call, which a late input's ask relies on.
  for (std::string_view state : {"handle_requested", "handle_initiated", "handle_payable", "payment_processing", "unknown"}) {
    Harness r{interac_payment_flow(), Money{54400, "CAD"}};
    r.in(state).feed("transaction.reconcile", {}, InputKind::command);
    ASSERT_EQ(r.effects.calls.size(), 1u) << state;
    EXPECT_TRUE(r.effects.calls[0].op.starts_with("get_")) << state;
  }
}

// ---- the stored document ----------------------------------------------------------------------

// The send-money payment as the store holds it (tests/golden/states.v1.jsonl), with one key the
// struct does not have: the flow's keys read into InteracPaymentData, the other key is kept, and the
// document written back holds the same data; without the keys a later step writes, the members are
// absent.
TEST(InteracPaymentStoredDocument, ReadsIntoTheStructAndKeepsAKeyItDoesNotHave) {
  const json::object data =
      boost::json::parse(R"({"customer":{"email":"approve@interac.sandbox","name":"Madhu Baddam","country":"CA"},)"
                         R"("description":"corridor demo","mode":"send_money",)"
                         R"("handle_call_id":"tx_ux6yznvhchm7ipz6xwj52ay4nq:1:create_payment_handle",)"
                         R"("janitor_attempt":0,"instructions":{"type":"display_instructions",)"
                         R"("method":"interac_send_money","payment_reference":"CAYKXVD6c5",)"
                         R"("amount":{"value":5450,"currency":"CAD"}},"handle_deadline_ms":1796431466644,)"
                         R"("poll_attempt":1,"retry_attempt":0,)"
                         R"("payment_call_id":"tx_ux6yznvhchm7ipz6xwj52ay4nq:4:create_payment",)"
                         R"("processing_deadline_ms":1796607864906,"settled_from":"payment_processing",)"
                         R"("reviewed":{"by":"ops","note":"kept as it is"}})")
          .as_object();
  json::object document =
      boost::json::parse(R"({"txn_id":"tx_ux6yznvhchm7ipz6xwj52ay4nq","merchant":"ZANDO",)"
                         R"("reference":"GOLDEN-interac-send-money","provider":"interac","flow":"payment",)"
                         R"("amount":{"value":5450,"currency":"CAD"},"state":"completed","version":6,"seq":6,)"
                         R"("provider_refs":{"payment_handle_token":"PHTWDVxJmAC2b2ZM"},"data":{},)"
                         R"("next_action":null,"reason":null,"created_at":"2026-12-05T00:44:23.702Z",)"
                         R"("updated_at":"2026-12-05T00:44:25.007Z","rejected_inputs":0,"last_rejection":null})")
          .as_object();
  document["data"] = data;
  auto txn = transaction_from_json(document);
  ASSERT_TRUE(txn) << txn.error().message;
  ASSERT_NE(interac_payment_flow().bind, nullptr);
  interac_payment_flow().bind(*txn);

  const InteracPaymentData& d = txn->data.as<InteracPaymentData>();
  EXPECT_EQ(d.mode, "send_money");
  EXPECT_EQ(d.handle_call_id, "tx_ux6yznvhchm7ipz6xwj52ay4nq:1:create_payment_handle");
  ASSERT_TRUE(d.instructions.has_value());
  EXPECT_EQ(d.instructions->type, "display_instructions");
  EXPECT_EQ(d.instructions->method, "interac_send_money");
  EXPECT_EQ(d.instructions->payment_reference, "CAYKXVD6c5");
  EXPECT_EQ(d.instructions->amount, (Money{5450, "CAD"}));
  EXPECT_EQ(d.handle_deadline_ms, 1796431466644);
  EXPECT_EQ(d.payment_call_id, "tx_ux6yznvhchm7ipz6xwj52ay4nq:4:create_payment");
  EXPECT_EQ(d.processing_deadline_ms, 1796607864906);
  EXPECT_EQ(txn->settled_from, "payment_processing");
  EXPECT_EQ(txn->poll_attempt, 1);

  EXPECT_EQ(txn->data.unknown(), (json::object{{"reviewed", {{"by", "ops"}, {"note", "kept as it is"}}}}));
  EXPECT_EQ(data_json(*txn), data);
  EXPECT_EQ(boost::json::parse(serialize(*txn)).at("data").as_object(), data);

  // Before the handle was seen and /payments asked, the deadlines are absent (never), not 0.
  json::object earlier = data;
  for (std::string_view key : {"instructions", "handle_deadline_ms", "payment_call_id", "processing_deadline_ms"})
    earlier.erase(key);
  document["data"] = earlier;
  auto young = transaction_from_json(document);
  ASSERT_TRUE(young) << young.error().message;
  const InteracPaymentData& y = young->data.as<InteracPaymentData>();
  EXPECT_FALSE(y.instructions.has_value());
  EXPECT_FALSE(y.handle_deadline_ms.has_value());
  EXPECT_TRUE(y.payment_call_id.empty());
  EXPECT_FALSE(y.processing_deadline_ms.has_value());
  EXPECT_EQ(data_json(*young), earlier);
}

}  // namespace
}  // namespace corridor
