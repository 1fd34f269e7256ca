#pragma once
// Runs a function when its scope ends, also when an assertion ends a test early: a thread the test
// started is stopped and joined rather than destroyed running.
#include <functional>
#include <utility>

namespace corridor::testing {

class OnExit {
 public:
  explicit OnExit(std::function<void()> f) : f_(std::move(f)) {}
  ~OnExit() {
    if (f_) f_();
  }
  OnExit(const OnExit&) = delete;
  OnExit& operator=(const OnExit&) = delete;

 private:
  std::function<void()> f_;
};

}  // namespace corridor::testing
