#pragma once
// A Paysafe Payments API (Interac e-Transfer) over HTTP that behaves as the seed and Paysafe's public
// documentation say (004_65eeba9a99dbfec8.txt): payment handles (PAYMENT request/send money,
// VERIFICATION, STANDALONE_CREDIT), /payments, /verifications, /standalonecredits, their GETs (by id
// and ?merchantRefNum=), dupCheck refusals (5031), and webhooks signed with
// Signature: base64(HMAC-SHA256(key, body)). The customer is simulated: what they do is chosen by the
// local part of the consumer's email (docs/providers/interac.md lists the scenarios).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

struct InteracSandboxOptions {
  std::string api_key = "sandbox-user:sandbox-password";  // Basic base64(api_key); a key without ':' is the base64 form
  std::string webhook_url;  // corridor's ".../webhooks/interac"; empty: no webhooks are sent
  std::string webhook_hmac_key = "sandbox-webhook-hmac-key";
  std::string signature_header = "Signature";

  // Handles live min(asked, handle_ttl_seconds) seconds (Paysafe: 899); an unused handle expires
  // expiry_lag after that (so a merchant checking right at the TTL still sees it open).
  std::int64_t handle_ttl_seconds = 899;
  std::chrono::milliseconds expiry_lag{1000};
  std::chrono::milliseconds customer_delay{50};     // handle created -> the customer is on the Interac page (PAYABLE)
  std::chrono::milliseconds settle_delay{100};      // /payments -> the customer's transfer completes
  std::chrono::milliseconds autodeposit_delay{200}; // /standalonecredits -> SA_CREDIT_COMPLETED ("T+1")
  std::chrono::milliseconds claim_delay{600};       // /standalonecredits -> the customer answers the question
  std::chrono::milliseconds slow_response{1500};    // the "slow" scenario's delay
  std::chrono::milliseconds late_payment_delay{10000};  // "latepay": TTL -> Paysafe pays for the merchant
  std::int64_t max_amount_regular = 500000;         // maxAmount of a customer without autodeposit (the seed's)
  std::int64_t max_amount_autodeposit = 390000;     // maxAmount of an autodeposit customer (the seed's)
  int webhook_attempts = 5;
  std::chrono::milliseconds webhook_retry_delay{100};
  std::chrono::milliseconds webhook_timeout{2000};
};

class InteracSandbox {
 public:
  explicit InteracSandbox(InteracSandboxOptions options = {});
  ~InteracSandbox();
  InteracSandbox(const InteracSandbox&) = delete;
  InteracSandbox& operator=(const InteracSandbox&) = delete;

  void start(const std::string& host = "127.0.0.1", std::uint16_t port = 0);
  void stop();  // idempotent
  std::string base_url() const;
  void set_webhook_url(std::string url);

  // The HTTP handler itself, for tests that do without a socket.
  void handle(HttpRequest request, Respond respond);

  // ---- counters for tests ----
  // Payments / standalone credits created under a merchantRefNum (refused duplicates do not count).
  std::size_t payments_created(std::string_view merchant_ref) const;
  std::size_t credits_created(std::string_view merchant_ref) const;
  std::size_t handles_created(std::string_view merchant_ref) const;
  std::size_t webhooks_delivered(std::string_view merchant_ref) const;  // answered 2xx by corridor
  std::size_t webhook_attempts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The sandbox as the command line starts it (with demo scenarios), registered under the provider's
// line of adapters/providers.def.
SandboxRegistration interac_sandbox_registration();

}  // namespace corridor
