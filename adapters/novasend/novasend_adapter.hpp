#pragma once
// NovaSend (seed 003_bf421fd2ae9f23ae.txt): mobile-money payin sessions. The wire contract is written
// down in docs/providers/novasend.md.
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"

namespace corridor {

struct NovaSendSettings {
  std::string base_url;  // "https://api.novasend.app", no trailing slash needed
  std::string api_key;
  std::string api_client;
  std::string account_id;
  std::string webhook_secret;
  std::string signature_header = "X-NovaSend-Signature";
};

// Reads providers.novasend (defaults applied). Throws std::invalid_argument naming a missing key:
// this runs at start-up.
NovaSendSettings novasend_settings(const ProviderSettings& settings);

class NovaSendAdapter final : public ProviderAdapter {
 public:
  explicit NovaSendAdapter(NovaSendSettings settings);

  std::string_view provider() const override { return "novasend"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override;
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const override;
  Result<ParsedInput> parse_webhook(const HttpRequest& request) const override;

 private:
  NovaSendSettings settings_;
  std::string authorization_;  // "Basic base64(api_key:api_client)"
};

AdapterRegistration novasend_registration();

// The webhook signature corridor expects (docs/providers/novasend.md): lowercase hex of
// HMAC-SHA256(secret, "<t>.<raw body>"). Exposed for tests.
std::string novasend_webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace corridor
