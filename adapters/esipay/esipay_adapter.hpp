#pragma once
// esipay v2 (seed 002_37ebfe69c218fca4.txt): card payment with the card in the URL path, a return-URL
// callback that must answer 200, full and partial refunds. No idempotency key and no status
// endpoint: no call is retry-safe. The wire contract is in docs/providers/esipay.md.
#include <string>
#include <string_view>
#include <vector>

#include "adapters/adapter.hpp"

namespace corridor {

struct EsipaySettings {
  std::string base_url;        // "http://10.0.0.6:6543" per the seed
  std::string uuid;            // the company's unique id, given by esipay at registration
  std::string callback_token;  // secret path segment of the return URL: /callbacks/esipay/<token>
  std::vector<std::string> allowed_sources;  // IP addresses esipay calls the return URL from
  std::string http_method = "POST";          // the seed is silent; docs/providers/esipay.md
  std::string public_url;                    // corridor's public URL (to build the return URL to register)
};

// Reads providers.esipay (defaults applied). Throws std::invalid_argument naming a missing key.
EsipaySettings esipay_settings(const ProviderSettings& settings);

class EsipayAdapter final : public ProviderAdapter {
 public:
  explicit EsipayAdapter(EsipaySettings settings);

  std::string_view provider() const override { return "esipay"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override;
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const override;
  Result<ParsedInput> parse_webhook(const HttpRequest& request) const override;
  // No idempotency key, no status endpoint: a second cardpay is a second charge.
  bool retry_safe(const ProviderCall& /*call*/) const override { return false; }

  // The return URL to register with esipay: <public_url>/callbacks/esipay/<callback_token>.
  std::string return_url() const;

 private:
  EsipaySettings settings_;
};

AdapterRegistration esipay_registration();

}  // namespace corridor
