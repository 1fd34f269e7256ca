#pragma once
// A FlexPay card API over HTTP that behaves as the seed says (001_4098339f3fd8c036.txt): POST /v1/pay
// with the `authorization` token in the body answers an orderNumber and a payment page URL; the
// simulated customer pays (or not) on that page; the result is POSTed to the request's callback_url
// (unsigned, as FlexPay does); GET /api/rest/v1/check/{orderNumber} with a Bearer header tells the
// truth. What the customer does is chosen by the amount's cents (docs/providers/flexpay.md).
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/http.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

struct FlexPaySandboxOptions {
  std::string token = "sandbox-token";
  std::string merchant = "ZANDO";

  std::chrono::milliseconds customer_delay{100};      // page handed out -> the customer acts
  std::chrono::milliseconds slow_response{800};       // the "slow answer" scenario's delay
  std::chrono::milliseconds late_callback{3000};      // "callback while verifying": pending until then
  int callback_attempts = 5;                          // deliveries tried while corridor does not answer 2xx
  std::chrono::milliseconds callback_retry_delay{100};  // doubled after each failed attempt
  std::chrono::milliseconds callback_timeout{2000};
};

class FlexPaySandbox {
 public:
  explicit FlexPaySandbox(FlexPaySandboxOptions options = {});
  ~FlexPaySandbox();  // stops
  FlexPaySandbox(const FlexPaySandbox&) = delete;
  FlexPaySandbox& operator=(const FlexPaySandbox&) = delete;

  // Listens on host:port (0: the OS chooses). Throws std::runtime_error when it cannot bind.
  void start(const std::string& host = "127.0.0.1", std::uint16_t port = 0);
  void stop();  // idempotent; drops pending customer actions and callbacks
  std::uint16_t port() const;
  std::string base_url() const;

  // The HTTP handler itself, for tests that do without a socket.
  void handle(HttpRequest request, Respond respond);

  // ---- lookups for tests ----
  std::size_t orders_created(std::string_view reference) const;  // one per reference, however often paid
  std::size_t pay_requests() const;                              // POST /v1/pay received, refusals included
  std::string order_of(std::string_view reference) const;        // orderNumber; empty when none
  std::size_t callbacks_delivered(std::string_view reference) const;  // answered 2xx
  std::size_t check_requests(std::string_view order_number) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The sandbox as the command line starts it (with demo scenarios), registered under the provider's
// line of adapters/providers.def.
SandboxRegistration flexpay_sandbox_registration();

}  // namespace corridor
