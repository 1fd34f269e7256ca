// NovaSend's sandbox as corridor's runtime and demo start it.
#include <charconv>

#include "sandbox/novasend/novasend_sandbox.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/support/registration.hpp"

namespace corridor {

namespace {

NovaSendSandboxOptions options(const SandboxContext& c) {
  NovaSendSandboxOptions o;
  o.api_key = setting(c.settings, "api_key", o.api_key);
  o.api_client = setting(c.settings, "api_client", o.api_client);
  o.webhook_secret = setting(c.settings, "webhook_secret", o.webhook_secret);
  o.signature_header = setting(c.settings, "signature_header", o.signature_header);
  o.webhook_url = c.corridor_url + "/webhooks/novasend";
  // "Processed, settled late" settles after corridor's confirmation TTL, whatever it is configured to.
  const std::string ttl = setting(c.settings, "confirmation_ttl_ms", "900000");
  std::int64_t ttl_ms = 900000;
  std::from_chars(ttl.data(), ttl.data() + ttl.size(), ttl_ms);
  o.late_settle_delay = std::chrono::milliseconds(ttl_ms + 1000);
  return o;
}

json::object payin(std::string_view msisdn) {
  return {{"provider", "novasend"},
          {"flow", "payin"},
          {"amount", {{"value", 300}, {"currency", "XOF"}}},
          {"customer", {{"msisdn", msisdn}, {"name", "John Doe"}, {"country", "CI"}}},
          {"description", "corridor demo"}};
}

// docs/providers/novasend.md: the sandbox's customer behaviour is chosen by msisdn.
std::vector<DemoScenario> demo_scenarios() {
  return {
      {"accepted-completed", payin("+2250700000001"), "succeeded"},
      {"accepted-failed", payin("+2250700000002"), "failed"},
      {"declined", payin("+2250700000003"), "declined"},
      {"expired", payin("+2250700000004"), "expired"},
      {"no-confirmation", payin("+2250700000005"), "succeeded"},
  };
}

}  // namespace

SandboxRegistration novasend_sandbox_registration() {
  return {"novasend",
          [](const SandboxContext& c) { return start_sandbox<NovaSendSandbox>(c, options(c)); },
          demo_scenarios,
          {{"poll_interval_ms", "300"}, {"poll_max_interval_ms", "1000"}, {"confirmation_ttl_ms", "3000"},
           {"retry_after_ms", "500"}}};
}

}  // namespace corridor
