// One test per row of interac.payment (seed 004_65eeba9a99dbfec8.txt, Paysafe Interac e-Transfer).
#include "statemachines/interac_payment.hpp"

#include <gtest/gtest.h>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

constexpr std::int64_t kTwoDaysAndAnHour = 2 * 86400000 + 3600000;

json::object handle(std::string_view status, std::string_view action = "REDIRECT") {
  return {{"id", "514b4cf1-8891-445d-9b58-e50ae02d8c3c"},
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
    EXPECT_EQ(get_string(call.params, "merchantRefNum"), "tx_test");
    EXPECT_EQ(get_string(call.params, "paymentHandleToken"), "PHEkR6gInY2NM05X");
    EXPECT_TRUE(get_bool(call.params, "settleWithAuth"));
    EXPECT_TRUE(get_bool(call.params, "dupCheck"));
    EXPECT_EQ(get_int(*get_object(call.params, "amount"), "value"), 54400);
    EXPECT_EQ(get_string(*get_object(call.params, "amount"), "currency"), "CAD");
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
  EXPECT_EQ(h.txn.reason.as_string(), "unknown mode 'pull_money': request_money or send_money");
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, CreateRequestsAPaymentHandle) {
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "handle_requested");
  EXPECT_EQ(get_string(h.txn.data, "mode"), "request_money");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& p = h.effects.calls[0].params;
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
  EXPECT_EQ(get_string(h.txn.data, "mode"), "send_money");
  const auto& p = h.effects.calls.at(0).params;
  EXPECT_EQ(get_string(p, "mode"), "SEND_MONEY");
  EXPECT_EQ(get_int(p, "timeToLiveSeconds"), 120);
  Harness other{interac_payment_flow(), Money{54400, "CAD"}};
  other.feed(other.create_input({{"mode", "send_money"}}));
  EXPECT_EQ(get_int(other.effects.calls.at(0).params, "timeToLiveSeconds"), 899);
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
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_handle_id"), "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
  expect_payment_call();
  EXPECT_EQ(get_string(h.txn.data, "payment_call_id"), h.effects.calls[0].call_id);
  expect_event("handle_payable", "processing");
}

TEST_F(InteracPayment, SendMoneyHandleShowsInstructions) {
  h.txn.data["mode"] = "send_money";
  json::object d = handle("INITIATED", "PAYABLE");
  d["interacEtransfer"] = {{"consumerId", "john@example.com"}, {"paymentReference", "CA1MRZ9Bxx"}};
  h.in("handle_requested").feed("handle.created", d);
  EXPECT_EQ(h.txn.state, "handle_initiated");
  const auto& next = h.txn.next_action.as_object();
  EXPECT_EQ(get_string(next, "type"), "display_instructions");
  EXPECT_EQ(get_string(next, "method"), "interac_send_money");
  EXPECT_EQ(get_string(next, "payment_reference"), "CA1MRZ9Bxx");
  EXPECT_EQ(get_int(*get_object(next, "amount"), "value"), 54400);
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
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "type"), "redirect");
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "url"), "https://api.qa.paysafe.com/redirect?x=1");
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_handle_token"), "PHEkR6gInY2NM05X");
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 600000);
  EXPECT_EQ(get_int(h.txn.data, "handle_deadline_ms"), kT0 + 600000);
  // A lost PAYMENT_HANDLE_PAYABLE is noticed by reading the handle, not only at the TTL.
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 60000);
  EXPECT_EQ(get_int(h.txn.data, "poll_attempt"), 1);
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
    EXPECT_EQ(get_string(h.call("get_payment_handle")->params, "payment_handle_id"),
              get_string(h.txn.provider_refs, "payment_handle_id"));
    h.feed("handle.status", handle("INITIATED"));
    EXPECT_EQ(h.txn.state, "handle_initiated");
    delays.push_back(h.timer("timer.poll")->due_at_ms - kT0);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 3000, 3000}));
}

TEST_F(InteracPayment, RefusedHandleFails) {
  h.in("handle_requested").feed("handle.rejected", {{"http_status", 400}, {"error", "5068 field error"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe refused the payment handle: 5068 field error");
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
  EXPECT_TRUE(h.cancelled("timer.handle_expired"));
  EXPECT_TRUE(h.txn.next_action.is_null());
  expect_event("handle_payable", "processing");
}

TEST_F(InteracPayment, SendMoneyInstructionsStayAfterPayable) {
  h.txn.data["mode"] = "send_money";
  json::object d = handle("INITIATED", "PAYABLE");
  d["paymentReference"] = "CA1MRZ9Bxx";
  h.in("handle_requested").feed("handle.created", d);
  webhook("PAYMENT_HANDLE_PAYABLE", handle("PAYABLE"));
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "payment_reference"), "CA1MRZ9Bxx");
  h.feed("payment.created", payment("PENDING"));
  EXPECT_EQ(get_string(h.txn.next_action.as_object(), "type"), "display_instructions");
}

TEST_F(InteracPayment, HandleFailedWebhookIsDeclined) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_FAILED", handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "payment handle FAILED: the customer refused or did not finish the transfer");
  expect_event("declined", "declined");
}

TEST_F(InteracPayment, HandleExpiredWebhookExpires) {
  h.in("handle_initiated");
  webhook("PAYMENT_HANDLE_EXPIRED", handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  expect_event("expired", "expired");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
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
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_id"), "568530f0-262a-453f-b681-1088195d9439");
}

TEST_F(InteracPayment, PaymentCompletedWebhookWithoutOurPaymentsCall) {
  h.in("handle_initiated");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_id"), "568530f0-262a-453f-b681-1088195d9439");
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
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: PAYMENT_FAILED (the downstream PSP refused it, HTTP 402)");
  expect_event("failed", "failed");
}

TEST_F(InteracPayment, PaymentErroredWhileInitiatedFails) {
  h.in("handle_initiated");
  webhook("PAYMENT_ERRORED", payment("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: PAYMENT_ERRORED");
}

TEST_F(InteracPayment, TtlTimerChecksTheHandle) {
  h.txn.data["poll_attempt"] = 3;
  h.txn.provider_refs["payment_handle_id"] = "514b4cf1";
  h.in("handle_initiated");
  timer("timer.handle_expired");
  expect_stays("handle_initiated");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "payment_handle_id"), "514b4cf1");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "merchantRefNum"), "tx_test");
  EXPECT_EQ(get_int(h.txn.data, "poll_attempt"), 0);
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
  EXPECT_EQ(h.txn.reason.as_string(), "payment handle expired before it was used");
}

TEST_F(InteracPayment, HandleCheckPayableCallsPayments) {
  h.in("handle_initiated").feed("handle.status", handle("PAYABLE"));
  EXPECT_EQ(h.txn.state, "handle_payable");
  expect_payment_call();
}

TEST_F(InteracPayment, HandleCheckCompletedAwaitsThePayment) {
  h.in("handle_initiated").feed("handle.status", handle("COMPLETED"));
  expect_awaiting_payment();
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_handle_id"), "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
}

TEST_F(InteracPayment, HandleStillInitiatedAfterTtlAndGraceExpires) {
  h.settings.set("handle_expiry_grace_ms", 60000);
  h.txn.data["handle_deadline_ms"] = kT0 - 60000;
  h.in("handle_initiated").feed("handle.status", handle("INITIATED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.as_string(), "payment handle TTL and grace passed without the handle becoming PAYABLE");
}

TEST_F(InteracPayment, HandleStillInitiatedWithinGracePollsAgain) {
  h.txn.data["handle_deadline_ms"] = kT0;
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
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_id"), "568530f0-262a-453f-b681-1088195d9439");
  expect_event("completed", "succeeded");
}

TEST_F(InteracPayment, PaymentFailedAtOnce) {
  h.in("handle_payable").feed("payment.created", payment("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: payment FAILED");
}

TEST_F(InteracPayment, PaymentPendingAwaitsTheCustomer) {
  h.in("handle_payable").feed("payment.created", payment("PROCESSING"));
  expect_awaiting_payment();
  EXPECT_EQ(get_int(h.txn.data, "processing_deadline_ms"), kT0 + kTwoDaysAndAnHour);
  EXPECT_TRUE(h.cancelled("timer.retry"));
}

TEST_F(InteracPayment, RefusedPaymentFails) {
  h.in("handle_payable").feed("payment.rejected", {{"http_status", 400}, {"error", "handle not PAYABLE"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe refused the payment: handle not PAYABLE");
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
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_handle_id"), "514b4cf1-8891-445d-9b58-e50ae02d8c3c");
  EXPECT_TRUE(h.effects.calls.empty());  // paid once only
}

// ---- payment_processing -----------------------------------------------------------------------

TEST_F(InteracPayment, PaymentCompletedWebhookCompletes) {
  h.in("payment_processing");
  webhook("PAYMENT_COMPLETED", payment("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  expect_event("completed", "succeeded");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
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
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: SETTLEMENT_FAILED");
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
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_id"), "568530f0-262a-453f-b681-1088195d9439");
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
  h.txn.provider_refs["payment_id"] = "568530f0";
  h.in("payment_processing");
  timer("timer.poll");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "payment_id"), "568530f0");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "merchantRefNum"), "tx_test");
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
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: payment CANCELLED");
}

TEST_F(InteracPayment, StillProcessingAfterTwoDaysFails) {
  h.in("handle_payable").feed("payment.created", payment("PROCESSING"));
  h.now = kT0 + kTwoDaysAndAnHour;
  h.feed("payment.status", payment("PROCESSING"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "still PROCESSING two days after /payments: Paysafe marks such a payment FAILED");
}

TEST_F(InteracPayment, StillProcessingPollsAgainWithCappedBackoff) {
  h.settings.set("poll_interval_ms", 60000);
  h.settings.set("poll_max_interval_ms", 200000);
  h.txn.data["processing_deadline_ms"] = kT0 + kTwoDaysAndAnHour;
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

}  // namespace
}  // namespace corridor
