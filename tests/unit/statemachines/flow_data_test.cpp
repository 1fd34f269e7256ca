// A flow's facts as a described struct: the JSON they are stored as, read back, kept when unknown.
#include "statemachines/flow_data.hpp"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "statemachines/domain.hpp"
#include "adapters/registry.hpp"

namespace corridor {

struct Leg {
  std::string id;
  std::int64_t amount = 0;
};
BOOST_DESCRIBE_STRUCT(Leg, (), (id, amount))

struct SampleData {
  std::string call_id;                  // written only once known
  std::int64_t deadline_ms = 0;         // always written
  std::optional<std::int64_t> fee;      // written only when set
  bool seen = false;
  std::optional<Money> reported;
  std::vector<Leg> legs;
  json::value opaque;                   // copied through unread
};
BOOST_DESCRIBE_STRUCT(SampleData, (), (call_id, deadline_ms, fee, seen, reported, legs, opaque))

struct OtherData {
  std::int64_t n = 0;
};
BOOST_DESCRIBE_STRUCT(OtherData, (), (n))

namespace {

std::string members_text(const FlowData& d) {
  std::string out = "{";
  bool first = true;
  d.write_members(out, first);
  return out + "}";
}

TEST(Fields, WritesMembersInTheirOrderLeavingOutEmptyOptionalsAndStrings) {
  SampleData d;
  d.deadline_ms = 1795867200000;
  EXPECT_EQ(fields::text(d), R"({"deadline_ms":1795867200000,"seen":false,"legs":[],"opaque":null})");
  d.call_id = "tx:1:pay";
  d.fee = 6;
  d.reported = Money{299, "XOF"};
  d.legs = {{"r1", 100}, {"r\"2", -5}};
  d.opaque = json::parse(R"({"b":1.5,"a":[true,null]})");
  const std::string text = fields::text(d);
  EXPECT_EQ(text,
            R"({"call_id":"tx:1:pay","deadline_ms":1795867200000,"fee":6,"seen":false,)"
            R"("reported":{"value":299,"currency":"XOF"},"legs":[{"id":"r1","amount":100},{"id":"r\"2","amount":-5}],)"
            R"("opaque":{"b":1.5E0,"a":[true,null]}})");
  EXPECT_EQ(text, json::serialize(json::parse(text)));  // Boost.JSON's own text, byte for byte
}

TEST(Fields, ReadsWhatItWroteAndDefaultsWhatIsAbsentOrOfAnotherType) {
  SampleData d;
  d.call_id = "c";
  d.deadline_ms = 7;
  d.fee = 0;
  d.seen = true;
  d.legs = {{"r1", 100}};
  json::value v = json::parse(fields::text(d));
  SampleData back;
  ASSERT_TRUE(fields::read(v, back));
  EXPECT_EQ(fields::text(back), fields::text(d));

  json::value odd = json::parse(R"({"call_id":12,"deadline_ms":"soon","fee":null,"seen":1,"legs":{}})");
  SampleData defaults;
  ASSERT_TRUE(fields::read(odd, defaults));
  EXPECT_EQ(defaults.call_id, "");
  EXPECT_EQ(defaults.deadline_ms, 0);
  EXPECT_FALSE(defaults.fee.has_value());
  EXPECT_FALSE(defaults.seen);
  EXPECT_TRUE(defaults.legs.empty());

  json::value not_an_object = json::parse("[1]");
  EXPECT_FALSE(fields::read(not_an_object, defaults));
}

TEST(Fields, AStructAsAnObjectHasTheKeysItsTextHasAndReadsBackFromAConstObject) {
  SampleData d;
  d.call_id = "t:1:pay";
  d.deadline_ms = 42;
  d.reported = Money{300, "XOF"};
  d.legs = {{"a", 1}, {"", 2}};
  d.opaque = json::array{1, "x"};
  const json::object o = fields::to_object(d);
  EXPECT_EQ(json::serialize(o), fields::text(d));

  const json::object before = o;
  const SampleData back = fields::from_object<SampleData>(o);
  EXPECT_EQ(o, before);  // the source is left as it was
  EXPECT_EQ(fields::text(back), fields::text(d));

  // Absent keys and values of another type leave the defaults.
  const SampleData other = fields::from_object<SampleData>(json::object{{"deadline_ms", "soon"}, {"seen", true}});
  EXPECT_EQ(other.deadline_ms, 0);
  EXPECT_TRUE(other.seen);
  EXPECT_FALSE(other.fee.has_value());

  // A nested struct, a list of structs and an optional read member by member, keys in any order;
  // unknown keys are skipped.
  const json::object nested = json::parse(
      R"({"zzz":1,"legs":[{"amount":5,"id":"b"},7,{"id":"c"}],"reported":{"currency":"XOF","value":300},"fee":null})")
                                  .as_object();
  const SampleData read_back = fields::from_object<SampleData>(nested);
  ASSERT_EQ(read_back.legs.size(), 2u);  // the 7 is not a leg
  EXPECT_EQ(read_back.legs[0].id, "b");
  EXPECT_EQ(read_back.legs[0].amount, 5);
  EXPECT_EQ(read_back.legs[1].id, "c");
  ASSERT_TRUE(read_back.reported.has_value());
  EXPECT_EQ(read_back.reported->value, 300);
  EXPECT_EQ(read_back.reported->currency, "XOF");
  EXPECT_FALSE(read_back.fee.has_value());
}

// What a transaction keeps of its create command: copies share one value, which is in the default
// memory whatever memory it was read from, and which reads and writes as the value itself would.
TEST(Fields, ASharedValueIsSharedByItsCopiesAndKeptInTheDefaultMemory) {
  const json::storage_ptr own = boost::json::make_shared_resource<boost::json::monotonic_resource>();
  const json::value command = json::parse(R"({"msisdn":"+2250700000001","name":"A \"B\"","tags":[1,"x"]})", own);
  struct Kept {
    std::optional<SharedJson> customer;
  };
  Kept kept;
  ASSERT_TRUE(fields::read_const(command, kept.customer));
  ASSERT_TRUE(kept.customer.has_value());
  EXPECT_EQ(kept.customer->value().storage().get(), json::storage_ptr().get());
  EXPECT_EQ(*kept.customer, command);

  const Kept copy = kept;
  ASSERT_TRUE(copy.customer.has_value());
  EXPECT_EQ(&copy.customer->value(), &kept.customer->value());  // one value, not two

  // Written as the value itself is, and read back; a value moved in from another memory is copied.
  std::string text;
  fields::write(text, *kept.customer);
  EXPECT_EQ(text, json::serialize(command));
  json::value parsed = json::parse(text, own);
  SharedJson back;
  ASSERT_TRUE(fields::read(parsed, back));
  EXPECT_EQ(back, command);
  EXPECT_EQ(back->storage().get(), json::storage_ptr().get());
  EXPECT_EQ(fields::to_value(back), command);

  // A default one is null and takes no memory of its own.
  const SharedJson none;
  EXPECT_TRUE(none->is_null());
  EXPECT_EQ(none, json::value());
}

TEST(FlowData, AStoredDocumentIsReadOnFirstUseAndUnknownKeysAreKeptInOrder) {
  FlowData data;
  data.assign(json::parse(R"({"zeta":1,"call_id":"c1","extra":{"x":[1]},"deadline_ms":42})").as_object());
  // Before the flow reads it, the document is written back as it came.
  EXPECT_EQ(members_text(data), R"({"zeta":1,"call_id":"c1","extra":{"x":[1]},"deadline_ms":42})");
  EXPECT_EQ(data.find<SampleData>(), nullptr);

  SampleData& d = data.as<SampleData>();
  EXPECT_EQ(d.call_id, "c1");
  EXPECT_EQ(d.deadline_ms, 42);
  EXPECT_EQ(json::serialize(data.unknown()), R"({"zeta":1,"extra":{"x":[1]}})");
  d.fee = 3;
  EXPECT_EQ(members_text(data),
            R"({"call_id":"c1","deadline_ms":42,"fee":3,"seen":false,"legs":[],"opaque":null,"zeta":1,"extra":{"x":[1]}})");
  EXPECT_EQ(&data.as<SampleData>(), &d);  // bound once
  ASSERT_NE(data.find<SampleData>(), nullptr);
  EXPECT_EQ(data.find<OtherData>(), nullptr);
}

TEST(FlowData, ReadingAnotherFlowsStructIsAProgrammingError) {
  FlowData data;
  data.as<SampleData>();
  EXPECT_THROW(data.as<OtherData>(), std::logic_error);
}

TEST(FlowData, CopiesAreIndependent) {
  FlowData a;
  a.as<SampleData>().call_id = "first";
  FlowData b = a;
  b.as<SampleData>().call_id = "second";
  EXPECT_EQ(a.as<SampleData>().call_id, "first");
  a = b;
  EXPECT_EQ(a.as<SampleData>().call_id, "second");
  FlowData moved = std::move(b);
  EXPECT_EQ(moved.as<SampleData>().call_id, "second");
}

// The framework's bookkeeping and a flow's facts share the stored document's "data": no flow may name
// a field as the framework does.
TEST(FlowData, NoFlowStructNamesAFieldAsTheFrameworkDoes) {
  const auto framework = fields::member_names<Transaction>();
  for (const Flow* flow : all_flows()) {
    ASSERT_NE(flow->bind, nullptr) << flow->id << " has no data struct (Flow::bind)";
    // A document holding every framework name: the flow's struct must take none of them.
    json::object document;
    for (std::string_view name : framework) document[name] = nullptr;
    Transaction t;
    t.data.assign(document);
    flow->bind(t);
    for (std::string_view name : framework) EXPECT_TRUE(t.data.unknown().contains(name)) << flow->id << " names " << name;
  }
}

}  // namespace
}  // namespace corridor
