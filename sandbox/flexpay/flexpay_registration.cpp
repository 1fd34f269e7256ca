// FlexPay's sandbox as corridor's runtime and demo start it.
#include <charconv>

#include "sandbox/flexpay/flexpay_sandbox.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

namespace {

std::string setting(const ProviderSettings& s, std::string_view key, std::string fallback) {
  auto it = s.find(key);
  return it == s.end() || it->second.empty() ? fallback : it->second;
}

class FlexPayServer final : public SandboxServer {
 public:
  explicit FlexPayServer(const SandboxContext& c) : sandbox_(options(c)) { sandbox_.start(c.host, 0); }
  std::string base_url() const override { return sandbox_.base_url(); }

 private:
  static FlexPaySandboxOptions options(const SandboxContext& c) {
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
  FlexPaySandbox sandbox_;
};

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
          [](const SandboxContext& c) -> std::unique_ptr<SandboxServer> { return std::make_unique<FlexPayServer>(c); },
          demo_scenarios,
          {{"payment_ttl_ms", "3000"}, {"poll_interval_ms", "300"}, {"poll_max_interval_ms", "1000"},
           {"retry_after_ms", "500"},
           // Between the callbacks (about 100 ms) and the payment delay: the no-callback payment is
           // found by the awaiting_customer check before the delay runs out.
           {"awaiting_poll_interval_ms", "1500"}, {"awaiting_poll_max_interval_ms", "3000"}}};
}

}  // namespace corridor
