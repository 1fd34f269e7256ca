// Cynod's webhooks: <signature_header>: sha256=<hex HMAC-SHA256(secret, raw body)>.
#include "adapters/cynod/cynod_adapter.hpp"
#include "fuzz/support.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool webhook_cynod(std::string_view input) {
  static constexpr std::string_view kSecret = "whsec_cynod";
  static const auto adapter =
      make_adapter("cynod", {{"base_url", "http://cynod.test"}, {"webhook_secret", std::string(kSecret)}});
  return run_webhook(*adapter, input, [](const HttpRequest& request, std::string_view) {
    return cynod_webhook_signature(kSecret, request.body);
  });
}

}  // namespace corridor::fuzz
