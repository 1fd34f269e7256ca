#pragma once
// Delayed work on a sandbox's own threads: customer actions, expiries, held answers, webhook
// deliveries. Every provider sandbox schedules through one of these.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace corridor {

class TaskQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts `workers` threads; with one, tasks due at the same time run one at a time, in the order
  // they were scheduled.
  explicit TaskQueue(int workers);
  ~TaskQueue();  // stop()
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Runs `task` on a worker once `when` has come. Ignored after stop().
  void at(Clock::time_point when, std::function<void()> task);

  // Waits for running tasks to finish, then drops the pending ones (destroyed outside the lock).
  // Idempotent; must not be called from a task.
  void stop();

 private:
  void run();

  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::multimap<Clock::time_point, std::function<void()>> tasks_;
  std::vector<std::thread> threads_;
};

}  // namespace corridor
