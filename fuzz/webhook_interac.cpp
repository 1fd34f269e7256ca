// Paysafe's Interac webhooks: Signature: base64(HMAC-SHA256(hmac key, raw body)).
#include "adapters/interac/interac_adapter.hpp"
#include "fuzz/support.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool webhook_interac(std::string_view input) {
  static constexpr std::string_view kKey = "hmac-test-key";
  static const auto adapter =
      make_adapter("interac", {{"base_url", "https://api.test.paysafe.com"}, {"webhook_hmac_key", std::string(kKey)}});
  return run_webhook(*adapter, input, [](const HttpRequest& request, std::string_view) {
    return interac_webhook_signature(kKey, request.body);
  });
}

}  // namespace corridor::fuzz
