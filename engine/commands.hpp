#pragma once
// Commands from corridor.commands: validation, the deterministic txn_id, card masking, and the input
// the router re-keys onto corridor.inputs. Pure functions: the router only moves the bytes.
#include <string>
#include <string_view>

#include "engine/card_vault.hpp"
#include "engine/config.hpp"
#include "statemachines/domain.hpp"

namespace corridor {

// tx_ + base32 (lower case, no padding) of the first 16 bytes of SHA-256(merchant "\0" reference).
std::string derive_txn_id(std::string_view merchant, std::string_view reference);

// "4111111111111111" -> "411111******1111": first 6, last 4. Shorter strings are fully masked.
std::string mask_pan(std::string_view pan);
// Masks every run of 13 to 19 digits in free text (a raw payload that did not parse, a log line).
std::string mask_card_numbers(std::string_view text);

struct CommandRejection {
  std::string reason;
  std::string command_id;  // what could be read of the command, for command.rejected
  std::string merchant;
  std::string reference;
  std::string txn_id;
};

struct RoutedCommand {
  // kind command, name = type, data = the command with its card number masked and the card sealed
  // in card.sealed (AES-256-GCM of {"number", "exp_month", "exp_year"}).
  Input input;
};

// Validates a raw command. `fallback_id` names the record (topic:partition:offset) when the command
// has no command_id; `at_ms` is when the command was published. A command carrying a card is
// rejected when there is no vault: corridor never keeps a card number in clear.
std::variant<RoutedCommand, CommandRejection> route_command(std::string_view raw, const Config& config,
                                                            std::string_view fallback_id, std::int64_t at_ms,
                                                            const CardVault* vault = nullptr);

bool valid_utf8(std::string_view text);

// The command.rejected event and the dead-letter record of a rejection. The payload is kept with
// card numbers masked, as `payload`, or as `payload_base64` when it is not UTF-8.
json::object command_rejected_event(const CommandRejection& r, std::string_view input_id, std::int64_t at_ms);
json::object deadletter_record(std::string_view source, std::string_view reason, std::string_view payload,
                               std::int64_t at_ms, json::object context = {});

}  // namespace corridor
