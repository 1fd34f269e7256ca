#pragma once
// FlexPay (seed 001_4098339f3fd8c036.txt): card payment through a hosted page. POST /v1/pay with the
// `authorization` token in the body, an unsigned callback, and GET /api/rest/v1/check/{orderNumber}
// with a Bearer header. The wire contract is written down in docs/providers/flexpay.md.
#include <cstdint>
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"

namespace corridor {

struct FlexPaySettings {
  std::string base_url;        // Payment Service root ("https://cardpayment.flexpay.cd")
  std::string check_base_url;  // Check transaction root ("http://ip:port"); empty: base_url
  std::string merchant;        // FlexPay merchant code ("ZANDO")
  std::string token;           // the authorization token: body field on /v1/pay, Bearer on the check
  std::string public_url;      // corridor's public URL (filled by the engine from http.public_url)
  std::string callback_url;    // empty: <public_url>/webhooks/flexpay
  std::string approve_url;     // empty: <public_url>/callbacks/flexpay/approve?reference=<txn_id>
  std::string cancel_url;      // empty: <public_url>/callbacks/flexpay/cancel?reference=<txn_id>
  std::string decline_url;     // empty: <public_url>/callbacks/flexpay/decline?reference=<txn_id>
};

// Reads providers.flexpay. Throws std::invalid_argument naming a missing key: this runs at start-up.
FlexPaySettings flexpay_settings(const ProviderSettings& settings);

class FlexPayAdapter final : public ProviderAdapter {
 public:
  explicit FlexPayAdapter(FlexPaySettings settings);

  std::string_view provider() const override { return "flexpay"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override;
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const override;
  // Callbacks are not signed (the seed defines none): they become `flexpay.callback`, which the flow
  // only ever answers with a check. Nothing here makes a transaction final.
  Result<ParsedInput> parse_webhook(const HttpRequest& request) const override;

 private:
  std::string redirect_url(std::string_view configured, std::string_view kind, std::string_view txn_id) const;
  FlexPaySettings settings_;
};

AdapterRegistration flexpay_registration();

// FlexPay's way of writing an amount ("50.0", "50.5", "50.55"): the decimal value with trailing zeros
// dropped but at least one decimal when the currency has some. Exact; exposed for the sandbox and tests.
std::string flexpay_amount_text(std::int64_t minor, int exponent);

// "06-02-2021 17:32:46" (day-month-year, FlexPay's local time) -> "2021-02-06T17:32:46"; empty when
// the text is not in that form.
std::string flexpay_date_to_iso(std::string_view text);

}  // namespace corridor
