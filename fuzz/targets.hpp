#pragma once
// corridor's fuzz targets (docs/fuzzing.md). Each is a plain function of the input bytes, called by
// its libFuzzer entry point (fuzz/libfuzzer_main.cpp) and by the corpus replay unit test
// (tests/unit/fuzz/corpus_replay_test.cpp). A target returns normally on any input the code under
// test handles as it should, refused or not: true when it was accepted (routed, parsed, read), so the
// test can check the seeds reach past the first refusal. A crash, an escaping exception or a broken
// property (PropertyViolation) is a finding.
#include <stdexcept>
#include <string_view>
#include <vector>

namespace corridor::fuzz {

// An input the code under test accepted but that breaks what the rest of the engine relies on
// (a record on corridor.inputs that the processor cannot read back, say).
class PropertyViolation : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

struct Target {
  std::string_view name;  // also the folder of its seeds, fuzz/corpus/<name>/, and of fuzz/regressions/<name>/
  bool (*run)(std::string_view input);
};

// Every target; `make fuzz` builds one libFuzzer binary, fuzz_<name>, per folder of fuzz/corpus/.
const std::vector<Target>& targets();
const Target* find_target(std::string_view name);

// The targets (one file each in fuzz/).
bool command_routing(std::string_view input);   // engine/pipeline/commands: route_command, as the router calls it
bool webhook_novasend(std::string_view input);  // each provider's parse_webhook, on a request in
bool webhook_flexpay(std::string_view input);   // the text form of fuzz/support.hpp
bool webhook_cynod(std::string_view input);
bool webhook_interac(std::string_view input);
bool esipay_callback(std::string_view input);   // esipay's return URL: token in the path, source allow-list
bool config_loader(std::string_view input);     // engine/config/config: parse_config on YAML text
bool http_request(std::string_view input);      // engine/io/http_server: raw bytes through Beast's parser
bool read_queries(std::string_view input);      // engine/ingress/queries: GET /v1/payments and the timeline on a target

}  // namespace corridor::fuzz
