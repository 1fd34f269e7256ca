#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "statemachines/flow.hpp"

namespace corridor {

// A refund command and what became of it. A pending or unknown refund reserves its amount until its
// outcome is known (its answer, or esipay's settlement file for a timeout).
struct EsipayRefund {
  std::string command_id;
  std::int64_t amount = 0;  // minor units
  std::string status;       // pending, succeeded, failed, unknown or refused
  std::string at;           // ISO 8601, when the command came
  std::string reason;       // why it was refused, failed or is unknown
};
BOOST_DESCRIBE_STRUCT(EsipayRefund, (), (command_id, amount, status, at, reason))

// The refund call that is out (one at a time: esipay has no idempotency key).
struct EsipayRefundInFlight {
  std::string command_id;
  std::int64_t amount = 0;  // minor units
  std::string op;           // "refund" (the whole transaction) or "refund_partial"
  std::string call_id;
};
BOOST_DESCRIBE_STRUCT(EsipayRefundInFlight, (), (command_id, amount, op, call_id))

// What esipay.card keeps on a transaction (Transaction::data); amounts in minor units. The running
// refunded total is the framework's Transaction::refunded_amount. Every member is absent until the
// flow sets it, so reading a transaction's struct never adds to its document.
struct EsipayCardData {
  std::string charge_call_id;  // the cardpay call, sent again under its id when it never left corridor
  // The return URL's "amount : montant réel de la transaction", the callback's JSON value unchanged (the
  // adapter passes esipay's decimal string); read against the amount asked when the charge is
  // answered. Absent before the callback.
  std::optional<json::value> callback_amount;
  std::optional<bool> callback_received;  // true once the return URL was called; absent: not yet
  // What was captured; absent before the capture, when the amount asked stands for it.
  std::optional<std::int64_t> captured_amount;
  // What refunds of unknown outcome reserve, and what may still be refunded (captured - refunded -
  // reserved): written with every change of the refunds, for the store's readers (the flow computes
  // both from `refunds`). Absent before the capture.
  std::optional<std::int64_t> reserved_amount;
  std::optional<std::int64_t> remaining_amount;
  std::optional<EsipayRefundInFlight> refund_in_flight;
  std::optional<std::vector<EsipayRefund>> refunds;  // every refund command, in the order they came
};
BOOST_DESCRIBE_STRUCT(EsipayCardData, (),
                      (charge_call_id, callback_amount, callback_received, captured_amount, reserved_amount,
                       remaining_amount, refund_in_flight, refunds))

// The esipay id a card payment keeps (Transaction::provider_refs): its transaction.
namespace esipay_refs {
inline constexpr RefKey kTransaction{"transaction"};
}  // namespace esipay_refs

// esipay.card — seed 002_37ebfe69c218fca4.txt (esipay v2: card pay in the URL path, return-URL
// callback, refund and partial refund).
const Flow& esipay_card_flow();

}  // namespace corridor
