#pragma once
// What the runtime's threads share: their names, and a wake-up call between them.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace corridor {

// Names the calling thread as `top -H` and `perf report --sort comm` show it (at most 15 characters).
void name_thread(const char* name);

// A wake-up call: notify() from one thread, wait_for() in another; spurious wake-ups are harmless.
class Signal {
 public:
  void notify();
  void wait_for(std::chrono::milliseconds timeout);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool raised_ = false;
};

}  // namespace corridor
