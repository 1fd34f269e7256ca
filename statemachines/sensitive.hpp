#pragma once
// What corridor never keeps in clear, named once, and the one way free text is cleaned of it.
//
// Sensitive data:
//  - a command's sensitive fields: the card's (all but the ones card_field_shown() names) and those a
//    provider declares secret (its plugin's sealed fields, adapters/plugin.hpp); sealed by the router
//    (AES-256-GCM, the card vault) before the command reaches corridor.inputs, or the command is
//    rejected;
//  - card numbers anywhere else (any field or key of a command, a URL, a provider's text): a command
//    carrying one outside card.number is rejected, and free text is masked (mask_card_numbers);
//  - credentials: provider settings that are secrets (is_secret_setting) and callback tokens, which
//    redact() replaces wherever they would appear in free text (logs, reasons, dead letters).
// Reasons and logs name a field, never quote a sensitive value.
#include <optional>
#include <string>
#include <string_view>

namespace corridor {

// Every field of a command's `card` but the ones card_field_shown() names is sealed at the router with
// the others into card.sealed (card.number kept masked, the rest removed): card.cvv2 or
// card.security_code are sealed as card.cvv is. The fields of a card that may be shown: the holder's
// name and the brand.
inline bool card_field_shown(std::string_view key) { return key == "holder" || key == "name" || key == "brand"; }

// Whether a provider setting (providers.<name>.<key>) is a credential: never shown.
bool is_secret_setting(std::string_view key);

// "4111111111111111" -> "411111******1111": first 6, last 4. Shorter strings are fully masked.
std::string mask_pan(std::string_view pan);

// The Luhn checksum of a string of digits.
bool luhn_valid(std::string_view digits);

// Masks what may be a card number in free text: every run of 13 or more digits (all but the first six
// and the last four become '*'), and runs of 13 to 19 digits split by single spaces or dashes that pass
// the Luhn check. A digit may be written plainly, as a JSON escape (\u0034, behind any number of
// backslashes) or percent-encoded (%34); a masked digit becomes one '*' whatever its writing.
std::string mask_card_numbers(std::string_view text);

// Masks only the card numbers find_card_number() recognises, as mask_card_numbers() does, and leaves
// every other run of digits as it is: for what must stay usable (a provider's identifiers in a
// notification) yet may not carry a card number in clear.
std::string mask_found_cards(std::string_view text);

// The first card number in `text`, as its digits; nullopt when there is none: 13 to 19 digits that pass
// the Luhn check and begin and run as a card scheme's numbers do (Visa 16 or 19 digits, Mastercard 16,
// American Express 15, ...), unbroken or split by single spaces or dashes into groups of three to six
// digits as cards are written, in any of the writings above. The router refuses commands that carry
// one outside card.number; tests scan what corridor writes with it.
std::optional<std::string> find_card_number(std::string_view text);

// Process-wide secret values (provider credentials, callback tokens) that redact() replaces. Values of
// fewer than 8 characters are not registered: they would match ordinary text.
void register_secret(std::string_view name, std::string_view value);
void clear_secrets();  // for tests

// Free text as it may leave corridor (a log line, a reason, a dead letter's payload): card numbers
// masked and registered secret values replaced by "[redacted <name>]".
std::string redact(std::string_view text);

// At most `max_bytes` of `text`, cut on a UTF-8 character boundary, with "…(N bytes)" when cut.
std::string bounded(std::string_view text, std::size_t max_bytes);
// redact() then bounded(): what every quoted value, reason and payload prefix goes through.
std::string redact_bounded(std::string_view text, std::size_t max_bytes);

}  // namespace corridor
