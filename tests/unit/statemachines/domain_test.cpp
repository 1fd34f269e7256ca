// The transaction.state_changed event's text (DESIGN.md section 3): serialize() writes it straight
// into a string, and must give the bytes Boost.JSON gives for the same event as an object.
#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "statemachines/domain.hpp"

namespace corridor {
namespace {

StateChangedEvent awaiting_confirmation() {
  StateChangedEvent e;
  e.txn_id = "tx_4F3KQ7ZJ2M5N6P7R8S9T0V1W2X";
  e.merchant = "ZANDO";
  e.reference = "MM0000XXFFR159";
  e.provider = "novasend";
  e.flow = "payin";
  e.version = 3;
  e.state = "awaiting_confirmation";
  e.previous_state = "session_requested";
  e.status = Status::requires_action;
  e.amount = {300, "XOF"};
  e.provider_refs_json = R"({"reference":"tr_abc"})";
  e.next_action_json = R"({"type":"redirect","url":"https://link.novasend.app/link/x"})";
  e.cause = {InputKind::provider_response, "tx_4F3KQ7ZJ2M5N6P7R8S9T0V1W2X:1:create_session"};
  e.occurred_at_ms = 1795867200000;
  return e;
}

TEST(StateChangedEvent, TextHasTheDocumentedKeysInOrder) {
  EXPECT_EQ(serialize(awaiting_confirmation()),
            R"({"event_id":"tx_4F3KQ7ZJ2M5N6P7R8S9T0V1W2X:3","type":"transaction.state_changed",)"
            R"("txn_id":"tx_4F3KQ7ZJ2M5N6P7R8S9T0V1W2X","merchant":"ZANDO","reference":"MM0000XXFFR159",)"
            R"("provider":"novasend","flow":"payin","version":3,"state":"awaiting_confirmation",)"
            R"("previous_state":"session_requested","status":"requires_action",)"
            R"("amount":{"value":300,"currency":"XOF"},"provider_refs":{"reference":"tr_abc"},)"
            R"("next_action":{"type":"redirect","url":"https://link.novasend.app/link/x"},"reason":null,)"
            R"("cause":{"kind":"provider_response","input_id":"tx_4F3KQ7ZJ2M5N6P7R8S9T0V1W2X:1:create_session"},)"
            R"("occurred_at":"2026-11-28T12:00:00.000Z"})");
}

TEST(StateChangedEvent, ProviderAmountAndAttentionWhenPresent) {
  StateChangedEvent e = awaiting_confirmation();
  e.provider_amount = Money{299, "XOF"};
  e.attention = attention::kAmountMismatch;
  const std::string text = serialize(e);
  EXPECT_NE(text.find(R"("amount":{"value":300,"currency":"XOF"},"provider_amount":{"value":299,"currency":"XOF"},)"),
            std::string::npos);
  EXPECT_NE(text.find(R"("reason":null,"attention":"amount_mismatch","cause":)"), std::string::npos);
  EXPECT_EQ(serialize(awaiting_confirmation()).find("attention"), std::string::npos);
}

TEST(Money, DecimalAmountsAreExactAndOverflowIsRefused) {
  EXPECT_EQ(*parse_decimal_amount("50.0", 0), 50);
  EXPECT_EQ(*parse_decimal_amount("153.00", 2), 15300);
  EXPECT_EQ(*parse_decimal_amount("0.07", 2), 7);
  EXPECT_EQ(*parse_decimal_amount("92233720368547758.07", 2), INT64_MAX);
  EXPECT_EQ(*parse_decimal_amount("9223372036854775807", 0), INT64_MAX);
  EXPECT_FALSE(parse_decimal_amount("9223372036854775808", 0));
  EXPECT_FALSE(parse_decimal_amount("9223372036854775809", 0));
  EXPECT_FALSE(parse_decimal_amount("92233720368547758.08", 2));
  EXPECT_FALSE(parse_decimal_amount("99999999999999999999999", 0));
  EXPECT_FALSE(parse_decimal_amount("1.001", 2));
  EXPECT_FALSE(parse_decimal_amount("-1", 2));
  EXPECT_FALSE(parse_decimal_amount("1e3", 2));
  EXPECT_FALSE(parse_decimal_amount("", 2));
  EXPECT_FALSE(parse_decimal_amount(".5", 2));
  EXPECT_FALSE(parse_decimal_amount("5.", 2));
}

TEST(Money, DecimalAmountsAreWrittenExactly) {
  EXPECT_EQ(format_decimal_amount(15300, 2), "153.00");
  EXPECT_EQ(format_decimal_amount(7, 2), "0.07");
  EXPECT_EQ(format_decimal_amount(0, 2), "0.00");
  EXPECT_EQ(format_decimal_amount(5, 3), "0.005");
  EXPECT_EQ(format_decimal_amount(300, 0), "300");
  EXPECT_EQ(format_decimal_amount(-1234, 2), "-12.34");
  EXPECT_EQ(format_decimal_amount(INT64_MAX, 2), "92233720368547758.07");
  EXPECT_EQ(format_decimal_amount(INT64_MIN, 2), "-92233720368547758.08");
  // Written and read back, every exponent a currency has.
  for (int exponent : {0, 2, 3})
    for (std::int64_t v : {std::int64_t{1}, std::int64_t{99}, std::int64_t{100}, std::int64_t{123456789}})
      EXPECT_EQ(*parse_decimal_amount(format_decimal_amount(v, exponent), exponent), v) << v << " " << exponent;
}

TEST(StateChangedEvent, TextIsBoostJsonsTextOfTheObject) {
  std::vector<StateChangedEvent> events;
  events.push_back(awaiting_confirmation());

  StateChangedEvent first = awaiting_confirmation();  // version 1: no previous state
  first.version = 1;
  first.previous_state = {};
  first.provider_refs_json = "{}";
  first.next_action_json = "null";
  events.push_back(first);

  StateChangedEvent refunded = awaiting_confirmation();
  refunded.amount = {10000, "USD"};
  refunded.amount_refunded = 7500;
  refunded.reason_json = json_text(json::value("refund outcome unknown: timeout"));
  events.push_back(refunded);

  StateChangedEvent mismatch = awaiting_confirmation();
  mismatch.state = "amount_mismatch";
  mismatch.status = Status::amount_mismatch;
  mismatch.provider_amount = Money{29900, "X\\O\"F"};  // escapes in the currency, for the size pass
  mismatch.attention = attention::kAmountMismatch;
  events.push_back(mismatch);

  StateChangedEvent late = awaiting_confirmation();
  late.attention = attention::kLateOutcome;
  late.amount_refunded = 5;
  late.provider_amount = Money{-1, "USD"};
  events.push_back(late);

  // Everything that must be escaped, UTF-8 and DEL that must not, and every kind of JSON value.
  StateChangedEvent odd = awaiting_confirmation();
  odd.txn_id = "tx_\"quoted\"\\";
  odd.merchant = std::string("Za\"n\\do\b\f\n\r\t\x01\x1f\x7f/é", 18) + std::string(1, '\0');
  odd.reference = "";
  odd.provider_refs_json = json_text(json::object{{"n", -42}, {"d", 2.5}, {"a", json::array{1, "x\t", nullptr}}});
  odd.next_action_json = json_text(json::array{});
  odd.reason_json = json_text(json::value("line\nbreak"));
  odd.amount_refunded = 0;
  events.push_back(odd);

  for (const auto& e : events) EXPECT_EQ(serialize(e), boost::json::serialize(to_json(e)));
}

// What the event keeps of provider_refs, next_action and reason.
TEST(JsonText, IsBoostJsonsText) {
  const json::array values{
      nullptr,
      true,
      false,
      0,
      -42,
      std::int64_t{-9223372036854775807 - 1},
      std::uint64_t{18446744073709551615ull},
      2.5,
      -0.0,
      1e300,
      0.1,
      "",
      "plain",
      std::string("Za\"n\\do\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9", 18) + std::string(1, '\0'),
      json::array{},
      json::array{1, "x", nullptr, json::array{true}},
      json::object{},
      json::object{{"type", "redirect"}, {"url", "https://link.novasend.app/link/x?a=1&b=\"2\""}},
      json::object{{"k\"\n", json::object{{"n", -1}, {"d", 3.25}, {"a", json::array{json::object{}}}}}},
  };
  for (const auto& v : values) {
    EXPECT_EQ(json_text(v), boost::json::serialize(v));
    if (v.is_object()) {
      EXPECT_EQ(json_text(v.get_object()), boost::json::serialize(v.get_object()));
    }
  }
}

// The writer scans short strings byte by byte and longer ones a word at a time (the tail as the last
// 8 bytes again), and copies the strings as they are when none needs an escape: a character to
// escape at every position of strings of every length up to three words, in one field at a time.
TEST(StateChangedEvent, EscapesAtEveryPositionAreBoostJsons) {
  for (std::size_t length = 1; length <= 24; ++length) {
    for (std::size_t at = 0; at < length; ++at) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string text(length, 'a');
        text[at] = special;
        StateChangedEvent in_reference = awaiting_confirmation();
        in_reference.reference = text;
        EXPECT_EQ(serialize(in_reference), boost::json::serialize(to_json(in_reference))) << length << " " << at;
        StateChangedEvent in_cause = awaiting_confirmation();
        in_cause.cause.input_id = text;
        EXPECT_EQ(serialize(in_cause), boost::json::serialize(to_json(in_cause))) << length << " " << at;
        const json::object refs{{text, "x"}, {"k", text}};
        EXPECT_EQ(json_text(refs), boost::json::serialize(refs)) << length << " " << at;
      }
    }
  }
}

TEST(StateChangedEvent, TimeBeyondYear9999IsBoostJsons) {
  StateChangedEvent e = awaiting_confirmation();
  e.occurred_at_ms = 300000000000000;  // year 11476: the time is written by snprintf
  EXPECT_EQ(serialize(e), boost::json::serialize(to_json(e)));
}

TEST(StateChangedEvent, AppendsAfterWhatIsThere) {
  std::string out = "[";
  append_json(out, awaiting_confirmation());
  EXPECT_EQ(out, "[" + serialize(awaiting_confirmation()));
}

// The store's document of a transaction: the same bytes as Boost.JSON's text of to_json, and read
// back as it was written.
TEST(Effects, ATimerSetOrCancelledInAStepReplacesWhatTheStepSaidOfItBefore) {
  Effects fx;
  fx.set_timer({"timer.poll", 100, "t:1:timer.poll"});
  fx.set_timer({"timer.expire", 500, "t:2:timer.expire"});
  fx.set_timer({"timer.poll", 200, "t:3:timer.poll"});  // the later one wins, once
  ASSERT_EQ(fx.timers.size(), 2u);
  EXPECT_EQ(fx.timers[0].name, "timer.expire");
  EXPECT_EQ(fx.timers[1].due_at_ms, 200);
  EXPECT_EQ(fx.timers[1].input_id, "t:3:timer.poll");

  fx.cancel_timer("timer.poll");  // drops the one set, and cancels the stored one
  ASSERT_EQ(fx.timers.size(), 1u);
  EXPECT_EQ(fx.timers[0].name, "timer.expire");
  EXPECT_EQ(fx.cancelled_timers, Effects::Names{"timer.poll"});

  fx.set_timer({"timer.poll", 300, "t:4:timer.poll"});  // set again: no longer cancelled
  EXPECT_TRUE(fx.cancelled_timers.empty());
  ASSERT_EQ(fx.timers.size(), 2u);
  EXPECT_EQ(fx.timers[1].due_at_ms, 300);
}

TEST(Transaction, TextIsBoostJsonsTextAndReadsBack) {
  Transaction t;
  t.txn_id = "tx_4F3KQ7ZJ2M5N6P7R8S9T0V1W2X";
  t.merchant = "ZANDO";
  t.reference = "ref \"quoted\" \\ \n\x01";
  t.provider = "novasend";
  t.flow = "payin";
  t.amount = {-9223372036854775807LL - 1, "XOF"};
  t.state = "awaiting_confirmation";
  t.version = 3;
  t.seq = 9223372036854775807LL;
  t.provider_refs.set({"reference"}, "tr_abc");
  t.customer = json::value{{"msisdn", "+2250700000001"}};
  t.data.assign({{"fee", 1.5}, {"list", {1, "two", nullptr, true}}});  // as a stored document holds it
  t.next_action = NextAction{.type = "redirect", .url = "https://link.novasend.app/link/x"};
  t.reason = "declined by the customer";
  t.created_at_ms = 1795867200000;
  t.updated_at_ms = 1795867261001;
  t.rejected_inputs = 2;
  t.last_rejection = Rejection{.input_id = "i", .reason = "no row"};
  EXPECT_EQ(serialize(t), boost::json::serialize(to_json(t)));
  auto back = transaction_from_json(boost::json::parse(serialize(t)));
  ASSERT_TRUE(back);
  EXPECT_EQ(serialize(*back), serialize(t));

  Transaction empty;
  empty.txn_id = "t";
  empty.state = "created";
  EXPECT_EQ(serialize(empty), boost::json::serialize(to_json(empty)));
}

// provider_refs: an id kept again under its name replaces the first in place, names keep the order
// they were first kept in (the document's and the events' order), and a stored id that is not text
// is refused rather than dropped.
TEST(ProviderRefs, KeepFirstOrderReplaceInPlaceAndReadBack) {
  constexpr RefKey kB{"b"};
  constexpr RefKey kA{"a"};
  Transaction t;
  t.txn_id = "t";
  t.state = "created";
  EXPECT_EQ(json_text(t.provider_refs), "{}");
  t.provider_refs.set(kB, "1");
  t.provider_refs.set(kA, "2");
  t.provider_refs.set(kB, "3 \"quoted\"");
  EXPECT_EQ(t.provider_refs.get(kB), "3 \"quoted\"");
  // An answer without the id says nothing: the id kept stays, and no empty id is kept.
  t.provider_refs.set(kB, "");
  t.provider_refs.set(RefKey{"c"}, "");
  EXPECT_EQ(t.provider_refs.get(kB), "3 \"quoted\"");
  EXPECT_EQ(t.provider_refs.get(RefKey{"c"}), "");
  EXPECT_FALSE(t.provider_refs.contains("c"));
  EXPECT_EQ(json_text(t.provider_refs), R"({"b":"3 \"quoted\"","a":"2"})");
  EXPECT_EQ(json_text(t.provider_refs), boost::json::serialize(to_json(t.provider_refs)));
  auto back = transaction_from_json(boost::json::parse(serialize(t)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->provider_refs, t.provider_refs);

  // A stored document is read as it is, an empty id included.
  auto stored = transaction_from_json(
      boost::json::parse(R"({"txn_id":"t","state":"created","provider_refs":{"a":"","b":"2"}})"));
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->provider_refs.contains("a"));
  EXPECT_EQ(json_text(stored->provider_refs), R"({"a":"","b":"2"})");

  auto bad = transaction_from_json(
      boost::json::parse(R"({"txn_id":"t","state":"created","provider_refs":{"reference":7}})"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "provider_refs 'reference' must be a string");
}

// next_action, reason and last_rejection are null when there is none, and read back as written.
TEST(Transaction, AbsentNextActionReasonAndRejectionAreNull) {
  Transaction t;
  t.txn_id = "t";
  t.state = "created";
  const std::string text = serialize(t);
  EXPECT_NE(text.find(R"("next_action":null,"reason":null,)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("last_rejection":null})"), std::string::npos) << text;
  t.next_action = NextAction{.type = "display_instructions", .method = "interac_send_money",
                             .payment_reference = "CA1", .amount = Money{54400, "CAD"}};
  t.reason = "";
  t.last_rejection = Rejection{"i", "refund.create", "captured", "over the remaining amount", "2026-12-05T00:00:00Z"};
  auto back = transaction_from_json(boost::json::parse(serialize(t)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->next_action, t.next_action);
  EXPECT_EQ(back->reason, std::optional<std::string>(""));
  ASSERT_TRUE(back->last_rejection.has_value());
  EXPECT_EQ(back->last_rejection->reason, "over the remaining amount");
  EXPECT_EQ(serialize(*back), serialize(t));
}

struct SampleParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;
  Money amount;
  std::string token{};  // empty: written as "", as the adapters have always read it
  std::optional<std::string> description{};
  std::optional<json::object> customer{};
};
BOOST_DESCRIBE_STRUCT(SampleParams, (), (reference, amount, token, description, customer))

// A call's parameters built as a struct read and write as the object they stand for: the same text
// (Boost.JSON's for that object), members by name without building it, and an edit turns them into
// that object first.
TEST(CallParams, AStructReadsAndWritesAsItsObject) {
  ProviderCall c;
  c.call_id = "tx_1:1:create_session";
  c.provider = "novasend";
  c.op = "create_session";
  c.params = SampleParams{.reference = "tx_\"1\"", .amount = {300, "XOF"}, .description = "caf\u00e9"};
  const json::object expected{{"reference", "tx_\"1\""},
                              {"amount", {{"value", 300}, {"currency", "XOF"}}},
                              {"token", ""},
                              {"description", "caf\u00e9"}};
  EXPECT_EQ(c.params.object(), expected);
  EXPECT_TRUE(c.params == expected);
  EXPECT_EQ(c.params.text("reference"), "tx_\"1\"");
  EXPECT_EQ(c.params.text("description"), "caf\u00e9");
  EXPECT_EQ(c.params.text("token"), "");
  EXPECT_EQ(c.params.text("amount"), "");    // not text
  EXPECT_EQ(c.params.text("customer"), "");  // absent
  EXPECT_EQ(serialize(c), boost::json::serialize(to_json(c)));
  EXPECT_NE(serialize(c).find(R"("params":{"reference":"tx_\"1\"","amount":{"value":300,"currency":"XOF"},"token":"",)"),
            std::string::npos)
      << serialize(c);
  c.answer_id = "tx_1:1:create_session:resend:1";
  EXPECT_EQ(serialize(c), boost::json::serialize(to_json(c)));

  // Read back from the store: an object, the same text.
  auto back = provider_call_from_json(boost::json::parse(serialize(c)));
  ASSERT_TRUE(back);
  EXPECT_EQ(serialize(*back), serialize(c));
  EXPECT_EQ(back->params.text("reference"), "tx_\"1\"");

  // A copy shares the struct; an edit changes its own copy only.
  ProviderCall copy = c;
  copy.params["card"] = json::object{{"sealed", "x"}};
  EXPECT_EQ(copy.params.object().size(), 5u);
  EXPECT_FALSE(c.params.object().contains("card"));
  EXPECT_EQ(copy.params.text("reference"), "tx_\"1\"");
}

// The processor parses each input into memory of its own (a shared monotonic resource): the input's
// data keeps that memory rather than being copied into the default one, and stays readable once the
// parsed value is gone. (What a flow keeps of it is copied out: FlowProperties.StartKeepsNothingOfTheCommandsMemory.)
TEST(Input, DataKeepsTheMemoryItWasParsedInto) {
  const std::string text =
      R"({"input_id":"i-1","txn_id":"tx_1","kind":"webhook","name":"payin.confirmed","at":"2026-11-27T12:00:00Z",)"
      R"("data":{"reference":"tr_abc","amount":{"value":300,"currency":"XOF"}},"digest":"d"})";
  json::storage_ptr sp = boost::json::make_shared_resource<boost::json::monotonic_resource>();
  Result<Input> in = input_from_json(boost::json::parse(text, sp));
  ASSERT_TRUE(in) << in.error().message;
  EXPECT_EQ(in->data.storage().get(), sp.get());
  sp = {};  // only the input holds the memory now
  EXPECT_EQ(in->input_id, "i-1");
  EXPECT_EQ(in->kind, InputKind::webhook);
  EXPECT_EQ(in->at_ms, 1795780800000);  // 2026-11-27T12:00:00Z
  EXPECT_EQ(in->digest, "d");
  EXPECT_EQ(get_string(in->data, "reference"), "tr_abc");
  EXPECT_EQ(get_int(*get_object(in->data, "amount"), "value"), 300);
  // Without data, the input has an empty object.
  Result<Input> bare = input_from_json(boost::json::parse(
      R"({"input_id":"i-2","txn_id":"tx_1","kind":"timer","name":"timer.poll","at":"2026-11-27T12:00:00Z"})"));
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->data.empty());
}

}  // namespace
}  // namespace corridor
