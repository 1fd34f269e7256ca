#pragma once
// Card numbers at rest: AES-256-GCM with a key from the environment (CORRIDOR_CARD_KEY, 64 hex
// characters). The router seals a command's card as it arrives; the executor opens it in memory just
// before the provider call that needs it; the sealed copy lives in the pending call row and is
// deleted with it once the call completes. There is no plaintext fallback.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace corridor {

class CardVault {
 public:
  static constexpr const char* kKeyVariable = "CORRIDOR_CARD_KEY";

  // The vault of CORRIDOR_CARD_KEY; nullopt when unset. Throws std::runtime_error when malformed.
  static std::optional<CardVault> from_environment();
  explicit CardVault(const std::array<unsigned char, 32>& key) : key_(key) {}

  // base64(nonce (12 bytes) | ciphertext | tag (16 bytes)), a fresh random nonce each time.
  std::string seal(std::string_view plaintext) const;
  Result<std::string> open(std::string_view sealed) const;
  // A keyed digest of a sensitive value (hex HMAC-SHA256 under a key derived from the vault's): the
  // same value always gives the same text, which tells nothing of the value without the key. Commands
  // are compared through it (the same command sent twice), never through the value.
  std::string fingerprint(std::string_view value) const;

 private:
  std::array<unsigned char, 32> key_;
};

}  // namespace corridor
