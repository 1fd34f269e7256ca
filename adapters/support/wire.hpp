#pragma once
// Small wire helpers every provider adapter needs: encodings, HMAC, constant-time comparison,
// settings lookup and JSON field checks whose errors name the field. One copy, shared by all
// adapters. Hex and base64 are core/encoding's; header lookup is HttpRequest::header / find_header.
#include <array>
#include <boost/json/parse_options.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"
#include "core/encoding.hpp"

namespace corridor {

// ---- bytes and encodings -------------------------------------------------------------------------

using Sha256Digest = std::array<unsigned char, 32>;

// The digest's bytes as a string_view, for the helpers below that take bytes as text.
inline std::string_view bytes_of(const Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

Sha256Digest hmac_sha256(std::string_view key, std::string_view data);

// Exactly 64 hex digits (either case) as a SHA-256 digest; nullopt otherwise.
std::optional<Sha256Digest> digest_from_hex(std::string_view text);

// RFC 3986 percent-encoding: unreserved characters kept, every other byte as %XX (upper case).
std::string percent_encode(std::string_view text);

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte; a malformed % is kept.
std::string form_decode(std::string_view text);

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF. What a JSON
// parser accepts in a string, so text that passes can be sent on inside JSON.
bool well_formed_utf8(std::string_view text);

// Equal bytes, in a time that depends on neither content nor length (both are hashed first).
bool constant_time_equal(std::string_view a, std::string_view b);

// ---- settings and URLs ---------------------------------------------------------------------------

// providers.<name>.<key>, or `fallback` when absent or empty.
std::string setting(const ProviderSettings& settings, std::string_view key, std::string_view fallback = {});

// `text` without its trailing slashes ("http://x/v1//" -> "http://x/v1").
std::string trim_slashes(std::string_view text);

// ---- provider text and JSON bodies ---------------------------------------------------------------

// The first 300 characters of a provider's text, any run of 13-19 digits (a card number) masked to
// its first six and last four, before the text reaches an error message.
std::string mask_digits(std::string_view text);

// A body that must be a JSON object; the error names `where`.
Result<json::object> parse_object(std::string_view body, std::string_view where,
                                  const json::parse_options& options = {});


// "<where>: missing field '<field>'".
std::string missing_field(std::string_view where, std::string_view field);
// "<where>: field '<field>' must be <expected>".
std::string type_error(std::string_view where, std::string_view field, std::string_view expected);

// `field` is present and a non-empty string.
Result<bool> require_string(const json::object& o, std::string_view field, std::string_view where);
// `field` is absent, null or a string.
Result<bool> optional_string(const json::object& o, std::string_view field, std::string_view where);

}  // namespace corridor
