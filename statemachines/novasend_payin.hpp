#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/flow.hpp"

namespace corridor {

// What novasend.payin keeps on a transaction (Transaction::data), in minor units where an amount.
struct NovaSendPayinData {
  // The session request's call id, its X-Idempotency-Key: a re-send and reconciliation reuse it.
  std::string session_call_id;
  // NovaSend's fee and chargedAmount (amount + fee), the customer's on top of the amount asked; kept,
  // never compared. Absent until NovaSend reports them.
  std::optional<std::int64_t> fee;
  std::optional<std::int64_t> charged_amount;
  // When the customer's confirmation is due (session time + confirmation_ttl_ms). Absent when no
  // confirmation was asked: the payin then never expires on corridor's clock.
  std::optional<std::int64_t> confirmation_deadline_ms;
};
BOOST_DESCRIBE_STRUCT(NovaSendPayinData, (), (session_call_id, fee, charged_amount, confirmation_deadline_ms))

// The NovaSend ids a payin keeps (Transaction::provider_refs): the payment's reference and the
// customer's, and the Core System's transaction once the customer acted.
namespace novasend_refs {
inline constexpr RefKey kReference{"reference"};
inline constexpr RefKey kCustomerReference{"customerReference"};
inline constexpr RefKey kTransaction{"transaction"};
}  // namespace novasend_refs

// novasend.payin — seed 003_bf421fd2ae9f23ae.txt (NovaSend mobile-money payin sessions).
const Flow& novasend_payin_flow();

}  // namespace corridor
