#include "engine/pipeline/threads.hpp"

#include <pthread.h>

namespace corridor {

void name_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

void Signal::notify() {
  {
    std::lock_guard lock(mu_);
    raised_ = true;
  }
  cv_.notify_all();
}

void Signal::wait_for(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return raised_; });
  raised_ = false;
}

}  // namespace corridor
