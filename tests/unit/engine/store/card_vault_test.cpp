#include "engine/store/card_vault.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/encoding.hpp"

namespace corridor {
namespace {

CardVault vault(unsigned char fill) {
  std::array<unsigned char, 32> key{};
  key.fill(fill);
  return CardVault(key);
}

TEST(CardVault, SealsAndOpens) {
  const auto v = vault(7);
  const std::string sealed = v.seal(R"({"number":"4111111111111111"})");
  EXPECT_EQ(sealed.find("4111111111111111"), std::string::npos);
  auto opened = v.open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, R"({"number":"4111111111111111"})");
}

TEST(CardVault, EachSealUsesAFreshNonce) { EXPECT_NE(vault(7).seal("x"), vault(7).seal("x")); }

TEST(CardVault, WrongKeyOrTamperingIsRefused) {
  const std::string sealed = vault(7).seal("4111111111111111");
  EXPECT_FALSE(vault(8).open(sealed));
  std::string raw = *base64_decode(sealed);
  raw[14] ^= 1;
  EXPECT_FALSE(vault(7).open(base64_encode(raw)));
  EXPECT_FALSE(vault(7).open("not base64!"));
  EXPECT_FALSE(vault(7).open(base64_encode("short")));
}

TEST(CardVault, KeyComesFromTheEnvironment) {
  unsetenv(CardVault::kKeyVariable);
  EXPECT_FALSE(CardVault::from_environment());
  setenv(CardVault::kKeyVariable, "00112233", 1);
  EXPECT_THROW(CardVault::from_environment(), std::runtime_error);
  setenv(CardVault::kKeyVariable, std::string(64, 'g').c_str(), 1);
  EXPECT_THROW(CardVault::from_environment(), std::runtime_error);
  setenv(CardVault::kKeyVariable, std::string(64, 'a').c_str(), 1);
  auto v = CardVault::from_environment();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v->open(v->seal("hello")), "hello");
  unsetenv(CardVault::kKeyVariable);
}

}  // namespace
}  // namespace corridor
