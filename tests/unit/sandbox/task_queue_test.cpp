// The sandboxes' delayed-task queue (sandbox/support/task_queue.cpp). No sleeps: each test waits on a
// condition with a deadline.
#include "sandbox/support/task_queue.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace corridor {
namespace {

using namespace std::chrono_literals;
using Clock = TaskQueue::Clock;

constexpr auto kDeadline = 5s;

// Records what ran, and lets a test wait until enough has.
class Log {
 public:
  void add(int value) {
    std::lock_guard lock(m_);
    values_.push_back(value);
    cv_.notify_all();
  }
  bool wait_for_size(std::size_t n) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, kDeadline, [&] { return values_.size() >= n; });
  }
  std::vector<int> values() {
    std::lock_guard lock(m_);
    return values_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<int> values_;
};

TEST(TaskQueue, RunsTasksInDueOrderNotSchedulingOrder) {
  Log log;
  TaskQueue queue(1);
  const auto now = Clock::now();
  queue.at(now + 60ms, [&] { log.add(3); });
  queue.at(now + 30ms, [&] { log.add(2); });
  queue.at(now, [&] { log.add(1); });
  ASSERT_TRUE(log.wait_for_size(3));
  EXPECT_EQ(log.values(), (std::vector<int>{1, 2, 3}));
}

TEST(TaskQueue, NeverRunsATaskBeforeItsDueTime) {
  TaskQueue queue(2);
  const auto due = Clock::now() + 40ms;
  std::atomic<bool> early{false};
  Log log;
  queue.at(due, [&] {
    early = Clock::now() < due;
    log.add(1);
  });
  ASSERT_TRUE(log.wait_for_size(1));
  EXPECT_FALSE(early.load());
}

TEST(TaskQueue, OneWorkerRunsTasksDueTogetherInSchedulingOrder) {
  Log log;
  TaskQueue queue(1);
  const auto now = Clock::now();
  for (int i = 0; i < 20; ++i) queue.at(now, [&log, i] { log.add(i); });
  ASSERT_TRUE(log.wait_for_size(20));
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(log.values(), expected);
}

TEST(TaskQueue, ATaskCanScheduleAnother) {
  Log log;
  TaskQueue queue(2);
  queue.at(Clock::now(), [&] {
    log.add(1);
    queue.at(Clock::now() + 10ms, [&] { log.add(2); });
  });
  ASSERT_TRUE(log.wait_for_size(2));
  EXPECT_EQ(log.values(), (std::vector<int>{1, 2}));
}

// Several workers waiting on the same earliest task: one takes it while the others wait on its due
// time (the use-after-free a copy of the due time fixed; address sanitizer builds catch a regression).
TEST(TaskQueue, ManyWorkersRaceForTheSameTasks) {
  Log log;
  TaskQueue queue(4);
  const auto now = Clock::now();
  for (int i = 0; i < 200; ++i) queue.at(now + std::chrono::microseconds(50 * (i % 10)), [&log, i] { log.add(i); });
  ASSERT_TRUE(log.wait_for_size(200));
  EXPECT_EQ(log.values().size(), 200u);
}

TEST(TaskQueue, StopDropsPendingTasksAndIgnoresNewOnes) {
  auto ran = std::make_shared<std::atomic<int>>(0);
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  TaskQueue queue(2);
  queue.at(Clock::now() + 1h, [ran, alive] { ++*ran; });
  alive.reset();
  EXPECT_FALSE(watch.expired());  // held by the pending task
  queue.stop();
  EXPECT_TRUE(watch.expired());  // dropped: what it captured is released
  queue.at(Clock::now(), [ran] { ++*ran; });
  queue.stop();  // idempotent
  EXPECT_EQ(ran->load(), 0);
}

TEST(TaskQueue, StopWaitsForARunningTask) {
  std::mutex m;
  std::condition_variable cv;
  bool started = false;
  std::atomic<bool> finished{false};
  TaskQueue queue(1);
  queue.at(Clock::now(), [&] {
    {
      std::lock_guard lock(m);
      started = true;
      cv.notify_all();
    }
    // Busy for a moment without sleeping: wait for a deadline no one signals.
    std::unique_lock lock(m);
    cv.wait_for(lock, 20ms, [] { return false; });
    finished = true;
  });
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, kDeadline, [&] { return started; }));
  }
  queue.stop();
  EXPECT_TRUE(finished.load());
}

}  // namespace
}  // namespace corridor
