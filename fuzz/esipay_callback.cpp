// esipay's return URL, /callbacks/esipay/<callback_token>, called from an allow-listed address with
// the payment's fields as a form or JSON body (docs/providers/esipay.md).
#include "fuzz/support.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool esipay_callback(std::string_view input) {
  static const auto adapter = make_adapter("esipay", {{"base_url", "http://10.0.0.6:6543"},
                                                      {"uuid", "c0ffee00-uuid"},
                                                      {"callback_token", "tok_0123456789abcdef"},
                                                      {"allowed_sources", "10.0.0.6,127.0.0.1"},
                                                      {"public_url", "https://corridor.example"}});
  return run_webhook(*adapter, input, [](const HttpRequest&, std::string_view) { return std::string(); });
}

}  // namespace corridor::fuzz
