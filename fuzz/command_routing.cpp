// A raw record of corridor.commands through route_command, as the router calls it, and the records
// the router then publishes: the input on corridor.inputs, or command.rejected and the dead letter.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <variant>

#include "engine/commands.hpp"
#include "fuzz/support.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

namespace {

constexpr std::string_view kRecordId = "corridor.commands:0:42";

void check_json(const std::string& record, std::string_view what) {
  boost::system::error_code ec;
  boost::json::parse(record, ec);
  if (ec) throw PropertyViolation(std::string(what) + " is not JSON (" + ec.message() + "): " + record);
}

}  // namespace

bool command_routing(std::string_view input) {
  // The embedded default configuration: the demo merchant ZANDO, allowed on every provider.
  static const Config config = parse_config(embedded_default_config(), "corridor.yaml");
  static const CardVault vault(std::array<unsigned char, 32>{1, 2, 3, 4, 5, 6, 7, 8});
  auto routed = route_command(input, config, kRecordId, kAtMs, &vault);
  if (auto* ok = std::get_if<RoutedCommand>(&routed)) {
    check_input_record(ok->input);
    return true;
  }
  const auto& rejection = std::get<CommandRejection>(routed);
  const std::string input_id = "cmd:" + (rejection.command_id.empty() ? std::string(kRecordId) : rejection.command_id);
  check_json(boost::json::serialize(command_rejected_event(rejection, input_id, kAtMs)), "command.rejected");
  check_json(boost::json::serialize(deadletter_record("router", rejection.reason, input, kAtMs)), "the dead letter");
  return false;
}

}  // namespace corridor::fuzz
