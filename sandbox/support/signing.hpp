#pragma once
// What the sandboxes sign webhooks with. Each sandbox assembles its signature from these, written
// apart from adapters/support/wire (and named apart from it, so the two never collide at link time),
// so that the sandbox and the adapter check each other.
#include <string>
#include <string_view>

namespace corridor {

// HMAC-SHA256 of `data` under `key`, in lowercase hexadecimal (64 characters).
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// HMAC-SHA256 of `data` under `key`, in base64 (44 characters).
std::string hmac_sha256_base64(std::string_view key, std::string_view data);

// Standard base64 with padding, no line breaks.
std::string base64(std::string_view bytes);

}  // namespace corridor
