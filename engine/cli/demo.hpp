#pragma once
#include <string>

namespace corridor {

struct DemoOptions {
  std::string data_dir;  // empty: a fresh temporary folder
  int timeout_s = 90;
};

// Runs the engine on its embedded defaults, publishes one payment.create per sandbox scenario (and
// one bad command), prints each event as a timeline line, and returns 0 once every scenario reached
// its expected status; 1, naming the scenarios that did not, after the timeout.
int run_demo(const DemoOptions& options);

}  // namespace corridor
