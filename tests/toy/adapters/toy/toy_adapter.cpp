#include "tests/toy/adapters/toy/toy_adapter.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tests/toy/statemachines/toy_inputs.hpp"

namespace corridor {

ToyAdapter::ToyAdapter(const ProviderSettings& settings)
    : base_url_(settings.at("base_url")), api_key_(settings.at("api_key")) {}

Result<HttpRequest> ToyAdapter::build_request(const ProviderCall& call) const {
  if (call.op != "transfer") return fail(adapter_errc::unknown_operation, "toy: unknown call " + call.op);
  HttpRequest r;
  r.method = "POST";
  r.target = base_url_ + "/transfers";
  r.headers = {{"Authorization", "Bearer " + api_key_}, {"Content-Type", "application/json"}};
  r.body = boost::json::serialize(call.params.object());
  return r;
}

Result<ParsedInput> ToyAdapter::parse_response(const ProviderCall& call, const HttpResponse& response) const {
  if (auto busy = busy_status(response.status)) return fail(*busy, "toy: HTTP " + std::to_string(response.status));
  if (response.status != 201) return fail(adapter_errc::unexpected_answer, "toy: HTTP " + std::to_string(response.status));
  boost::system::error_code ec;
  const json::value body = boost::json::parse(response.body, ec);
  if (ec || !body.is_object()) return fail(adapter_errc::malformed, "toy: the answer is not a JSON object");
  ParsedInput in;
  in.txn_id = std::string(txn_id_of_call(call.call_id));
  in.name = "transfer.done";
  in.data = fields::to_object(ToyTransfer{std::string(get_string(body.get_object(), "id"))});
  return in;
}

Result<ParsedInput> ToyAdapter::parse_webhook(const HttpRequest&) const { return fail(adapter_errc::unknown_route, "toy: no webhooks"); }

AdapterRegistration toy_registration() {
  return AdapterRegistration{
      "toy",
      {
          {"base_url", true, "", "the toy's service root"},
          {"api_key", true, "", "bearer key of POST /transfers"},
          {"transfer_limit", false, "100000", "the largest transfer, in minor units"},
      },
      [](const ProviderSettings& s) -> std::unique_ptr<ProviderAdapter> { return std::make_unique<ToyAdapter>(s); },
      ProviderConstraints{.currencies = {"XOF"}, .whole_units = true},
  };
}

}  // namespace corridor
