// One test per row of interac.withdrawal (seed 004_65eeba9a99dbfec8.txt, Paysafe Interac e-Transfer).
#include "statemachines/interac_withdrawal.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "statemachines/reconcile.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

InteracWithdrawalData& data_of(Harness& h) { return h.txn.data.as<InteracWithdrawalData>(); }

constexpr std::int64_t kDay = 86400000;
// The router seals the security answer (AES-GCM, like card numbers); the flow only ever sees this.
constexpr std::string_view kSealedAnswer = "3q2+7wAAAAAAAAAAsealed+answer+ciphertext==";

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
    const json::object p = h.effects.calls[0].params.object();
    EXPECT_EQ(h.effects.calls[0].op, "create_payment_handle");
    EXPECT_EQ(get_string(p, "merchantRefNum"), "tx_test");
    EXPECT_EQ(get_string(p, "transactionType"), "STANDALONE_CREDIT");
    EXPECT_EQ(get_string(p, "paymentType"), "INTERAC_ETRANSFER");
    EXPECT_EQ(get_int(*get_object(p, "amount"), "value"), 50000);
    EXPECT_EQ(get_string(*get_object(p, "interacEtransfer"), "consumerId"), "john@example.com");
  }
  void expect_credit_call() {
    ASSERT_EQ(h.effects.calls.size(), 1u);
    const json::object p = h.effects.calls[0].params.object();
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
  const json::object p = h.effects.calls[0].params.object();
  EXPECT_EQ(h.effects.calls[0].op, "create_payment_handle");
  EXPECT_EQ(get_string(p, "merchantRefNum"), "tx_test-verification");
  EXPECT_EQ(get_string(p, "transactionType"), "VERIFICATION");
  EXPECT_EQ(get_string(*get_object(p, "interacEtransfer"), "consumerId"), "john@example.com");
  expect_event("verification_requested", "pending");
}

TEST_F(InteracWithdrawal, PayoutWithoutVerificationAsksForACreditHandle) {
  h.feed(h.create_input({{"interac", {{"question", "what is your name"}, {"answer_sealed", kSealedAnswer}}}}));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  expect_credit_handle_call();
  const json::object params = h.effects.calls[0].params.object();
  const auto& e = *get_object(params, "interacEtransfer");
  EXPECT_EQ(get_string(e, "question"), "what is your name");
  // The executor opens {"sealed": ...} in memory just before the request.
  EXPECT_EQ(e.at("answer"), (json::value{{"sealed", kSealedAnswer}}));
  ASSERT_TRUE(data_of(h).security.has_value());
  EXPECT_EQ(data_of(h).security->question, "what is your name");
  EXPECT_EQ(data_of(h).security->answer_sealed, kSealedAnswer);
  expect_event("credit_handle_requested", "pending");
}

// DESIGN.md section 6 and issue 12: the security answer is kept sealed; one that reaches the flow in
// clear is refused and kept nowhere: not in the transaction's data, events or the reason.
TEST_F(InteracWithdrawal, AnAnswerInClearIsRefusedAndKeptNowhere) {
  h.feed(h.create_input({{"interac", {{"question", "what is your name"}, {"answer", "JohnDoe"}}}}));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(),
            "the security answer arrived in clear (interac.answer): corridor takes it sealed only "
            "(interac.answer_sealed) and keeps no answer in clear");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(boost::json::serialize(to_json(h.txn)).find("JohnDoe"), std::string::npos);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(serialize(h.effects.events[0]).find("JohnDoe"), std::string::npos);
}

TEST_F(InteracWithdrawal, TheSealedAnswerIsAllThatIsKeptAlongTheWholeFlow) {
  Harness fresh{interac_withdrawal_flow(), Money{50000, "CAD"}};
  std::string trace;
  auto feed = [&](Input in) {
    fresh.feed(in);
    for (const auto& e : fresh.effects.events) trace += serialize(e);
    trace += boost::json::serialize(to_json(fresh.txn));
  };
  feed(fresh.create_input({{"verify", true}, {"interac", {{"question", "what is your name"}, {"answer_sealed", kSealedAnswer}}}}));
  feed(testing::make_input("handle.created", verification_handle()));
  feed(testing::make_input("verification.completed", verification("ALIAS_REGULAR", 500000)));
  ASSERT_EQ(fresh.txn.state, "credit_handle_requested");
  const json::object params = fresh.effects.calls.at(0).params.object();
  const auto& e = *get_object(params, "interacEtransfer");
  EXPECT_EQ(e.at("answer"), (json::value{{"sealed", kSealedAnswer}}));
  // Paysafe echoes the answer in its handle (the adapter removes it; a flow never copies it either).
  json::object echoed = credit_handle();
  echoed["interacEtransfer"].as_object()["answer"] = "JohnDoe";
  feed(testing::make_input("handle.created", echoed));
  feed(testing::make_input("credit.created", credit_resource("PROCESSING")));
  feed(testing::make_input("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"), kT0 + kDay, InputKind::webhook));
  EXPECT_EQ(fresh.txn.state, "completed");
  EXPECT_EQ(trace.find("JohnDoe"), std::string::npos);
  ASSERT_TRUE(data_of(fresh).security.has_value());
  EXPECT_EQ(data_of(fresh).security->question, "what is your name");
  EXPECT_EQ(data_of(fresh).security->answer_sealed, kSealedAnswer);
}

// ---- verification_requested -------------------------------------------------------------------

TEST_F(InteracWithdrawal, PayableVerificationHandleIsVerified) {
  h.in("verification_requested").feed("handle.created", verification_handle());
  EXPECT_EQ(h.txn.state, "verifying");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "create_verification");
  EXPECT_EQ(h.effects.calls[0].params.text("paymentHandleToken"), "PHd0GFCqwJqu9YkV");
  EXPECT_EQ(h.effects.calls[0].params.text("merchantRefNum"), "tx_test-verification");
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params.object(), "amount"), "value"), 50000);
  expect_event("verifying", "pending");
}

TEST_F(InteracWithdrawal, VerificationHandleNotPayableFails) {
  h.in("verification_requested").feed("handle.created", verification_handle("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "verification handle FAILED instead of PAYABLE");
}

TEST_F(InteracWithdrawal, RefusedVerificationHandleFails) {
  h.in("verification_requested").feed("handle.rejected", {{"error", "invalid consumerId"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe refused the request: invalid consumerId");
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
  EXPECT_EQ(h.txn.reason.value(), "verification FAILED");
}

TEST_F(InteracWithdrawal, AmountOverMaxAmountIsDeclinedBeforeAnyCredit) {
  h.in("verifying").feed("verification.completed", verification("ALIAS_AUTODEPOSIT", 39000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.value(), "amount 50000 is over the customer's maxAmount 39000");
  EXPECT_EQ(data_of(h).max_amount, 39000);
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("declined", "declined");
}

TEST_F(InteracWithdrawal, NoAutodepositAndNoQuestionIsDeclined) {
  h.in("verifying").feed("verification.completed", verification("ALIAS_REGULAR", 500000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.value(), "not registered for autodeposit and no security question and answer given");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, VerifiedAutodepositAsksForTheCreditHandleWithoutQuestion) {
  data_of(h).security = InteracSecurityQuestion{.question = "q", .answer_sealed = std::string(kSealedAnswer)};
  h.in("verifying").feed("verification.completed", verification("ALIAS_AUTODEPOSIT", 500000));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  EXPECT_EQ(data_of(h).autodeposit, true);
  EXPECT_EQ(h.txn.provider_refs.find("verification_id"), "d19ca286");
  expect_credit_handle_call();
  EXPECT_FALSE(get_object(h.effects.calls[0].params.object(), "interacEtransfer")->contains("question"));
  expect_event("credit_handle_requested", "pending");
}

TEST_F(InteracWithdrawal, VerifiedRegularWithQuestionSendsTheQuestion) {
  data_of(h).security =
      InteracSecurityQuestion{.question = "what is your name", .answer_sealed = std::string(kSealedAnswer)};
  h.in("verifying").feed("verification.completed", verification("ALIAS_REGULAR", 500000));
  EXPECT_EQ(h.txn.state, "credit_handle_requested");
  EXPECT_EQ(data_of(h).autodeposit, false);
  const json::object params = h.effects.calls.at(0).params.object();
  const auto& e = *get_object(params, "interacEtransfer");
  EXPECT_EQ(get_string(e, "question"), "what is your name");
  EXPECT_EQ(e.at("answer"), (json::value{{"sealed", kSealedAnswer}}));
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
  EXPECT_EQ(data_of(h).verification_lookups, 1);
}

TEST_F(InteracWithdrawal, VerificationRetryRefusedAsAlreadyProcessedIsLookedUp) {
  h.in("verifying").feed("verification.rejected", {{"http_status", 409}, {"code", "5031"}, {"error", "already processed"}});
  expect_stays("verifying");
  ASSERT_NE(h.call("get_verification"), nullptr);
  EXPECT_EQ(h.call("get_verification")->params.text("merchantRefNum"), "tx_test-verification");
}

TEST_F(InteracWithdrawal, VerificationFoundByLookupNotCompletedFails) {
  h.in("verifying").feed("verification.status", verification("ALIAS_AUTODEPOSIT", 500000, "FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "verification FAILED");
  expect_event("failed", "failed");
}

TEST_F(InteracWithdrawal, VerificationFoundByLookupOverMaxAmountIsDeclined) {
  h.in("verifying").feed("verification.status", verification("ALIAS_AUTODEPOSIT", 39000));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.reason.value(), "amount 50000 is over the customer's maxAmount 39000");
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
  EXPECT_EQ(h.txn.provider_refs.find("verification_id"), "d19ca286");
  EXPECT_EQ(data_of(h).autodeposit, true);
  expect_credit_handle_call();
  EXPECT_TRUE(h.cancelled("timer.retry"));
  expect_event("credit_handle_requested", "pending");
}

TEST_F(InteracWithdrawal, FailedVerificationLookupIsTriedAgainLater) {
  data_of(h).verification_lookups = 1;
  h.in("verifying").feed("call.failed", {{"op", "get_verification"}, {"error", "no verifications with merchantRefNum"}});
  expect_stays("verifying");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, RetryTimerLooksTheVerificationUpAgain) {
  data_of(h).verification_lookups = 1;
  h.in("verifying");
  timer("timer.retry");
  expect_stays("verifying");
  ASSERT_NE(h.call("get_verification"), nullptr);
  EXPECT_EQ(data_of(h).verification_lookups, 2);
}

TEST_F(InteracWithdrawal, VerificationNeverFoundFailsAfterTheLastLookup) {
  h.settings.set("verification_lookups", 2);
  h.in("verifying").feed("call.failed", {{"op", "create_verification"}});
  h.feed("call.failed", {{"op", "get_verification"}, {"error", "none found"}});
  expect_stays("verifying");
  timer("timer.retry");
  h.feed("call.failed", {{"op", "get_verification"}, {"error", "none found"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(),
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
  EXPECT_EQ(h.txn.reason.value(), "standalone credit handle FAILED");
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
  EXPECT_EQ(data_of(h).credit_call_id, h.effects.calls[0].call_id);
  EXPECT_EQ(data_of(h).autodeposit, true);
  // The handle's TTL still applies while /standalonecredits is out.
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 899000);
  expect_event("credit_requested", "processing");
}

TEST_F(InteracWithdrawal, CreditHandleNotYetPayableWaitsWithinItsTtl) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle("INITIATED"));
  expect_stays("credit_handle_requested");
  ASSERT_NE(h.timer("timer.handle_expired"), nullptr);
  EXPECT_EQ(h.timer("timer.handle_expired")->due_at_ms, kT0 + 899000);
  EXPECT_EQ(h.txn.provider_refs.find("payment_handle_token"), "PH6grPCguAtRInwc");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, RefusedCreditHandleFails) {
  h.in("credit_handle_requested").feed("handle.rejected", {{"error", "5068"}});
  EXPECT_EQ(h.txn.state, "failed");
}

TEST_F(InteracWithdrawal, CreditHandleWithoutAnswerFails) {
  h.in("credit_handle_requested").feed("call.failed", {{"op", "create_payment_handle"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "no answer from Paysafe; nothing was credited");
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

TEST_F(InteracWithdrawal, CreditHandleTtlTimerMakesALastCheck) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle("INITIATED"));
  h.now = kT0 + 899000;
  timer("timer.handle_expired");
  expect_stays("credit_handle_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
  EXPECT_EQ(h.effects.calls[0].params.text("payment_handle_id"), "9129cf41");
  h.feed("handle.status", credit_handle("INITIATED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(),
            "the handle's TTL passed and Paysafe still shows it INITIATED: no credit was sent; expired on corridor's clock");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(InteracWithdrawal, CreditHandleLastCheckFollowsPaysafe) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("credit_handle_requested").feed("handle.status", credit_handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_FALSE(!h.txn.settled_by.empty());
  Harness payable{interac_withdrawal_flow(), Money{50000, "CAD"}};
  data_of(payable).handle_deadline_ms = kT0;
  payable.in("credit_handle_requested").feed("handle.status", credit_handle("PAYABLE"));
  EXPECT_EQ(payable.txn.state, "credit_requested");
  ASSERT_NE(payable.call("create_standalone_credit"), nullptr);
  Harness failed{interac_withdrawal_flow(), Money{50000, "CAD"}};
  failed.in("credit_handle_requested").feed("handle.status", credit_handle("FAILED"));
  EXPECT_EQ(failed.txn.state, "declined");
  Harness early{interac_withdrawal_flow(), Money{50000, "CAD"}};
  early.in("credit_handle_requested").feed("handle.status", credit_handle("INITIATED"));
  EXPECT_EQ(early.txn.state, "credit_handle_requested");  // within the TTL: wait
  EXPECT_NE(early.timer("timer.handle_expired"), nullptr);
}

TEST_F(InteracWithdrawal, CreditHandleLastCheckWithoutAnswerExpiresOnCorridorsClock) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("credit_handle_requested").feed("call.failed", {{"op", "get_payment_handle"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.settled_by, "corridor");
  Harness early{interac_withdrawal_flow(), Money{50000, "CAD"}};
  early.in("credit_handle_requested").feed("call.failed", {{"op", "get_payment_handle"}, {"not_found", true}});
  EXPECT_EQ(early.txn.state, "credit_handle_requested");
  EXPECT_EQ(early.txn.rejected_inputs, 0);
}

// ---- credit_requested -------------------------------------------------------------------------

TEST_F(InteracWithdrawal, CreditCompletedAtOnce) {
  h.in("credit_requested").feed("credit.created", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.txn.provider_refs.find("standalone_credit_id"), "b7759f69");
  expect_event("completed", "succeeded");
}

TEST_F(InteracWithdrawal, CreditFailedAtOnce) {
  h.in("credit_requested").feed("credit.created", credit_resource("FAILED"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: standalone credit FAILED");
}

TEST_F(InteracWithdrawal, AutodepositCreditProcessingWaitsForTPlusOne) {
  data_of(h).autodeposit = true;
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
  data_of(h).autodeposit = false;
  data_of(h).security = InteracSecurityQuestion{.question = "q", .answer_sealed = std::string(kSealedAnswer)};
  h.in("credit_requested").feed("credit.created", credit_resource("PROCESSING"));
  EXPECT_EQ(h.timer("timer.credit_deadline")->due_at_ms, kT0 + 30 * kDay);
}

TEST_F(InteracWithdrawal, RefusedCreditFails) {
  h.in("credit_requested").feed("credit.rejected", {{"error", "insufficient merchant balance"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe refused the request: insufficient merchant balance");
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
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: SA_CREDIT_FAILED");
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
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
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
  EXPECT_EQ(h.txn.reason.value(), "the customer did not claim the transfer in time");
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
  EXPECT_EQ(h.txn.provider_refs.find("standalone_credit_id"), "b7759f69");
}

TEST_F(InteracWithdrawal, LateHandleCompletedChangesNothing) {
  h.in("credit_processing");
  webhook("PAYMENT_HANDLE_COMPLETED", credit_handle("COMPLETED"));
  expect_stays("credit_processing");
}

TEST_F(InteracWithdrawal, PollTimerGetsTheCredit) {
  h.txn.provider_refs.set({"standalone_credit_id"}, "b7759f69");
  h.in("credit_processing");
  timer("timer.poll");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_standalone_credit");
  EXPECT_EQ(h.effects.calls[0].params.text("standalone_credit_id"), "b7759f69");
  EXPECT_EQ(h.effects.calls[0].params.text("merchantRefNum"), "tx_test");
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
  EXPECT_EQ(h.txn.reason.value(), "Paysafe: standalone credit ERRORED");
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

TEST_F(InteracWithdrawal, PayableAfterPaysafeExpiredTheHandleIsAbsorbed) {
  h.in("credit_handle_requested");
  webhook("PAYMENT_HANDLE_EXPIRED", credit_handle("EXPIRED"));
  auto r = h.feed("PAYMENT_HANDLE_PAYABLE", credit_handle(), InputKind::webhook);
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_TRUE(h.effects.calls.empty());
}

// After corridor's own expiry a late PAYABLE is not an outcome: announced, Paysafe asked, and never
// credited (the merchant was told the withdrawal expired).
TEST_F(InteracWithdrawal, PayableAfterCorridorsExpiryIsAnnouncedNeverCredited) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("credit_handle_requested").feed("handle.status", credit_handle("INITIATED"));
  ASSERT_EQ(h.txn.state, "expired");
  const std::int64_t v = h.txn.version;
  h.feed("PAYMENT_HANDLE_PAYABLE", credit_handle(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.version, v + 1);
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateInput);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_payment_handle");
  EXPECT_EQ(h.call("create_standalone_credit"), nullptr);
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


// ---- issue 12: calls that never left, bounded waits and retries --------------------------------

TEST_F(InteracWithdrawal, VerifyKeepsTheVerificationHandleApartFromTheCreditHandle) {
  h.in("verification_requested").feed("handle.created", verification_handle());
  EXPECT_EQ(h.txn.provider_refs.find("verification_handle_id"), "cbd5a3a4");
  EXPECT_FALSE(h.txn.provider_refs.contains("payment_handle_id"));
  EXPECT_FALSE(h.txn.provider_refs.contains("payment_handle_token"));
}

TEST_F(InteracWithdrawal, HandleRequestsRefusedBeforeSendFailWithTheAdaptersReason) {
  for (std::string_view state : {"verification_requested", "credit_handle_requested"}) {
    Harness r{interac_withdrawal_flow(), Money{50000, "CAD"}};
    r.in(state).feed("call.failed", {{"op", "create_payment_handle"},
                                     {"error", "interac create_payment_handle: currency USD: CAD only"},
                                     {"sent", false},
                                     {"refused", true}});
    EXPECT_EQ(r.txn.state, "failed") << state;
    EXPECT_EQ(r.txn.reason.value(),
              "the request could not be sent; nothing was credited: interac create_payment_handle: currency USD: CAD only")
        << state;
    EXPECT_FALSE(!r.txn.settled_by.empty()) << state;
  }
}

TEST_F(InteracWithdrawal, HandleRequestsNotSentAreSentAgainUnderTheirFirstId) {
  h.feed(h.create_input({{"verify", true}}));
  const std::string first = h.call("create_payment_handle")->call_id;
  h.feed("call.failed", {{"op", "create_payment_handle"}, {"sent", false}});
  expect_stays("verification_requested");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  timer("timer.retry");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_EQ(h.effects.calls[0].params.text("transactionType"), "VERIFICATION");

  Harness credit{interac_withdrawal_flow(), Money{50000, "CAD"}};
  credit.feed(credit.create_input());
  const std::string credit_first = credit.call("create_payment_handle")->call_id;
  credit.feed("call.failed", {{"op", "create_payment_handle"}, {"sent", false}});
  EXPECT_EQ(credit.txn.state, "credit_handle_requested");
  credit.feed("timer.retry", {}, InputKind::timer);
  ASSERT_EQ(credit.effects.calls.size(), 1u);
  EXPECT_EQ(credit.effects.calls[0].call_id, credit_first);
  EXPECT_EQ(credit.effects.calls[0].params.text("transactionType"), "STANDALONE_CREDIT");
}

TEST_F(InteracWithdrawal, HandleRequestsWithoutAnswerFailOnCorridorsClock) {
  for (std::string_view state : {"verification_requested", "credit_handle_requested"}) {
    Harness r{interac_withdrawal_flow(), Money{50000, "CAD"}};
    r.in(state).feed("call.failed", {{"op", "create_payment_handle"}, {"error", "timeout"}});
    EXPECT_EQ(r.txn.state, "failed") << state;
    EXPECT_EQ(r.txn.settled_by, "corridor") << state;
  }
}

TEST_F(InteracWithdrawal, VerificationNotSentFails) {
  h.in("verifying").feed("call.failed", {{"op", "create_verification"}, {"sent", false}, {"error", "circuit open"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "the request could not be sent; nothing was credited: circuit open");
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(InteracWithdrawal, VerificationNeverFoundIsDecidedOnCorridorsClock) {
  h.settings.set("verification_lookups", 1);
  data_of(h).verification_lookups = 1;
  h.in("verifying").feed("call.failed", {{"op", "get_verification"}, {"error", "none found"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(InteracWithdrawal, ReconcileAsksPaysafeInEveryWaitingState) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"verification_requested", "get_payment_handle"}, {"verifying", "get_verification"},
      {"credit_handle_requested", "get_payment_handle"}, {"credit_requested", "get_standalone_credit"},
      {"credit_processing", "get_standalone_credit"},    {"unknown", "get_standalone_credit"}};
  for (const auto& [state, op] : cases) {
    Harness r{interac_withdrawal_flow(), Money{50000, "CAD"}};
    r.in(state).feed("transaction.reconcile", {}, InputKind::command);
    ASSERT_EQ(r.effects.calls.size(), 1u) << state;
    EXPECT_EQ(r.effects.calls[0].op, op) << state;
  }
  Harness v{interac_withdrawal_flow(), Money{50000, "CAD"}};
  v.in("verification_requested").feed("transaction.reconcile", {}, InputKind::command);
  EXPECT_EQ(v.effects.calls[0].params.text("merchantRefNum"), "tx_test-verification");
}

TEST_F(InteracWithdrawal, VerificationHandleFoundByLookUp) {
  h.in("verification_requested").feed("handle.status", verification_handle());
  EXPECT_EQ(h.txn.state, "verifying");
  ASSERT_NE(h.call("create_verification"), nullptr);
  Harness unusable{interac_withdrawal_flow(), Money{50000, "CAD"}};
  unusable.in("verification_requested").feed("handle.status", verification_handle("FAILED"));
  EXPECT_EQ(unusable.txn.state, "failed");
  Harness none{interac_withdrawal_flow(), Money{50000, "CAD"}};
  none.in("verification_requested").feed("call.failed", {{"op", "get_payment_handle"}, {"not_found", true}});
  EXPECT_EQ(none.txn.state, "verification_requested");
  EXPECT_EQ(none.txn.rejected_inputs, 0);
}

TEST_F(InteracWithdrawal, CreditRefusedBeforeSendFails) {
  h.in("credit_requested")
      .feed("call.failed", {{"op", "create_standalone_credit"}, {"error", "missing field 'paymentHandleToken'"},
                            {"sent", false}, {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "the request could not be sent; nothing was credited: missing field 'paymentHandleToken'");
  EXPECT_FALSE(!h.txn.settled_by.empty());
}

TEST_F(InteracWithdrawal, CreditNotSentIsSentAgainUnderTheSameKey) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle());
  const std::string first = h.call("create_standalone_credit")->call_id;
  h.feed("call.failed", {{"op", "create_standalone_credit"}, {"sent", false}});
  expect_stays("credit_requested");
  h.now = h.timer("timer.retry")->due_at_ms;
  timer("timer.retry");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].call_id, first);
}

TEST_F(InteracWithdrawal, CreditReSendsBackOffAndEndInUnknown) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle());
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 10; ++i) {
    h.feed("call.failed", {{"op", "create_standalone_credit"}, {"error", "timeout"}});
    if (h.txn.state != "credit_requested") break;
    delays.push_back(h.timer("timer.retry")->due_at_ms - h.now);
    h.now = h.timer("timer.retry")->due_at_ms;
    timer("timer.retry");
    ASSERT_NE(h.call("create_standalone_credit"), nullptr);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30000, 60000, 120000, 240000, 300000}));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
  EXPECT_TRUE(h.cancelled("timer.handle_expired"));
}

TEST_F(InteracWithdrawal, CreditUnansweredAtTheTtlAsksWhetherACreditExists) {
  h.in("credit_handle_requested").feed("handle.created", credit_handle());
  h.now = kT0 + 899000;
  timer("timer.handle_expired");
  expect_stays("credit_requested");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "get_standalone_credit");
  EXPECT_EQ(h.effects.calls[0].params.text("merchantRefNum"), "tx_test");
  EXPECT_TRUE(h.cancelled("timer.retry"));
  // No re-send of /standalonecredits past the TTL: a failed send or the retry timer asks instead.
  h.feed("call.failed", {{"op", "create_standalone_credit"}, {"error", "timeout"}});
  ASSERT_NE(h.call("get_standalone_credit"), nullptr);
  EXPECT_EQ(h.call("create_standalone_credit"), nullptr);
  timer("timer.retry");
  ASSERT_NE(h.call("get_standalone_credit"), nullptr);
  EXPECT_EQ(h.call("create_standalone_credit"), nullptr);
}

TEST_F(InteracWithdrawal, NoCreditAfterTheTtlExpiresOnCorridorsClock) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("credit_requested").feed("call.failed", {{"op", "get_standalone_credit"}, {"not_found", true}, {"error", "none"}});
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.reason.value(),
            "the handle's TTL passed and Paysafe shows no standalone credit: nothing was credited: none");
  EXPECT_EQ(h.txn.settled_by, "corridor");
  // Its late word replaces the expiry.
  webhook("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
  EXPECT_EQ(h.effects.events.at(0).previous_state, "expired");
}

TEST_F(InteracWithdrawal, CreditCheckWithoutAnswerAfterTheTtlIsUnknown) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("credit_requested").feed("call.failed", {{"op", "get_standalone_credit"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  Harness early{interac_withdrawal_flow(), Money{50000, "CAD"}};
  early.in("credit_requested").feed("call.failed", {{"op", "get_standalone_credit"}, {"not_found", true}});
  EXPECT_EQ(early.txn.state, "credit_requested");
  EXPECT_EQ(early.txn.rejected_inputs, 0);
}

TEST_F(InteracWithdrawal, CreditFoundByLookUpIsFollowed) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"PROCESSING", "credit_processing"}, {"COMPLETED", "completed"}, {"FAILED", "failed"}, {"CANCELLED", "expired"}};
  for (const auto& [status, state] : cases) {
    Harness r{interac_withdrawal_flow(), Money{50000, "CAD"}};
    r.in("credit_requested").feed("credit.status", credit_resource(status));
    EXPECT_EQ(r.txn.state, state) << status;
  }
}

TEST_F(InteracWithdrawal, CancelledWebhookBeforeTheCreditResponseExpires) {
  h.in("credit_requested");
  webhook("SA_CREDIT_CANCELLED", credit_resource("CANCELLED"));
  EXPECT_EQ(h.txn.state, "expired");
}

TEST_F(InteracWithdrawal, StillProcessingPastTheCreditDeadlineIsUnknown) {
  data_of(h).credit_deadline_ms = kT0;
  h.in("credit_processing").feed("credit.status", credit_resource("PROCESSING"));
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(),
            "still PROCESSING past the credit deadline (T+1 with autodeposit, 30 days otherwise): Paysafe's word "
            "decides (reconciliation)");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kOutcomeUnknown);
  EXPECT_EQ(h.timer("timer.poll"), nullptr);
  EXPECT_TRUE(h.cancelled("timer.credit_deadline"));
}

TEST_F(InteracWithdrawal, CreditChecksAreBounded) {
  h.settings.set("max_polls", 2);
  h.txn.poll_attempt = 2;
  h.in("credit_processing").feed("credit.status", credit_resource("PROCESSING"));
  EXPECT_EQ(h.txn.state, "unknown");
  Harness failing{interac_withdrawal_flow(), Money{50000, "CAD"}};
  failing.settings.set("max_polls", 2);
  failing.txn.poll_attempt = 2;
  failing.in("credit_processing").feed("call.failed", {{"op", "get_standalone_credit"}});
  EXPECT_EQ(failing.txn.state, "unknown");
  Harness late{interac_withdrawal_flow(), Money{50000, "CAD"}};
  data_of(late).credit_deadline_ms = kT0;
  late.in("credit_processing").feed("call.failed", {{"op", "get_standalone_credit"}});
  EXPECT_EQ(late.txn.state, "unknown");
}

TEST_F(InteracWithdrawal, ThirtyDaysOfChecksStayWithinTheDefaultBudget) {
  data_of(h).security = InteracSecurityQuestion{.question = "q", .answer_sealed = std::string(kSealedAnswer)};
  h.in("credit_requested").feed("credit.created", credit_resource("PROCESSING"));
  ASSERT_TRUE(data_of(h).credit_deadline_ms.has_value());
  const std::int64_t deadline = *data_of(h).credit_deadline_ms;
  int checks = 0;
  while (h.txn.state == "credit_processing" && checks < 400) {
    const TimerSet* poll = h.timer("timer.poll");
    ASSERT_NE(poll, nullptr);
    if (poll->due_at_ms >= deadline) {
      h.now = deadline;
      timer("timer.credit_deadline");
    } else {
      h.now = poll->due_at_ms;
      timer("timer.poll");
    }
    h.feed("credit.status", credit_resource("PROCESSING"));
    ++checks;
  }
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(std::string_view(h.txn.reason.value()).starts_with("still PROCESSING past the credit deadline"));
  EXPECT_LE(checks, 140);
}

TEST_F(InteracWithdrawal, PaysafesWordDecidesInUnknown) {
  const std::vector<std::pair<std::string, std::string>> webhooks{
      {"SA_CREDIT_COMPLETED", "completed"}, {"SA_CREDIT_FAILED", "failed"},   {"SA_CREDIT_ERRORED", "failed"},
      {"SA_CREDIT_CANCELLED", "expired"},   {"SA_CREDIT_PROCESSING", "unknown"}};
  for (const auto& [event, state] : webhooks) {
    Harness u{interac_withdrawal_flow(), Money{50000, "CAD"}};
    u.in("unknown").feed(event, credit_resource("X"), InputKind::webhook);
    EXPECT_EQ(u.txn.state, state) << event;
  }
  const std::vector<std::pair<std::string, std::string>> answers{
      {"COMPLETED", "completed"}, {"FAILED", "failed"}, {"CANCELLED", "expired"}, {"PROCESSING", "unknown"}};
  for (const auto& [status, state] : answers) {
    for (std::string_view input : {"credit.status", "credit.created"}) {
      Harness u{interac_withdrawal_flow(), Money{50000, "CAD"}};
      u.in("unknown").feed(std::string(input), credit_resource(status));
      EXPECT_EQ(u.txn.state, state) << input << " " << status;
      EXPECT_TRUE(u.effects.timers.empty());
    }
  }
  Harness expired{interac_withdrawal_flow(), Money{50000, "CAD"}};
  expired.in("unknown").feed("PAYMENT_HANDLE_EXPIRED", credit_handle("EXPIRED"), InputKind::webhook);
  EXPECT_EQ(expired.txn.state, "expired");
  Harness declined{interac_withdrawal_flow(), Money{50000, "CAD"}};
  declined.in("unknown").feed("PAYMENT_HANDLE_FAILED", credit_handle("FAILED"), InputKind::webhook);
  EXPECT_EQ(declined.txn.state, "declined");
}

TEST_F(InteracWithdrawal, NoCreditInUnknownAsksAfterTheHandle) {
  h.txn.provider_refs.set({"payment_handle_id"}, "9129cf41");
  h.in("unknown").feed("call.failed", {{"op", "get_standalone_credit"}, {"not_found", true}});
  expect_stays("unknown");
  ASSERT_NE(h.call("get_payment_handle"), nullptr);
  EXPECT_EQ(h.call("get_payment_handle")->params.text("payment_handle_id"), "9129cf41");
  h.feed("handle.status", credit_handle("EXPIRED"));
  EXPECT_EQ(h.txn.state, "expired");
  Harness failed{interac_withdrawal_flow(), Money{50000, "CAD"}};
  failed.in("unknown").feed("handle.status", credit_handle("FAILED"));
  EXPECT_EQ(failed.txn.state, "declined");
  Harness open{interac_withdrawal_flow(), Money{50000, "CAD"}};
  open.in("unknown").feed("handle.status", credit_handle("PAYABLE"));
  EXPECT_EQ(open.txn.state, "unknown");
  EXPECT_TRUE(open.effects.calls.empty());  // never credited from unknown
  Harness silent{interac_withdrawal_flow(), Money{50000, "CAD"}};
  silent.in("unknown").feed("call.failed", {{"op", "get_standalone_credit"}, {"error", "timeout"}});
  EXPECT_EQ(silent.txn.state, "unknown");
  EXPECT_TRUE(silent.effects.calls.empty());
}

// ---- amounts Paysafe reports ------------------------------------------------------------------

json::object with_amount(json::object resource, json::value amount, std::string_view currency = "CAD") {
  resource["amount"] = std::move(amount);
  resource["currencyCode"] = currency;
  return resource;
}

TEST_F(InteracWithdrawal, CreditCompletedForAnotherAmountIsAMismatch) {
  h.in("credit_processing");
  webhook("SA_CREDIT_COMPLETED", with_amount(credit_resource("COMPLETED"), 49999));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.reason.value(), "Paysafe's standalone credit reports 499.99 CAD, corridor asked 500.00 CAD");
  expect_event("amount_mismatch", "amount_mismatch");
  EXPECT_EQ(h.effects.events[0].attention, attention::kAmountMismatch);
  ASSERT_TRUE(h.effects.events[0].provider_amount.has_value());
  EXPECT_EQ(*h.effects.events[0].provider_amount, (Money{49999, "CAD"}));
}

TEST_F(InteracWithdrawal, AmountMismatchesEverywherePaysafeReportsAnAmount) {
  struct Case {
    std::string state, input;
    json::object data;
  };
  const std::vector<Case> cases{
      {"verification_requested", "handle.created", with_amount(verification_handle(), 100)},
      {"verification_requested", "handle.status", with_amount(verification_handle(), 100)},
      {"verification_requested", "PAYMENT_HANDLE_PAYABLE", with_amount(verification_handle(), 100)},
      {"verifying", "verification.completed", with_amount(verification("ALIAS_AUTODEPOSIT", 500000), 100)},
      {"verifying", "verification.status", with_amount(verification("ALIAS_AUTODEPOSIT", 500000), 100)},
      {"credit_handle_requested", "handle.created", with_amount(credit_handle(), 100)},
      {"credit_handle_requested", "handle.status", with_amount(credit_handle(), 100)},
      {"credit_handle_requested", "PAYMENT_HANDLE_PAYABLE", with_amount(credit_handle(), 100)},
      {"credit_requested", "credit.created", with_amount(credit_resource("PROCESSING"), 100)},
      {"credit_requested", "credit.status", with_amount(credit_resource("COMPLETED"), 100)},
      {"credit_requested", "SA_CREDIT_PROCESSING", with_amount(credit_resource("PROCESSING"), 100)},
      {"credit_requested", "SA_CREDIT_COMPLETED", with_amount(credit_resource("COMPLETED"), 100)},
      {"credit_processing", "credit.created", with_amount(credit_resource("COMPLETED"), 100)},
      {"credit_processing", "credit.status", with_amount(credit_resource("COMPLETED"), 100)},
      {"credit_processing", "SA_CREDIT_PROCESSING", with_amount(credit_resource("PROCESSING"), 100)},
      {"unknown", "credit.status", with_amount(credit_resource("COMPLETED"), 100)},
      {"unknown", "credit.created", with_amount(credit_resource("PROCESSING"), 100)},
      {"unknown", "SA_CREDIT_COMPLETED", with_amount(credit_resource("COMPLETED"), 100)},
  };
  for (const auto& k : cases) {
    Harness m{interac_withdrawal_flow(), Money{50000, "CAD"}};
    m.in(k.state).feed(k.input, k.data, k.input.find('.') == std::string::npos ? InputKind::webhook : InputKind::provider_response);
    EXPECT_EQ(m.txn.state, "amount_mismatch") << k.state << " + " << k.input;
    EXPECT_TRUE(m.effects.calls.empty()) << k.state << " + " << k.input;  // nothing credited with it
  }
}

TEST_F(InteracWithdrawal, AnUnreadableOrOtherCurrencyAmountIsAMismatch) {
  h.in("credit_requested").feed("credit.created", with_amount(credit_resource("COMPLETED"), "lots"));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  Harness usd{interac_withdrawal_flow(), Money{50000, "CAD"}};
  usd.in("credit_requested").feed("credit.created", with_amount(credit_resource("COMPLETED"), 50000, "USD"));
  EXPECT_EQ(usd.txn.state, "amount_mismatch");
  Harness same{interac_withdrawal_flow(), Money{50000, "CAD"}};
  same.in("credit_requested").feed("credit.created", with_amount(credit_resource("COMPLETED"), 50000));
  EXPECT_EQ(same.txn.state, "completed");
}

// ---- the provider's word in a final state -----------------------------------------------------

TEST_F(InteracWithdrawal, FailureAfterPaysafesCompletionIsDisputed) {
  h.in("credit_processing");
  webhook("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"));
  ASSERT_EQ(h.txn.state, "completed");
  const std::int64_t v = h.txn.version;
  webhook("SA_CREDIT_FAILED", credit_resource("FAILED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.txn.version, v + 1);
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
  EXPECT_EQ(h.txn.dispute.value().leads_to, "failed");
}

TEST_F(InteracWithdrawal, CompletionAfterPaysafesCancellationIsDisputed) {
  h.in("credit_processing");
  webhook("SA_CREDIT_CANCELLED", credit_resource("CANCELLED"));
  ASSERT_EQ(h.txn.state, "expired");
  webhook("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
}

// Settled from credit_requested (the cancellation overtook the /standalonecredits answer).
TEST_F(InteracWithdrawal, CompletionAfterACancellationBeforeTheCreditResponseIsDisputed) {
  h.in("credit_requested");
  webhook("SA_CREDIT_CANCELLED", credit_resource("CANCELLED"));
  ASSERT_EQ(h.txn.state, "expired");
  ASSERT_EQ(h.txn.settled_from, "credit_requested");
  webhook("SA_CREDIT_COMPLETED", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
}

TEST_F(InteracWithdrawal, FailureAfterACompletionFoundInUnknownIsDisputed) {
  h.in("unknown").feed("credit.status", credit_resource("COMPLETED"));
  ASSERT_EQ(h.txn.state, "completed");
  webhook("SA_CREDIT_FAILED", credit_resource("FAILED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
}

TEST_F(InteracWithdrawal, ACheckAfterCorridorsExpiryThatFindsACreditMovesIt) {
  data_of(h).handle_deadline_ms = kT0;
  h.in("credit_requested").feed("call.failed", {{"op", "get_standalone_credit"}, {"not_found", true}});
  ASSERT_EQ(h.txn.state, "expired");
  h.feed("credit.status", credit_resource("COMPLETED"));
  EXPECT_EQ(h.txn.state, "completed");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}


// ---- the stored document ----------------------------------------------------------------------

// The withdrawal with a security question as the store holds it (tests/golden/states.v1.jsonl, with
// the maxAmount and the lookup count the verification path writes), and one key the struct does not
// have: the flow's keys read into InteracWithdrawalData, the other key is kept, and the document
// written back holds the same data; without the keys a later step writes, the members are absent.
TEST(InteracWithdrawalStoredDocument, ReadsIntoTheStructAndKeepsAKeyItDoesNotHave) {
  const json::object data =
      boost::json::parse(R"({"customer":{"email":"madhu@interac.sandbox","name":"Madhu Baddam","country":"CA"},)"
                         R"("description":"corridor demo withdrawal","security":{"question":"what is your name",)"
                         R"("answer_sealed":"ohFFaJYz9Ks7WeuQxz9AXmdfduyA6TLBGXdCSpDqS2dN4h3h4ksO"},)"
                         R"("handle_call_id":"tx_nvmdmqwe2vlmnpuz46j7jekrim:1:create_payment_handle","janitor_attempt":0,)"
                         R"("max_amount":390000,"autodeposit":false,"handle_deadline_ms":1796431466657,"retry_attempt":0,)"
                         R"("credit_call_id":"tx_nvmdmqwe2vlmnpuz46j7jekrim:3:create_standalone_credit",)"
                         R"("credit_deadline_ms":1796431469671,"poll_attempt":2,"settled_from":"credit_processing",)"
                         R"("verification_lookups":1,"reviewed":{"by":"ops","note":"kept as it is"}})")
          .as_object();
  json::object document =
      boost::json::parse(R"({"txn_id":"tx_nvmdmqwe2vlmnpuz46j7jekrim","merchant":"ZANDO",)"
                         R"("reference":"GOLDEN-interac-withdrawal-security-question","provider":"interac","flow":"withdrawal",)"
                         R"("amount":{"value":50000,"currency":"CAD"},"state":"completed","version":5,"seq":7,)"
                         R"("provider_refs":{"payment_handle_token":"PHrtN4VdL61pmaIC"},"data":{},"next_action":null,)"
                         R"("reason":null,"created_at":"2026-12-05T00:44:23.706Z","updated_at":"2026-12-05T00:44:25.272Z",)"
                         R"("rejected_inputs":0,"last_rejection":null})")
          .as_object();
  document["data"] = data;
  auto txn = transaction_from_json(document);
  ASSERT_TRUE(txn) << txn.error().message;
  ASSERT_NE(interac_withdrawal_flow().bind, nullptr);
  interac_withdrawal_flow().bind(*txn);

  const InteracWithdrawalData& d = txn->data.as<InteracWithdrawalData>();
  ASSERT_TRUE(d.security.has_value());
  EXPECT_EQ(d.security->question, "what is your name");
  EXPECT_EQ(d.security->answer_sealed, "ohFFaJYz9Ks7WeuQxz9AXmdfduyA6TLBGXdCSpDqS2dN4h3h4ksO");
  EXPECT_EQ(d.handle_call_id, "tx_nvmdmqwe2vlmnpuz46j7jekrim:1:create_payment_handle");
  EXPECT_EQ(d.max_amount, 390000);
  EXPECT_EQ(d.autodeposit, false);
  EXPECT_EQ(d.handle_deadline_ms, 1796431466657);
  EXPECT_EQ(d.credit_call_id, "tx_nvmdmqwe2vlmnpuz46j7jekrim:3:create_standalone_credit");
  EXPECT_EQ(d.credit_deadline_ms, 1796431469671);
  EXPECT_EQ(d.verification_lookups, 1);
  EXPECT_EQ(txn->settled_from, "credit_processing");
  EXPECT_EQ(txn->poll_attempt, 2);

  EXPECT_EQ(txn->data.unknown(), (json::object{{"reviewed", {{"by", "ops"}, {"note", "kept as it is"}}}}));
  EXPECT_EQ(data_json(*txn), data);
  EXPECT_EQ(boost::json::parse(serialize(*txn)).at("data").as_object(), data);

  // Before the verification and the credit, autodeposit, the deadlines and the lookup count are
  // absent (not said yet, never, none), not false and 0.
  json::object earlier = data;
  for (std::string_view key : {"security", "max_amount", "autodeposit", "handle_deadline_ms", "credit_call_id",
                               "credit_deadline_ms", "verification_lookups"})
    earlier.erase(key);
  document["data"] = earlier;
  auto young = transaction_from_json(document);
  ASSERT_TRUE(young) << young.error().message;
  const InteracWithdrawalData& y = young->data.as<InteracWithdrawalData>();
  EXPECT_FALSE(y.security.has_value());
  EXPECT_FALSE(y.max_amount.has_value());
  EXPECT_FALSE(y.autodeposit.has_value());
  EXPECT_FALSE(y.handle_deadline_ms.has_value());
  EXPECT_TRUE(y.credit_call_id.empty());
  EXPECT_FALSE(y.credit_deadline_ms.has_value());
  EXPECT_FALSE(y.verification_lookups.has_value());
}

}  // namespace
}  // namespace corridor
