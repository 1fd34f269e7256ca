#pragma once
// What an integration test sees of corridor's published contracts, recorded as it is seen and, once
// the test binary's tests are done, validated against docs/asyncapi.yaml and docs/openapi.yaml by
// tests/support/contracts.py: every command the test produces, every record it reads from
// corridor.inputs, corridor.events and corridor.deadletter (with its headers), and every answer of
// corridor's own HTTP listeners. A violation fails the binary (a global test failure) with the
// validator's report: which record, which test, where in it, and what rule it breaks.
#include <memory>
#include <string>
#include <string_view>

#include "engine/io/http_client.hpp"
#include "engine/io/kafka.hpp"
#include "statemachines/domain.hpp"

namespace corridor::testing {

// A command as produced on corridor.commands (its bytes: the validator parses them).
void record_command(std::string_view value, const KafkaHeaders& headers = {});
// A record read from one of corridor's topics; records of corridor.commands are left to
// record_command (they are the test's own).
void record_topic_record(std::string_view topic, std::string_view key, std::string_view value,
                         const KafkaHeaders& headers);
// corridor's listeners: answers from these addresses ("127.0.0.1:PORT") are corridor's own, and
// `role` ("public", "operations") says which routes the address serves.
void register_corridor_listener(std::string_view address, std::string_view role);
// An HTTP exchange; recorded when it went to one of corridor's listeners.
void record_http(const HttpRequest& request, const HttpResponse& response);
// make_http_client() that records every answer of corridor's listeners.
std::unique_ptr<HttpClient> recording_http_client();

// The file the records go to (created on first use), and how many were written.
std::string contracts_log_path();

}  // namespace corridor::testing
