// The SQLite store copies its write-ahead log into the database file on a thread of its own
// (SqliteStore::checkpoint_loop: PASSIVE, once a second), off the processor's commit. The writer would
// do it itself only past wal_autocheckpoint (20,000 pages), so a small commit reaches the database
// file only through that thread.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/store/store.hpp"
#include "tests/support/eventually.hpp"

namespace corridor {
namespace {

TEST(SqliteCheckpoint, ACommitReachesTheDatabaseFileWithoutTheWriterCheckpointing) {
  const auto dir = std::filesystem::temp_directory_path() / ("checkpoint_test_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const std::string path = (dir / "corridor.db").string();
  {
    auto store = open_sqlite_store(path);
    ASSERT_TRUE(testing::eventually([&] { return std::filesystem::exists(path + "-wal"); }));
    const auto before = std::filesystem::file_size(path);
    StoreBatch b;
    for (int i = 0; i < 200; ++i) b.events.push_back({"tx_" + std::to_string(i), 1, std::string(2000, 'x')});
    ASSERT_TRUE(store->commit(b));  // about 100 pages of 4 KiB, all in the log
    EXPECT_TRUE(testing::eventually([&] { return std::filesystem::file_size(path) >= before + 100 * 4096; },
                                    std::chrono::seconds(20)))
        << "the database file is still " << std::filesystem::file_size(path) << " bytes";
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corridor
