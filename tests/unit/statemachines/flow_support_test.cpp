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

// Input structs of 16 texts each: three of them read in one step pass the StepContext's 1 KiB of
// stack memory, so the third goes to the heap.
template <int K>
struct Wide {
  std::string w0; std::string w1; std::string w2; std::string w3; std::string w4; std::string w5; std::string w6; std::string w7; std::string w8; std::string w9; std::string w10; std::string w11; std::string w12; std::string w13; std::string w14; std::string w15;
  BOOST_DESCRIBE_CLASS(Wide, (), (w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15), (), ())
};

TEST(StepContextReads, EachStructOnceAndKeptForTheWholeStepPastItsStackMemory) {
  Step s;
  for (int i = 0; i < 16; ++i)
    s.input.data["w" + std::to_string(i)] = "a text longer than fifteen bytes, " + std::to_string(i);
  const StepContext ctx(s.txn, s.input, s.settings, s.effects);
  const Wide<0>& first = ctx.input_as<Wide<0>>();
  const Wide<1>& second = ctx.input_as<Wide<1>>();
  const Wide<2>& third = ctx.input_as<Wide<2>>();
  static_assert(3 * sizeof(Wide<0>) > 1024);
  EXPECT_EQ(&ctx.input_as<Wide<0>>(), &first);  // read once
  EXPECT_EQ(&ctx.input_as<Wide<2>>(), &third);
  EXPECT_EQ(first.w0, "a text longer than fifteen bytes, 0");
  EXPECT_EQ(second.w7, "a text longer than fifteen bytes, 7");
  EXPECT_EQ(third.w15, "a text longer than fifteen bytes, 15");
  EXPECT_EQ(first.w15, third.w15);
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
