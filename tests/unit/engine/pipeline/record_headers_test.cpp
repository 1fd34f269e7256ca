// The headers corridor's records carry: W3C traceparent validation and derivation, and CloudEvents'
// binary mode for events and dead letters.
#include "engine/pipeline/record_headers.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace corridor {
namespace {

const std::string kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, AValidOneIsPassedOnAsItCame) { EXPECT_EQ(valid_traceparent(kValid), kValid); }

TEST(Traceparent, EveryMalformedOneIsIgnored) {
  for (std::string_view bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",        // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",    // version 00 is exactly 55
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // trace-id all zero
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // parent-id all zero
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // version ff is invalid
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",     // separators
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",     // not hex
           "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",     // shifted
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",    // a later version, but no dash after
           "\n0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r",  // control characters
       }) {
    EXPECT_EQ(valid_traceparent(bad), std::nullopt) << bad;
  }
}

TEST(Traceparent, ALaterVersionIsReadByItsFirstFieldsAndPassedOnAsVersion00) {
  EXPECT_EQ(valid_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later"), kValid);
  EXPECT_EQ(valid_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), kValid);
}

TEST(Traceparent, ADerivedOneIsValidAndTheSameForTheSameTransaction) {
  const std::string a = derived_traceparent("tx_spxrbvuphfprqgwcpwr72xa7wa");
  EXPECT_TRUE(std::regex_match(a, std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-00")));
  EXPECT_EQ(valid_traceparent(a), a);
  EXPECT_EQ(derived_traceparent("tx_spxrbvuphfprqgwcpwr72xa7wa"), a);  // replay gives the same
  EXPECT_NE(derived_traceparent("tx_gykpr5xvpznhkmffhy2i6ulwqu"), a);
  EXPECT_EQ(traceparent_or_derived("garbage", "tx_spxrbvuphfprqgwcpwr72xa7wa"), a);
  EXPECT_EQ(traceparent_or_derived(kValid, "tx_spxrbvuphfprqgwcpwr72xa7wa"), kValid);
}

TEST(CloudEvents, AnEventsHeadersNameItsIdTypeSourceSubjectTimeAndTrace) {
  const RecordHeaders h = event_headers("tx_a:3", "transaction.state_changed", "novasend.payin", "tx_a",
                                        "2026-12-04T22:43:55.223Z", kValid);
  const RecordHeaders want{{"ce_specversion", "1.0"},
                           {"ce_id", "tx_a:3"},
                           {"ce_type", "transaction.state_changed"},
                           {"ce_source", "corridor/novasend.payin"},
                           {"ce_subject", "tx_a"},
                           {"ce_time", "2026-12-04T22:43:55.223Z"},
                           {"content-type", "application/json"},
                           {"traceparent", kValid}};
  EXPECT_EQ(h, want);
}

TEST(CloudEvents, ARejectionOfAnUnknownFlowAndTransactionComesFromCorridorWithoutASubject) {
  const RecordHeaders h = event_headers("rejected:cmd:t:0:1", "command.rejected", "", "", "2026-12-04T22:43:55.223Z", kValid);
  EXPECT_EQ(header_value(h, "ce_source"), "corridor");
  EXPECT_EQ(header_value(h, "ce_subject"), "");
  for (const auto& [name, value] : h) EXPECT_NE(name, "ce_subject");
}

TEST(CloudEvents, ADeadLettersIdIsDerivedFromItsBody) {
  const RecordHeaders a = deadletter_headers("router", R"({"source":"router"})", "2026-12-04T22:43:55.223Z", "tx_a", kValid);
  const RecordHeaders b = deadletter_headers("router", R"({"source":"router"})", "2026-12-04T22:43:55.223Z", "tx_a", kValid);
  const RecordHeaders c = deadletter_headers("router", R"({"source":"other"})", "2026-12-04T22:43:55.223Z", "tx_a", kValid);
  EXPECT_EQ(a, b);
  EXPECT_NE(header_value(a, "ce_id"), header_value(c, "ce_id"));
  EXPECT_TRUE(std::regex_match(std::string(header_value(a, "ce_id")), std::regex("deadletter:[0-9a-f]{32}")));
  EXPECT_EQ(header_value(a, "ce_type"), "corridor.deadletter");
  EXPECT_EQ(header_value(a, "ce_source"), "corridor/router");
  EXPECT_EQ(header_value(deadletter_headers("processor", "{}", "t", "", ""), "traceparent"), "");
}

}  // namespace
}  // namespace corridor
