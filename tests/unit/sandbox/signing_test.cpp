// The sandboxes' signing pieces (sandbox/support/signing.cpp), against answers computed with Python's hmac and base64.
#include "sandbox/support/signing.hpp"

#include <gtest/gtest.h>

namespace corridor {
namespace {

constexpr std::string_view kFox = "The quick brown fox jumps over the lazy dog";

TEST(Signing, HmacSha256Hex) {
  EXPECT_EQ(hmac_sha256_hex("key", kFox), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(Signing, HmacSha256Base64) {
  EXPECT_EQ(hmac_sha256_base64("key", kFox), "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
}

TEST(Signing, Base64Pads) {
  EXPECT_EQ(base64("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(base64("a"), "YQ==");
  EXPECT_EQ(base64(""), "");
}

}  // namespace
}  // namespace corridor
