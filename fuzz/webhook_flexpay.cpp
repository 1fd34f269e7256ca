// FlexPay's unsigned callback (POST /webhooks/flexpay) and the customer's return through
// /callbacks/flexpay/{approve,cancel,decline}?reference=...
#include "fuzz/support.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

bool webhook_flexpay(std::string_view input) {
  static const auto adapter = make_adapter("flexpay", {{"base_url", "http://cardpayment.example.cd"},
                                                       {"merchant", "ZANDO"},
                                                       {"token", "tok123"},
                                                       {"public_url", "https://corridor.example.com"}});
  return run_webhook(*adapter, input, [](const HttpRequest&, std::string_view) { return std::string(); });
}

}  // namespace corridor::fuzz
