// esipay's sandbox as corridor's runtime and demo start it.
#include "sandbox/esipay/esipay_sandbox.hpp"
#include "sandbox/sandbox.hpp"
#include "sandbox/support/registration.hpp"

namespace corridor {

namespace {

EsipaySandboxOptions options(const SandboxContext& c) {
  EsipaySandboxOptions o;
  o.uuid = setting(c.settings, "uuid", o.uuid);
  std::string method = setting(c.settings, "http_method", o.method);
  for (char& ch : method) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  o.method = method;
  // What the company registered with esipay: corridor's return URL with its secret token.
  o.return_url = c.corridor_url + "/callbacks/esipay/" + setting(c.settings, "callback_token", "");
  o.allowed_callers = {c.host};
  return o;
}

json::object card_payment(std::string_view card, std::int64_t amount = 10000) {
  return {{"provider", "esipay"},
          {"flow", "card"},
          {"amount", {{"value", amount}, {"currency", "XOF"}}},
          {"card", {{"number", card}, {"exp_month", 12}, {"exp_year", 2027}}},
          {"customer", {{"name", "Awa Diallo"}, {"country", "SN"}}},
          {"description", "corridor demo"}};
}

// docs/providers/esipay.md: the outcome is chosen by the card number.
std::vector<DemoScenario> demo_scenarios() {
  namespace c = esipay_cards;
  return {
      {"captured", card_payment(c::kApprove), "succeeded"},
      {"partial-then-full-refund", card_payment(c::kApprove), "refunded",
       {{"succeeded", {{"type", "refund.create"}, {"amount", {{"value", 4000}, {"currency", "XOF"}}}}},
        {"partially_refunded", {{"type", "refund.create"}}}}},
      {"declined-400", card_payment(c::kBadRequest), "failed"},
      {"service-error-500", card_payment(c::kServiceError), "failed"},
      {"return-url-refused", card_payment(c::kWrongReturnToken), "failed"},
  };
}

}  // namespace

SandboxRegistration esipay_sandbox_registration() {
  return {"esipay",
          [](const SandboxContext& c) { return start_sandbox<EsipaySandbox>(c, options(c)); },
          demo_scenarios,
          {}};
}

}  // namespace corridor
