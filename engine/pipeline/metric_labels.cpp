#include "engine/pipeline/metric_labels.hpp"

#include <array>
#include <boost/json/parse.hpp>

namespace corridor {

namespace {

constexpr std::array<std::string_view, 5> kCommandTypes{"payment.create", "payment.cancel", "refund.create",
                                                        "payout.create", "transaction.reconcile"};

}  // namespace

std::string_view provider_label(const ProviderRegistry& registry, std::string_view provider) {
  for (const Flow* f : registry.flows())
    if (f->provider == provider) return f->provider;
  return kNoLabel;
}

std::string_view provider_of_target(const ProviderRegistry& registry, std::string_view target) {
  for (std::string_view prefix : {"/webhooks/", "/callbacks/"}) {
    if (!target.starts_with(prefix)) continue;
    std::string_view rest = target.substr(prefix.size());
    return provider_label(registry, rest.substr(0, rest.find_first_of("/?")));
  }
  return kNoLabel;
}

CommandLabels command_labels(const ProviderRegistry& registry, std::string_view type, const json::object& command) {
  CommandLabels labels;
  for (auto t : kCommandTypes)
    if (t == type) labels.type = t;
  const std::string_view provider = get_string(command, "provider");
  if (const Flow* f = registry.resolve_flow(provider, get_string(command, "flow")); f != nullptr) {
    labels.provider = f->provider;
    labels.flow = f->name;
  } else {
    labels.provider = provider_label(registry, provider);
  }
  return labels;
}

CommandLabels raw_command_labels(const Config& config, std::string_view value) {
  if (value.size() > static_cast<std::size_t>(config.limits.command_bytes)) return {};  // refused unread
  boost::system::error_code ec;
  const json::value v = boost::json::parse(value, ec);
  if (ec || !v.is_object()) return {};
  return command_labels(*config.registry, get_string(v.get_object(), "type"), v.get_object());
}

bool is_outcome(Status status) {
  switch (status) {
    case Status::pending:
    case Status::requires_action:
    case Status::processing:
    case Status::unknown: return false;
    default: return true;
  }
}

void count_batch(Metrics& metrics, const BatchStats& stats) {
  for (const auto& r : stats.rejections) metrics.commands_rejected.add({r.type, r.provider, r.flow});
  for (const auto& e : stats.event_samples) {
    if (e.flow == nullptr) continue;
    const std::string_view provider = e.flow->provider, flow = e.flow->name, status = to_string(e.status);
    if (e.version == 1) metrics.transactions_created.add({provider, flow});
    metrics.state_changes.add({provider, flow, status});
    if (!e.attention.empty()) metrics.attention.add({provider, flow, e.attention});
    // A late outcome that is an amount mismatch needs both looks: counted under both codes.
    if (e.status == Status::amount_mismatch && e.attention == attention::kLateOutcome)
      metrics.attention.add({provider, flow, attention::kAmountMismatch});
    // The first outcome only: a late outcome replacing a provisional one, or a refund after a
    // capture, is not a second end of the same payment.
    const StateInfo* before = e.previous_state.empty() ? nullptr : e.flow->state(e.previous_state);
    if (is_outcome(e.status) && (before == nullptr || !is_outcome(before->status))) {
      metrics.transactions_final.add({provider, flow, status});
      metrics.command_to_final.observe_ms({provider, flow, status}, std::max<std::int64_t>(0, e.occurred_at_ms - e.created_at_ms));
    }
  }
}

}  // namespace corridor
