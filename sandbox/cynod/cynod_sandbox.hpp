#pragma once
// A Cynod API over HTTP implementing corridor's contract for it (docs/providers/cynod.md; the seed
// 000_375b0fce72fe380b.txt has no wire format): POST /v1/authorizations with the card, the "in
// progress" answer (step 6.2), the simulated customer confirming in the wallet (step 7), signed
// webhooks with the authorisation number (step 8.2), the acknowledgement (step 10) and a cancel.
// What the customer does is chosen by the card number (docs/providers/cynod.md lists them).
// Nothing here logs, and no answer or webhook carries the card number unmasked.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

struct CynodSandboxOptions {
  std::string api_key = "sandbox-cynod-key";
  std::string webhook_url;  // corridor's .../webhooks/cynod; a request's notification_url wins
  std::string webhook_secret = "sandbox-cynod-webhook-secret";
  std::string signature_header = "X-Cynod-Signature";
  std::string authorizations_path = "/v1/authorizations";

  std::chrono::milliseconds customer_delay{50};   // in progress -> the customer answers in the wallet
  std::chrono::milliseconds slow_response{1500};  // the "slow answer" scenario's delay
  int webhook_attempts = 5;                       // deliveries tried while corridor does not answer 2xx
  std::chrono::milliseconds webhook_retry_delay{100};  // doubled after each failed attempt
  std::chrono::milliseconds webhook_timeout{2000};
};

// Test cards (docs/providers/cynod.md). Any other 12-19 digit number is approved.
namespace cynod_cards {
inline constexpr std::string_view kApprove = "6262000000000001";
inline constexpr std::string_view kNoAccount = "6262000000000002";
inline constexpr std::string_view kNoBalance = "6262000000000003";
inline constexpr std::string_view kCustomerRefuses = "6262000000000004";
inline constexpr std::string_view kNeverConfirms = "6262000000000005";
inline constexpr std::string_view kUnavailableOnce = "6262000000000006";
inline constexpr std::string_view kSlowAnswer = "6262000000000007";
inline constexpr std::string_view kDuplicateWebhook = "6262000000000008";
inline constexpr std::string_view kOutOfOrder = "6262000000000009";
inline constexpr std::string_view kNoCallback = "6262000000000010";
inline constexpr std::string_view kRejected = "6262000000000011";
inline constexpr std::string_view kOtherAmount = "6262000000000012";          // 8.2 reports one unit less than asked
inline constexpr std::string_view kAcknowledgementFails = "6262000000000013";  // every acknowledgement answered 500
}  // namespace cynod_cards

class CynodSandbox {
 public:
  explicit CynodSandbox(CynodSandboxOptions options = {});
  ~CynodSandbox();
  CynodSandbox(const CynodSandbox&) = delete;
  CynodSandbox& operator=(const CynodSandbox&) = delete;

  // Listens on host:port (0: the OS chooses). Throws std::runtime_error when it cannot bind.
  void start(const std::string& host = "127.0.0.1", std::uint16_t port = 0);
  void stop();  // idempotent; drops pending customer actions and webhooks
  std::string base_url() const;
  void set_webhook_url(std::string url);

  // The HTTP handler itself, for tests without a socket.
  void handle(HttpRequest request, Respond respond);

  // ---- counters for tests, by partner reference ----
  std::size_t authorization_requests() const;                      // POSTs received, refusals included
  std::size_t authorizations_created(std::string_view ref) const;  // wallet confirmations sent (1 = no double charge)
  std::string status_of(std::string_view ref) const;               // in_progress, approved, declined, cancelled; "" none
  std::size_t acknowledgements(std::string_view ref) const;
  std::size_t cancels(std::string_view ref) const;
  std::size_t webhooks_delivered(std::string_view ref) const;  // answered 2xx by corridor

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

SandboxRegistration cynod_sandbox_registration();

}  // namespace corridor
