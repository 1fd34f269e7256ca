#pragma once
#include <cstdint>

namespace corridor {

// The time source of the runtime's shell (router, ingress, executor, scheduler). Flows never see it:
// they read the `at` it stamped on their inputs.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() const = 0;
};
class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

}  // namespace corridor
