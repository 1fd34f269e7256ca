// A raw record of corridor.commands through route_command, as the router calls it, and the records
// the router then publishes: the input on corridor.inputs, or command.rejected and the dead letter.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <variant>

#include "engine/pipeline/commands.hpp"
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
  const std::string input_id = rejection.command_id.empty() || rejection.txn_id.empty()
                                   ? "cmd:" + std::string(kRecordId)
                                   : command_input_id(rejection.txn_id, rejection.command_id);
  check_json(boost::json::serialize(command_rejected_event(rejection, input_id, kAtMs)), "command.rejected");
  const std::string dead_letter =
      boost::json::serialize(deadletter_record("router", rejection.reason, input, kAtMs, config.limits.deadletter_payload_bytes));
  check_json(dead_letter, "the dead letter");
  // Bounded whatever arrived: escapes take at most six bytes a byte of the kept prefix.
  if (dead_letter.size() > 6 * static_cast<std::size_t>(config.limits.deadletter_payload_bytes) + 2048)
    throw PropertyViolation("the dead letter takes " + std::to_string(dead_letter.size()) + " bytes");
  return false;
}

}  // namespace corridor::fuzz
