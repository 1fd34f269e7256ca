// One writing process per SQLite store (engine/store/store.hpp, lock_sqlite_writer): a second holder,
// in this process or another, is refused with store.in_use and the holder's pid; the lock goes with
// its holder, however it ends.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "engine/store/errc.hpp"
#include "engine/store/store.hpp"

namespace corridor {
namespace {

class WriterLock : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("writer_lock_test_" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string path() const { return (dir / "var" / "corridor.db").string(); }
  std::filesystem::path dir;
};

TEST_F(WriterLock, ASecondWriterIsRefusedNamingTheFirst) {
  auto first = lock_sqlite_writer(path());
  ASSERT_TRUE(first) << first.error().message;
  auto second = lock_sqlite_writer(path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, store_errc::in_use);
  EXPECT_NE(second.error().message.find("in use by another corridor process (pid " + std::to_string(getpid()) + ")"),
            std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("store.kind postgres"), std::string::npos);
  // Released with its holder: the next one takes it.
  first->reset();
  EXPECT_TRUE(lock_sqlite_writer(path()));
}

TEST_F(WriterLock, AnotherProcessIsRefusedAndALockDiesWithItsProcess) {
  auto mine = lock_sqlite_writer(path());
  ASSERT_TRUE(mine);
  // A child process: refused while this one holds the lock.
  pid_t child = fork();
  if (child == 0) _exit(lock_sqlite_writer(path()) ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  mine->reset();
  // A child that takes the lock and is killed leaves none behind.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  child = fork();
  if (child == 0) {
    auto held = lock_sqlite_writer(path());
    const char c = held ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(2);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_EQ(c, 'y');
  EXPECT_FALSE(lock_sqlite_writer(path()));
  kill(child, SIGKILL);
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(lock_sqlite_writer(path()));
  close(ready[0]);
  close(ready[1]);
}

}  // namespace
}  // namespace corridor
