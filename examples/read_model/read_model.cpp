#include "examples/read_model/read_model.hpp"

namespace corridor::examples {

namespace {
std::string str(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}
std::int64_t num(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_int64() ? it->value().get_int64() : 0;
}
}  // namespace

ReadModel::Applied ReadModel::apply(const boost::json::object& event) {
  const std::string id = str(event, "event_id");
  if (id.empty()) return Applied::ignored;
  // At-least-once delivery: the same event_id always carries the same body, so once is enough.
  if (!seen_event_ids_.emplace(id, true).second) return Applied::duplicate;
  if (str(event, "type") == "command.rejected") {
    ++rejected_commands_;
    return Applied::applied;
  }
  if (str(event, "type") != "transaction.state_changed") return Applied::ignored;

  const std::string txn = str(event, "txn_id");
  const std::int64_t version = num(event, "version");
  const std::int64_t current = transactions_.contains(txn) ? transactions_[txn].version : 0;
  if (version <= current) return Applied::stale;
  if (version > current + 1) {
    pending_[txn][version] = event;  // an earlier version is still on its way
    return Applied::held_back;
  }
  apply_in_order(event);
  // The held-back versions that now follow.
  auto& waiting = pending_[txn];
  while (!waiting.empty() && waiting.begin()->first == transactions_[txn].version + 1) {
    apply_in_order(waiting.begin()->second);
    waiting.erase(waiting.begin());
  }
  if (waiting.empty()) pending_.erase(txn);
  return Applied::applied;
}

void ReadModel::apply_in_order(const boost::json::object& e) {
  TransactionView& t = transactions_[str(e, "txn_id")];
  t.txn_id = str(e, "txn_id");
  t.merchant = str(e, "merchant");
  t.reference = str(e, "reference");
  t.provider = str(e, "provider");
  t.flow = str(e, "flow");
  t.state = str(e, "state");
  t.status = str(e, "status");
  t.version = num(e, "version");
  if (auto it = e.find("amount"); it != e.end() && it->value().is_object()) {
    t.amount = num(it->value().get_object(), "value");
    t.currency = str(it->value().get_object(), "currency");
  }
  if (auto it = e.find("amount_refunded"); it != e.end() && it->value().is_object())
    t.amount_refunded = num(it->value().get_object(), "value");
}

std::size_t ReadModel::held_back() const {
  std::size_t n = 0;
  for (const auto& [_, versions] : pending_) n += versions.size();
  return n;
}

}  // namespace corridor::examples
