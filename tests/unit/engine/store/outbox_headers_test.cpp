// An outbox row's headers as the stores keep them (engine/store/outbox_headers.hpp): the text is what
// Boost.JSON gives for the object of the headers, byte for byte, and reads back as the headers.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "engine/store/outbox_headers.hpp"

namespace corridor {
namespace {

std::string object_text(const OutboxHeaders& headers) {
  boost::json::object o;
  for (const auto& [name, value] : headers) o[name] = value;
  return boost::json::serialize(o);
}

TEST(OutboxHeaders, TextIsTheObjectsTextAndReadsBack) {
  const std::vector<OutboxHeaders> cases{
      {{"ce_type", "transaction.state_changed"}, {"ce_id", "tx_abc:3"}, {"traceparent", ""}},
      {{"quote\"and\\back", "line\nbreak\ttab\x01\x1f"}, {"é", "naïve — ✓"}},
      {{"one", "a"}},
      {{"", ""}},
  };
  for (const auto& headers : cases) {
    EXPECT_EQ(headers_text(headers), object_text(headers));
    EXPECT_EQ(headers_from_text(headers_text(headers)), headers);
  }
  EXPECT_EQ(headers_text({}), "");
  EXPECT_TRUE(headers_from_text("").empty());
}

// A name given twice keeps the place it was first given and the value it was last given, as the
// object does.
TEST(OutboxHeaders, ANameGivenTwiceKeepsItsFirstPlaceAndLastValue) {
  const OutboxHeaders headers{{"a", "1"}, {"b", "2"}, {"a", "3"}, {"c", "4"}, {"b", "5"}};
  EXPECT_EQ(headers_text(headers), R"({"a":"3","b":"5","c":"4"})");
  EXPECT_EQ(headers_text(headers), object_text(headers));
}

TEST(OutboxHeaders, WhatIsNotAnObjectOfStringsReadsAsNoHeaders) {
  EXPECT_TRUE(headers_from_text("[1,2]").empty());
  EXPECT_TRUE(headers_from_text("{\"a\":").empty());
  EXPECT_EQ(headers_from_text(R"({"a":1,"b":"x"})"), (OutboxHeaders{{"b", "x"}}));
}

}  // namespace
}  // namespace corridor
