// core/encoding: hex and base64 on known vectors.
#include "core/encoding.hpp"

#include <gtest/gtest.h>

namespace corridor {
namespace {

TEST(Encoding, HexEncodesAnyBytesLowerCase) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x0a\xff", 3)), "000aff");
}

TEST(Encoding, HexDigitBothCases) {
  EXPECT_EQ(hex_digit('0'), 0);
  EXPECT_EQ(hex_digit('a'), 10);
  EXPECT_EQ(hex_digit('F'), 15);
  EXPECT_EQ(hex_digit('g'), -1);
}

TEST(Encoding, Base64RoundTripsWithPadding) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode(""), "");
  const std::string all = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
    return s;
  }();
  EXPECT_EQ(base64_decode(base64_encode(all)), all);
}

TEST(Encoding, Base64DecodeRefusesMalformedText) {
  EXPECT_FALSE(base64_decode("Zg="));     // not a multiple of 4
  EXPECT_FALSE(base64_decode("Z=g="));    // padding in the middle
  EXPECT_FALSE(base64_decode("Zg==Zm8=")); // padding before the end
  EXPECT_FALSE(base64_decode("Zm9 "));    // no whitespace skipped
  EXPECT_FALSE(base64_decode("Z==="));
}

TEST(Encoding, HexDecodeAndBase64OnKnownValues) {
  EXPECT_EQ(base64_encode("corridor"), "Y29ycmlkb3I=");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(*base64_decode("Y29ycmlkb3I="), "corridor");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_FALSE(base64_decode("YW=I"));
  EXPECT_EQ(*hex_decode("00ff"), std::string("\x00\xff", 2));
  EXPECT_FALSE(hex_decode("0"));
}

}  // namespace
}  // namespace corridor
