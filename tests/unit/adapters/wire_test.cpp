// adapters/support/wire: the helpers every adapter shares, on known vectors.
#include "adapters/support/wire.hpp"

#include <gtest/gtest.h>

#include <cctype>

namespace corridor {
namespace {

TEST(Wire, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(hex_encode(bytes_of(hmac_sha256("Jefe", "what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Wire, DigestFromHexNeedsExactly64HexDigits) {
  const Sha256Digest mac = hmac_sha256("k", "body");
  const std::string text = hex_encode(bytes_of(mac));
  auto back = digest_from_hex(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, mac);
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(digest_from_hex(upper));
  EXPECT_FALSE(digest_from_hex(text.substr(1)));
  EXPECT_FALSE(digest_from_hex(text + "0"));
  EXPECT_FALSE(digest_from_hex("g" + text.substr(1)));
}

TEST(Wire, PercentEncodeKeepsUnreservedOnly) {
  EXPECT_EQ(percent_encode("aZ09-_.~"), "aZ09-_.~");
  EXPECT_EQ(percent_encode("a b/c?&=\xff"), "a%20b%2Fc%3F%26%3D%FF");
}

TEST(Wire, FormDecode) {
  EXPECT_EQ(form_decode("a+b%2Fc%3d"), "a b/c=");
  EXPECT_EQ(form_decode("100%"), "100%");
  EXPECT_EQ(form_decode("%zz"), "%zz");
}

TEST(Wire, WellFormedUtf8IsRfc3629) {
  for (std::string_view ok : std::initializer_list<std::string_view>{"", "plain", "caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x92\xB3", "\xF4\x8F\xBF\xBF",
                              "\xED\x9F\xBF", std::string_view("\0", 1)})
    EXPECT_TRUE(well_formed_utf8(ok)) << hex_encode(ok);
  for (std::string_view bad : std::initializer_list<std::string_view>{"\xFF", "\x80", "caf\xC3", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80",
                               "\xF0\x80\x80\xAF", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE2\x82", "\xE2\x28\xAC"})
    EXPECT_FALSE(well_formed_utf8(bad)) << hex_encode(bad);
}

TEST(Wire, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Wire, SettingFallsBackWhenAbsentOrEmpty) {
  const ProviderSettings s{{"base_url", "http://x"}, {"empty", ""}};
  EXPECT_EQ(setting(s, "base_url"), "http://x");
  EXPECT_EQ(setting(s, "empty", "d"), "d");
  EXPECT_EQ(setting(s, "absent", "d"), "d");
  EXPECT_EQ(setting(s, "absent"), "");
}

TEST(Wire, TrimSlashesRemovesTrailingOnly) {
  EXPECT_EQ(trim_slashes("http://x/v1//"), "http://x/v1");
  EXPECT_EQ(trim_slashes("/v1"), "/v1");
  EXPECT_EQ(trim_slashes("///"), "");
}

TEST(Wire, MaskDigitsMasksCardLengthRuns) {
  EXPECT_EQ(mask_digits("card 6262000000000001 declined, ref 123456"), "card 626200******0001 declined, ref 123456");
  EXPECT_EQ(mask_digits(std::string(400, 'x')).size(), 300u);
}

TEST(Wire, ParseObjectNamesWhere) {
  auto ok = parse_object(R"({"a":1})", "p");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->at("a").as_int64(), 1);
  auto not_json = parse_object("{", "p answer");
  ASSERT_FALSE(not_json);
  EXPECT_TRUE(not_json.error().message.starts_with("p answer: body is not JSON"));
  auto array = parse_object("[]", "p");
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error().message, "p: body is not a JSON object");
  EXPECT_FALSE(parse_object(R"({"a":1,})", "p"));
  json::parse_options lenient;
  lenient.allow_trailing_commas = true;
  EXPECT_TRUE(parse_object(R"({"a":1,})", "p", lenient));
}

TEST(Wire, RefusalIsFinalWithItsStatus) {
  const Error e = fail(adapter_errc::bad_signature, "webhook: bad signature");
  EXPECT_EQ(e.message, "webhook: bad signature");
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(e.http_status(), 401);
  EXPECT_EQ(code_text(e.code), "adapter.bad_signature");
}

// What the executor and the ingress do about an adapter's failure follows from its code alone.
TEST(Wire, AdapterCodesSayWhetherToRetryAndHowToAnswer) {
  struct Case {
    adapter_errc code;
    bool retryable;
    int http_status;
  };
  for (const Case& c : {Case{adapter_errc::provider_unavailable, true, 400}, Case{adapter_errc::rate_limited, true, 400},
                        Case{adapter_errc::malformed, false, 400}, Case{adapter_errc::unexpected_answer, false, 400},
                        Case{adapter_errc::not_found, false, 404}, Case{adapter_errc::bad_parameters, false, 400},
                        Case{adapter_errc::bad_signature, false, 401}, Case{adapter_errc::forbidden_source, false, 403},
                        Case{adapter_errc::unknown_route, false, 404}, Case{adapter_errc::wrong_method, false, 405}}) {
    const Error e = fail(c.code, "x");
    EXPECT_EQ(e.retryable(), c.retryable) << code_text(e.code);
    EXPECT_EQ(e.http_status(), c.http_status) << code_text(e.code);
  }
  EXPECT_EQ(busy_status(429), adapter_errc::rate_limited);
  EXPECT_EQ(busy_status(503), adapter_errc::provider_unavailable);
  EXPECT_EQ(busy_status(500), adapter_errc::provider_unavailable);
  EXPECT_EQ(busy_status(408), adapter_errc::provider_unavailable);
  EXPECT_EQ(busy_status(404), std::nullopt);
  EXPECT_EQ(busy_status(200), std::nullopt);
}

TEST(Wire, FieldChecksNameTheField) {
  const json::object o{{"s", "x"}, {"empty", ""}, {"n", 1}, {"null", nullptr}};
  EXPECT_TRUE(require_string(o, "s", "w"));
  EXPECT_EQ(require_string(o, "absent", "w").error().message, "w: missing field 'absent'");
  EXPECT_EQ(require_string(o, "empty", "w").error().message, "w: field 'empty' must be a non-empty string");
  EXPECT_EQ(require_string(o, "n", "w").error().message, "w: field 'n' must be a non-empty string");
  EXPECT_TRUE(optional_string(o, "absent", "w"));
  EXPECT_TRUE(optional_string(o, "null", "w"));
  EXPECT_TRUE(optional_string(o, "empty", "w"));
  EXPECT_EQ(optional_string(o, "n", "w").error().message, "w: field 'n' must be a string");
}

}  // namespace
}  // namespace corridor
