// The golden inputs log replays to the golden outbox rows and states, byte for byte: whatever the code
// becomes, the same inputs give the same events, dead letters, rejections and transactions. A change
// of behaviour that is meant shows here first; record the log again (make golden) and say why in the
// commit, or write a migration of the stored documents with a test of its own.
#include "tests/golden/golden.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "adapters/registry.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

// The first line where two files differ, with its neighbours' numbers, for a readable failure.
void expect_same_lines(const std::vector<std::string>& golden, const std::vector<std::string>& replayed,
                       const std::string& what) {
  for (std::size_t i = 0; i < std::min(golden.size(), replayed.size()); ++i) {
    if (golden[i] != replayed[i]) {
      ADD_FAILURE() << what << " line " << i + 1 << " differs\n golden:   " << golden[i].substr(0, 2000)
                    << "\n replayed: " << replayed[i].substr(0, 2000);
      return;
    }
  }
  EXPECT_EQ(golden.size(), replayed.size()) << what << ": as many lines";
}

TEST(Golden, TheRecordedInputsReplayToTheRecordedRowsAndStates) {
  testing::TempDir dir;
  const std::string golden = golden::directory();
  const auto inputs = golden::read_inputs(golden + "/inputs.jsonl");
  ASSERT_GT(inputs.size(), 100u);
  const Config config = golden::config(dir.path());
  const golden::Replayed replayed = golden::replay(inputs, config, dir.path() + "/replay.db");
  expect_same_lines(golden::read_lines(golden + "/outbox.jsonl"), replayed.outbox, "outbox.jsonl");
  expect_same_lines(golden::read_lines(golden + "/states.jsonl"), replayed.states, "states.jsonl");
}

// The stored form of a transaction changed once since the log was first recorded: the framework's
// bookkeeping and each flow's facts became typed members (Transaction, flow_data.hpp), still written
// inside "data", the framework's first, each in its declared order. states.v1.jsonl holds the documents
// the earlier form gave for the same log. Read by this version and written again, each is exactly the
// document this version stores itself: nothing was lost or changed but the order of the keys in "data".
TEST(Golden, StoredDocumentsOfTheEarlierFormReadAsTheSameTransactions) {
  const std::string golden = golden::directory();
  const auto earlier = golden::read_lines(golden + "/states.v1.jsonl");
  const auto now = golden::read_lines(golden + "/states.jsonl");
  ASSERT_EQ(earlier.size(), now.size());
  for (std::size_t i = 0; i < earlier.size(); ++i) {
    auto txn = transaction_from_json(boost::json::parse(earlier[i]));
    ASSERT_TRUE(txn) << txn.error().message;
    const Flow* flow = find_flow(txn->flow_id());
    ASSERT_NE(flow, nullptr) << txn->flow_id();
    ASSERT_NE(flow->bind, nullptr) << txn->flow_id();
    flow->bind(*txn);
    EXPECT_EQ(serialize(*txn), now[i]) << "states.v1.jsonl line " << i + 1;
    EXPECT_TRUE(txn->data.unknown().empty())
        << txn->flow_id() << " keeps fields its struct does not have: " << boost::json::serialize(txn->data.unknown());
  }
}

// What the log covers, so that a recording that lost a provider or the hostile cases fails here.
TEST(Golden, TheLogCoversEveryProviderAndTheHostileCases) {
  const std::string golden = golden::directory();
  std::string outbox;
  for (const auto& line : golden::read_lines(golden + "/outbox.jsonl")) outbox += line + "\n";
  for (std::string_view provider : {"cynod", "flexpay", "esipay", "novasend", "interac"})
    EXPECT_NE(outbox.find("\"provider\":\"" + std::string(provider) + "\""), std::string::npos) << provider;
  for (std::string_view hostile : {"was already used for another command", "unknown transaction for merchant",
                                   "unknown transaction tx_", "input is not valid JSON", "larger than limits.input_bytes",
                                   "the transaction is final"})
    EXPECT_NE(outbox.find(hostile), std::string::npos) << hostile;
  std::string inputs;
  for (const auto& line : golden::read_lines(golden + "/inputs.jsonl")) inputs += line + "\n";
  for (std::string_view hostile : {"unhandled.payin.refunded", "webhook:novasend:evt_411111******1111:"})
    EXPECT_NE(inputs.find(hostile), std::string::npos) << hostile;
}

}  // namespace
}  // namespace corridor
