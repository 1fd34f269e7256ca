#pragma once
// Commands from corridor.commands: validation, the deterministic txn_id, sealing of sensitive fields,
// and the input the router re-keys onto corridor.inputs. Pure functions: the router only moves bytes.
#include <optional>
#include <string>
#include <string_view>

#include "engine/store/card_vault.hpp"
#include "engine/config/config.hpp"
#include "engine/pipeline/errc.hpp"
#include "statemachines/domain.hpp"
#include "statemachines/sensitive.hpp"

namespace corridor {

// tx_ + base32 (lower case, no padding) of the first 16 bytes of SHA-256(merchant "\0" reference).
std::string derive_txn_id(std::string_view merchant, std::string_view reference);


// The input id of a command: "cmd:" + txn_id + ":" + command_id. A command's identity is its
// transaction's (merchant and reference) and its own id, never the id alone.
std::string command_input_id(std::string_view txn_id, std::string_view command_id);

struct CommandRejection {
  std::string reason;
  std::string command_id;  // what could be read of the command, for command.rejected
  std::string merchant;
  std::string reference;
  std::string txn_id;
  // pipeline.too_large, not_json, duplicate_key or number_out_of_range for what cannot be read;
  // pipeline.invalid_command for the rest.
  std::error_code code = pipeline_errc::invalid_command;
};

struct RoutedCommand {
  // kind command, name = type, data = the command with its sensitive fields sealed (statemachines/
  // sensitive.hpp: card.number masked and the card in card.sealed; a provider's sealed fields under
  // their sealed_as keys, adapters/plugin.hpp), digest = the command's digest. input_id = "cmd:" +
  // txn_id + ":" + command_id: a command's identity is its transaction's (merchant and reference) and
  // its id.
  Input input;
};

// Validates a raw command against the providers of config.registry. `fallback_id` names the record (topic:partition:offset) when the command
// has no command_id; `at_ms` is when the command was published. Checked in this order: the size
// (limits.command_bytes), JSON (depth, a key twice in one object), card numbers outside card.number,
// the fields, the merchant, the provider's constraints. A command carrying sensitive data is rejected
// when there is no vault: corridor never keeps it in clear. Reasons name fields; a value they quote is
// bounded and redacted, and a sensitive value is never quoted.
std::variant<RoutedCommand, CommandRejection> route_command(std::string_view raw, const Config& config,
                                                            std::string_view fallback_id, std::int64_t at_ms,
                                                            const CardVault* vault = nullptr);

// A command's JSON, parsed strictly: at most 32 levels deep, and an object holding a key twice is
// refused (parsers disagree on which value wins; corridor does not guess).
Result<json::value> parse_strict(std::string_view raw);

// The command.rejected event of a rejection: the fields read from the command bounded and redacted.
json::object command_rejected_event(const CommandRejection& r, std::string_view input_id, std::int64_t at_ms);

// A dead-letter record: source, reason (redacted), time and `context`, and the payload bounded: at most
// `payload_limit` bytes of it (redacted; as `payload`, or as `payload_base64` when it is not UTF-8),
// with `payload_bytes` (its whole size) and `payload_sha256` (hex, of the bytes as they arrived, so an
// operator holding the original can match it; null when anything was hidden or redacted, since the
// digest would let one try the values it could have held).
// `shown_payload`, when given, is what the prefix is taken from instead of the payload (a command with
// its sensitive fields hidden, shown_payload()); given empty, no prefix is kept (`payload_hidden`).
json::object deadletter_record(std::string_view source, std::string_view reason, std::string_view payload,
                               std::int64_t at_ms, std::size_t payload_limit, json::object context = {},
                               std::optional<std::string_view> shown_payload = std::nullopt);

// What a dead letter of a refused command may show instead of the command, or nullopt when it may show
// the command as it came (dead letters redact card numbers and secrets in any text): a JSON object with
// sensitive fields (the card but its holder's name and brand, the sealed fields of `registry`'s
// providers) has them replaced by "[redacted]"; text corridor cannot read as a JSON object that names a sensitive field (a CVV in a
// command that is not JSON) shows nothing, "".
std::optional<std::string> shown_payload(std::string_view raw, const ProviderRegistry& registry = providers());

}  // namespace corridor
