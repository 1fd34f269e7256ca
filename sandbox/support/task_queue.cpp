#include "sandbox/support/task_queue.hpp"

#include <utility>

namespace corridor {

TaskQueue::TaskQueue(int workers) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

TaskQueue::~TaskQueue() { stop(); }

void TaskQueue::at(Clock::time_point when, std::function<void()> task) {
  std::lock_guard lock(m_);
  if (stopping_) return;
  tasks_.emplace(when, std::move(task));
  cv_.notify_one();
}

void TaskQueue::stop() {
  {
    std::lock_guard lock(m_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  // Declared before the lock, so the dropped tasks (and what they captured) die after it is released.
  std::multimap<Clock::time_point, std::function<void()>> dropped;
  std::lock_guard lock(m_);
  dropped.swap(tasks_);
}

void TaskQueue::run() {
  std::unique_lock lock(m_);
  while (!stopping_) {
    if (tasks_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = tasks_.begin();
    // A copy of the due time: another worker may take (and erase) the task while this one waits,
    // and wait_until must not read a freed node.
    if (const auto due = first->first; due > Clock::now()) {
      cv_.wait_until(lock, due);
      continue;
    }
    auto task = std::move(first->second);
    tasks_.erase(first);
    lock.unlock();
    task();
    lock.lock();
  }
}

}  // namespace corridor
