// One test per row of esipay.card (seed 002_37ebfe69c218fca4.txt).
#include "statemachines/esipay_card.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <tuple>

#include "statemachines/esipay_inputs.hpp"
#include "statemachines/reconcile.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;

json::object callback(std::string_view amount = "100.00") {
  return {{"type", "card"}, {"amount", amount}, {"transaction", "ESI-778"}, {"cid", "tx_test"}};
}
json::object refund(std::string id, json::value amount = nullptr) {
  json::object o{{"type", "refund.create"}, {"command_id", std::move(id)}};
  if (!amount.is_null()) o["amount"] = amount;
  return o;
}
json::object usd(std::int64_t v) { return {{"value", v}, {"currency", "USD"}}; }

EsipayCardData& data(Harness& h) { return h.txn.data.as<EsipayCardData>(); }
const std::vector<EsipayRefund>& refunds(const Transaction& t) { return t.data.as<EsipayCardData>().refunds.value(); }
std::string reason_of(const Transaction& t) { return t.reason.value_or(""); }

class EsipayCard : public ::testing::Test {
 protected:
  Harness h{esipay_card_flow(), Money{10000, "USD"}};

  void expect_event(std::string_view state, std::string_view status) {
    ASSERT_EQ(h.effects.events.size(), 1u);
    EXPECT_EQ(h.effects.events[0].state, state);
    EXPECT_EQ(to_string(h.effects.events[0].status), status);
  }
  void expect_event_count(std::size_t n) { EXPECT_EQ(h.effects.events.size(), n); }
  void expect_nothing_emitted() {
    EXPECT_TRUE(h.effects.events.empty());
    EXPECT_TRUE(h.effects.calls.empty());
    EXPECT_TRUE(h.effects.timers.empty());
  }
  // Captured 100.00 USD with esipay's transaction id known.
  void captured() {
    h.in("charging").feed("esipay.callback", callback(), InputKind::webhook);
    h.feed("charge.succeeded", {{"http_status", 200}});
    ASSERT_EQ(h.txn.state, "captured");
  }
  void refunded_part(std::int64_t amount, std::string id = "r1") {
    h.feed(testing::make_input("refund.create", refund(std::move(id), usd(amount)), h.now, InputKind::command));
    h.feed("refund.succeeded", {{"http_status", 200}});
  }
  StepResult refund_command(std::string id, json::value amount = nullptr) {
    return h.feed(testing::make_input("refund.create", refund(std::move(id), std::move(amount)), h.now, InputKind::command));
  }
};

TEST_F(EsipayCard, CreateChargesTheCard) {
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "charging");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto& call = h.effects.calls[0];
  EXPECT_EQ(call.op, "cardpay");
  EXPECT_EQ(call.provider, "esipay");
  EXPECT_EQ(call.params.text("cid"), "tx_test");
  EXPECT_EQ(get_int(*get_object(call.params.object(), "amount"), "value"), 10000);
  EXPECT_EQ(get_string(*get_object(call.params.object(), "amount"), "currency"), "USD");
  EXPECT_EQ(call.params.text("card"), "attached");
  EXPECT_TRUE(h.effects.timers.empty());
  expect_event("charging", "processing");
}

TEST_F(EsipayCard, CallbackBeforeTheAnswerIsRecorded) {
  h.in("charging").feed("esipay.callback", callback("99.50"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "callback_received");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "ESI-778");
  EXPECT_EQ(data(h).callback_amount, json::value("99.50"));  // "montant réel de la transaction"
  EXPECT_TRUE(h.effects.calls.empty());
  expect_event("callback_received", "processing");
}

// "amount : montant réel de la transaction": the 200 after a callback of another amount is never a
// plain capture.
TEST_F(EsipayCard, AnswerAfterACallbackOfAnotherAmountIsAnAmountMismatch) {
  h.in("charging").feed("esipay.callback", callback("99.50"), InputKind::webhook);
  h.feed("charge.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(reason_of(h.txn), "esipay's return URL (montant réel) reports 99.50 USD, corridor asked 100.00 USD");
  expect_event("amount_mismatch", "amount_mismatch");
  EXPECT_EQ(h.effects.events[0].attention, attention::kAmountMismatch);
  EXPECT_EQ(h.effects.events[0].provider_amount, (Money{9950, "USD"}));
  EXPECT_EQ(h.effects.events[0].amount, (Money{10000, "USD"}));
  EXPECT_EQ(h.effects.cancelled_timers, Effects::Names{"*"});
}

TEST_F(EsipayCard, CallbackAmountIsReadExactly) {
  for (std::string_view same : {"100", "100.0", "100.00", "100.000"}) {
    Harness fresh{esipay_card_flow(), Money{10000, "USD"}};
    fresh.in("charging").feed("esipay.callback", callback(same), InputKind::webhook);
    fresh.feed("charge.succeeded", {{"http_status", 200}});
    EXPECT_EQ(fresh.txn.state, "captured") << same;
  }
  for (std::string_view other : {"100.01", "99.999", "1e2", "100,00", ""}) {
    Harness fresh{esipay_card_flow(), Money{10000, "USD"}};
    fresh.in("charging").feed("esipay.callback", callback(other), InputKind::webhook);
    fresh.feed("charge.succeeded", {{"http_status", 200}});
    EXPECT_EQ(fresh.txn.state, "amount_mismatch") << other;
  }
}

TEST_F(EsipayCard, AnswerBeforeTheCallbackCaptures) {
  h.in("charging").feed("charge.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(data(h).captured_amount, 10000);
  EXPECT_EQ(data(h).remaining_amount, 10000);
  EXPECT_TRUE(h.txn.provider_refs.find("transaction").empty());
  expect_event("captured", "succeeded");
}

// The reason follows the refusal the adapter names (EsipayAnswer::refusal), never the HTTP status.
TEST_F(EsipayCard, RefusedChargeFailsWithTheRefusalsMeaning) {
  for (auto [status, refusal, reason] : std::vector<std::tuple<int, std::string_view, std::string>>{
           {400, esipay_refusal::kIncorrectParameter, "esipay: a request parameter is incorrect (400): HTTP 400: bad"},
           {403, esipay_refusal::kAddressNotAllowed, "esipay: the calling server's address is not allowed (403): HTTP 403: bad"},
           {500, esipay_refusal::kServiceError, "esipay: service error (500): HTTP 500: bad"},
           {404, esipay_refusal::kUnlistedStatus, "esipay refused the payment: HTTP 404: bad"},
           // The refusal decides, whatever the status beside it.
           {400, esipay_refusal::kServiceError, "esipay: service error (500): HTTP 400: bad"}}) {
    Harness fresh{esipay_card_flow(), Money{10000, "USD"}};
    const EsipayAnswer answer{.http_status = status,
                              .error = "HTTP " + std::to_string(status) + ": bad",
                              .refusal = std::string(refusal)};
    fresh.in("charging").feed("charge.failed", fields::to_object(answer));
    EXPECT_EQ(fresh.txn.state, "failed");
    EXPECT_EQ(fresh.txn.reason.value(), reason);
    ASSERT_EQ(fresh.effects.events.size(), 1u);
    EXPECT_EQ(to_string(fresh.effects.events[0].status), "failed");
  }
}

// Answers recorded before the adapter named the refusal carry only the HTTP status: they read as
// they did then.
TEST_F(EsipayCard, RefusedChargeRecordedWithItsStatusOnly) {
  for (auto [status, reason] : std::vector<std::pair<int, std::string>>{
           {400, "esipay: a request parameter is incorrect (400)"},
           {403, "esipay: the calling server's address is not allowed (403)"},
           {500, "esipay: service error (500)"},
           {404, "esipay refused the payment"}}) {
    Harness fresh{esipay_card_flow(), Money{10000, "USD"}};
    fresh.in("charging").feed("charge.failed", {{"http_status", status}});
    EXPECT_EQ(fresh.txn.state, "failed");
    EXPECT_EQ(fresh.txn.reason.value(), reason);
    ASSERT_EQ(fresh.effects.events.size(), 1u);
    EXPECT_EQ(to_string(fresh.effects.events[0].status), "failed");
  }
}

TEST_F(EsipayCard, TimeoutIsUnknown) {
  h.in("charging").feed("call.failed", {{"op", "cardpay"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.reason.value(), "no answer from esipay and no status endpoint: reconcile: timeout");
  EXPECT_TRUE(h.effects.calls.empty());  // never retried: esipay has no idempotency key
  expect_event("unknown", "unknown");
}

TEST_F(EsipayCard, AnswerAfterTheCallbackCaptures) {
  h.in("callback_received").feed("charge.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "captured");
  expect_event("captured", "succeeded");
}

TEST_F(EsipayCard, RefusalAfterTheCallbackFails) {
  h.in("callback_received").feed("charge.failed", {{"http_status", 500}});
  EXPECT_EQ(h.txn.state, "failed");
  expect_event("failed", "failed");
}

TEST_F(EsipayCard, TimeoutAfterTheCallbackIsUnknown) {
  h.in("callback_received").feed("call.failed", {{"op", "cardpay"}});
  EXPECT_EQ(h.txn.state, "unknown");
  expect_event("unknown", "unknown");
}

TEST_F(EsipayCard, DuplicateCallbackChangesNothing) {
  h.in("charging").feed("esipay.callback", callback(), InputKind::webhook);
  h.feed("esipay.callback", callback(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "callback_received");
  expect_nothing_emitted();
}

TEST_F(EsipayCard, CallbackAfterTheAnswerKeepsTheTransactionId) {
  h.in("charging").feed("charge.succeeded", {{"http_status", 200}});
  h.feed("esipay.callback", callback("100.00"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "ESI-778");
  EXPECT_EQ(data(h).captured_amount, 10000);
  EXPECT_EQ(data(h).remaining_amount, 10000);
  expect_nothing_emitted();
}

TEST_F(EsipayCard, CallbackOfAnotherAmountAfterTheAnswerIsAnAmountMismatch) {
  h.in("charging").feed("charge.succeeded", {{"http_status", 200}});
  h.feed("esipay.callback", callback("99.00"), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "ESI-778");
  expect_event("amount_mismatch", "amount_mismatch");
  EXPECT_EQ(h.effects.events[0].provider_amount, (Money{9900, "USD"}));
}

TEST_F(EsipayCard, DuplicateAnswerChangesNothing) {
  captured();
  h.feed("charge.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "captured");
  expect_nothing_emitted();
}

TEST_F(EsipayCard, SameRefundCommandTwiceIsHandledOnce) {
  captured();
  refund_command("r1", usd(1000));
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const auto rejected = h.txn.rejected_inputs;
  auto r = refund_command("r1", usd(1000));
  EXPECT_EQ(r.outcome, Outcome::applied);
  expect_nothing_emitted();
  EXPECT_EQ(refunds(h.txn).size(), 1u);
  EXPECT_EQ(h.txn.rejected_inputs, rejected);
}

TEST_F(EsipayCard, SecondRefundWhileOneIsOutIsRefused) {
  captured();
  refund_command("r1", usd(1000));
  refund_command("r2", usd(1000));
  EXPECT_EQ(h.txn.state, "captured");
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.rejected_inputs, 1);
  EXPECT_EQ(h.txn.last_rejection.value().reason, "refund refused: another refund is in progress");
  EXPECT_EQ(refunds(h.txn).at(1).status, "refused");
}

TEST_F(EsipayCard, RefundBeforeTheCallbackIsRefused) {
  h.in("charging").feed("charge.succeeded", {{"http_status", 200}});
  refund_command("r1");
  EXPECT_EQ(h.txn.state, "captured");
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.last_rejection.value().reason,
            "refund refused: esipay's transaction id is not known yet (no callback received)");
}

TEST_F(EsipayCard, RefundInAnotherCurrencyIsRefused) {
  captured();
  refund_command("r1", json::object{{"value", 100}, {"currency", "CDF"}});
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.last_rejection.value().reason,
            "refund refused: refund currency CDF differs from the payment's USD");
}

TEST_F(EsipayCard, RefundOverTheRemainingAmountIsRefusedBeforeAnyCall) {
  captured();
  auto r = refund_command("r1", usd(10001));
  EXPECT_EQ(r.outcome, Outcome::applied);  // a row of the table: the refusal is recorded, not an unknown input
  EXPECT_EQ(h.txn.state, "captured");
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.rejected_inputs, 1);
  ASSERT_TRUE(h.txn.last_rejection.has_value());
  const Rejection& rejection = *h.txn.last_rejection;
  EXPECT_EQ(rejection.name, "refund.create");
  EXPECT_EQ(rejection.state, "captured");
  EXPECT_EQ(rejection.reason, "refund refused: 10001 is more than the remaining 10000 USD");
  const EsipayRefund& entry = refunds(h.txn).at(0);
  EXPECT_EQ(entry.command_id, "r1");
  EXPECT_EQ(entry.status, "refused");
  EXPECT_EQ(entry.amount, 10001);
  EXPECT_EQ(data(h).remaining_amount, 10000);
}

TEST_F(EsipayCard, FullRefundUsesTheFullRefundUrl) {
  captured();
  refund_command("r1");
  EXPECT_EQ(h.txn.state, "captured");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "refund");
  EXPECT_EQ(h.effects.calls[0].params.text("transaction"), "ESI-778");
  EXPECT_EQ(h.effects.calls[0].params.text("cid"), "tx_test");
  EXPECT_FALSE(h.effects.calls[0].params.object().contains("amount"));
  ASSERT_TRUE(data(h).refund_in_flight.has_value());
  const EsipayRefundInFlight& flight = *data(h).refund_in_flight;
  EXPECT_EQ(flight.amount, 10000);
  EXPECT_EQ(flight.call_id, h.effects.calls[0].call_id);
  EXPECT_EQ(refunds(h.txn).at(0).status, "pending");
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(EsipayCard, PartialRefundUsesThePartialRefundUrl) {
  captured();
  refund_command("r1", usd(2500));
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "refund_partial");
  EXPECT_EQ(h.effects.calls[0].params.text("transaction"), "ESI-778");
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params.object(), "amount"), "value"), 2500);
  EXPECT_EQ(get_string(*get_object(h.effects.calls[0].params.object(), "amount"), "currency"), "USD");
  EXPECT_TRUE(h.effects.events.empty());
}

TEST_F(EsipayCard, FullRefundDoneIsRefunded) {
  captured();
  refund_command("r1");
  h.feed("refund.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "refunded");
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 10000);
  EXPECT_EQ(data(h).remaining_amount, 0);
  EXPECT_FALSE(data(h).refund_in_flight.has_value());
  EXPECT_EQ(refunds(h.txn).at(0).status, "succeeded");
  expect_event("refunded", "refunded");
}

TEST_F(EsipayCard, PartialRefundDoneIsPartiallyRefunded) {
  captured();
  refunded_part(2500);
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 2500);
  EXPECT_EQ(data(h).remaining_amount, 7500);
  expect_event("partially_refunded", "partially_refunded");
}

TEST_F(EsipayCard, RefundAnswerWithNoRefundOutChangesNothing) {
  captured();
  h.feed("refund.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "captured");
  expect_nothing_emitted();
}

TEST_F(EsipayCard, RefusedRefundLeavesTheAmountsAloneAndIsAnnounced) {
  captured();
  refund_command("r1", usd(2500));
  const auto version = h.txn.version;
  h.feed("refund.failed", {{"http_status", 400}});
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(data(h).remaining_amount, 10000);
  EXPECT_FALSE(data(h).refund_in_flight.has_value());
  const EsipayRefund& entry = refunds(h.txn).at(0);
  EXPECT_EQ(entry.status, "failed");
  EXPECT_EQ(entry.reason, "esipay: incorrect parameter or amount over the remaining (400)");
  // Whoever asked for the refund learns it was not done: same state, a new version, the reason.
  expect_event("captured", "succeeded");
  EXPECT_EQ(h.effects.events[0].previous_state, "captured");
  EXPECT_EQ(h.effects.events[0].reason_json, "\"esipay: incorrect parameter or amount over the remaining (400)\"");
  EXPECT_EQ(h.effects.events[0].amount_refunded, 0);  // nothing refunded
  EXPECT_TRUE(h.effects.events[0].attention.empty());
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_TRUE(h.effects.calls.empty());
  // A second refusal for the same refund finds none out: nothing more.
  h.feed("refund.failed", {{"http_status", 400}});
  EXPECT_EQ(h.txn.version, version + 1);
  expect_nothing_emitted();
  // The next refund done moves the payment on, without the refusal's reason.
  refund_command("r2", usd(2500));
  h.feed("refund.succeeded", {{"http_status", 200}});
  expect_event("partially_refunded", "partially_refunded");
  EXPECT_EQ(h.effects.events[0].reason_json, "null");
}

TEST_F(EsipayCard, RefusedRefundSaysWhatTheRefusalMeans) {
  captured();
  refund_command("r1", usd(2500));
  h.feed("refund.failed", fields::to_object(EsipayAnswer{.http_status = 400,
                                                         .error = "HTTP 400: over the remaining",
                                                         .refusal = std::string(esipay_refusal::kIncorrectParameter)}));
  EXPECT_EQ(refunds(h.txn).at(0).reason,
            "esipay: incorrect parameter or amount over the remaining (400): HTTP 400: over the remaining");
  refund_command("r2", usd(2500));
  h.feed("refund.failed", fields::to_object(EsipayAnswer{.http_status = 403,
                                                         .error = "HTTP 403",
                                                         .refusal = std::string(esipay_refusal::kAddressNotAllowed)}));
  EXPECT_EQ(refunds(h.txn).at(1).reason, "esipay refused the refund: HTTP 403");
  EXPECT_EQ(data(h).remaining_amount, 10000);
}

TEST_F(EsipayCard, RefundTimeoutIsMarkedUnknown) {
  captured();
  refund_command("r1", usd(2500));
  const auto version = h.txn.version;
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(refunds(h.txn).at(0).status, "unknown");
  EXPECT_FALSE(data(h).refund_in_flight.has_value());
  // Announced: same state, a new version, and the reason says the refund's outcome is unknown.
  EXPECT_EQ(h.txn.version, version + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].previous_state, "captured");
  EXPECT_NE(get_string(to_json(h.effects.events[0]), "reason").find("refund outcome unknown"), std::string_view::npos);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(EsipayCard, PartiallyRefundedSameCommandTwiceIsHandledOnce) {
  captured();
  refunded_part(2500, "r1");
  refund_command("r1", usd(2500));
  EXPECT_EQ(h.txn.state, "partially_refunded");
  expect_nothing_emitted();
  EXPECT_EQ(refunds(h.txn).size(), 1u);
}

TEST_F(EsipayCard, PartiallyRefundedSecondRefundWhileOneIsOutIsRefused) {
  captured();
  refunded_part(2500, "r1");
  refund_command("r2", usd(1000));
  refund_command("r3", usd(1000));
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.last_rejection.value().reason, "refund refused: another refund is in progress");
}

TEST_F(EsipayCard, PartiallyRefundedInvalidAmountIsRefused) {
  captured();
  refunded_part(2500);
  refund_command("r2", usd(0));
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.last_rejection.value().reason,
            "refund refused: refund amount must be a positive integer of minor units");
}

TEST_F(EsipayCard, PartiallyRefundedOverTheRemainingIsRefused) {
  captured();
  refunded_part(2500);
  refund_command("r2", usd(7501));
  EXPECT_EQ(h.txn.state, "partially_refunded");
  expect_nothing_emitted();
  EXPECT_EQ(h.txn.last_rejection.value().reason,
            "refund refused: 7501 is more than the remaining 7500 USD");
}

TEST_F(EsipayCard, PartiallyRefundedRefundsWhatIsLeftWithThePartialUrl) {
  captured();
  refunded_part(2500);
  refund_command("r2");  // no amount: the remaining 75.00
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "refund_partial");
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params.object(), "amount"), "value"), 7500);
}

TEST_F(EsipayCard, SeveralPartialsUpToTheCapturedAmountEndRefunded) {
  captured();
  refunded_part(2500, "r1");
  refunded_part(5000, "r2");
  EXPECT_EQ(h.txn.state, "partially_refunded");
  refunded_part(2500, "r3");
  EXPECT_EQ(h.txn.state, "refunded");
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 10000);
  EXPECT_EQ(data(h).remaining_amount, 0);
  expect_event("refunded", "refunded");
}

TEST_F(EsipayCard, PartiallyRefundedAnotherPartialIsAnnouncedInTheSameState) {
  captured();
  refunded_part(2500, "r1");
  const auto version = h.txn.version;
  refunded_part(5000, "r2");
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 7500);
  EXPECT_EQ(data(h).remaining_amount, 2500);
  // Accounting sees every refund: an event with the running total, previous_state = state.
  ASSERT_EQ(h.effects.events.size(), 1u);
  const auto& e = h.effects.events[0];
  EXPECT_EQ(e.state, "partially_refunded");
  EXPECT_EQ(e.previous_state, "partially_refunded");
  EXPECT_EQ(e.status, Status::partially_refunded);
  EXPECT_EQ(e.amount_refunded, 7500);
}

TEST_F(EsipayCard, PartiallyRefundedDuplicateRefundAnswerChangesNothing) {
  captured();
  refunded_part(2500);
  h.feed("refund.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 2500);
  expect_nothing_emitted();
}

TEST_F(EsipayCard, PartiallyRefundedRefusedRefund) {
  captured();
  refunded_part(2500, "r1");
  refund_command("r2", usd(1000));
  const auto version = h.txn.version;
  h.feed("refund.failed", {{"http_status", 500}});
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(data(h).remaining_amount, 7500);
  EXPECT_EQ(refunds(h.txn).at(1).status, "failed");
  expect_event("partially_refunded", "partially_refunded");
  EXPECT_EQ(h.effects.events[0].amount_refunded, 2500);
  EXPECT_EQ(h.effects.events[0].reason_json, "\"esipay refused the refund\"");
  EXPECT_EQ(h.txn.version, version + 1);
  h.feed("refund.failed", {{"http_status", 500}});  // no refund out any more: nothing
  EXPECT_EQ(h.txn.version, version + 1);
  expect_nothing_emitted();
  // Another partial refund done: announced without the refusal's reason.
  refund_command("r3", usd(1000));
  h.feed("refund.succeeded", {{"http_status", 200}});
  expect_event("partially_refunded", "partially_refunded");
  EXPECT_EQ(h.effects.events[0].reason_json, "null");
  EXPECT_EQ(h.effects.events[0].amount_refunded, 3500);
}

TEST_F(EsipayCard, PartiallyRefundedRefundTimeout) {
  captured();
  refunded_part(2500, "r1");
  refund_command("r2", usd(1000));
  h.feed("call.failed", {{"op", "refund_partial"}});
  EXPECT_EQ(refunds(h.txn).at(1).status, "unknown");
  EXPECT_FALSE(data(h).refund_in_flight.has_value());
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].state, "partially_refunded");
  EXPECT_NE(get_string(to_json(h.effects.events[0]), "reason").find("refund outcome unknown"), std::string_view::npos);
  EXPECT_TRUE(h.effects.calls.empty());
}

TEST_F(EsipayCard, PartiallyRefundedLateCallbackChangesNothing) {
  captured();
  refunded_part(2500);
  h.feed("esipay.callback", callback(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(data(h).remaining_amount, 7500);
  expect_nothing_emitted();
}

TEST_F(EsipayCard, UnknownLateCallbackIsKeptForReconciliation) {
  h.in("unknown").feed("esipay.callback", callback(), InputKind::webhook);
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "ESI-778");
  EXPECT_EQ(h.txn.reason.value(), "return URL called after the timeout: most likely captured; reconcile");
  expect_nothing_emitted();
}

TEST_F(EsipayCard, UnknownLateAnswerCaptures) {
  h.in("unknown").feed("charge.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "captured");
  expect_event("captured", "succeeded");
}

TEST_F(EsipayCard, UnknownLateRefusalFails) {
  h.in("unknown").feed("charge.failed", {{"http_status", 403}});
  EXPECT_EQ(h.txn.state, "failed");
  expect_event("failed", "failed");
}

TEST_F(EsipayCard, UnknownReconciledAsCaptured) {
  h.in("unknown").feed(testing::make_input("transaction.reconcile",
                                           {{"outcome", "captured"}, {"transaction", "ESI-778"}, {"reason", "back office"}},
                                           kT0, InputKind::command));
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "ESI-778");
  EXPECT_EQ(data(h).remaining_amount, 10000);
  EXPECT_EQ(h.txn.reason.value(), "reconciled as captured: back office");
  expect_event("captured", "succeeded");
}

TEST_F(EsipayCard, UnknownReconciledAsFailed) {
  h.in("unknown").feed(testing::make_input("transaction.reconcile", {{"outcome", "failed"}}, kT0, InputKind::command));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.reason.value(), "reconciled as failed");
  expect_event("failed", "failed");
}

TEST_F(EsipayCard, RefundWhileChargingIsRejectedByTheFramework) {
  h.in("charging");
  EXPECT_EQ(refund_command("r1").outcome, Outcome::rejected);
  EXPECT_EQ(h.txn.state, "charging");
}

TEST_F(EsipayCard, RefundAfterFullRefundIsRefusedAndChangesNothing) {
  captured();
  refund_command("r1");
  h.feed("refund.succeeded", {{"http_status", 200}});
  const auto before = boost::json::serialize(to_json(h.txn));
  const auto r = refund_command("r2", usd(1));
  EXPECT_EQ(r.outcome, Outcome::rejected);  // the processor answers command.rejected with the reason
  EXPECT_EQ(r.reason, "the transaction is final (refunded): refund.create refused");
  EXPECT_EQ(boost::json::serialize(to_json(h.txn)), before);
  EXPECT_TRUE(h.effects.calls.empty());
}

// ---- a payment that never left corridor ----------------------------------------------------------

TEST_F(EsipayCard, PaymentRefusedBeforeSendingFailsWithTheAdaptersReason) {
  h.in("charging").feed("call.failed", {{"op", "cardpay"},
                                        {"error", "esipay cardpay tx_test:1:cardpay: the card number is not 12-19 digits"},
                                        {"attempts", 0},
                                        {"sent", false},
                                        {"refused", true}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(reason_of(h.txn), "payment refused before sending, nothing reached esipay: esipay cardpay tx_test:1:cardpay: "
                              "the card number is not 12-19 digits");
  expect_event("failed", "failed");
  EXPECT_TRUE(h.effects.events[0].attention.empty());  // not unknown: nothing to reconcile
  EXPECT_FALSE(!h.txn.settled_by.empty());
}

TEST_F(EsipayCard, PaymentNotSentIsSentLaterUnderItsFirstId) {
  h.feed(h.create_input());
  const std::string first = h.effects.calls.at(0).call_id;
  h.feed("call.failed", {{"op", "cardpay"}, {"error", "circuit open for esipay: not sent"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "charging");
  ASSERT_NE(h.timer("timer.retry"), nullptr);
  EXPECT_EQ(h.timer("timer.retry")->due_at_ms, kT0 + 30000);
  expect_event_count(0);
  h.feed("timer.retry", {}, InputKind::timer);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "cardpay");
  EXPECT_EQ(h.effects.calls[0].call_id, first);
  EXPECT_FALSE(h.effects.calls[0].answer_id.empty());  // a fresh answer id: not taken for the first send's
}

TEST_F(EsipayCard, PaymentNeverSentFailsOnceItsBudgetIsSpent) {
  h.feed(h.create_input());
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 10 && h.txn.state == "charging"; ++i) {
    h.feed(testing::make_input("call.failed", {{"op", "cardpay"}, {"error", "circuit open"}, {"sent", false}}, h.now));
    if (const TimerSet* t = h.timer("timer.retry")) {
      delays.push_back(t->due_at_ms - h.now);
      h.now = t->due_at_ms;
      h.feed(testing::make_input("timer.retry", {}, h.now, InputKind::timer));
    }
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{30000, 60000, 120000}));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(reason_of(h.txn), "payment never sent (no way to esipay), retries spent: circuit open");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(EsipayCard, APaymentThatMayHaveLeftIsNeverSentAgain) {
  h.in("charging").feed("call.failed", {{"op", "cardpay"}, {"error", "timeout"}, {"outcome", "unknown"}});
  EXPECT_EQ(h.txn.state, "unknown");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty() || h.timer("timer.retry") == nullptr);
}

// ---- refunds never doubled: an unknown refund reserves its amount ----------------------------------

// The issue's case: a 40.00 refund times out (esipay booked it); "refund the rest" must ask for 60.00
// with the partial URL, never the full-refund URL.
TEST_F(EsipayCard, RefundTimeoutReservesItsAmount) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}, {"outcome", "unknown"}});
  EXPECT_EQ(data(h).reserved_amount, 4000);
  EXPECT_EQ(data(h).remaining_amount, 6000);
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 0);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kOutcomeUnknown);
  EXPECT_EQ(reason_of(h.txn),
            "refund outcome unknown, no answer from esipay: 40.00 USD reserved until esipay's settlement file says: timeout");

  refund_command("r2");  // no amount: the rest
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "refund_partial");
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params.object(), "amount"), "value"), 6000);
  h.feed("refund.succeeded", {{"http_status", 200}});
  // 60.00 refunded, 40.00 still reserved: not refunded in full until the settlement file says.
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 6000);
  EXPECT_EQ(data(h).reserved_amount, 4000);
  EXPECT_EQ(data(h).remaining_amount, 0);
  // Nothing more can go out.
  refund_command("r3", usd(1));
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(h.txn.last_rejection.value().reason,
            "refund refused: 1 is more than the remaining 0 USD (4000 reserved by refunds of unknown outcome)");
}

// Nothing refunded yet, but 40.00 reserved: "everything left" is 60.00, asked with the partial URL.
TEST_F(EsipayCard, FullRefundUrlIsNeverUsedWhileAnAmountIsReserved) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  ASSERT_EQ(h.txn.refunded_amount.value_or(0), 0);
  refund_command("r2");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "refund_partial");
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params.object(), "amount"), "value"), 6000);
}

TEST_F(EsipayCard, WholeAmountAskedWhileAnAmountIsReservedIsRefused) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  refund_command("r2", usd(10000));
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(refunds(h.txn).at(1).status, "refused");
}

TEST_F(EsipayCard, AWholeRefundThatTimedOutReservesEverything) {
  captured();
  refund_command("r1");
  ASSERT_EQ(h.effects.calls.at(0).op, "refund");
  h.feed("call.failed", {{"op", "refund"}, {"error", "timeout"}});
  EXPECT_EQ(data(h).remaining_amount, 0);
  refund_command("r2");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_EQ(refunds(h.txn).at(1).status, "refused");
  EXPECT_EQ(h.txn.last_rejection.value().reason,
            "refund refused: nothing remains to be refunded (10000 USD reserved by refunds of unknown outcome)");
}

// A timeout followed by a late success: the settlement file has the refund.
TEST_F(EsipayCard, UnknownRefundFoundInTheSettlementIsRefunded) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  refund_command("r2");
  h.feed("refund.succeeded", {{"http_status", 200}});
  ASSERT_EQ(h.txn.state, "partially_refunded");
  const auto version = h.txn.version;
  h.feed("refund.settled", {{"command_id", "r1"}, {"amount", "40.00"}, {"currency", "USD"}, {"line", 3}});
  EXPECT_EQ(h.txn.state, "refunded");
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 10000);
  EXPECT_EQ(data(h).reserved_amount, 0);
  EXPECT_EQ(refunds(h.txn).at(0).status, "succeeded");
  expect_event("refunded", "refunded");
  EXPECT_EQ(h.effects.events[0].amount_refunded, 10000);
  EXPECT_EQ(reason_of(h.txn),
            "refund r1 of 40.00 USD, outcome unknown, found in esipay's settlement file (line 3): refunded");
}

TEST_F(EsipayCard, UnknownRefundFoundInTheSettlementWhileCaptured) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  h.feed("refund.settled", {{"command_id", "r1"}, {"amount", "40.00"}, {"currency", "USD"}, {"line", 7}});
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 4000);
  EXPECT_EQ(data(h).remaining_amount, 6000);
  expect_event("partially_refunded", "partially_refunded");
}

// A timeout followed by a late failure: the settlement file, covering the refund's day, lacks it.
TEST_F(EsipayCard, UnknownRefundMissingFromTheSettlementIsReleased) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  refund_command("r2");
  h.feed("refund.succeeded", {{"http_status", 200}});
  const auto version = h.txn.version;
  h.feed("refund.not_settled", {{"command_id", "r1"}, {"through", "2026-11-23"}});
  EXPECT_EQ(h.txn.state, "partially_refunded");
  EXPECT_EQ(h.txn.version, version + 1);  // announced: the 40.00 is available again
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 6000);
  EXPECT_EQ(data(h).reserved_amount, 0);
  EXPECT_EQ(data(h).remaining_amount, 4000);
  EXPECT_EQ(refunds(h.txn).at(0).status, "failed");
  expect_event("partially_refunded", "partially_refunded");
  EXPECT_EQ(reason_of(h.txn), "refund r1 of 40.00 USD, outcome unknown, not in esipay's settlement file: not refunded, "
                              "the amount is released: 2026-11-23");
  // The released amount can be refunded now.
  refund_command("r3");
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(get_int(*get_object(h.effects.calls[0].params.object(), "amount"), "value"), 4000);
}

TEST_F(EsipayCard, UnknownRefundMissingFromTheSettlementWhileCapturedIsReleased) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "timeout"}});
  h.feed("refund.not_settled", {{"command_id", "r1"}});
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(data(h).remaining_amount, 10000);
  expect_event("captured", "succeeded");
  // Nothing refunded or reserved any more: the full-refund URL again.
  refund_command("r2");
  EXPECT_EQ(h.effects.calls.at(0).op, "refund");
}

TEST_F(EsipayCard, SettlementOfARefundWhoseOutcomeIsKnownChangesNothing) {
  captured();
  refunded_part(2500, "r1");
  const auto before = boost::json::serialize(to_json(h.txn));
  auto r = h.feed("refund.settled", {{"command_id", "r1"}, {"amount", "25.00"}});
  EXPECT_EQ(r.outcome, Outcome::rejected);
  EXPECT_EQ(h.txn.refunded_amount.value_or(0), 2500);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_EQ(h.feed("refund.not_settled", {{"command_id", "r1"}}).outcome, Outcome::rejected);
  EXPECT_EQ(h.feed("refund.settled", {{"command_id", "nope"}}).outcome, Outcome::rejected);
  EXPECT_EQ(refunds(h.txn).at(0).status, "succeeded");
  (void)before;
}

TEST_F(EsipayCard, RefundNeverSentIsFailedAndReleasesItsAmount) {
  captured();
  refund_command("r1", usd(4000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "circuit open for esipay: not sent"}, {"sent", false}});
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_FALSE(data(h).refund_in_flight.has_value());
  EXPECT_EQ(refunds(h.txn).at(0).status, "failed");
  EXPECT_EQ(refunds(h.txn).at(0).reason,
            "refund never sent (no way to esipay), nothing refunded: circuit open for esipay: not sent");
  EXPECT_EQ(data(h).remaining_amount, 10000);
  expect_event("captured", "succeeded");  // announced, as esipay's refusal is
  EXPECT_EQ(h.effects.events[0].reason_json,
            "\"refund never sent (no way to esipay), nothing refunded: circuit open for esipay: not sent\"");
  EXPECT_TRUE(h.effects.calls.empty());
  EXPECT_TRUE(h.effects.timers.empty());
}

TEST_F(EsipayCard, PartiallyRefundedRefundRefusedBeforeSendingIsFailed) {
  captured();
  refunded_part(2500, "r1");
  refund_command("r2", usd(1000));
  h.feed("call.failed", {{"op", "refund_partial"}, {"error", "bad amount"}, {"sent", false}, {"refused", true}});
  EXPECT_EQ(refunds(h.txn).at(1).status, "failed");
  EXPECT_EQ(data(h).remaining_amount, 7500);
  expect_event("partially_refunded", "partially_refunded");
  EXPECT_EQ(h.effects.events[0].reason_json, "\"" + refunds(h.txn).at(1).reason + "\"");
  EXPECT_TRUE(refunds(h.txn).at(1).reason.starts_with("refund refused before sending, nothing reached esipay"));
  EXPECT_TRUE(h.effects.calls.empty());
}

// ---- a charge of unknown outcome and esipay's settlement file --------------------------------------

TEST_F(EsipayCard, UnknownChargeFoundInTheSettlementIsCaptured) {
  h.in("unknown").feed("charge.settled", {{"transaction", "ESI-9"}, {"amount", "100.00"}, {"currency", "USD"}, {"line", 4}});
  EXPECT_EQ(h.txn.state, "captured");
  EXPECT_EQ(h.txn.provider_refs.find("transaction"), "ESI-9");
  EXPECT_EQ(data(h).remaining_amount, 10000);
  EXPECT_EQ(reason_of(h.txn), "found in esipay's settlement file (line 4): captured");
  expect_event("captured", "succeeded");
}

TEST_F(EsipayCard, UnknownChargeSettledForAnotherAmountIsAnAmountMismatch) {
  h.in("unknown").feed("charge.settled", {{"transaction", "ESI-9"}, {"amount", "10.00"}, {"currency", "USD"}, {"line", 4}});
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  EXPECT_EQ(reason_of(h.txn), "esipay's settlement file (line 4) reports 10.00 USD, corridor asked 100.00 USD");
  EXPECT_EQ(h.effects.events.at(0).provider_amount, (Money{1000, "USD"}));
}

TEST_F(EsipayCard, UnknownChargeMissingFromTheSettlementFailsProvisionally) {
  h.in("unknown").feed("charge.not_settled", {{"through", "2026-11-23"}});
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(reason_of(h.txn), "not in esipay's settlement file: not charged: 2026-11-23");
  EXPECT_EQ(h.txn.settled_by, "corridor");
}

TEST_F(EsipayCard, UnknownLateAnswerAfterACallbackOfAnotherAmountIsAnAmountMismatch) {
  h.in("unknown").feed("esipay.callback", callback("90.00"), InputKind::webhook);
  EXPECT_EQ(reason_of(h.txn), "return URL called after the timeout: most likely captured; reconcile (its real amount, "
                              "90.00, is not the 100.00 USD asked)");
  h.feed("charge.succeeded", {{"http_status", 200}});
  EXPECT_EQ(h.txn.state, "amount_mismatch");
}

// ---- the provider's word after the outcome ---------------------------------------------------------

// corridor failed the payment because the settlement file lacked it (its own inference); a later file
// has it, for another amount: the provider's word replaces corridor's.
TEST_F(EsipayCard, SettlementAfterAProvisionalFailureReplacesIt) {
  h.in("unknown").feed("charge.not_settled", {{"through", "2026-11-23"}});
  ASSERT_EQ(h.txn.state, "failed");
  h.feed(testing::make_input("charge.settled", {{"transaction", "ESI-9"}, {"amount", "10.00"}, {"currency", "USD"}, {"line", 2}},
                             kT0 + 86400000));
  EXPECT_EQ(h.txn.state, "amount_mismatch");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].previous_state, "failed");
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateOutcome);
}

// The charge found settled after a provisional failure leads to `captured`, which is not final
// (refunds follow): it is announced for an operator, and esipay has no status call to ask.
TEST_F(EsipayCard, SettledChargeAfterAProvisionalFailureIsAnnounced) {
  h.in("unknown").feed("charge.not_settled", {});
  const auto version = h.txn.version;
  h.feed(testing::make_input("charge.settled", {{"transaction", "ESI-9"}, {"amount", "100.00"}, {"line", 2}}, kT0 + 86400000));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(h.txn.version, version + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateInput);
  EXPECT_TRUE(h.effects.calls.empty());
}

// esipay refused the payment itself (a late 500 after the timeout), then its settlement has it: the
// first word stays, the contradiction is an event.
TEST_F(EsipayCard, SettlementContradictingEsipaysRefusalIsDisputed) {
  h.in("unknown").feed("charge.failed", {{"http_status", 500}});
  ASSERT_EQ(h.txn.state, "failed");
  h.feed(testing::make_input("charge.settled", {{"transaction", "ESI-9"}, {"amount", "10.00"}, {"line", 2}}, kT0 + 86400000));
  EXPECT_EQ(h.txn.state, "failed");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
}

// ---- the stored document ---------------------------------------------------------------------------

// A transaction stored before the flow had a struct (tests/golden/states.v1.jsonl: a partial refund
// then the rest), with a key the struct does not know: the flow's keys read into their members, the
// other key is kept, and every key is written back with its value.
TEST(EsipayCardData, ADocumentOfTheEarlierFormReadsIntoTheStructAndKeepsAnUnknownKey) {
  const json::value stored = json::parse(R"({"txn_id":"tx_tweejc7lvmexnuoy5phwadsudi","merchant":"ZANDO",
    "reference":"GOLDEN-esipay-partial-then-full-refund","provider":"esipay","flow":"card",
    "amount":{"value":10000,"currency":"XOF"},"state":"refunded","version":6,"seq":3,
    "provider_refs":{"transaction":"esi2af0a9902c7fc94782ec9797"},
    "data":{"customer":{"name":"Awa Diallo","country":"SN"},"description":"corridor demo","retry_attempt":0,
            "charge_call_id":"tx_tweejc7lvmexnuoy5phwadsudi:1:cardpay","janitor_attempt":0,"callback_amount":"10000",
            "callback_received":true,"captured_amount":10000,"refunded_amount":10000,"reserved_amount":0,
            "remaining_amount":0,
            "refunds":[{"command_id":"golden-follow-up-1","amount":4000,"status":"succeeded","at":"2026-12-05T00:44:25.642Z"},
                       {"command_id":"golden-follow-up-2","amount":6000,"status":"succeeded","at":"2026-12-05T00:44:25.673Z"}],
            "settled_from":"partially_refunded","operator_note":{"ticket":"OPS-12","checked":true}},
    "next_action":null,"reason":null,"created_at":"2026-12-05T00:44:23.690Z","updated_at":"2026-12-05T00:44:25.690Z",
    "rejected_inputs":0,"last_rejection":null})");
  auto txn = transaction_from_json(stored);
  ASSERT_TRUE(txn) << txn.error().message;
  esipay_card_flow().bind(*txn);

  const auto& d = txn->data.as<EsipayCardData>();
  EXPECT_EQ(d.charge_call_id, "tx_tweejc7lvmexnuoy5phwadsudi:1:cardpay");
  EXPECT_EQ(d.callback_amount, json::value("10000"));  // a string, as esipay wrote it
  EXPECT_EQ(d.callback_received, true);
  EXPECT_EQ(d.captured_amount, 10000);
  EXPECT_EQ(d.reserved_amount, 0);
  EXPECT_EQ(d.remaining_amount, 0);
  EXPECT_FALSE(d.refund_in_flight.has_value());
  ASSERT_TRUE(d.refunds.has_value());
  ASSERT_EQ(d.refunds->size(), 2u);
  EXPECT_EQ(d.refunds->at(0).command_id, "golden-follow-up-1");
  EXPECT_EQ(d.refunds->at(0).amount, 4000);
  EXPECT_EQ(d.refunds->at(0).status, "succeeded");
  EXPECT_EQ(d.refunds->at(0).at, "2026-12-05T00:44:25.642Z");
  EXPECT_EQ(d.refunds->at(0).reason, "");
  EXPECT_EQ(d.refunds->at(1).command_id, "golden-follow-up-2");
  EXPECT_EQ(d.refunds->at(1).amount, 6000);
  EXPECT_EQ(txn->refunded_amount, 10000);

  ASSERT_EQ(txn->data.unknown().size(), 1u);
  EXPECT_TRUE(txn->data.unknown().contains("operator_note"));
  // Every key written back with its value (Boost.JSON compares objects regardless of key order).
  EXPECT_EQ(data_json(*txn), stored.at("data").as_object());
}

}  // namespace
}  // namespace corridor
