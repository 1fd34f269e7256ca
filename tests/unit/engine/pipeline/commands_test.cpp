#include "engine/pipeline/commands.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
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

TEST(DeadLetter, NonUtf8PayloadTravelsAsBase64) {
  auto ok = deadletter_record("router", "why", "{card 4111111111111111}", 0, 4096);
  EXPECT_EQ(get_string(ok, "payload"), "{card 411111******1111}");
  auto bin = deadletter_record("router", "why", "\xff\xfe", 0, 4096);
  EXPECT_FALSE(bin.contains("payload"));
  EXPECT_EQ(get_string(bin, "payload_base64"), "//4=");
  // Past U+10FFFF, overlong, a surrogate: not UTF-8 either.
  for (std::string_view odd : {"\xf4\xa2\x82\x82", "\xc0\xaf", "\xed\xa0\x80"})
    EXPECT_TRUE(deadletter_record("router", "why", odd, 0, 4096).contains("payload_base64"));
}

TEST(DeadLetter, KeepsAPrefixTheSizeAndTheDigestOfTheWhole) {
  const std::string payload(170 * 1024, 'x');
  auto d = deadletter_record("router", "too big", payload, 0, 100);
  EXPECT_EQ(get_string(d, "payload"), std::string(100, 'x') + "…(174080 bytes)");
  EXPECT_EQ(get_int(d, "payload_bytes"), 174080);
  EXPECT_EQ(get_string(d, "payload_sha256").size(), 64u);
  EXPECT_LT(boost::json::serialize(d).size(), 600u);
  // Escapes cannot blow it up past what the topic takes: each byte escapes to at most 6.
  const std::string controls(300 * 1024, '\x01');
  EXPECT_LT(boost::json::serialize(deadletter_record("router", "x", controls, 0, 4096)).size(), 6 * 4096 + 600u);
}

TEST(DeadLetter, ReasonAndPayloadAreRedacted) {
  register_secret("providers.esipay.callback_token", "tok-1234567890abcdef");
  auto d = deadletter_record("ingress", "bad path /callbacks/esipay/tok-1234567890abcdef/x",
                             "card 4111 1111 1111 1111", 0, 4096);
  EXPECT_EQ(get_string(d, "reason"), "bad path /callbacks/esipay/[redacted providers.esipay.callback_token]/x");
  EXPECT_EQ(get_string(d, "payload"), "card 4111 11** **** 1111");
  // Something was masked: no digest, which would let one try the million card numbers it could be.
  EXPECT_TRUE(d.at("payload_sha256").is_null());
  clear_secrets();
}

TEST(RouteCommand, ValidPayinBecomesAnInputKeyedByTxnId) {
  auto r = route_command(payin(), config(), "corridor.commands:0:7", 1234);
  auto* ok = std::get_if<RoutedCommand>(&r);
  ASSERT_NE(ok, nullptr);
  EXPECT_EQ(ok->input.txn_id, derive_txn_id("ZANDO", "R1"));
  EXPECT_EQ(ok->input.input_id, "cmd:" + derive_txn_id("ZANDO", "R1") + ":c1");  // scoped by its transaction
  EXPECT_EQ(ok->input.digest.size(), 64u);
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
  EXPECT_FALSE(card->contains("exp_month"));  // the expiry is sensitive too: sealed, not in clear
  EXPECT_FALSE(card->contains("exp_year"));
  auto opened = vault.open(get_string(*card, "sealed"));
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, R"({"number":"4111111111111111","exp_month":12,"exp_year":2027})");
}

CardVault test_vault() {
  std::array<unsigned char, 32> key{};
  key.fill(3);
  return CardVault(key);
}

std::string reason_with_vault(std::string_view raw) {
  const CardVault vault = test_vault();
  auto r = route_command(raw, config(), "x", 0, &vault);
  if (auto* rej = std::get_if<CommandRejection>(&r)) return rej->reason;
  return "";
}

TEST(RouteCommand, CardNumberWithSpacesOrDashesIsSealedAsDigits) {
  std::string raw = payin();
  raw.insert(1, R"("card":{"number":"4111 1111-1111 1111","cvv":"123"},)");
  const CardVault vault = test_vault();
  auto r = route_command(raw, config(), "x", 0, &vault);
  ASSERT_TRUE(std::holds_alternative<RoutedCommand>(r));
  const json::object* card = get_object(std::get<RoutedCommand>(r).input.data, "card");
  EXPECT_EQ(get_string(*card, "number"), "411111******1111");
  EXPECT_FALSE(card->contains("cvv"));
  EXPECT_EQ(*vault.open(get_string(*card, "sealed")), R"({"number":"4111111111111111","cvv":"123"})");
}

TEST(RouteCommand, ACardNumberThatIsNotAStringOfDigitsIsRefusedWithoutQuotingIt) {
  auto with_card = [](std::string_view card) {
    std::string raw = payin();
    raw.insert(1, "\"card\":" + std::string(card) + ",");
    return raw;
  };
  for (std::string_view card : {R"({"number":4111111111111111})", R"({"number":"4111x111111111111"})",
                                R"({"number":{"n":"4111111111111111"}})", R"("4111111111111111")"}) {
    const std::string reason = reason_with_vault(with_card(card));
    EXPECT_NE(reason, "") << card;
    EXPECT_EQ(reason.find("4111"), std::string::npos) << reason;
    EXPECT_EQ(reason.find("111111"), std::string::npos) << reason;
  }
  EXPECT_EQ(reason_with_vault(with_card(R"({"number":4111111111111111})")), "field 'card.number' must be a string of digits");
}

TEST(RouteCommand, ACardNumberAnywhereElseIsRefusedNamingTheField) {
  auto with = [](std::string_view field) {
    std::string raw = payin();
    raw.insert(1, std::string(field) + ",");
    return raw;
  };
  EXPECT_EQ(reason_with_vault(with(R"("description":"pay with 4111 1111 1111 1111")")),
            "field 'description' holds what looks like a card number: card numbers go in card.number only");
  EXPECT_EQ(reason_with_vault(with(R"("metadata":{"notes":["x","4111-1111-1111-1111"]})")),
            "field 'metadata.notes[1]' holds what looks like a card number: card numbers go in card.number only");
  EXPECT_EQ(reason_with_vault(with(R"("metadata":{"4111111111111111":true})")),
            "field 'metadata (a key)' holds what looks like a card number: card numbers go in card.number only");
  EXPECT_EQ(reason_with_vault(with(R"("metadata":{"pan":4111111111111111})")),
            "field 'metadata.pan' holds what looks like a card number: card numbers go in card.number only");
  // Written with JSON escapes, the parser sees digits all the same.
  EXPECT_EQ(reason_with_vault(with(R"("description":"\u0034111111111111111")")),
            "field 'description' holds what looks like a card number: card numbers go in card.number only");
  // Long numbers that are no card (a phone number) pass.
  EXPECT_EQ(reason_with_vault(with(R"("description":"call 2250700000001")")), "");
}

TEST(RouteCommand, TheSecurityAnswerIsSealed) {
  std::string raw = payin();
  raw.insert(1, R"("interac":{"question":"Colour?","answer":"vermilion-42"},)");
  const CardVault vault = test_vault();
  auto r = route_command(raw, config(), "x", 0, &vault);
  ASSERT_TRUE(std::holds_alternative<RoutedCommand>(r));
  const auto& data = std::get<RoutedCommand>(r).input.data;
  EXPECT_EQ(boost::json::serialize(data).find("vermilion"), std::string::npos);
  const json::object* interac = get_object(data, "interac");
  EXPECT_FALSE(interac->contains("answer"));
  EXPECT_EQ(*vault.open(get_string(*interac, "answer_sealed")), "vermilion-42");
  EXPECT_EQ(get_string(*interac, "question"), "Colour?");
  // Without a vault, refused, never kept in clear.
  auto without = route_command(raw, config(), "x", 0, nullptr);
  ASSERT_TRUE(std::holds_alternative<CommandRejection>(without));
  EXPECT_NE(std::get<CommandRejection>(without).reason.find("interac.answer"), std::string::npos);
  EXPECT_EQ(std::get<CommandRejection>(without).reason.find("vermilion"), std::string::npos);
}

TEST(RouteCommand, EveryCardFieldButTheHoldersNameAndBrandIsSealed) {
  std::string raw = payin();
  raw.insert(1, R"("card":{"number":"4111111111111111","cvv2":"987","security_code":"654","holder":"A. Kone","brand":"visa"},)");
  const CardVault vault = test_vault();
  auto r = route_command(raw, config(), "x", 0, &vault);
  ASSERT_TRUE(std::holds_alternative<RoutedCommand>(r));
  const json::object* card = get_object(std::get<RoutedCommand>(r).input.data, "card");
  EXPECT_FALSE(card->contains("cvv2"));
  EXPECT_FALSE(card->contains("security_code"));
  EXPECT_EQ(get_string(*card, "holder"), "A. Kone");
  EXPECT_EQ(get_string(*card, "brand"), "visa");
  EXPECT_EQ(*vault.open(get_string(*card, "sealed")),
            R"({"number":"4111111111111111","cvv2":"987","security_code":"654"})");
  // Without a vault a card with only a CVV is refused too: nothing of a card stays in clear.
  std::string cvv_only = payin();
  cvv_only.insert(1, R"("card":{"cvv2":"987"},)");
  auto without = route_command(cvv_only, config(), "x", 0, nullptr);
  ASSERT_TRUE(std::holds_alternative<CommandRejection>(without));
  EXPECT_EQ(std::get<CommandRejection>(without).reason.find("987"), std::string::npos);
}

TEST(DeadLetter, ARefusedCommandIsShownWithItsSensitiveFieldsHidden) {
  std::string raw = payin();
  raw.insert(1, R"("card":{"number":"4111111111111111","cvv":"987","holder":"A. Kone"},"interac":{"answer":"vermilion-42"},)");
  const std::optional<std::string> shown = shown_payload(raw);
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->find("987"), std::string::npos);
  EXPECT_EQ(shown->find("vermilion"), std::string::npos);
  EXPECT_EQ(shown->find("4111"), std::string::npos);
  EXPECT_NE(shown->find("A. Kone"), std::string::npos);
  auto d = deadletter_record("router", "why", raw, 0, 4096, {}, *shown);
  EXPECT_EQ(get_string(d, "payload"), redact(*shown));
  EXPECT_EQ(d.at("payload_bytes").to_number<std::size_t>(), raw.size());  // the size stays the command's
  EXPECT_TRUE(d.at("payload_sha256").is_null());  // its digest would give the hidden values away
  // An answer that is not an object is hidden whole.
  EXPECT_EQ(shown_payload(R"({"interac":"vermilion-42"})"), R"({"interac":"[redacted]"})");
  // Nothing to hide: the command is shown as it came, with its digest.
  EXPECT_EQ(shown_payload(payin()), std::nullopt);
  EXPECT_EQ(get_string(deadletter_record("router", "why", payin(), 0, 4096), "payload_sha256").size(), 64u);
  // Not JSON: shown as it came, card numbers masked by the dead letter, unless it names a sensitive
  // field, whose value cannot be told apart: then nothing of it is shown.
  EXPECT_EQ(shown_payload("not json 4111111111111111"), std::nullopt);
  EXPECT_EQ(get_string(deadletter_record("router", "why", "not json 4111111111111111", 0, 4096), "payload"),
            "not json 411111******1111");
  const std::string broken = R"({"card":{"number":"4111111111111111","CVV":"987"},})";
  ASSERT_EQ(shown_payload(broken), "");
  auto hidden = deadletter_record("router", "why", broken, 0, 4096, {}, std::string_view(""));
  EXPECT_FALSE(hidden.contains("payload"));
  EXPECT_TRUE(get_bool(hidden, "payload_hidden"));
  EXPECT_EQ(boost::json::serialize(hidden).find("987"), std::string::npos);
  // Deeper than a command may be, still read to hide what it holds.
  std::string deep = R"({"card":{"cvv":"987"},"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  ASSERT_TRUE(shown_payload(deep));
  EXPECT_EQ(shown_payload(deep)->find("987"), std::string::npos);
}

TEST(RouteCommand, CorridorsOwnSealedFieldsCannotBeSent) {
  std::string raw = payin();
  raw.insert(1, R"("card":{"number":"4111111111111111","sealed":"AAAA"},)");
  EXPECT_EQ(reason_with_vault(raw), "field 'card.sealed' is corridor's own: send card.number");
}

TEST(RouteCommand, ACommandOverTheSizeLimitIsRefusedUnread) {
  std::string raw = payin();
  raw.insert(1, "\"description\":\"" + std::string(300 * 1024, 'x') + "\",");
  EXPECT_EQ(reason_of(raw), "command of " + std::to_string(raw.size()) + " bytes is larger than limits.command_bytes (262144)");
  EXPECT_EQ(reason_of(std::string(300 * 1024, '{')), "command of 307200 bytes is larger than limits.command_bytes (262144)");
}

TEST(RouteCommand, AKeyTwiceInOneObjectIsRefused) {
  EXPECT_EQ(reason_of(R"({"type":"payment.create","amount":{"value":1,"value":2}})"),
            "command holds the key 'value' twice in one object");
  EXPECT_EQ(reason_of(R"({"merchant":"ZANDO","merchant":"OTHER"})"), "command holds the key 'merchant' twice in one object");
  // The same key in two objects is fine.
  EXPECT_EQ(reason_of(payin()), "");
}

TEST(RouteCommand, ANumberPastADoublesRangeIsRefused) {
  // 1e400 parses as an infinity, which would be written back as `Infinity`: no JSON at all.
  std::string raw = payin();
  raw.insert(1, R"("metadata":{"risk":1e400},)");
  EXPECT_EQ(reason_of(raw), "command holds a number beyond a double's range");
  EXPECT_TRUE(finite_numbers(boost::json::parse(R"({"a":[1.5,-0.0,1e308]})")));
  EXPECT_FALSE(finite_numbers(boost::json::parse(R"({"a":[{"b":-1e999}]})")));
}

TEST(RouteCommand, DeepNestingIsRefused) {
  std::string raw = payin();
  raw.insert(1, "\"metadata\":" + std::string(100, '[') + std::string(100, ']') + ",");
  EXPECT_EQ(reason_of(raw), "command is nested deeper than 32 levels");
}

TEST(RouteCommand, TheDigestIsTheCommandsWhateverItsKeyOrderOrSealing) {
  const CardVault vault = test_vault();
  auto digest = [&](std::string_view raw) {
    auto r = route_command(raw, config(), "x", 0, &vault);
    return std::get<RoutedCommand>(r).input.digest;
  };
  const std::string card = R"("card":{"number":"4111111111111111","exp_month":12},)";
  std::string a = payin(), b = payin(R"({"currency":"XOF","value":300})"), c = payin(R"({"value":301,"currency":"XOF"})");
  a.insert(1, card);
  b.insert(1, card);
  c.insert(1, card);
  EXPECT_EQ(digest(a), digest(a));  // sealed twice with fresh nonces: the same command
  EXPECT_EQ(digest(a), digest(b));  // key order is not meaning
  EXPECT_NE(digest(a), digest(c));
  std::string other_card = payin();
  other_card.insert(1, R"("card":{"number":"5500000000000004","exp_month":12},)");
  EXPECT_NE(digest(a), digest(other_card));
}

// What the provider's adapter would refuse is refused before a transaction exists (NovaSend takes
// whole units only; see its registration's constraints).
TEST(RouteCommand, TheProvidersDeclaredConstraintsAreCheckedUpFront) {
  EXPECT_EQ(reason_of(payin(R"({"value":1250,"currency":"USD"})")),
            "this provider takes whole units of USD only: 12.50 has a fraction");
  EXPECT_EQ(reason_of(payin(R"({"value":1200,"currency":"USD"})")), "");
}

TEST(RouteCommand, ReasonsQuoteValuesBoundedAndRedacted) {
  std::string raw = payin();
  raw.replace(raw.find("ZANDO"), 5, std::string(500, 'M'));
  EXPECT_EQ(reason_of(raw), "unknown merchant '" + std::string(64, 'M') + "…(500 bytes)'");
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

TEST(RouteCommand, TheRejectedEventRedactsWhatItQuotes) {
  const CommandRejection r{"why", "c1", "ZANDO", "ref 4111 1111 1111 1111", "tx_1"};
  const auto e = command_rejected_event(r, "cmd:tx_1:c1", 5);
  EXPECT_EQ(get_string(e, "reference"), "ref 4111 11** **** 1111");
}

}  // namespace
}  // namespace corridor
