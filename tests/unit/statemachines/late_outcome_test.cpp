// The provider's word in a final state (statemachines/reconcile.hpp, step_final; docs/events.md, "The
// provider's word is final"), on novasend.payin: a payin corridor expired on its own clock gives way
// to the provider's later outcome; one the provider settled itself is never changed silently.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "statemachines/novasend_payin.hpp"
#include "statemachines/reconcile.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::Harness;
using testing::kT0;
using testing::make_input;

json::object checked(std::string_view confirmation, std::string_view transaction_status = {}) {
  json::object o{{"reference", "tr_abc"}, {"customerReference", "tx_test"}, {"confirmationStatus", confirmation}};
  o["transaction"] = transaction_status.empty()
                         ? json::value(nullptr)
                         : json::value(json::object{{"reference", "tr_core"}, {"status", transaction_status}});
  return o;
}

std::string reason_of(const Transaction& t) { return t.reason.value_or(""); }

class LateOutcome : public ::testing::Test {
 protected:
  // awaiting_confirmation, then a status check after the confirmation deadline that finds the
  // confirmation still pending: corridor expires the payin on its own clock.
  void expire_on_corridors_clock() {
    h.in("awaiting_confirmation");
    h.txn.provider_refs.set({"reference"}, "tr_abc");
    h.txn.data.as<NovaSendPayinData>().confirmation_deadline_ms = kT0 + 1000;
    h.feed(make_input("status.checked", checked("pending"), kT0 + 2000, InputKind::provider_response, "poll-1"));
    ASSERT_EQ(h.txn.state, "expired");
    version = h.txn.version;
  }
  Harness h{novasend_payin_flow()};
  std::int64_t version = 0;
};

TEST_F(LateOutcome, AnExpiryOnCorridorsClockIsMarkedProvisional) {
  expire_on_corridors_clock();
  EXPECT_EQ(h.txn.settled_by, "corridor");
  EXPECT_EQ(h.txn.settled_from, "awaiting_confirmation");
}

TEST_F(LateOutcome, ExpiryByTheProviderIsNotProvisional) {
  h.in("awaiting_confirmation");
  h.feed("status.checked", checked("expired"));
  ASSERT_EQ(h.txn.state, "expired");
  EXPECT_FALSE(!h.txn.settled_by.empty());
}

TEST_F(LateOutcome, TheProvidersCompletionReplacesCorridorsExpiry) {
  expire_on_corridors_clock();
  const auto r = h.feed(make_input("status.checked", checked("accepted", "completed"), kT0 + 9000,
                                   InputKind::provider_response, "late-answer"));
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_EQ(reason_of(h.txn), "succeeded by the provider after corridor's own deadline had made it expired");
  EXPECT_FALSE(!h.txn.settled_by.empty());  // the provider's own word now
  ASSERT_EQ(h.effects.events.size(), 1u);
  const StateChangedEvent& e = h.effects.events[0];
  EXPECT_EQ(e.previous_state, "expired");
  EXPECT_EQ(e.state, "succeeded");
  EXPECT_EQ(e.status, Status::succeeded);
  EXPECT_EQ(e.attention, attention::kLateOutcome);
  EXPECT_EQ(e.cause.input_id, "late-answer");
  ASSERT_TRUE(h.txn.attention.has_value());
  EXPECT_EQ(h.txn.attention->code, "late_outcome");
  EXPECT_EQ(h.txn.attention->version, h.txn.version);
  // Its text: the attention after the reason.
  EXPECT_NE(serialize(e).find(R"("reason":"succeeded by the provider after corridor's own deadline had made it expired","attention":"late_outcome")"),
            std::string::npos);
}

TEST_F(LateOutcome, TheProvidersFailureAfterCorridorsExpiryKeepsItsReason) {
  expire_on_corridors_clock();
  json::object failed = checked("accepted", "failed");
  failed["failure"] = {{"message", "insufficient funds"}};
  h.feed(make_input("status.checked", failed, kT0 + 9000, InputKind::provider_response, "late-answer"));
  EXPECT_EQ(h.txn.state, "failed");
  EXPECT_EQ(reason_of(h.txn),
            "failed by the provider after corridor's own deadline had made it expired: transaction.status failed: "
            "insufficient funds");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
}

TEST_F(LateOutcome, AnAnswerThatStillSaysPendingChangesNothing) {
  expire_on_corridors_clock();
  const auto before = boost::json::serialize(to_json(h.txn));
  const auto r = h.feed(make_input("status.checked", checked("pending"), kT0 + 9000, InputKind::provider_response, "p2"));
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(boost::json::serialize(to_json(h.txn)), before);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.calls.empty());
}

// A signed payin.confirmed after corridor's expiry: not an outcome yet (transaction.status is), and
// acting on it as if the payin were alive would be deciding for the merchant. It is announced, and
// NovaSend asked; its answer decides.
TEST_F(LateOutcome, ALateConfirmationIsAnnouncedAndTheProviderAsked) {
  expire_on_corridors_clock();
  const auto r = h.feed(make_input("payin.confirmed", checked("accepted"), kT0 + 9000, InputKind::webhook, "webhook:1"));
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.version, version + 1);
  EXPECT_EQ(reason_of(h.txn),
            "the provider reported payin.confirmed after corridor's own deadline had made it expired; asking the "
            "provider for the outcome");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].previous_state, "expired");
  EXPECT_EQ(h.effects.events[0].attention, attention::kLateInput);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_EQ(h.effects.calls[0].params.text("reference"), "tr_abc");
  EXPECT_TRUE(h.effects.timers.empty());  // nothing fires in a final state
  ASSERT_TRUE(h.txn.reconcile.has_value());
  EXPECT_EQ(h.txn.reconcile->by, "late_input");
  EXPECT_EQ(h.txn.reconcile->call_id, h.effects.calls[0].answer_input_id());
  EXPECT_TRUE(h.txn.reconcile->pending());

  // The answer: completed. The expiry gives way.
  const std::string call_id = h.effects.calls[0].answer_input_id();
  h.feed(make_input("status.checked", checked("accepted", "completed"), kT0 + 10000, InputKind::provider_response,
                    call_id));
  EXPECT_EQ(h.txn.state, "succeeded");
  EXPECT_EQ(h.txn.version, version + 2);
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kLateOutcome);
  EXPECT_EQ(h.txn.reconcile.value().answer, "corrected");
}

TEST_F(LateOutcome, TheAnswerToTheAskThatStillSaysPendingIsRecordedOnly) {
  expire_on_corridors_clock();
  h.feed(make_input("payin.confirmed", checked("accepted"), kT0 + 9000, InputKind::webhook, "webhook:1"));
  const std::string call_id = h.effects.calls.at(0).answer_input_id();
  const std::int64_t after_announce = h.txn.version;
  h.feed(make_input("status.checked", checked("accepted"), kT0 + 10000, InputKind::provider_response, call_id));
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.version, after_announce);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_TRUE(h.effects.calls.empty());  // no second ask: the answer to an ask never asks again
  EXPECT_EQ(h.txn.reconcile.value().answer, "disputed");
}

// A flood of notices after corridor's expiry (FlexPay's callback is unsigned: anyone can send it):
// one event and one ask; while the ask is out, nothing; afterwards at most one ask an hour, silently.
TEST_F(LateOutcome, ALateInputIsAnnouncedOnceAndAskedAboutAtMostHourly) {
  expire_on_corridors_clock();
  h.feed(make_input("payin.confirmed", checked("accepted"), kT0 + 9000, InputKind::webhook, "webhook:1"));
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const std::string call_id = h.effects.calls[0].answer_input_id();
  const std::int64_t announced = h.txn.version;

  auto again = [&](std::int64_t at, std::string id) {
    return h.feed(make_input("payin.confirmed", checked("accepted"), at, InputKind::webhook, std::move(id)));
  };
  // The ask is out: its answer decides.
  EXPECT_EQ(again(kT0 + 9500, "webhook:2").outcome, Outcome::absorbed);
  EXPECT_TRUE(h.effects.calls.empty());
  // Answered, still pending: another notice within the hour asks nothing.
  h.feed(make_input("status.checked", checked("accepted"), kT0 + 10000, InputKind::provider_response, call_id));
  EXPECT_EQ(again(kT0 + 20000, "webhook:3").outcome, Outcome::absorbed);
  EXPECT_TRUE(h.effects.calls.empty());
  // An hour after the last ask: asked again, without an event.
  const auto r = again(kT0 + 9000 + 3600000, "webhook:4");
  EXPECT_EQ(r.outcome, Outcome::applied);
  ASSERT_EQ(h.effects.calls.size(), 1u);
  EXPECT_EQ(h.effects.calls[0].op, "check_status");
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_EQ(h.txn.version, announced);
  EXPECT_EQ(h.txn.reconcile.value().by, "late_input");
}

// The provider's own answer agrees with corridor's expiry: from then on the expiry is the provider's
// word, and a later contradiction is a dispute, not a late outcome.
TEST_F(LateOutcome, TheProvidersAgreementMakesTheOutcomeItsOwn) {
  expire_on_corridors_clock();
  const auto r = h.feed(make_input("status.checked", checked("expired"), kT0 + 9000, InputKind::provider_response, "p"));
  EXPECT_EQ(r.outcome, Outcome::applied);
  EXPECT_EQ(h.txn.state, "expired");
  EXPECT_EQ(h.txn.version, version);
  EXPECT_TRUE(h.effects.events.empty());
  EXPECT_FALSE(!h.txn.settled_by.empty());
  h.feed(make_input("status.checked", checked("accepted", "completed"), kT0 + 10000, InputKind::provider_response,
                    "later"));
  EXPECT_EQ(h.txn.state, "expired");
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
}

TEST_F(LateOutcome, AProviderOutcomeIsNeverChangedSilently) {
  h.in("awaiting_confirmation");
  h.feed("status.checked", checked("declined"));
  ASSERT_EQ(h.txn.state, "declined");
  const std::int64_t v = h.txn.version;
  h.feed(make_input("status.checked", checked("accepted", "completed"), kT0 + 9000, InputKind::provider_response,
                    "later"));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.txn.version, v + 1);
  ASSERT_EQ(h.effects.events.size(), 1u);
  EXPECT_EQ(h.effects.events[0].attention, attention::kDisputed);
  EXPECT_EQ(h.effects.events[0].state, "declined");
  EXPECT_EQ(reason_of(h.txn),
            "the provider now reports status.checked, which leads to succeeded; corridor keeps declined, the "
            "provider's own earlier outcome");
  EXPECT_EQ(h.txn.dispute.value().leads_to, "succeeded");
}

TEST_F(LateOutcome, ProgressAfterAProviderOutcomeIsAbsorbed) {
  h.in("awaiting_confirmation");
  h.feed("status.checked", checked("declined"));
  const auto before = boost::json::serialize(to_json(h.txn));
  const auto r = h.feed(make_input("payin.confirmed", checked("accepted"), kT0 + 9000, InputKind::webhook, "w2"));
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(boost::json::serialize(to_json(h.txn)), before);
}

// A call that got no answer is corridor's silence, not the provider's word: run from the state the
// payin settled from it would meet the deadline row, but it contradicts nothing.
TEST_F(LateOutcome, ACallThatFailedAfterAProviderOutcomeIsNoWordOfTheProviders) {
  h.in("awaiting_confirmation");
  h.txn.data.as<NovaSendPayinData>().confirmation_deadline_ms = kT0 + 1000;
  h.feed("status.checked", checked("declined"));
  ASSERT_EQ(h.txn.state, "declined");
  const auto before = boost::json::serialize(to_json(h.txn));
  const auto r = h.feed(make_input("call.failed", {{"op", "check_status"}, {"error", "timeout"}}, kT0 + 9000,
                                   InputKind::provider_response, "late-failure"));
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(boost::json::serialize(to_json(h.txn)), before);
  EXPECT_TRUE(h.effects.events.empty());
}

// The answer to a pending ask that disputes a final outcome, on a transaction read back from its
// stored text (no spare room in its data): the answer is recorded before the dispute is, so nothing
// is written through a pointer into moved data (the sanitizers watch this in make test).
TEST_F(LateOutcome, ADisputedAnswerToAnAskOnAStoredTransactionIsRecorded) {
  h.in("awaiting_confirmation");
  h.txn.provider_refs.set({"reference"}, "tr_abc");
  h.feed("status.checked", checked("declined"));
  ASSERT_EQ(h.txn.state, "declined");
  h.feed(make_input("transaction.reconcile", {}, kT0 + 5000, InputKind::command, "cmd:ask"));
  ASSERT_EQ(h.effects.calls.size(), 1u);
  const std::string call_id = h.effects.calls[0].answer_input_id();
  h.txn = *transaction_from_json(boost::json::parse(serialize(h.txn)));
  h.feed(make_input("status.checked", checked("accepted", "completed"), kT0 + 6000, InputKind::provider_response,
                    call_id));
  EXPECT_EQ(h.txn.state, "declined");
  EXPECT_EQ(h.effects.events.at(0).attention, attention::kDisputed);
  EXPECT_EQ(h.txn.reconcile.value().answer, "disputed");
  EXPECT_EQ(h.txn.dispute.value().leads_to, "succeeded");
}

TEST_F(LateOutcome, ATimerInAFinalStateIsAbsorbed) {
  expire_on_corridors_clock();
  const auto r = h.feed(make_input("timer.poll", {}, kT0 + 9000, InputKind::timer, "t"));
  EXPECT_EQ(r.outcome, Outcome::absorbed);
  EXPECT_EQ(h.txn.version, version);
}

TEST_F(LateOutcome, ACommandToAFinalTransactionIsRefused) {
  expire_on_corridors_clock();
  const auto r = h.feed(make_input("payment.cancel", {}, kT0 + 9000, InputKind::command, "cmd:c"));
  EXPECT_EQ(r.outcome, Outcome::rejected);
  EXPECT_EQ(r.reason, "the transaction is final (expired): payment.cancel refused");
  EXPECT_EQ(h.txn.version, version);
}

}  // namespace
}  // namespace corridor
