// Cynod's sandbox as corridor's runtime and demo start it.
#include "sandbox/cynod/cynod_sandbox.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/support/registration.hpp"

namespace corridor {

namespace {

CynodSandboxOptions options(const SandboxContext& c) {
  CynodSandboxOptions o;
  o.api_key = setting(c.settings, "api_key", o.api_key);
  o.webhook_secret = setting(c.settings, "webhook_secret", o.webhook_secret);
  o.signature_header = setting(c.settings, "signature_header", o.signature_header);
  o.authorizations_path = setting(c.settings, "authorizations_path", o.authorizations_path);
  o.webhook_url = c.corridor_url + "/webhooks/cynod";
  return o;
}

json::object card_debit(std::string_view card) {
  return {{"provider", "cynod"},
          {"flow", "card_debit"},
          {"amount", {{"value", 1500000}, {"currency", "CDF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}},
          {"customer", {{"name", "Jean Mukendi"}, {"msisdn", "+243810000001"}, {"country", "CD"}}},
          {"description", "corridor demo"}};
}

// docs/providers/cynod.md: the simulated customer is chosen by the card number.
std::vector<DemoScenario> demo_scenarios() {
  namespace c = cynod_cards;
  return {
      {"approved", card_debit(c::kApprove), "succeeded"},
      {"no-balance", card_debit(c::kNoBalance), "declined"},
      {"customer-refuses", card_debit(c::kCustomerRefuses), "declined"},
      {"never-confirms", card_debit(c::kNeverConfirms), "expired"},
  };
}

}  // namespace

SandboxRegistration cynod_sandbox_registration() {
  return {"cynod",
          [](const SandboxContext& c) { return start_sandbox<CynodSandbox>(c, options(c)); },
          demo_scenarios,
          {{"confirmation_ttl_ms", "5000"}, {"retry_after_ms", "300"}}};
}

}  // namespace corridor
