#include "fuzz/targets.hpp"

namespace corridor::fuzz {

const std::vector<Target>& targets() {
  static const std::vector<Target> all{
      {"command_routing", command_routing}, {"webhook_novasend", webhook_novasend},
      {"webhook_flexpay", webhook_flexpay}, {"webhook_cynod", webhook_cynod},
      {"webhook_interac", webhook_interac}, {"esipay_callback", esipay_callback},
      {"config_loader", config_loader},     {"http_request", http_request},
      {"read_queries", read_queries},
  };
  return all;
}

const Target* find_target(std::string_view name) {
  for (const auto& t : targets())
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace corridor::fuzz
