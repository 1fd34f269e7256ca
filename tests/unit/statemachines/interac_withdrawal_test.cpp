// One test per row of interac.withdrawal (seed 004_65eeba9a99dbfec8.txt, Paysafe Interac e-Transfer).
#include "statemachines/interac_withdrawal.hpp"

#include <gtest/gtest.h>

#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

constexpr std::int64_t kDay = 86400000;

json::object verification_handle(std::string_view status = "PAYABLE") {
  return {{"id", "cbd5a3a4"}, {"paymentHandleToken", "PHd0GFCqwJqu9YkV"}, {"merchantRefNum", "tx_test-verification"},
          {"status", status}, {"action", "NONE"}, {"transactionType", "VERIFICATION"}, {"timeToLiveSeconds", 899}};
}
json::object verification(std::string_view transfer_type, std::int64_t max_amount, std::string_view status = "COMPLETED") {
  return {{"id", "d19ca286"}, {"status", status},
          {"interacEtransfer", {{"consumerId", "john@example.com"}, {"maxAmount", max_amount}, {"transferType", transfer_type}}}};
}
json::object credit_handle(std::string_view status = "PAYABLE") {
  return {{"id", "9129cf41"}, {"paymentHandleToken", "PH6grPCguAtRInwc"}, {"merchantRefNum", "tx_test"},
          {"status", status}, {"action", "NONE"}, {"transactionType", "STANDALONE_CREDIT"}, {"timeToLiveSeconds", 899},
          {"interacEtransfer", {{"consumerId", "john@example.com"}, {"maxAmount", 500000}, {"transferType", "ALIAS_AUTODEPOSIT"}}}};
}
json::object credit_resource(std::string_view status) {
  return {{"id", "b7759f69"}, {"paymentHandleToken", "PH6grPCguAtRInwc"}, {"merchantRefNum", "tx_test"}, {"status", status}};
}

class InteracWithdrawal : public ::testing::Test {
 protected:
  Harness h{interac_withdrawal_flow(), Money{50000, "CAD"}};

  void expect_event(std::string_view state, std::string_view status) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].state, state);
    EXPECT_EQ(to_string(h.effects.events[0].status), status);
  }
  void expect_stays(std::string_view state) {
    EXPECT_EQ(h.txn.state, state);
    EXPECT_TRUE(h.effects.events.empty());
  }
  void expect_credit_handle_call() {
    ASSERT_EQ(h.effects.calls.size(), 1u);
    const auto& p = h.effects.calls[0].params;
    EXPECT_EQ(h.effects.calls[0].op, "create_payment_handle");
    EXPECT_EQ(get_string(p, "merchantRefNum"), "tx_test");
    EXPECT_EQ(get_string(p, "transactionType"), "STANDALONE_CREDIT");
    EXPECT_EQ(get_string(p, "paymentType"), "INTERAC_ETRANSFER");
    EXPECT_EQ(get_int(*get_object(p, "amount"), "value"), 50000);
    EXPECT_EQ(get_string(*get_object(p, "interacEtransfer"), "consumerId"), "john@example.com");
  }
  void expect_credit_call() {
    ASSERT_EQ(h.effects.calls.size(), 1u);
    const auto& p = h.effects.calls[0].params;
    EXPECT_EQ(h.effects.calls[0].op, "create_standalone_credit");
    EXPECT_EQ(get_string(p, "merchantRefNum"), "tx_test");
    EXPECT_EQ(get_string(p, "paymentHandleToken"), "PH6grPCguAtRInwc");
    EXPECT_EQ(get_int(*get_object(p, "amount"), "value"), 50000);
    EXPECT_EQ(get_string(*get_object(p, "amount"), "currency"), "CAD");
  }
  void webhook(std::string name, json::object data = {}) { h.feed(std::move(name), std::move(data), InputKind::webhook); }
  void timer(std::string name) { h.feed(std::move(name), {}, InputKind::timer); }
};

// ---- created ----------------------------------------------------------------------------------

TEST_F(InteracWithdrawal, PayoutWithVerificationAsksForAVerificationHandle) {
  h.feed(h.create_input({{"verify", true}}));
  EXPECT_EQ(h.txn.state, "verification_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& p = h.effects.calls[0].params;
  EXPECT_EQ(h.effects.calls[0].op, "create_payment_handle");
  EXPECT_EQ(get_string(p, "merchantRefNum"), "tx_test-verification");
  EXPECT_EQ(get_string(p, "transactionType"), "VERIFICATION");
  EXPECT_EQ(get_string(*get_object(p, "interacEtransfer"), "consumerId"), "john@example.com");
  expect_event("verification_requested", "pending");
}

TEST_F(InteracWithdrawal, PayoutWithoutVerificationAsksForACreditHandle) {
  h.feed(h.create_input({{"interac", {{"question", "what is your name"}, {"answer", "JohnDoe"}}}}));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  expect_credit_handle_call();
  const auto& e = *get_object(h.effects.calls[0].params, "interacEtransfer");
  EXPECT_EQ(get_string(e, "question"), "what is your name");
  EXPECT_EQ(get_string(e, "answer"), "JohnDoe");
  expect_event("credit_handle_requested", "pending");
}

// ---- verification_requested -------------------------------------------------------------------

TEST_F(InteracWithdrawal, PayableVerificationHandleIsVerified) {
  h.in("verification_requested").feed("handle.created", verification_handle());
  EXPECT_EQ(h.txn.state, "verifying");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "create_verification");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "paymentHandleToken"), "PHd0GFCqwJqu9YkV");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "merchantRefNum"), "tx_test-verification");
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params, "amount"), "value"), 50000);
  expect_event("verifying", "pending");
}

TEST_F(InteracWithdrawal, VerificationHandleNotPayableFails) {
  h.in("verification_requested").feed("handle.created", verification_handle("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "verification handle FAILED instead of PAYABLE");
}

TEST_F(InteracWithdrawal, RefusedVerificationHandleFails) {
  h.in("verification_requested").feed("handle.rejected", {{"error", "invalid consumerId"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe refused the request: invalid consumerId");
}

TEST_F(InteracWithdrawal, VerificationHandleWithoutAnswerFails) {
  h.in("verification_requested").feed("call.failed", {{"op", "create_payment_handle"}});
  EXPECT_EQ(h.txn.state, "failed");
  expect_event("failed", "failed");
}

TEST_F(InteracWithdrawal, PayableWebhookBeforeTheVerificationHandleResponse) {
  h.in("verification_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", verification_handle());
  EXPECT_EQ(h.txn.state, "verifying");
  ASSERT_NE(h.call("create_verification"), nullptr);
}

// ---- verifying --------------------------------------------------------------------------------

TEST_F(InteracWithdrawal, VerificationNotCompletedFails) {
  h.in("verifying").feed("verification.completed", verification("ALIAS_AUTODEPOSIT", 500000, "FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "verification FAILED");
}

TEST_F(InteracWithdrawal, AmountOverMaxAmountIsDeclinedBeforeAnyCredit) {
  h.in("verifying").feed("verification.completed", verification("ALIAS_AUTODEPOSIT", 39000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "amount 50000 is over the customer's maxAmount 39000");
  EXPECT_EQ(get_int(h.txn.data, "max_amount"), 39000);
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("declined", "declined");
}

TEST_F(InteracWithdrawal, NoAutodepositAndNoQuestionIsDeclined) {
  h.in("verifying").feed("verification.completed", verification("ALIAS_REGULAR", 500000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "not registered for autodeposit and no security question and answer given");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, VerifiedAutodepositAsksForTheCreditHandleWithoutQuestion) {
  h.txn.data["security"] = {{"question", "q"}, {"answer", "a"}};
  h.in("verifying").feed("verification.completed", verification("ALIAS_AUTODEPOSIT", 500000));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  EXPECT_TRUE(get_bool(h.txn.data, "autodeposit"));
  EXPECT_EQ(get_string(h.txn.provider_refs, "verification_id"), "d19ca286");
  expect_credit_handle_call();
  EXPECT_FALSE(get_object(h.effects.calls[0].params, "interacEtransfer")->contains("question"));
  expect_event("credit_handle_requested", "pending");
}

TEST_F(InteracWithdrawal, VerifiedRegularWithQuestionSendsTheQuestion) {
  h.txn.data["security"] = {{"question", "what is your name"}, {"answer", "JohnDoe"}};
  h.in("verifying").feed("verification.completed", verification("ALIAS_REGULAR", 500000));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  EXPECT_FALSE(get_bool(h.txn.data, "autodeposit", true));
  EXPECT_EQ(get_string(*get_object(h.effects.calls.at(0).params, "interacEtransfer"), "question"), "what is your name");
}

TEST_F(InteracWithdrawal, RefusedVerificationFails) {
  h.in("verifying").feed("verification.rejected", {{"error", "5017"}});
  EXPECT_EQ(h.txn.state, "failed");
}

// ---- a lost /verifications answer is looked up ------------------------------------------------

TEST_F(InteracWithdrawal, VerificationWithoutAnswerIsLookedUp) {
  h.in("verifying").feed("call.failed", {{"op", "create_verification"}, {"error", "timeout"}});
  expect_stays("verifying");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_verification");
  EXPECT_EQ(h.effects.calls[0].params, (json::object{{"merchantRefNum", "tx_test-verification"}}));
  EXPECT_EQ(get_int(h.txn.data, "verification_lookups"), 1);
}

TEST_F(InteracWithdrawal, VerificationRetryRefusedAsAlreadyProcessedIsLookedUp) {
  h.in("verifying").feed("verification.rejected", {{"http_status", 409}, {"code", "5031"}, {"error", "already processed"}});
  expect_stays("verifying");
  ASSERT_NE(h.call("get_verification"), nullptr);
  EXPECT_EQ(get_string(h.call("get_verification")->params, "merchantRefNum"), "tx_test-verification");
}

TEST_F(InteracWithdrawal, VerificationFoundByLookupNotCompletedFails) {
  h.in("verifying").feed("verification.status", verification("ALIAS_AUTODEPOSIT", 500000, "FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "verification FAILED");
  expect_event("failed", "failed");
}

TEST_F(InteracWithdrawal, VerificationFoundByLookupOverMaxAmountIsDeclined) {
  h.in("verifying").feed("verification.status", verification("ALIAS_AUTODEPOSIT", 39000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "amount 50000 is over the customer's maxAmount 39000");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, VerificationFoundByLookupWithoutAutodepositNorQuestionIsDeclined) {
  h.in("verifying").feed("verification.status", verification("ALIAS_REGULAR", 500000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, VerificationFoundByLookupGoesOnToTheCredit) {
  h.in("verifying").feed("verification.status", verification("ALIAS_AUTODEPOSIT", 500000));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  EXPECT_EQ(get_string(h.txn.provider_refs, "verification_id"), "d19ca286");
  EXPECT_TRUE(get_bool(h.txn.data, "autodeposit"));
  expect_credit_handle_call();
  EXPECT_TRUE(h.cancelled("timer.retry"));
  expect_event("credit_handle_requested", "pending");
}

TEST_F(InteracWithdrawal, FailedVerificationLookupIsTriedAgainLater) {
  h.txn.data["verification_lookups"] = 1;
  h.in("verifying").feed("call.failed", {{"op", "get_verification"}, {"error", "no verifications with merchantRefNum"}});
  expect_stays("verifying");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, RetryTimerLooksTheVerificationUpAgain) {
  h.txn.data["verification_lookups"] = 1;
  h.in("verifying");
  timer("timer.retry");
  expect_stays("verifying");
  ASSERT_NE(h.call("get_verification"), nullptr);
  EXPECT_EQ(get_int(h.txn.data, "verification_lookups"), 2);
}

TEST_F(InteracWithdrawal, VerificationNeverFoundFailsAfterTheLastLookup) {
  h.settings.set("verification_lookups", 2);
  h.in("verifying").feed("call.failed", {{"op", "create_verification"}});
  h.feed("call.failed", {{"op", "get_verification"}, {"error", "none found"}});
  expect_stays("verifying");
  timer("timer.retry");
  h.feed("call.failed", {{"op", "get_verification"}, {"error", "none found"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(),
            "the verification's answer was lost and Paysafe shows none; nothing was credited: none found");
  expect_event("failed", "failed");
}

TEST_F(InteracWithdrawal, DuplicateVerificationHandlePayableChangesNothing) {
  h.in("verifying");
  webhook("PAYMENT_HANDLE_PAYABLE", verification_handle());
  expect_stays("verifying");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, VerificationHandleCompletedChangesNothing) {
  h.in("verifying");
  webhook("PAYMENT_HANDLE_COMPLETED", verification_handle("COMPLETED"));
  expect_stays("verifying");
}

TEST_F(InteracWithdrawal, VerificationHandleResponseAfterItsWebhook) {
  h.in("verification_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", verification_handle());
  h.feed("handle.created", verification_handle());
  expect_stays("verifying");
  EXPECT_TRUE(h.effects.calls.empty());  // verified once only
}

// ---- credit_handle_requested ------------------------------------------------------------------

TEST_F(InteracWithdrawal, FailedCreditHandleIsDeclined) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.as_string(), "standalone credit handle FAILED");
}

TEST_F(InteracWithdrawal, CreditHandleShowingAmountOverMaxIsDeclined) {
  json::object d = credit_handle();
  d["interacEtransfer"].as_object()["maxAmount"] = 40000;
  h.in("credit_handle_requested").feed("handle.created", d);
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, PayableCreditHandleIsCredited) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle());
  EXPECT_EQ(h.txn.state, "credit_requested");
  expect_credit_call();
  EXPECT_EQ(get_string(h.txn.data, "credit_call_id"), h.effects.calls[0].call_id);
  EXPECT_TRUE(get_bool(h.txn.data, "autodeposit"));
  EXPECT_TRUE(h.cancelled("timer.handle_expired"));
  expect_event("credit_requested", "processing");
}

TEST_F(InteracWithdrawal, CreditHandleNotYetPayableWaitsWithinItsTtl) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle("INITIATED"));
  expect_stays("credit_handle_requested");
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 899000);
  EXPECT_EQ(get_string(h.txn.provider_refs, "payment_handle_token"), "PH6grPCguAtRInwc");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, RefusedCreditHandleFails) {
  h.in("credit_handle_requested").feed("handle.rejected", {{"error", "5068"}});
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracWithdrawal, CreditHandleWithoutAnswerFails) {
  h.in("credit_handle_requested").feed("call.failed", {{"op", "create_payment_handle"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "no answer from Paysafe; nothing was credited");
}

TEST_F(InteracWithdrawal, LateVerificationHandleWebhookDoesNotCredit) {
  h.in("credit_handle_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", verification_handle());
  expect_stays("credit_handle_requested");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, CreditHandlePayableWebhookCredits) {
  h.in("credit_handle_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", credit_handle());
  EXPECT_EQ(h.txn.state, "credit_requested");
  expect_credit_call();
}

TEST_F(InteracWithdrawal, CreditHandleFailedWebhookIsDeclined) {
  h.in("credit_handle_requested");
  webhook("PAYMENT_HANDLE_FAILED", credit_handle("FAILED"));
  EXPECT_EQ(h.txn.state, "declined");
}

TEST_F(InteracWithdrawal, CreditHandleExpiredWebhookExpires) {
  h.in("credit_handle_requested");
  webhook("PAYMENT_HANDLE_EXPIRED", credit_handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  expect_event("expired", "expired");
}

TEST_F(InteracWithdrawal, CreditHandleTtlTimerExpires) {
  h.in("credit_handle_requested");
  timer("timer.handle_expired");
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.as_string(), "payment handle expired before /standalonecredits");
  EXPECT_TRUE(h.effects.calls.empty());
}

// ---- credit_requested -------------------------------------------------------------------------

TEST_F(InteracWithdrawal, CreditCompletedAtOnce) {
  h.in("credit_requested").feed("credit.created", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(get_string(h.txn.provider_refs, "standalone_credit_id"), "b7759f69");
  expect_event("completed", "succeeded");
}

TEST_F(InteracWithdrawal, CreditFailedAtOnce) {
  h.in("credit_requested").feed("credit.created", credit_resource("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: standalone credit FAILED");
}

TEST_F(InteracWithdrawal, AutodepositCreditProcessingWaitsForTPlusOne) {
  h.txn.data["autodeposit"] = true;
  h.in("credit_requested").feed("credit.created", credit_resource("PROCESSING"));
  EXPECT_EQ(h.txn.state, "credit_processing");
  ASSERT_NE(h.timer("timer.credit_deadline"), nullptr);
  EXPECT_EQ(h.timer("timer.credit_deadline")->due_at_ms, kT0 + 2 * kDay);
  ASSERT_NE(h.timer("timer.poll"), nullptr);
  EXPECT_EQ(h.timer("timer.poll")->due_at_ms, kT0 + 300000);
  EXPECT_TRUE(h.cancelled("timer.retry"));
  expect_event("credit_processing", "processing");
}

TEST_F(InteracWithdrawal, QuestionCreditProcessingWaitsUpToThirtyDays) {
  h.settings.set("claim_deadline_ms", 30 * kDay);
  h.txn.data["autodeposit"] = false;
  h.txn.data["security"] = {{"question", "q"}, {"answer", "a"}};
  h.in("credit_requested").feed("credit.created", credit_resource("PROCESSING"));
  EXPECT_EQ(h.timer("timer.credit_deadline")->due_at_ms, kT0 + 30 * kDay);
}

TEST_F(InteracWithdrawal, RefusedCreditFails) {
  h.in("credit_requested").feed("credit.rejected", {{"error", "insufficient merchant balance"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe refused the request: insufficient merchant balance");
}

TEST_F(InteracWithdrawal, CreditWithoutAnswerIsRetriedLater) {
  h.in("credit_requested").feed("call.failed", {{"op", "create_standalone_credit"}});
  expect_stays("credit_requested");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
}

TEST_F(InteracWithdrawal, CreditRetryReusesTheFirstCallId) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle());
  const std::string first = h.call("create_standalone_credit")->call_id;
  h.feed("call.failed", {{"op", "create_standalone_credit"}});
  timer("timer.retry");
  expect_stays("credit_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  expect_credit_call();
}

TEST_F(InteracWithdrawal, ProcessingWebhookBeforeTheCreditResponse) {
  h.in("credit_requested");
  webhook("SA_CREDIT_PROCESSING", credit_resource("PROCESSING"));
  EXPECT_EQ(h.txn.state, "credit_processing");
  EXPECT_NE(h.timer("timer.credit_deadline"), nullptr);
}

TEST_F(InteracWithdrawal, CompletedWebhookBeforeTheCreditResponse) {
  h.in("credit_requested");
  webhook("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracWithdrawal, FailedWebhookBeforeTheCreditResponse) {
  h.in("credit_requested");
  webhook("SA_CREDIT_FAILED", credit_resource("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: SA_CREDIT_FAILED");
}

TEST_F(InteracWithdrawal, ErroredWebhookBeforeTheCreditResponse) {
  h.in("credit_requested");
  webhook("SA_CREDIT_ERRORED", credit_resource("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracWithdrawal, HandleExpiredBeforeOurCreditReachedPaysafe) {
  h.in("credit_requested");
  webhook("PAYMENT_HANDLE_EXPIRED", credit_handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
}

TEST_F(InteracWithdrawal, DuplicatePayableWebhookDoesNotCreditTwice) {
  h.in("credit_handle_requested");
  webhook("PAYMENT_HANDLE_PAYABLE", credit_handle());
  webhook("PAYMENT_HANDLE_PAYABLE", credit_handle());
  expect_stays("credit_requested");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, HandleCompletedWhileCrediting) {
  h.in("credit_requested");
  webhook("PAYMENT_HANDLE_COMPLETED", credit_handle("COMPLETED"));
  expect_stays("credit_requested");
}

// ---- credit_processing ------------------------------------------------------------------------

TEST_F(InteracWithdrawal, CreditCompletedWebhookCompletes) {
  h.in("credit_processing");
  webhook("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  expect_event("completed", "succeeded");
  EXPECT_EQ(h.effects.cancelled_timers, std::vector<std::string>{"*"});
}

TEST_F(InteracWithdrawal, CreditFailedWebhookFails) {
  h.in("credit_processing");
  webhook("SA_CREDIT_FAILED", credit_resource("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracWithdrawal, CreditErroredWebhookFails) {
  h.in("credit_processing");
  webhook("SA_CREDIT_ERRORED", credit_resource("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracWithdrawal, UnclaimedCreditCancelledExpires) {
  h.in("credit_processing");
  webhook("SA_CREDIT_CANCELLED", credit_resource("CANCELLED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.as_string(), "the customer did not claim the transfer in time");
}

TEST_F(InteracWithdrawal, DuplicateProcessingWebhookChangesNothing) {
  h.in("credit_processing");
  webhook("SA_CREDIT_PROCESSING", credit_resource("PROCESSING"));
  expect_stays("credit_processing");
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(InteracWithdrawal, LateCreditResponseSaysCompleted) {
  h.in("credit_processing").feed("credit.created", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracWithdrawal, LateCreditResponseKeepsTheCreditId) {
  h.in("credit_processing").feed("credit.created", credit_resource("PROCESSING"));
  expect_stays("credit_processing");
  EXPECT_EQ(get_string(h.txn.provider_refs, "standalone_credit_id"), "b7759f69");
}

TEST_F(InteracWithdrawal, LateHandleCompletedChangesNothing) {
  h.in("credit_processing");
  webhook("PAYMENT_HANDLE_COMPLETED", credit_handle("COMPLETED"));
  expect_stays("credit_processing");
}

TEST_F(InteracWithdrawal, PollTimerGetsTheCredit) {
  h.txn.provider_refs["standalone_credit_id"] = "b7759f69";
  h.in("credit_processing");
  timer("timer.poll");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_standalone_credit");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "standalone_credit_id"), "b7759f69");
  EXPECT_EQ(get_string(h.effects.calls[0].params, "merchantRefNum"), "tx_test");
}

TEST_F(InteracWithdrawal, DeadlineTimerChecksNow) {
  h.in("credit_processing");
  timer("timer.credit_deadline");
  expect_stays("credit_processing");
  ASSERT_NE(h.call("get_standalone_credit"), nullptr);
}

TEST_F(InteracWithdrawal, CheckSaysCompleted) {
  h.in("credit_processing").feed("credit.status", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
}

TEST_F(InteracWithdrawal, CheckSaysFailed) {
  h.in("credit_processing").feed("credit.status", credit_resource("ERRORED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.as_string(), "Paysafe: standalone credit ERRORED");
}

TEST_F(InteracWithdrawal, CheckSaysCancelled) {
  h.in("credit_processing").feed("credit.status", credit_resource("CANCELLED"));
  EXPECT_EQ(h.txn.state, "expired");
}

TEST_F(InteracWithdrawal, StillProcessingPollsAgainWithCappedBackoff) {
  h.settings.set("poll_interval_ms", 300000);
  h.settings.set("poll_max_interval_ms", 1000000);
  h.in("credit_processing");
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 4; ++i) {
    h.feed("credit.status", credit_resource("PROCESSING"));
    expect_stays("credit_processing");
    delays.push_back(h.timer("timer.poll")->due_at_ms - kT0);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{300000, 600000, 1000000, 1000000}));
}

TEST_F(InteracWithdrawal, CreditCheckFailurePollsAgain) {
  h.in("credit_processing").feed("call.failed", {{"op", "get_standalone_credit"}});
  expect_stays("credit_processing");
  EXPECT_NE(h.timer("timer.poll"), nullptr);
}

// ---- late inputs on final states --------------------------------------------------------------

TEST_F(InteracWithdrawal, PayableAfterTheHandleExpiredIsAbsorbed) {
  h.in("credit_handle_requested");
  timer("timer.handle_expired");
  auto r = h.feed("PAYMENT_HANDLE_PAYABLE", credit_handle(), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, HappyPathWithVerificationAndAutodeposit) {
  Harness fresh{interac_withdrawal_flow(), Money{50000, "CAD"}};
  std::vector<std::string> states;
  auto feed = [&](Input in) {
    fresh.feed(in);
    for (auto& e : fresh.effects.events) states.emplace_back(e.state);
  };
  feed(fresh.create_input({{"verify", true}}));
  feed(testing::make_input("handle.created", verification_handle()));
  feed(testing::make_input("verification.completed", verification("ALIAS_AUTODEPOSIT", 500000)));
  feed(testing::make_input("handle.created", credit_handle()));
  feed(testing::make_input("credit.created", credit_resource("PROCESSING")));
  feed(testing::make_input("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"), kT0 + kDay, InputKind::webhook));
  EXPECT_EQ(states, (std::vector<std::string>{"verification_requested", "verifying", "credit_handle_requested",
                                              "credit_requested", "credit_processing", "completed"}));
}

}  // namespace
}  // namespace corridor
