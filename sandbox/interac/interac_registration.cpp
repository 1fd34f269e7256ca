// Paysafe Interac e-Transfer's sandbox as corridor's runtime and demo start it.
#include "sandbox/interac/interac_sandbox.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/support/registration.hpp"

namespace corridor {

namespace {

InteracSandboxOptions options(const SandboxContext& c) {
  InteracSandboxOptions o;
  o.api_key = setting(c.settings, "api_key", o.api_key);
  o.webhook_hmac_key = setting(c.settings, "webhook_hmac_key", o.webhook_hmac_key);
  o.signature_header = setting(c.settings, "signature_header", o.signature_header);
  // The flows' handle TTL setting also shortens the sandbox's handles (the demo's 2 s).
  const std::string ttl = setting(c.settings, "handle_ttl_seconds", "");
  if (!ttl.empty() && ttl.find_first_not_of("0123456789") == std::string::npos && ttl.size() < 10)
    o.handle_ttl_seconds = std::max<std::int64_t>(1, std::stoll(ttl));
  // The customer opens the link after the merchant had the handle's answer, not before.
  o.customer_delay = std::chrono::milliseconds(250);
  o.webhook_url = c.corridor_url + "/webhooks/interac";
  return o;
}

json::object payment(std::string_view email, std::string_view mode = "request_money") {
  return {{"provider", "interac"},
          {"flow", "payment"},
          {"mode", mode},
          {"amount", {{"value", 5450}, {"currency", "CAD"}}},
          {"customer", {{"email", email}, {"name", "Madhu Baddam"}, {"country", "CA"}}},
          {"description", "corridor demo"}};
}

json::object withdrawal(std::string_view email, std::int64_t amount, bool verify, bool question) {
  json::object c{{"type", "payout.create"},
                 {"provider", "interac"},
                 {"flow", "withdrawal"},
                 {"amount", {{"value", amount}, {"currency", "CAD"}}},
                 {"customer", {{"email", email}, {"name", "Madhu Baddam"}, {"country", "CA"}}},
                 {"description", "corridor demo withdrawal"}};
  if (verify) c["verify"] = true;
  if (question) c["interac"] = {{"question", "what is your name"}, {"answer", "MadhuBaddam"}};
  return c;
}

// docs/providers/interac.md: the simulated customer's behaviour is chosen by the email's local part.
std::vector<DemoScenario> demo_scenarios() {
  return {
      {"request-money", payment("approve@interac.sandbox"), "succeeded"},
      {"send-money", payment("approve@interac.sandbox", "send_money"), "succeeded"},
      {"withdrawal-autodeposit", withdrawal("autodeposit@interac.sandbox", 50000, true, false), "succeeded"},
      {"withdrawal-security-question", withdrawal("madhu@interac.sandbox", 50000, false, true), "succeeded"},
      {"request-money-cancelled", payment("cancel@interac.sandbox"), "declined"},
      {"request-money-expired", payment("expire@interac.sandbox"), "expired"},
      {"payment-failed", payment("payfail@interac.sandbox"), "failed"},
      {"withdrawal-over-max-amount", withdrawal("autodeposit@interac.sandbox", 400000, true, false), "declined"},
  };
}

}  // namespace

SandboxRegistration interac_sandbox_registration() {
  return {"interac",
          [](const SandboxContext& c) { return start_sandbox<InteracSandbox>(c, options(c)); },
          demo_scenarios,
          {{"handle_ttl_seconds", "2"},
           {"handle_expiry_grace_ms", "3000"},
           {"poll_interval_ms", "300"},
           {"poll_max_interval_ms", "1000"},
           {"retry_after_ms", "500"},
           {"autodeposit_deadline_ms", "5000"},
           {"claim_deadline_ms", "5000"}}};
}

}  // namespace corridor
