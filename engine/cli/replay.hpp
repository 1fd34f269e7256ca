#pragma once
// corridor replay: reads corridor.inputs again into a scratch store with the same flows, up to the
// offsets the live store has applied, and compares the two transaction by transaction: state,
// version, provider references, amounts, flow data, the row's own state and version columns, and the
// event each version produced. A partial replay (--until, --until-offset) compares what its part of
// the log decides: the events of the versions it rebuilt, and the whole transaction only where the
// live one went no further.
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/store/store.hpp"

namespace corridor {

struct ReplayOptions {
  std::optional<std::int64_t> from_ms;   // report only transactions created at or after this time
  std::optional<std::int64_t> until_ms;  // replay only inputs at or before this time
  std::optional<std::int64_t> until_offset;  // replay only records below this offset in every partition
  std::string txn_id;                    // only this transaction
  std::ostream* progress = nullptr;      // a progress bar (records/s, ETA), when on a terminal
};

struct ReplayDifference {
  std::string txn_id;
  std::string merchant;   // and the merchant's reference, so that a person finds the payment
  std::string reference;
  std::string what;      // "state", "version", "event 3", "missing in the live store", ...
  std::string live;
  std::string replayed;
};

struct ReplayReport {
  std::int64_t records = 0;       // records read from corridor.inputs
  std::int64_t transactions = 0;  // transactions compared
  std::vector<ReplayDifference> differences;
  // --txn named a transaction that neither the replayed log nor the live store holds: nothing was
  // compared, which is not a match.
  bool txn_unknown = false;
  bool matches() const { return differences.empty() && !txn_unknown; }
};

// `bootstrap` is the Kafka cluster holding corridor.inputs; `scratch_path` a file for the scratch store.
ReplayReport replay(const Config& config, Store& live, const std::string& bootstrap, const std::string& scratch_path,
                    const ReplayOptions& options);

// "text" (default), "json" or "csv".
void print_replay_report(const ReplayReport& report, const std::string& format, std::ostream& out);

}  // namespace corridor
