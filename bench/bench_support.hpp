#pragma once
// What the runtime benchmarks share: a configuration like the tests', a temporary folder, the
// process's memory, and NovaSend payin inputs shaped as the router, the executor and the ingress
// put them on corridor.inputs. Benchmarks print JSON lines and assert nothing.
#include <chrono>
#include <ctime>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/config/config.hpp"

namespace corridor::bench {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The embedded default configuration with the sandboxes' demo settings (short polls), the store in
// `dir`, the ingress on an OS port and a fixed card key (card providers refuse to start without one).
Config bench_config(const std::string& bootstrap, const std::string& dir);

double rss_mb();        // VmRSS of this process
double peak_rss_mb();   // VmHWM
std::int64_t file_bytes(const std::string& path);  // 0 when absent

// CPU time of the whole process (every thread) so far: a run's cost per input, which other load on
// the machine changes far less than its wall time.
inline double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One record for corridor.inputs.
struct InputBytes {
  std::string key;    // txn_id
  std::string value;  // the Input as JSON
};

// The inputs of one NovaSend payin's happy path, in order, exactly as corridor produces them: the
// create command routed by route_command, the create_session answer under its call id (executor),
// the signed webhook payin.confirmed (ingress, when `with_webhook`) and the check_status answer under
// its call id. Without the webhook the check answers while awaiting confirmation (completed at once).
// `events` gets the number of events the processor will publish for them.
std::vector<InputBytes> novasend_payin_inputs(const Config& config, std::int64_t index, std::int64_t at_ms,
                                              bool with_webhook, std::size_t* events = nullptr,
                                              std::size_t* event_bytes = nullptr);

json::object payin_command(const std::string& reference, const std::string& msisdn = "+2250700000001");

}  // namespace corridor::bench
