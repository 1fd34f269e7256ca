// Card numbers and secrets in free text: found and masked whatever their writing.
#include "statemachines/sensitive.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace corridor {
namespace {

TEST(Luhn, KnownNumbers) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("5500000000000004"));
  EXPECT_TRUE(luhn_valid("378282246310005"));
  EXPECT_FALSE(luhn_valid("4111111111111112"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("41111a1111111111"));
}

TEST(MaskCardNumbers, UnbrokenRunsOfThirteenOrMoreDigits) {
  EXPECT_EQ(mask_card_numbers("card 4111111111111111 and 5500000000000004!"),
            "card 411111******1111 and 550000******0004!");
  EXPECT_EQ(mask_card_numbers("amount 300 phone 2250700000001"), "amount 300 phone 225070***0001");
  // Longer than a card: still nothing between the first six and the last four.
  EXPECT_EQ(mask_card_numbers("41111111111111110000"), "411111**********0000");
  EXPECT_EQ(mask_card_numbers("123456789012"), "123456789012");
}

TEST(MaskCardNumbers, SplitBySpacesOrDashes) {
  EXPECT_EQ(mask_card_numbers("pan 4111 1111 1111 1111 exp 12/29"), "pan 4111 11** **** 1111 exp 12/29");
  EXPECT_EQ(mask_card_numbers("4111-1111-1111-1111"), "4111-11**-****-1111");
  // A card followed by more digits after a separator: the card is still found.
  EXPECT_EQ(mask_card_numbers("4111 1111 1111 1111 2026-11-22"), "4111 11** **** 1111 2026-11-22");
  // Dates, phone numbers and amounts with separators that are no card stay.
  EXPECT_EQ(mask_card_numbers("2026-11-22 10:00:00"), "2026-11-22 10:00:00");
  EXPECT_EQ(mask_card_numbers("+225 07 02 96 87 86"), "+225 07 02 96 87 86");
}

TEST(MaskCardNumbers, InsideJsonAndPercentEscapes) {
  const std::string escaped = R"(\u0034\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031\u0031)";
  EXPECT_EQ(mask_card_numbers(escaped), R"(\u0034\u0031\u0031\u0031\u0031\u0031******\u0031\u0031\u0031\u0031)");
  EXPECT_EQ(mask_card_numbers("/callbacks/x/%34%31%31%31%31%31%31%31%31%31%31%31%31%31%31%31/"),
            "/callbacks/x/%34%31%31%31%31%31******%31%31%31%31/");
  // Escaped once more (a payload kept as a JSON string): still digits.
  EXPECT_EQ(find_card_number(R"(\\u00341111111111111111)"), std::nullopt);  // 17 digits, not a card
  EXPECT_EQ(find_card_number(R"(x\\u0034111111111111111y)"), "4111111111111111");
  // Mixed writings in one number.
  EXPECT_EQ(find_card_number(R"(41%3111\u00311111111111)"), "4111111111111111");
}

// Found by fuzz/command_routing: text ending in a digit was read one byte past its end. The views here
// end where their buffer ends, so the sanitizers see any read beyond.
TEST(MaskCardNumbers, TextEndingInADigitIsReadNoFurther) {
  for (std::string_view text : {"7", "card 4111111111111111", "x 4111 1111 1111 1111", "%3", "\\u003"}) {
    const std::vector<char> buffer(text.begin(), text.end());
    const std::string_view exact(buffer.data(), buffer.size());
    EXPECT_EQ(mask_card_numbers(exact).size() <= exact.size(), true);
    (void)find_card_number(exact);
  }
}

TEST(FindCardNumber, OnlyPlausibleCards) {
  EXPECT_EQ(find_card_number("card 4111 1111 1111 1111"), "4111111111111111");
  EXPECT_EQ(find_card_number("amex 378282246310005."), "378282246310005");
  EXPECT_EQ(find_card_number("order 4111111111111112"), std::nullopt);  // fails Luhn
  EXPECT_EQ(find_card_number("msisdn 2250700000001"), std::nullopt);    // 13 digits starting 225
  EXPECT_EQ(find_card_number("amex 3782 822463 10005"), "378282246310005");  // 4-6-5, as American Express writes it
  // An 18-digit id joined to a short number by a dash: no card grouping, even when the digits pass.
  EXPECT_EQ(find_card_number("CHAOS-411111111111111111-1-esipay"), std::nullopt);
  EXPECT_EQ(mask_card_numbers("CHAOS-411111111111111111-1"), "CHAOS-411111********1111-1");
  EXPECT_EQ(find_card_number("nothing here 300 XOF"), std::nullopt);
}

TEST(Redact, SecretsAndCards) {
  clear_secrets();
  register_secret("providers.esipay.callback_token", "tok-3f9a2c71b8");
  register_secret("short", "abc");  // too short to register
  EXPECT_EQ(redact("GET /callbacks/esipay/tok-3f9a2c71b8/return?x=abc 4111111111111111"),
            "GET /callbacks/esipay/[redacted providers.esipay.callback_token]/return?x=abc 411111******1111");
  clear_secrets();
  EXPECT_EQ(redact("tok-3f9a2c71b8"), "tok-3f9a2c71b8");
}

TEST(SecretSettings, CredentialsAreKnownByTheirKeys) {
  for (auto key : {"api_key", "webhook_secret", "token", "callback_token", "uuid", "webhook_hmac_key", "api_client"})
    EXPECT_TRUE(is_secret_setting(key)) << key;
  for (auto key : {"base_url", "public_url", "merchant", "allowed_sources", "retry_after_ms", "account_id"})
    EXPECT_FALSE(is_secret_setting(key)) << key;
}

TEST(Bounded, CutsOnACharacterBoundaryAndSaysTheSize) {
  EXPECT_EQ(bounded("short", 10), "short");
  EXPECT_EQ(bounded("abcdef", 3), "abc…(6 bytes)");
  EXPECT_EQ(bounded("ééé", 3), "é…(6 bytes)");  // never half a character
}

TEST(Redact, ASecretIsFoundWholeBeforeCardNumbersAreMasked) {
  clear_secrets();
  register_secret("providers.x.api_key", "key-4111111111111111-z");
  EXPECT_EQ(redact("auth key-4111111111111111-z"), "auth [redacted providers.x.api_key]");
  clear_secrets();
}

TEST(RedactBounded, RedactsBeforeCuttingAndSaysTheWholeSize) {
  // A card straddling the cut: masked before the cut, so no twelve digits survive in the prefix.
  const std::string text = std::string(10, 'x') + "4111111111111111" + std::string(100000, 'y');
  const std::string shown = redact_bounded(text, 20);
  EXPECT_EQ(shown, "xxxxxxxxxx411111****…(100026 bytes)");
  EXPECT_EQ(redact_bounded("short 4111111111111111", 100), "short 411111******1111");
}

TEST(MaskCardNumbers, ALongRunOfBackslashesCostsOnePass) {
  // Each backslash once looked past the whole run for an escaped digit: a 1 MiB run took minutes.
  const std::string run(1 << 20, '\\');
  EXPECT_EQ(mask_card_numbers(run), run);
  EXPECT_EQ(find_card_number(run + "4111111111111111"), "4111111111111111");
}

TEST(MaskFoundCards, OnlyCardNumbersAreMaskedOtherIdentifiersStay) {
  EXPECT_EQ(mask_found_cards("evt_4111111111111111"), "evt_411111******1111");
  EXPECT_EQ(mask_found_cards("pan 4111 1111 1111 1111"), "pan 4111 11** **** 1111");
  // A long order number or phone number that is no card stays whole, usable as an identifier.
  EXPECT_EQ(mask_found_cards("ORD-2250700000001-99"), "ORD-2250700000001-99");
  EXPECT_EQ(mask_found_cards("41111111111111110000"), "41111111111111110000");
}

}  // namespace
}  // namespace corridor
