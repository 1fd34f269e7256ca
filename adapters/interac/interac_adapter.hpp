#pragma once
// Paysafe Interac e-Transfer (seed 004_65eeba9a99dbfec8.txt, and Paysafe's public Payments API
// documentation where the seed is silent): payment handles, payments, verifications and standalone
// credits under /paymenthub/v1, Basic auth with the API key, webhooks signed with
// Signature: base64(HMAC-SHA256(hmac key, raw body)). The contract is in docs/providers/interac.md.
#include <string>
#include <string_view>

#include "adapters/adapter.hpp"

namespace corridor {

struct InteracSettings {
  std::string base_url;          // "https://api.paysafe.com" (live) or "https://api.test.paysafe.com"
  std::string api_key;           // "<key user>:<key password>", or the portal's base64 form of it
  std::string webhook_hmac_key;  // the HMAC key Paysafe signs webhooks with
  std::string signature_header = "Signature";
  std::string account_id;  // optional accountId (merchant account) sent with payment handles
  std::string return_url;  // optional: returnLinks of redirect payment handles (default/on_failed/on_cancelled)
};

// Reads providers.interac. Throws std::invalid_argument naming a missing key (start-up only).
InteracSettings interac_settings(const ProviderSettings& settings);

class InteracAdapter final : public ProviderAdapter {
 public:
  explicit InteracAdapter(InteracSettings settings);

  std::string_view provider() const override { return "interac"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override;
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const override;
  Result<ParsedInput> parse_webhook(const HttpRequest& request) const override;
  // Every Paysafe call is deduplicated by merchantRefNum (dupCheck on payments, verifications and
  // standalone credits; handles are looked up again under the same merchantRefNum), GETs are reads.
  bool retry_safe(const ProviderCall& /*call*/) const override { return true; }

 private:
  InteracSettings settings_;
  std::string authorization_;  // "Basic base64(user:password)"
};

AdapterRegistration interac_registration();

// The Signature header Paysafe sends: base64(HMAC-SHA256(key, raw body)). Exposed for tests and the sandbox.
std::string interac_webhook_signature(std::string_view hmac_key, std::string_view body);

// The transaction of a Paysafe merchantRefNum: the flows give the verification handle its own
// reference (txn_id + "-verification"), mapped back here.
std::string interac_txn_of_merchant_ref(std::string_view merchant_ref_num);

}  // namespace corridor
