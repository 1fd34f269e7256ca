#pragma once
#include <functional>
#include <string>

namespace corridor {

struct DemoOptions {
  std::string data_dir;  // empty: a fresh temporary folder
  int timeout_s = 90;
  // Set: once the scenarios are done, the engine keeps serving (the console and the operations
  // listener on operations_listen) until this returns (main waits for SIGINT/SIGTERM).
  std::function<void()> serve_until_stopped;
  std::string operations_listen;  // where it serves then
};

// Runs the engine on its embedded defaults, publishes one payment.create per sandbox scenario (and
// one bad command), prints each event as a timeline line, and returns 0 once every scenario reached
// its expected status; 1, naming the scenarios that did not, after the timeout (in both cases after
// serving until stopped, when asked to).
int run_demo(const DemoOptions& options);

}  // namespace corridor
