// NovaSend's webhooks: <signature_header>: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
#include "adapters/novasend/novasend_adapter.hpp"
#include "fuzz/support.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool webhook_novasend(std::string_view input) {
  static constexpr std::string_view kSecret = "whsec_test";
  static const auto adapter =
      make_adapter("novasend", {{"base_url", "http://novasend.test"}, {"webhook_secret", std::string(kSecret)}});
  return run_webhook(*adapter, input, [](const HttpRequest& request, std::string_view header) {
    // The timestamp signed is the header's own t=, up to the next comma.
    std::string_view t;
    if (const std::size_t at = header.find("t="); at != std::string_view::npos) {
      t = header.substr(at + 2);
      t = t.substr(0, t.find(','));
    }
    return novasend_webhook_signature(kSecret, t, request.body);
  });
}

}  // namespace corridor::fuzz
