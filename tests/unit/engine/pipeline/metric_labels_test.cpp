// What a committed batch counts, and the labels it counts under: closed sets only, whatever a sender
// wrote.
#include "engine/pipeline/metric_labels.hpp"

#include <gtest/gtest.h>

namespace corridor {
namespace {

const Flow& payin() { return *providers().find_flow("novasend.payin"); }

BatchStats::EventSample event(std::string_view state, std::string_view previous, Status status, std::int64_t version,
                              std::int64_t occurred_at_ms, std::string_view attention = {}) {
  return {&payin(), state, previous, attention, status, version, 1'000'000, occurred_at_ms};
}

TEST(MetricLabels, CommandsAreLabelledByTypeAndTheRegistrysProviderAndFlow) {
  const json::object create{{"provider", "novasend"}, {"flow", "payin"}};
  const CommandLabels l = command_labels(providers(), "payment.create", create);
  EXPECT_EQ(l.type, "payment.create");
  EXPECT_EQ(l.provider, "novasend");
  EXPECT_EQ(l.flow, "payin");
  // A provider with one flow may omit it.
  EXPECT_EQ(command_labels(providers(), "payment.create", {{"provider", "novasend"}}).flow, "payin");
}

TEST(MetricLabels, WhatASenderMadeUpIsNone) {
  const json::object made_up{{"provider", "evil\"} 1\n"}, {"flow", "x"}, {"merchant", "ZANDO"}};
  const CommandLabels l = command_labels(providers(), "payment.steal", made_up);
  EXPECT_EQ(l.type, kNoLabel);
  EXPECT_EQ(l.provider, kNoLabel);
  EXPECT_EQ(l.flow, kNoLabel);
  // A known provider with an unknown flow keeps its provider.
  const CommandLabels known = command_labels(providers(), "payment.create", {{"provider", "interac"}, {"flow", "nope"}});
  EXPECT_EQ(known.provider, "interac");
  EXPECT_EQ(known.flow, kNoLabel);
  EXPECT_EQ(command_labels(providers(), "payment.cancel", {}).provider, kNoLabel);
}

TEST(MetricLabels, ARequestsProviderComesFromItsPathWhenTheRegistryKnowsIt) {
  EXPECT_EQ(provider_of_target(providers(), "/webhooks/novasend"), "novasend");
  EXPECT_EQ(provider_of_target(providers(), "/callbacks/esipay/secret-token?x=1"), "esipay");
  EXPECT_EQ(provider_of_target(providers(), "/webhooks/evil"), kNoLabel);
  EXPECT_EQ(provider_of_target(providers(), "/webhooks/novasend2"), kNoLabel);
  EXPECT_EQ(provider_of_target(providers(), "/v1/transactions/tx_1"), kNoLabel);
}

TEST(MetricLabels, OutcomesAreTheStatusesThatEndAPayment) {
  for (Status s : {Status::succeeded, Status::failed, Status::declined, Status::cancelled, Status::expired,
                   Status::refunded, Status::partially_refunded, Status::amount_mismatch})
    EXPECT_TRUE(is_outcome(s)) << to_string(s);
  for (Status s : {Status::pending, Status::requires_action, Status::processing, Status::unknown})
    EXPECT_FALSE(is_outcome(s)) << to_string(s);
}

TEST(CountBatch, ATransactionsLifeCountsItsCreationItsChangesAndItsOutcomeOnce) {
  Metrics m;
  BatchStats stats;
  stats.event_samples = {
      event("created", "", Status::pending, 1, 1'000'000),
      event("session_requested", "created", Status::pending, 2, 1'000'050),
      event("confirmed", "session_requested", Status::processing, 3, 1'003'000),
      event("succeeded", "confirmed", Status::succeeded, 4, 1'004'250),
  };
  count_batch(m, stats);
  EXPECT_EQ(m.transactions_created.value({"novasend", "payin"}), 1);
  EXPECT_EQ(m.state_changes.value({"novasend", "payin", "pending"}), 2);
  EXPECT_EQ(m.state_changes.value({"novasend", "payin", "processing"}), 1);
  EXPECT_EQ(m.state_changes.value({"novasend", "payin", "succeeded"}), 1);
  EXPECT_EQ(m.transactions_final.value({"novasend", "payin", "succeeded"}), 1);
  // From created_at to the outcome's occurred_at: the inputs' times.
  EXPECT_EQ(m.command_to_final.count({"novasend", "payin", "succeeded"}), 1);
  EXPECT_EQ(m.command_to_final.sum_ms({"novasend", "payin", "succeeded"}), 4250);
}

TEST(CountBatch, ALateOutcomeIsAnAttentionNotASecondOutcome) {
  Metrics m;
  BatchStats stats;
  stats.event_samples = {
      event("expired", "awaiting_confirmation", Status::expired, 4, 1'900'000),
      event("succeeded", "expired", Status::succeeded, 5, 1'950'000, attention::kLateOutcome),
      event("amount_mismatch", "expired", Status::amount_mismatch, 6, 1'960'000, attention::kLateOutcome),
  };
  count_batch(m, stats);
  EXPECT_EQ(m.transactions_final.load(), 1);
  EXPECT_EQ(m.transactions_final.value({"novasend", "payin", "expired"}), 1);
  EXPECT_EQ(m.command_to_final.count({"novasend", "payin", "succeeded"}), 0);
  EXPECT_EQ(m.attention.value({"novasend", "payin", "late_outcome"}), 2);
  EXPECT_EQ(m.attention.value({"novasend", "payin", "amount_mismatch"}), 1);  // both looks
}

TEST(CountBatch, AnUnknownOutcomeSettledLaterIsCountedWhenSettled) {
  Metrics m;
  BatchStats stats;
  stats.event_samples = {event("unknown", "confirmed", Status::unknown, 4, 1'010'000)};
  count_batch(m, stats);
  EXPECT_EQ(m.transactions_final.load(), 0);
  stats.event_samples = {event("succeeded", "unknown", Status::succeeded, 5, 1'090'000)};
  count_batch(m, stats);
  EXPECT_EQ(m.transactions_final.value({"novasend", "payin", "succeeded"}), 1);
  EXPECT_EQ(m.command_to_final.sum_ms({"novasend", "payin", "succeeded"}), 90'000);
}

TEST(CountBatch, RejectionsAreCountedUnderTheirLabels) {
  Metrics m;
  BatchStats stats;
  stats.rejections = {{"payment.create", "novasend", "payin"}, {kNoLabel, kNoLabel, kNoLabel}};
  count_batch(m, stats);
  EXPECT_EQ(m.commands_rejected.value({"payment.create", "novasend", "payin"}), 1);
  EXPECT_EQ(m.commands_rejected.value({kNoLabel, kNoLabel, kNoLabel}), 1);
  EXPECT_EQ(m.commands_rejected.load(), 2);
}

}  // namespace
}  // namespace corridor
