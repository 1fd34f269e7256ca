// examples/settlement/esipay-settlement-sample.csv, as its README describes it: esipay's settlement
// parser reads its lines; against a store holding the payments it names, one line matches, one
// partially refunded payment matches with its refund, one differs in amount and one is unknown to
// corridor; and `corridor reconcile --settlement` on an empty store reports every line and exits 1.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "engine/cli/provider_reconcile.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/store/store.hpp"

#ifndef CORRIDOR_BINARY
#error "CORRIDOR_BINARY must name the corridor executable (tests/CMakeLists.txt)"
#endif

namespace corridor {
namespace {

const std::string kSample = std::string(CORRIDOR_SOURCE_DIR) + "/examples/settlement/esipay-settlement-sample.csv";

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SettlementSample : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("settlement_sample_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

TEST_F(SettlementSample, EsipaysParserReadsEveryLine) {
  const std::string text = slurp(kSample);
  ASSERT_FALSE(text.empty()) << kSample;
  auto file = parse_settlement("esipay", text);
  ASSERT_TRUE(file) << file.error().message;
  const auto& lines = file->lines;
  ASSERT_EQ(lines.size(), 5u);
  // The cids are corridor's txn_ids of ZANDO's references, as corridor sent them as cardpay's cid.
  const std::string ord7001 = derive_txn_id("ZANDO", "ORD-7001"), ord7002 = derive_txn_id("ZANDO", "ORD-7002"),
                    ord7003 = derive_txn_id("ZANDO", "ORD-7003"), ord6999 = derive_txn_id("ZANDO", "ORD-6999");
  struct Want {
    int line;
    std::string txn_id, kind;
    std::int64_t amount;
  };
  const Want want[] = {{2, ord7001, "charge", 10000}, {3, ord7002, "charge", 25000}, {4, ord7002, "refund", 4000},
                       {5, ord7003, "charge", 9500},  {6, ord6999, "charge", 5000}};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].line, want[i].line);
    EXPECT_EQ(lines[i].txn_id, want[i].txn_id) << "line " << want[i].line;
    EXPECT_EQ(lines[i].kind, want[i].kind) << "line " << want[i].line;
    EXPECT_EQ(lines[i].amount, want[i].amount) << "line " << want[i].line;
    EXPECT_EQ(lines[i].currency, "XOF");
    EXPECT_EQ(lines[i].date, "2026-12-04");
    EXPECT_TRUE(lines[i].transaction.starts_with("esi") && lines[i].transaction.size() == 27) << lines[i].transaction;
  }
  EXPECT_EQ(lines[1].transaction, lines[2].transaction);  // a refund carries its payment's esipay id
}

TEST_F(SettlementSample, AgainstTheStoreItMatchesTwoAndReportsAnAmountAndAnUnknownPayment) {
  auto store = open_sqlite_store((dir / "corridor.db").string());
  auto put = [&](std::string reference, std::string state, std::int64_t amount, std::string esipay, std::int64_t refunded) {
    Transaction t;
    t.txn_id = derive_txn_id("ZANDO", reference);
    t.merchant = "ZANDO";
    t.reference = reference;
    t.provider = "esipay";
    t.flow = "card";
    t.amount = {amount, "XOF"};
    t.state = std::move(state);
    t.version = 3;
    t.created_at_ms = 1796378400000;  // 2026-12-04T10:00:00Z, the file's day
    t.provider_refs.set({"transaction"}, esipay);
    if (refunded > 0) t.refunded_amount = refunded;
    StoreBatch b;
    b.transactions.push_back(t);
    ASSERT_TRUE(store->commit(b));
  };
  put("ORD-7001", "captured", 10000, "esi050249884275ce2299d67342", 0);
  put("ORD-7002", "partially_refunded", 25000, "esi3e88d0b64f6813daa6d6f9cf", 4000);
  put("ORD-7003", "captured", 10000, "esi36db43b3fb7c20c8371ce196", 0);

  auto file = parse_settlement("esipay", slurp(kSample));
  ASSERT_TRUE(file) << file.error().message;
  const SettlementReport r = reconcile_settlement(*store, *file, {});
  EXPECT_EQ(r.lines, 5);
  EXPECT_EQ(r.transactions, 3);
  EXPECT_EQ(r.matched, 2);  // ORD-7001, and ORD-7002 with its refund
  EXPECT_TRUE(r.outcomes.empty());
  ASSERT_EQ(r.differences.size(), 2u);
  const SettlementDifference& amount = r.differences[0];
  EXPECT_EQ(amount.kind, "mismatch");
  EXPECT_EQ(amount.txn_id, derive_txn_id("ZANDO", "ORD-7003"));
  EXPECT_EQ(amount.reference, "ORD-7003");
  EXPECT_EQ(amount.what, "amount");
  EXPECT_EQ(amount.store, "10000 XOF");
  EXPECT_EQ(amount.settlement, "9500 XOF");
  EXPECT_EQ(amount.line, 5);
  const SettlementDifference& unknown = r.differences[1];
  EXPECT_EQ(unknown.kind, "missing_in_store");
  EXPECT_EQ(unknown.txn_id, derive_txn_id("ZANDO", "ORD-6999"));
  EXPECT_EQ(unknown.what, "charge");
  EXPECT_EQ(unknown.settlement, "5000 XOF (esipay esi2082e1e0076316c7af0a75f6)");
  EXPECT_EQ(unknown.line, 6);
}

TEST_F(SettlementSample, TheCommandLineOnAnEmptyStoreReportsEveryLineAndExitsOne) {
  // The embedded defaults (config/corridor.yaml): a store var/corridor.db in this folder, empty.
  const auto out = dir / "out.txt";
  const auto err = dir / "err.txt";
  const std::string cmd = "cd '" + dir.string() + "' && timeout 20 " + std::string(CORRIDOR_BINARY) +
                          " reconcile --settlement '" + kSample + "' --provider esipay >'" + out.string() + "' 2>'" +
                          err.string() + "'";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << slurp(err);
  const std::string text = slurp(out);
  EXPECT_TRUE(text.starts_with("settlement: 5 line(s) through 2026-12-04; 0 esipay transaction(s) compared, 0 matched\n5 difference(s):\n")) << text;
  std::size_t missing = 0;
  for (std::size_t at = text.find("missing_in_store"); at != std::string::npos; at = text.find("missing_in_store", at + 1))
    ++missing;
  EXPECT_EQ(missing, 5u) << text;
  EXPECT_NE(text.find(derive_txn_id("ZANDO", "ORD-6999")), std::string::npos) << text;
}

}  // namespace
}  // namespace corridor
