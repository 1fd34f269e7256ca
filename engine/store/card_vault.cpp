#include "engine/store/card_vault.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "core/encoding.hpp"
#include "adapters/support/wire.hpp"
#include "engine/store/errc.hpp"

namespace corridor {

namespace {
constexpr int kNonce = 12;
constexpr int kTag = 16;
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;
}  // namespace

std::optional<CardVault> CardVault::from_environment() {
  const char* value = std::getenv(kKeyVariable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  auto bytes = hex_decode(value);
  if (!bytes || bytes->size() != 32)
    throw std::runtime_error(std::string(kKeyVariable) + " must be 64 hexadecimal characters (openssl rand -hex 32)");
  std::array<unsigned char, 32> key{};
  for (std::size_t i = 0; i < 32; ++i) key[i] = static_cast<unsigned char>((*bytes)[i]);
  return CardVault(key);
}

std::string CardVault::seal(std::string_view plaintext) const {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  if (RAND_bytes(nonce, kNonce) != 1) throw std::runtime_error("no randomness for the card vault");
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  auto* cipher = nonce + kNonce;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, cipher + plaintext.size()) != 1)
    throw std::runtime_error("card vault: encryption failed");
  return base64_encode(out);
}

std::string CardVault::fingerprint(std::string_view value) const {
  // A key of its own, so that a fingerprint is never an HMAC under the encryption key itself.
  const std::string_view vault_key(reinterpret_cast<const char*>(key_.data()), key_.size());
  const Sha256Digest derived = hmac_sha256(vault_key, "corridor fingerprint key");
  return hex_encode(bytes_of(hmac_sha256(bytes_of(derived), value)));
}

Result<std::string> CardVault::open(std::string_view sealed) const {
  auto raw = base64_decode(sealed);
  if (!raw || raw->size() < static_cast<std::size_t>(kNonce + kTag)) return fail(vault_errc::malformed, "sealed card data is malformed");
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  const std::size_t n = raw->size() - kNonce - kTag;
  std::string plain(n, '\0');
  Ctx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  std::string tag = raw->substr(kNonce + n);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, nonce + kNonce,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1)
    return fail(vault_errc::wrong_key, "sealed card data does not open with this key (wrong key or tampered data)");
  return plain;
}

}  // namespace corridor
