#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/flow.hpp"

namespace corridor {

// What flexpay.card keeps on a transaction (Transaction::data), under these JSON names. The flags
// and the failure count are written once set, so a document without them reads as false and 0.
struct FlexPayCardData {
  std::string pay_call_id;  // POST /v1/pay: the request's call id, its idempotency key on re-sends
  // POST /v1/pay plus payment_ttl_ms: when the payment page's delay ends. Not set: never.
  std::optional<std::int64_t> payment_deadline_ms;
  // A callback came (unsigned: only a reason to check), with its code and FlexPay's reference.
  std::optional<bool> callback_seen;
  std::string callback_code;
  std::string callback_provider_reference;
  // The customer clicked "annuler" (a cancel callback or the cancel_url return): says why a check's
  // status 1 failed.
  std::optional<bool> customer_cancelled;
  // Failed checks in a row once the payment delay has passed (max_failed_checks).
  std::optional<std::int64_t> failed_checks_after_deadline;
  // Check transaction's amountCustomer (the amount plus FlexPay's fees) in minor units, when in the
  // transaction's currency: kept, not compared.
  std::optional<std::int64_t> amount_customer;
};
BOOST_DESCRIBE_STRUCT(FlexPayCardData, (),
                      (pay_call_id, payment_deadline_ms, callback_seen, callback_code, callback_provider_reference,
                       customer_cancelled, failed_checks_after_deadline, amount_customer))

// The FlexPay ids a card payment keeps (Transaction::provider_refs): the order number, and the
// provider's reference its check reports.
namespace flexpay_refs {
inline constexpr RefKey kOrderNumber{"orderNumber"};
inline constexpr RefKey kProviderReference{"provider_reference"};
}  // namespace flexpay_refs

// flexpay.card — seed 001_4098339f3fd8c036.txt (FlexPay card payment: POST /v1/pay, callback, check).
const Flow& flexpay_card_flow();

}  // namespace corridor
