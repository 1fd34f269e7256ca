#pragma once
// The golden inputs log (tests/golden/): a recorded corridor.inputs covering every provider's sandbox
// scenarios and hostile cases, with the outbox rows and transaction states that replaying it gives.
// The golden test replays the log through the processor on a fresh store and requires byte-identical
// rows and states; `golden_record` (make golden) records the log and its results anew.
#include <string>
#include <vector>

#include "engine/config/config.hpp"
#include "engine/pipeline/processor.hpp"

namespace corridor::golden {

// Where the files are: tests/golden in the source tree.
std::string directory();

// The configuration both the recording and the replay use (the tests' configuration: embedded
// defaults with the sandboxes' demo settings); `dir` holds its store.
Config config(const std::string& dir);

// One record per line: {"partition","offset","timestamp_ms","value"} (or "value_base64" when the
// bytes are not UTF-8), in the order read.
std::vector<InputRecord> read_inputs(const std::string& path);
void write_inputs(const std::string& path, const std::vector<InputRecord>& records);

struct Replayed {
  std::vector<std::string> outbox;  // "<topic> <body>", in the order the batches wrote them
  std::vector<std::string> states;  // each transaction's stored form, by txn_id
};

// The records through the processor, by partition and offset, in batches of 50, on a fresh store at
// `store_path`, each batch committed before the next is made.
Replayed replay(const std::vector<InputRecord>& records, const Config& config, const std::string& store_path);

std::vector<std::string> read_lines(const std::string& path);
void write_lines(const std::string& path, const std::vector<std::string>& lines);

}  // namespace corridor::golden
