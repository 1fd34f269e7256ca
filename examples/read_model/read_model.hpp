#pragma once
// A downstream read model of corridor's transactions, rebuilt from corridor.events alone, as a ledger
// or a notification service would: deduplicate by event_id, apply each transaction's versions in
// order (holding back a version that arrives before the one it follows), ignore anything older.
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace corridor::examples {

struct TransactionView {
  std::string txn_id, merchant, reference, provider, flow, state, status;
  std::int64_t version = 0;
  std::int64_t amount = 0;  // minor units
  std::string currency;
  std::int64_t amount_refunded = 0;
};

class ReadModel {
 public:
  enum class Applied { applied, duplicate, stale, held_back, ignored };

  // Applies one record of corridor.events (its JSON value).
  Applied apply(const boost::json::object& event);

  const std::map<std::string, TransactionView>& transactions() const { return transactions_; }
  std::size_t held_back() const;
  std::size_t rejected_commands() const { return rejected_commands_; }

 private:
  void apply_in_order(const boost::json::object& event);

  std::map<std::string, TransactionView> transactions_;
  std::map<std::string, std::map<std::int64_t, boost::json::object>> pending_;  // txn -> version -> event
  std::map<std::string, bool> seen_event_ids_;
  std::size_t rejected_commands_ = 0;
};

}  // namespace corridor::examples
