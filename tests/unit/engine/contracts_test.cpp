// docs/asyncapi.yaml and docs/openapi.yaml, and the validator the integration tests run over what they
// see (tests/support/contracts.py): the documents are valid (schemas, $refs, examples), what corridor's
// own serialisers write matches them, and the validator catches what does not.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "statemachines/domain.hpp"

namespace corridor {
namespace {

const std::string kTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const std::string kTxn = "tx_spxrbvuphfprqgwcpwr72xa7wa";
constexpr std::int64_t kAt = 1796510635223;  // 2026-12-04T22:43:55.223Z

struct ValidatorRun {
  int exit = -1;
  std::string output;
};

ValidatorRun run(const std::string& args) {
  const std::string command = std::string("timeout 120 ") + CORRIDOR_PYTHON + " " + CORRIDOR_SOURCE_DIR +
                              "/tests/support/contracts.py " + args + " 2>&1";
  ValidatorRun r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) r.output += buffer.data();
  const int status = pclose(pipe);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

json::object headers_json(const RecordHeaders& headers) {
  json::object o;
  for (const auto& [name, value] : headers) o[name] = value;
  return o;
}

// Writes `items` as the JSONL the integration tests record and validates it.
ValidatorRun validate(const std::vector<json::object>& items) {
  char path[] = "/tmp/corridor-contracts-test-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  {
    std::ofstream out(path);
    for (const auto& item : items) out << boost::json::serialize(item) << '\n';
  }
  ValidatorRun r = run(std::string("validate ") + CORRIDOR_SOURCE_DIR + "/docs " + path);
  std::remove(path);
  return r;
}

StateChangedEvent state_changed() {
  StateChangedEvent e;
  e.txn_id = kTxn;
  e.merchant = "ZANDO";
  e.reference = "MM0000XXFFR159";
  e.provider = "novasend";
  e.flow = "payin";
  e.version = 3;
  e.state = "awaiting_confirmation";
  e.previous_state = "session_requested";
  e.status = Status::requires_action;
  e.amount = Money{300, "XOF"};
  e.provider_refs_json = R"({"reference":"tr_0ufe5jt66ug6dpfafw00iiw7ub"})";
  e.next_action_json = R"({"type":"redirect","url":"http://127.0.0.1:43151/link/776flppusu"})";
  e.cause = {InputKind::provider_response, kTxn + ":1:create_session"};
  e.occurred_at_ms = kAt;
  return e;
}

json::object event_item(const json::value& value, const RecordHeaders& headers) {
  return {{"schema", "event"}, {"value", value}, {"headers", headers_json(headers)}, {"test", "unit"}};
}

json::object state_changed_item(const json::object& event) {
  return event_item(event, event_headers(get_string(event, "event_id"), "transaction.state_changed", "novasend.payin",
                                         kTxn, get_string(event, "occurred_at"), kTrace));
}

json::object event_json() { return boost::json::parse(serialize(state_changed())).as_object(); }

TEST(Contracts, TheDocumentsAreValidTheirRefsResolveAndTheirExamplesMatch) {
  const ValidatorRun r = run(std::string("check-docs ") + CORRIDOR_SOURCE_DIR + "/docs");
  EXPECT_EQ(r.exit, 0) << r.output;
  EXPECT_NE(r.output.find("documents valid"), std::string::npos) << r.output;
}

TEST(Contracts, WhatCorridorsSerialisersWriteMatchesTheDocuments) {
  std::vector<json::object> items;
  items.push_back(state_changed_item(event_json()));
  StateChangedEvent first = state_changed();
  first.version = 1;
  first.state = "created";
  first.previous_state = "";
  first.status = Status::pending;
  first.next_action_json = "null";
  first.attention = attention::kLateOutcome;
  first.provider_amount = Money{250, "XOF"};
  first.cause = {InputKind::command, "cmd:" + kTxn + ":5f0c9d2e"};
  items.push_back(state_changed_item(boost::json::parse(serialize(first)).as_object()));

  const CommandRejection rejection{"amount.value must be an integer number of minor units, not a fraction", "5f0c9d2f",
                                   "ZANDO", "MM0000XXFFR160", kTxn};
  const json::object rejected = command_rejected_event(rejection, command_input_id(kTxn, "5f0c9d2f"), kAt);
  items.push_back(event_item(rejected, event_headers(get_string(rejected, "event_id"), "command.rejected", "", kTxn,
                                                     get_string(rejected, "occurred_at"), kTrace)));
  // A command that named nothing: every field read from it is null, and there is no subject.
  const json::object anonymous = command_rejected_event({"command is not valid JSON", "", "", "", ""},
                                                        "cmd:corridor.commands:0:7", kAt);
  items.push_back(event_item(anonymous, event_headers(get_string(anonymous, "event_id"), "command.rejected", "", "",
                                                      get_string(anonymous, "occurred_at"), kTrace)));

  const std::string body = boost::json::serialize(deadletter_record(
      "router", "unknown merchant 'X'", R"({"type":"payment.create"})", kAt, 4096,
      {{"topic", "corridor.commands"}, {"partition", 1}, {"offset", 7}, {"key", "X:R"}}));
  items.push_back({{"schema", "deadletter"},
                   {"value", boost::json::parse(body)},
                   {"headers", headers_json(deadletter_headers("router", body, "2026-12-04T22:43:55.223Z", kTxn, kTrace))}});
  const std::string binary = boost::json::serialize(
      deadletter_record("processor", "input is not valid JSON", std::string("\xff\xfe", 2), kAt, 4096, {{"input_id", "x"}}));
  items.push_back({{"schema", "deadletter"}, {"value", boost::json::parse(binary)}, {"headers", json::object{}}});

  const ValidatorRun r = validate(items);
  EXPECT_EQ(r.exit, 0) << r.output;
}

TEST(Contracts, AWrongEventIsCaughtAndNamed) {
  json::object unknown_status = event_json();
  unknown_status["status"] = "done";
  ValidatorRun r = validate({state_changed_item(unknown_status)});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("at /status"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'done'"), std::string::npos) << r.output;

  json::object undocumented = event_json();
  undocumented["fee"] = 12;  // a field corridor would add without documenting it
  r = validate({state_changed_item(undocumented)});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("fee"), std::string::npos) << r.output;

  json::object fraction = event_json();
  fraction["amount"] = {{"value", 12.5}, {"currency", "XOF"}};
  r = validate({state_changed_item(fraction)});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("at /amount/value"), std::string::npos) << r.output;

  json::object missing = event_json();
  missing.erase("occurred_at");
  EXPECT_EQ(validate({state_changed_item(missing)}).exit, 1);
}

TEST(Contracts, EventHeadersThatAreMissingOrContradictTheEventAreCaught) {
  const json::object event = event_json();
  ValidatorRun r = validate({event_item(event, {})});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("headers"), std::string::npos) << r.output;

  r = validate({event_item(event, event_headers("tx_other:3", "transaction.state_changed", "novasend.payin", kTxn,
                                                get_string(event, "occurred_at"), kTrace))});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("ce_id"), std::string::npos) << r.output;

  r = validate({event_item(event, event_headers(get_string(event, "event_id"), "transaction.state_changed", "esipay.card",
                                                kTxn, get_string(event, "occurred_at"), kTrace))});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("ce_source"), std::string::npos) << r.output;

  r = validate({event_item(event, event_headers(get_string(event, "event_id"), "transaction.state_changed",
                                                "novasend.payin", kTxn, get_string(event, "occurred_at"), "not-a-trace"))});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("traceparent"), std::string::npos) << r.output;
}

TEST(Contracts, ACommandOutsideItsSchemaMustHaveBeenRefused) {
  const json::object fraction{{"type", "payment.create"},
                              {"command_id", "c1"},
                              {"merchant", "ZANDO"},
                              {"reference", "R1"},
                              {"provider", "novasend"},
                              {"amount", {{"value", 12.5}, {"currency", "XOF"}}},
                              {"customer", {{"msisdn", "+2250700000001"}}}};
  const json::object command{{"schema", "command"}, {"value", fraction}, {"headers", json::object{}}};
  ValidatorRun r = validate({command});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("did not refuse it"), std::string::npos) << r.output;

  const json::object rejected = command_rejected_event({"fraction", "c1", "ZANDO", "R1", kTxn}, "cmd:" + kTxn + ":c1", kAt);
  r = validate({command, event_item(rejected, event_headers(get_string(rejected, "event_id"), "command.rejected", "",
                                                            kTxn, get_string(rejected, "occurred_at"), kTrace))});
  EXPECT_EQ(r.exit, 0) << r.output;

  json::object valid = fraction;
  valid["amount"] = {{"value", 300}, {"currency", "XOF"}};
  EXPECT_EQ(validate({{{"schema", "command"}, {"value", valid}}}).exit, 0);
  valid["customer"] = {{"phone", "+2250700000001"}};  // novasend needs customer.msisdn, and knows no phone
  EXPECT_EQ(validate({{{"schema", "command"}, {"value", valid}}}).exit, 1);
}

TEST(Contracts, HttpAnswersAreCheckedAgainstTheirRouteAndStatus) {
  auto http = [](std::string method, std::string path, int status, json::value body,
                 std::string listener = "operations") {
    return json::object{{"schema", "http"}, {"listener", listener}, {"method", method}, {"path", path},
                        {"status", status}, {"content_type", "application/json"}, {"value", body}};
  };
  EXPECT_EQ(validate({http("GET", "/healthz", 200, {{"status", "ok"}})}).exit, 0);
  EXPECT_EQ(validate({http("GET", "/v1/transactions/tx_nobody", 404, {{"error", "unknown transaction tx_nobody"}})}).exit, 0);
  EXPECT_EQ(validate({http("GET", "/nowhere", 404, {{"error", "no route for GET /nowhere"}})}).exit, 0);

  ValidatorRun r = validate({http("GET", "/v1/transactions/" + kTxn, 200, {{"txn_id", kTxn}})});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("required"), std::string::npos) << r.output;

  r = validate({http("GET", "/healthz", 418, {{"status", "ok"}})});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("does not list"), std::string::npos) << r.output;

  r = validate({http("POST", "/webhooks/novasend", 200, {{"status", "maybe"}}, "public")});
  EXPECT_EQ(r.exit, 1) << r.output;
  EXPECT_NE(r.output.find("at /status"), std::string::npos) << r.output;
  EXPECT_EQ(validate({http("POST", "/webhooks/novasend", 200, {{"status", "accepted"}}, "public")}).exit, 0);

  // Each listener serves its own routes: metrics are not on the public one, webhooks not on operations.
  EXPECT_EQ(validate({http("GET", "/metrics", 404, {{"error", "no route for GET /metrics"}}, "public")}).exit, 0);
  EXPECT_EQ(validate({http("POST", "/webhooks/novasend", 200, {{"status", "accepted"}})}).exit, 1);
}

}  // namespace
}  // namespace corridor
