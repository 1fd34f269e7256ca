#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/flow.hpp"

namespace corridor {

// The create command's security question and its answer as the router sealed it; the answer is
// opened by the executor only, just before the request that carries it.
struct InteracSecurityQuestion {
  std::string question;
  std::string answer_sealed;
};
BOOST_DESCRIBE_STRUCT(InteracSecurityQuestion, (), (question, answer_sealed))

// interac.withdrawal's facts (Transaction::data).
struct InteracWithdrawalData {
  std::optional<InteracSecurityQuestion> security;  // absent when the command gave neither
  std::string handle_call_id;  // POST /paymenthandles (verification handle, then credit handle)
  std::optional<std::int64_t> max_amount;  // the verification's maxAmount, when Paysafe reported one
  // The customer is registered for autodeposit (the verification's or the credit handle's
  // transferType); absent while Paysafe has not said.
  std::optional<bool> autodeposit;
  // The handle's TTL: counted from the first answer that showed the credit handle; absent until then.
  std::optional<std::int64_t> handle_deadline_ms;
  std::string credit_call_id;  // POST /standalonecredits; re-sent under the same id
  // T+1 (autodeposit) or the 30-day claim, and a day more, after the credit was seen PROCESSING;
  // absent: no deadline yet.
  std::optional<std::int64_t> credit_deadline_ms;
  // GETs of a verification whose answer was lost; absent until the first (none made).
  std::optional<std::int64_t> verification_lookups;
};
BOOST_DESCRIBE_STRUCT(InteracWithdrawalData, (),
                      (security, handle_call_id, max_amount, autodeposit, handle_deadline_ms, credit_call_id,
                       credit_deadline_ms, verification_lookups))

// interac.withdrawal — seed 004_65eeba9a99dbfec8.txt (Paysafe Interac e-Transfer withdrawals:
// optional verification, standalone credits, autodeposit or security question).
const Flow& interac_withdrawal_flow();

}  // namespace corridor
