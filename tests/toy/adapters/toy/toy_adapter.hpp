#pragma once
// The toy provider's wire (docs/providers/toy.md): POST <base_url>/transfers with a bearer key, 201
// with the transfer's id. No webhooks.
#include "adapters/adapter.hpp"

namespace corridor {

class ToyAdapter final : public ProviderAdapter {
 public:
  explicit ToyAdapter(const ProviderSettings& settings);

  std::string_view provider() const override { return "toy"; }
  Result<HttpRequest> build_request(const ProviderCall& call) const override;
  Result<ParsedInput> parse_response(const ProviderCall& call, const HttpResponse& response) const override;
  Result<ParsedInput> parse_webhook(const HttpRequest& request) const override;

 private:
  std::string base_url_;
  std::string api_key_;
};

AdapterRegistration toy_registration();

}  // namespace corridor
