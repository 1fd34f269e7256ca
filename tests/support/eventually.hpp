#pragma once
// A bounded wait on a condition, not a sleep: checks `done` until it holds or `within` passes.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace corridor::testing {

template <typename F>
bool eventually(F&& done, std::chrono::milliseconds within = std::chrono::seconds(30)) {
  std::mutex m;
  std::condition_variable never_notified;
  std::unique_lock lock(m);
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    never_notified.wait_for(lock, std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace corridor::testing
