// FlexPay's sandbox as corridor's runtime and demo start it.
#include <charconv>

#include "sandbox/flexpay/flexpay_sandbox.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/support/registration.hpp"

namespace corridor {

namespace {

FlexPaySandboxOptions options(const SandboxContext& c) {
  FlexPaySandboxOptions o;
  o.token = setting(c.settings, "token", o.token);
  o.merchant = setting(c.settings, "merchant", o.merchant);
  // "Callback while verifying" must come after the payment delay, whatever it is configured to.
  const std::string ttl = setting(c.settings, "payment_ttl_ms", "900000");
  std::int64_t ttl_ms = 900000;
  std::from_chars(ttl.data(), ttl.data() + ttl.size(), ttl_ms);
  o.late_callback = std::chrono::milliseconds(ttl_ms + 2000);
  return o;
}

json::object card_payment(std::int64_t minor) {
  return {{"provider", "flexpay"},
          {"flow", "card"},
          {"amount", {{"value", minor}, {"currency", "USD"}}},
          {"customer", {{"name", "John Doe"}, {"country", "CD"}}},
          {"description", "corridor demo"}};
}

// docs/providers/flexpay.md: the sandbox's customer behaviour is chosen by the amount's cents.
std::vector<DemoScenario> demo_scenarios() {
  return {
      {"approved", card_payment(1000), "succeeded"},
      {"declined", card_payment(1001), "failed"},
      {"cancelled", card_payment(1002), "cancelled"},
      {"expired", card_payment(1003), "expired"},
      {"no-callback", card_payment(1008), "succeeded"},
      {"refused", card_payment(1009), "failed"},
  };
}

}  // namespace

SandboxRegistration flexpay_sandbox_registration() {
  return {"flexpay",
          [](const SandboxContext& c) { return start_sandbox<FlexPaySandbox>(c, options(c)); },
          demo_scenarios,
          {{"payment_ttl_ms", "3000"}, {"poll_interval_ms", "300"}, {"poll_max_interval_ms", "1000"},
           {"retry_after_ms", "500"},
           // Between the callbacks (about 100 ms) and the payment delay: the no-callback payment is
           // found by the awaiting_customer check before the delay runs out.
           {"awaiting_poll_interval_ms", "1500"}, {"awaiting_poll_max_interval_ms", "3000"}}};
}

}  // namespace corridor
