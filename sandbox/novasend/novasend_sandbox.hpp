#pragma once
// A NovaSend API over HTTP that behaves as the seed says (003_bf421fd2ae9f23ae.txt): Basic auth,
// mandatory X-Idempotency-Key, payin sessions with tr_ references, GET /v1/payin/{reference}, and
// signed payin.confirmed / payin.declined webhooks. The customer is simulated: what they do is chosen
// by the session's msisdn (docs/providers/novasend.md lists the scenarios).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

struct NovaSendSandboxOptions {
  std::string api_key = "sandbox_api_key";
  std::string api_client = "sandbox_api_client";
  // corridor's ".../webhooks/novasend"; empty: no webhooks are sent (set_webhook_url can set it later).
  std::string webhook_url;
  std::string webhook_secret = "sandbox_webhook_secret";
  std::string signature_header = "X-NovaSend-Signature";
  std::string currency = "XOF";  // the account's currency, reported in payins

  std::chrono::milliseconds customer_delay{50};   // session created -> the customer accepts or declines
  std::chrono::milliseconds settle_delay{0};      // accepted -> transaction.status completed / failed
  std::chrono::milliseconds expire_after{1000};   // session created -> confirmationStatus expired
  std::chrono::milliseconds slow_response{1500};  // the "slow answer" scenario's delay
  std::chrono::milliseconds late_settle_delay{2000};  // "processed, settled late": processed -> transaction
  int webhook_attempts = 5;                       // deliveries tried while corridor does not answer 2xx
  std::chrono::milliseconds webhook_retry_delay{100};  // doubled after each failed attempt
  std::chrono::milliseconds webhook_timeout{2000};
  // Threads for customer actions, expiries and webhook deliveries (a delivery holds its thread until
  // corridor answers): how many webhooks may be in flight at once.
  int task_threads = 2;
};

class NovaSendSandbox {
 public:
  explicit NovaSendSandbox(NovaSendSandboxOptions options = {});
  ~NovaSendSandbox();  // stops
  NovaSendSandbox(const NovaSendSandbox&) = delete;
  NovaSendSandbox& operator=(const NovaSendSandbox&) = delete;

  // Listens on host:port (0: the OS chooses). Throws std::runtime_error when it cannot bind.
  void start(const std::string& host = "127.0.0.1", std::uint16_t port = 0);
  // Stops serving, drops pending customer actions and webhooks, joins its threads. Idempotent.
  void stop();
  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:54321": providers.novasend.base_url
  void set_webhook_url(std::string url);

  // The HTTP handler itself, for tests that do without a socket.
  void handle(HttpRequest request, Respond respond);

  // ---- counters and lookups for tests ----
  // Payin sessions created for a merchant reference (replays under the same idempotency key do not
  // count; a second session under a new key does: "no second charge" checks read this).
  std::size_t sessions_created(std::string_view customer_reference) const;
  std::size_t session_requests() const;  // POST /v1/payin/sessions received, replays and refusals included
  // NovaSend's tr_ reference of the latest session for a merchant reference; empty when none.
  std::string reference_of(std::string_view customer_reference) const;
  std::size_t webhooks_delivered(std::string_view customer_reference) const;  // answered 2xx by corridor
  std::size_t webhook_attempts() const;                                         // every POST tried, all payins

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The sandbox as the command line starts it (with demo scenarios), registered under the provider's
// line of adapters/providers.def.
SandboxRegistration novasend_sandbox_registration();

}  // namespace corridor
