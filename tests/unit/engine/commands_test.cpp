#include "engine/commands.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <variant>

namespace corridor {
namespace {

Config config() {
  return parse_config(R"(
merchants:
  - { id: ZANDO, providers: [novasend] }
  - { id: SLEEPY, enabled: false, providers: [novasend] }
  - { id: NARROW, providers: [] }
providers:
  novasend: { base_url: "http://x", webhook_secret: s }
)",
                      "test");
}

std::string payin(std::string_view amount = R"({"value":300,"currency":"XOF"})") {
  return std::string(R"({"type":"payment.create","command_id":"c1","merchant":"ZANDO","reference":"R1",)") +
         R"("provider":"novasend","amount":)" + std::string(amount) + R"(,"customer":{"msisdn":"+2250700000001"}})";
}

std::string reason_of(std::string_view raw) {
  auto r = route_command(raw, config(), "corridor.commands:0:7", 1000);
  if (auto* rej = std::get_if<CommandRejection>(&r)) return rej->reason;
  return "";
}

TEST(TxnId, IsDeterministicAndSeparatesMerchantFromReference) {
  EXPECT_EQ(derive_txn_id("ZANDO", "MM0000XXFFR159"), derive_txn_id("ZANDO", "MM0000XXFFR159"));
  EXPECT_NE(derive_txn_id("ZANDO", "R1"), derive_txn_id("ZANDO", "R2"));
  EXPECT_NE(derive_txn_id("AB", "C"), derive_txn_id("A", "BC"));
  const auto id = derive_txn_id("ZANDO", "R1");
  EXPECT_EQ(id.rfind("tx_", 0), 0u);
  EXPECT_EQ(id.size(), 3u + 26u);  // 128 bits in base32
}

TEST(Masking, KeepsFirstSixAndLastFour) {
  EXPECT_EQ(mask_pan("4111111111111111"), "411111******1111");
  EXPECT_EQ(mask_card_numbers("card 4111111111111111 and 5500000000000004!"),
            "card 411111******1111 and 550000******0004!");
  EXPECT_EQ(mask_card_numbers("amount 300 phone 2250700000001"), "amount 300 phone 225070***0001");
}

TEST(DeadLetter, NonUtf8PayloadTravelsAsBase64) {
  EXPECT_TRUE(valid_utf8("plain, and é"));
  EXPECT_FALSE(valid_utf8("\xff\xfe"));
  EXPECT_FALSE(valid_utf8("\xc3"));  // cut in the middle of a character
  auto ok = deadletter_record("router", "why", "{card 4111111111111111}", 0);
  EXPECT_EQ(get_string(ok, "payload"), "{card 411111******1111}");
  auto bin = deadletter_record("router", "why", "\xff\xfe", 0);
  EXPECT_FALSE(bin.contains("payload"));
  EXPECT_EQ(get_string(bin, "payload_base64"), "//4=");
}

TEST(RouteCommand, ValidPayinBecomesAnInputKeyedByTxnId) {
  auto r = route_command(payin(), config(), "corridor.commands:0:7", 1234);
  auto* ok = std::get_if<RoutedCommand>(&r);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->input.txn_id, derive_txn_id("ZANDO", "R1"));
  EXPECT_EQ(ok->input.input_id, "cmd:c1");
  EXPECT_EQ(ok->input.name, "payment.create");
  EXPECT_EQ(ok->input.at_ms, 1234);
  EXPECT_EQ(get_string(ok->input.data, "flow"), "payin");  // resolved: novasend has one flow
}

TEST(RouteCommand, WithoutCommandIdTheRecordNamesTheInput) {
  std::string raw = payin();
  raw.replace(raw.find(R"("command_id":"c1",)"), 18, "");
  auto r = route_command(raw, config(), "corridor.commands:3:42", 0);
  ASSERT_TRUE(std::holds_alternative<RoutedCommand>(r));
  EXPECT_EQ(std::get<RoutedCommand>(r).input.input_id, "cmd:corridor.commands:3:42");
}

TEST(RouteCommand, CardNumberIsSealedAndMaskedInTheInput) {
  std::string raw = payin();
  raw.insert(1, R"("card":{"number":"4111111111111111","exp_month":12,"exp_year":2027},)");
  std::array<unsigned char, 32> key{};
  key.fill(3);
  const CardVault vault(key);
  auto r = route_command(raw, config(), "x", 0, &vault);
  ASSERT_TRUE(std::holds_alternative<RoutedCommand>(r));
  const auto& data = std::get<RoutedCommand>(r).input.data;
  const auto text = boost::json::serialize(data);
  EXPECT_EQ(text.find("4111111111111111"), std::string::npos);
  const json::object* card = get_object(data, "card");
  ASSERT_NE(card, nullptr);
  EXPECT_EQ(get_string(*card, "number"), "411111******1111");
  auto opened = vault.open(get_string(*card, "sealed"));
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, R"({"number":"4111111111111111","exp_month":12,"exp_year":2027})");
}

TEST(RouteCommand, CardWithoutAVaultIsRejectedNeverKeptInClear) {
  std::string raw = payin();
  raw.insert(1, R"("card":{"number":"4111111111111111","exp_month":12,"exp_year":2027},)");
  auto r = route_command(raw, config(), "x", 0, nullptr);
  auto* rej = std::get_if<CommandRejection>(&r);
  ASSERT_NE(rej, nullptr);
  EXPECT_NE(rej->reason.find("CORRIDOR_CARD_KEY is not set"), std::string::npos);
  EXPECT_EQ(rej->reason.find("4111111111111111"), std::string::npos);
}

TEST(RouteCommand, RejectsEachKindOfBadCommand) {
  EXPECT_NE(reason_of("{oops").find("not valid JSON"), std::string::npos);
  EXPECT_NE(reason_of("42").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(reason_of(R"({"type":"payment.create"})").find("missing required field 'merchant'"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"({"value":12.5,"currency":"XOF"})")).find("not a fraction"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"({"value":-1,"currency":"XOF"})")).find("must be positive"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"({"value":0,"currency":"XOF"})")).find("must be positive"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"({"value":"300","currency":"XOF"})")).find("integer"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"({"value":300,"currency":"XYZ"})")).find("unknown currency"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"({"value":300})")).find("currency"), std::string::npos);
  EXPECT_NE(reason_of(payin(R"(300)")).find("must be an object"), std::string::npos);
}

TEST(RouteCommand, RejectsUnknownOrDisabledMerchantAndForbiddenProvider) {
  std::string raw = payin();
  auto replace = [](std::string s, std::string_view from, std::string_view to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(reason_of(replace(raw, "ZANDO", "NOPE")).find("unknown merchant"), std::string::npos);
  EXPECT_NE(reason_of(replace(raw, "ZANDO", "SLEEPY")).find("disabled"), std::string::npos);
  EXPECT_NE(reason_of(replace(raw, "ZANDO", "NARROW")).find("may not use provider"), std::string::npos);
  EXPECT_NE(reason_of(replace(raw, "\"novasend\"", "\"acme\"")).find("unknown provider 'acme'"), std::string::npos);
  EXPECT_NE(reason_of(replace(raw, "\"provider\"", "\"flow\":\"payout\",\"provider\"")).find("unknown flow 'payout'"),
            std::string::npos);
  EXPECT_NE(reason_of(replace(raw, "payment.create", "payment.fly")).find("unknown command type"), std::string::npos);
}

TEST(RouteCommand, RejectionKeepsWhatCouldBeRead) {
  auto r = route_command(payin(R"({"value":1.5,"currency":"XOF"})"), config(), "x", 5);
  auto* rej = std::get_if<CommandRejection>(&r);
  ASSERT_NE(rej, nullptr);
  EXPECT_EQ(rej->merchant, "ZANDO");
  EXPECT_EQ(rej->reference, "R1");
  EXPECT_EQ(rej->command_id, "c1");
  EXPECT_EQ(rej->txn_id, derive_txn_id("ZANDO", "R1"));
  const auto e = command_rejected_event(*rej, "cmd:c1", 5);
  EXPECT_EQ(get_string(e, "type"), "command.rejected");
  EXPECT_EQ(get_string(e, "event_id"), "rejected:cmd:c1");
}

}  // namespace
}  // namespace corridor
