// Failure codes: a module's enum, its names, and the condition every code maps to.
#include "core/result.hpp"

#include <gtest/gtest.h>

#include <set>

namespace corridor {

enum class sample_errc { busy = 1, refused, forged, reused };

template <>
struct errc_info<sample_errc> {
  static constexpr const char* module = "sample";
  static constexpr std::array<ErrcEntry<sample_errc>, 4> codes{{
      {sample_errc::busy, "busy", failure::transient},
      {sample_errc::refused, "refused", failure::invalid},
      {sample_errc::forged, "forged", failure::unauthenticated},
      {sample_errc::reused, "reused", failure::conflict},
  }};
};

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::sample_errc> : std::true_type {};

namespace corridor {
namespace {

TEST(Errc, ACodeNamesItsModuleAndItself) {
  const std::error_code ec = sample_errc::busy;
  EXPECT_STREQ(ec.category().name(), "sample");
  EXPECT_EQ(ec.message(), "busy");
  EXPECT_EQ(code_text(ec), "sample.busy");
  EXPECT_EQ(code_text(std::error_code{}), "");
  EXPECT_EQ(code_text(make_error_code(static_cast<sample_errc>(99))), "sample.unknown");
}

TEST(Errc, RetryabilityAndTheHttpAnswerFollowFromTheCondition) {
  EXPECT_TRUE(fail(sample_errc::busy, "m").retryable());
  EXPECT_FALSE(fail(sample_errc::refused, "m").retryable());
  EXPECT_FALSE(fail(sample_errc::forged, "m").retryable());
  EXPECT_EQ(fail(sample_errc::busy, "m").http_status(), 400);
  EXPECT_EQ(fail(sample_errc::forged, "m").http_status(), 401);
  EXPECT_EQ(fail(sample_errc::reused, "m").http_status(), 409);
  EXPECT_FALSE(fail(sample_errc::reused, "m").retryable());
  EXPECT_TRUE(std::error_code(sample_errc::busy) == failure::transient);
  EXPECT_TRUE(std::error_code(sample_errc::forged) == failure::unauthenticated);
  EXPECT_FALSE(std::error_code(sample_errc::forged) == failure::transient);
  // An unknown value is invalid: never retried.
  EXPECT_FALSE(fail(static_cast<sample_errc>(99), "m").retryable());
}

TEST(Errc, NamesAreUniqueInTheModule) {
  std::set<std::string_view> names;
  for (const auto& e : errc_info<sample_errc>::codes) EXPECT_TRUE(names.insert(e.name).second) << e.name;
  // The same value in another category is another code.
  EXPECT_NE(std::error_code(sample_errc::busy), std::error_code(1, std::generic_category()));
}

}  // namespace
}  // namespace corridor
