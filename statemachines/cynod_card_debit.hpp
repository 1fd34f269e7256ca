#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/flow.hpp"

namespace corridor {

// What cynod.card_debit keeps on a transaction (Transaction::data), under these JSON names.
struct CynodCardDebitData {
  std::string authorization_call_id;  // steps 3-4: the request's call id, its idempotency key on re-sends
  // Steps 3-4 plus confirmation_ttl_ms: when the wallet confirmation (step 7) is late. Set by the
  // create row; 0 (not set) counts as already passed.
  std::int64_t confirmation_deadline_ms = 0;
  std::string card_masked;  // steps 6.2 and 8.2: the card as Cynod wrote it, only ever a masked number
  std::string cynod_status;  // step 8.2: Cynod's status, transmitted back in the acknowledgement (step 10)
  std::optional<std::int64_t> debited_amount;  // step 8.2: the amount debited in minor units, when readable
  std::string acknowledge_call_id;  // step 10: the acknowledgement's call id, its idempotency key on re-sends
  std::string cancel_call_id;       // the cancellation's call id; set once corridor asked Cynod to withdraw
  std::string cancel_cause;         // "amount": withdrawn because step 6.2 named another amount
};
BOOST_DESCRIBE_STRUCT(CynodCardDebitData, (),
                      (authorization_call_id, confirmation_deadline_ms, card_masked, cynod_status, debited_amount,
                       acknowledge_call_id, cancel_call_id, cancel_cause))

// The Cynod ids a card debit keeps (Transaction::provider_refs).
namespace cynod_refs {
inline constexpr RefKey kCynodReference{"cynod_reference"};
inline constexpr RefKey kAuthorizationNumber{"authorization_number"};
}  // namespace cynod_refs

// cynod.card_debit — seed 000_375b0fce72fe380b.txt (Cynod card debit confirmed in the wallet).
const Flow& cynod_card_debit_flow();

}  // namespace corridor
