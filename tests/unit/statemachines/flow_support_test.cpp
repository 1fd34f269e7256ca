// The pieces every flow shares: retries that back off and end, amounts the provider reports, calls
// that never left.
#include "statemachines/flow_support.hpp"

#include <gtest/gtest.h>

#include "statemachines/novasend_payin.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::kT0;

struct Step {
  Transaction txn;
  Input input = testing::make_input("call.failed", {{"op", "x"}});
  FlowSettings settings;
  Effects effects;
  StepContext ctx{txn, input, settings, effects};
};

TEST(ScheduleRetry, BacksOffToItsCapAndCountsEachRetry) {
  Step s;
  s.settings.set("retry_after_ms", 1000);
  std::vector<std::int64_t> delays;
  for (int i = 0; i < 6; ++i) {
    s.effects = {};
    schedule_retry(s.ctx, 30000);
    ASSERT_EQ(s.effects.timers.size(), 1u);
    delays.push_back(s.effects.timers[0].due_at_ms - kT0);
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{1000, 2000, 4000, 8000, 10000, 10000}));  // cap: ten times
  EXPECT_EQ(s.txn.retry_attempt.value_or(0), 6);
  s.settings.set("max_retries", 6);
  EXPECT_TRUE(retries_spent(s.ctx, 100));
  reset_retries(s.ctx);
  EXPECT_FALSE(retries_spent(s.ctx, 100));
}

TEST(Budgets, PollsSpentReadsTheSettingOrTheFlowsDefault) {
  Step s;
  s.txn.poll_attempt = 3;
  EXPECT_TRUE(polls_spent(s.ctx, 3));
  EXPECT_FALSE(polls_spent(s.ctx, 4));
  s.settings.set("max_polls", 2);
  EXPECT_TRUE(polls_spent(s.ctx, 4));
}

TEST(CallsThatNeverLeft, RefusedAndNotSentAreReadFromTheFailure) {
  Step s;
  EXPECT_FALSE(not_sent(s.ctx));  // a call.failed without "sent": it may have left
  EXPECT_FALSE(refused_before_send(s.ctx));
  // A step reads its input once: each input below is a step of its own.
  s.input.data["sent"] = false;
  const StepContext unsent(s.txn, s.input, s.settings, s.effects);
  EXPECT_TRUE(not_sent(unsent));
  EXPECT_FALSE(refused_before_send(unsent));
  s.input.data["refused"] = true;
  const StepContext refused(s.txn, s.input, s.settings, s.effects);
  EXPECT_TRUE(refused_before_send(refused));
  s.input.name = "status.checked";
  const StepContext answered(s.txn, s.input, s.settings, s.effects);
  EXPECT_FALSE(refused_before_send(answered));
  EXPECT_FALSE(not_sent(answered));
}

TEST(ReportedMoney, DecimalStringsAndWholeUnitsAreExact) {
  const json::value fifty("50.0"), price("153.00"), whole(153), too_fine("1.001"), negative(-5), big("1e3");
  EXPECT_EQ(reported_money(&fifty, "XOF"), (Money{50, "XOF"}));
  EXPECT_EQ(reported_money(&price, "USD"), (Money{15300, "USD"}));
  EXPECT_EQ(reported_money(&whole, "USD"), (Money{15300, "USD"}));
  EXPECT_EQ(reported_money(&too_fine, "USD"), std::nullopt);
  EXPECT_EQ(reported_money(&negative, "USD"), std::nullopt);
  EXPECT_EQ(reported_money(&big, "USD"), std::nullopt);
  EXPECT_EQ(reported_money(&price, "ZZZ"), std::nullopt);
  EXPECT_EQ(reported_money(nullptr, "USD"), std::nullopt);
  const json::value overflow(INT64_MAX);
  EXPECT_EQ(reported_money(&overflow, "USD"), std::nullopt);
  EXPECT_TRUE(same_money(Money{15300, "USD"}, Money{15300, "USD"}));
  EXPECT_FALSE(same_money(Money{15300, "CAD"}, Money{15300, "USD"}));
  EXPECT_FALSE(same_money(std::nullopt, Money{15300, "USD"}));
}

TEST(AmountMismatch, KeepsBothAmountsAndFlagsTheChange) {
  Step s;
  s.txn.amount = {10000, "USD"};
  record_amount_mismatch(s.ctx, Money{9500, "USD"}, "esipay's return URL");
  EXPECT_EQ(s.txn.reason.value(), "esipay's return URL reports 95.00 USD, corridor asked 100.00 USD");
  EXPECT_EQ(s.txn.provider_amount, (Money{9500, "USD"}));
  EXPECT_EQ(s.ctx.attention, attention::kAmountMismatch);

  Step unreadable;
  unreadable.txn.amount = {300, "XOF"};
  record_amount_mismatch(unreadable.ctx, std::nullopt, "the check");
  EXPECT_EQ(unreadable.txn.reason.value(), "the check reports no readable amount, corridor asked 300 XOF");
  EXPECT_FALSE(unreadable.txn.provider_amount.has_value());
}

}  // namespace
}  // namespace corridor
