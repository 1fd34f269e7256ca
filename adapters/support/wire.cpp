#include "adapters/support/wire.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <boost/json/parse.hpp>
#include <cctype>
#include <utility>

namespace corridor {

namespace {

Sha256Digest sha256(std::string_view data) {
  Sha256Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.data());
  return d;
}

}  // namespace

Sha256Digest hmac_sha256(std::string_view key, std::string_view data) {
  Sha256Digest mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac.data(), &len);
  return mac;
}

std::optional<Sha256Digest> digest_from_hex(std::string_view text) {
  Sha256Digest out{};
  if (text.size() != 2 * out.size()) return std::nullopt;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit(text[2 * i]);
    const int lo = hex_digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  return out;
}

std::string form_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) << 4 | hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool well_formed_utf8(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    // The range of the second byte, narrower after E0, ED, F0 and F4 (RFC 3629 section 4).
    unsigned char low = 0x80, high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    if (byte(i + 1) < low || byte(i + 1) > high) return false;
    for (std::size_t k = 2; k < length; ++k)
      if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return false;
    i += length;
  }
  return true;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const Sha256Digest da = sha256(a);
  const Sha256Digest db = sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::string setting(const ProviderSettings& settings, std::string_view key, std::string_view fallback) {
  auto it = settings.find(key);
  return it == settings.end() || it->second.empty() ? std::string(fallback) : it->second;
}

std::string trim_slashes(std::string_view text) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return std::string(text);
}

std::string mask_digits(std::string_view text) {
  std::string out(text.substr(0, 300));
  std::size_t i = 0;
  while (i < out.size()) {
    if (!std::isdigit(static_cast<unsigned char>(out[i]))) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && std::isdigit(static_cast<unsigned char>(out[j]))) ++j;
    if (j - i >= 13 && j - i <= 19)
      for (std::size_t k = i + 6; k + 4 < j; ++k) out[k] = '*';
    i = j;
  }
  return out;
}

Result<json::object> parse_object(std::string_view body, std::string_view where, const json::parse_options& options) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, {}, options);
  if (ec) return fail(adapter_errc::malformed, std::string(where) + ": body is not JSON (" + ec.message() + ")");
  if (!v.is_object()) return fail(adapter_errc::malformed, std::string(where) + ": body is not a JSON object");
  return std::move(v.get_object());
}

std::optional<adapter_errc> busy_status(int status) {
  if (status == 429) return adapter_errc::rate_limited;
  if (status >= 500 || status == 408) return adapter_errc::provider_unavailable;
  return std::nullopt;
}

std::string missing_field(std::string_view where, std::string_view field) {
  return std::string(where) + ": missing field '" + std::string(field) + "'";
}

std::string type_error(std::string_view where, std::string_view field, std::string_view expected) {
  return std::string(where) + ": field '" + std::string(field) + "' must be " + std::string(expected);
}

Result<bool> require_string(const json::object& o, std::string_view field, std::string_view where) {
  auto it = o.find(field);
  if (it == o.end()) return fail(adapter_errc::malformed, missing_field(where, field));
  if (!it->value().is_string() || it->value().get_string().empty())
    return fail(adapter_errc::malformed, type_error(where, field, "a non-empty string"));
  return true;
}

Result<bool> optional_string(const json::object& o, std::string_view field, std::string_view where) {
  auto it = o.find(field);
  if (it == o.end() || it->value().is_null() || it->value().is_string()) return true;
  return fail(adapter_errc::malformed, type_error(where, field, "a string"));
}

}  // namespace corridor
