#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/flow.hpp"

namespace corridor {

// Send money: what the customer needs to pay from their bank, shown as the next action until the
// payment is final.
struct InteracSendMoneyInstructions {
  std::string type;               // "display_instructions"
  std::string method;             // "interac_send_money"
  std::string payment_reference;  // Paysafe's unique reference the customer quotes
  Money amount;
};
BOOST_DESCRIBE_STRUCT(InteracSendMoneyInstructions, (), (type, method, payment_reference, amount))

// interac.payment's facts (Transaction::data).
struct InteracPaymentData {
  std::string mode;            // "request_money" or "send_money", from the create command
  std::string handle_call_id;  // POST /paymenthandles; re-sent under the same id
  std::optional<InteracSendMoneyInstructions> instructions;  // send money only, once the handle gives the reference
  // The handle's TTL: counted from the first answer that showed the handle; absent until then.
  std::optional<std::int64_t> handle_deadline_ms;
  std::string payment_call_id;  // POST /payments; empty while none was asked
  // Two days and an hour after the payment was seen PROCESSING; absent: no deadline yet.
  std::optional<std::int64_t> processing_deadline_ms;
};
BOOST_DESCRIBE_STRUCT(InteracPaymentData, (),
                      (mode, handle_call_id, instructions, handle_deadline_ms, payment_call_id, processing_deadline_ms))

// interac.payment — seed 004_65eeba9a99dbfec8.txt (Paysafe Interac e-Transfer payments, request-money
// and send-money flows).
const Flow& interac_payment_flow();

}  // namespace corridor
