#pragma once
// What interac.payment and interac.withdrawal share: the Paysafe resources they read (payment handles,
// payments, verifications, standalone credits, statemachines/interac_inputs.hpp), the amounts those
// report, the handle's TTL, and the consumer fields of a call.
//
// Every Paysafe input carries the resource itself as data: a response's body, or a webhook's
// `payload` (the adapter unwraps Paysafe's envelope and names the input after its eventType).
#include <cstdint>
#include <optional>
#include <string_view>

#include "statemachines/flow.hpp"
#include "statemachines/interac_inputs.hpp"

namespace corridor::interac {

// The input's resource, read as the adapter wrote it.
inline const InteracPaymentHandle& handle(const StepContext& c) { return c.input_as<InteracPaymentHandle>(); }
inline const InteracPayment& payment(const StepContext& c) { return c.input_as<InteracPayment>(); }
inline const InteracVerification& verification(const StepContext& c) { return c.input_as<InteracVerification>(); }
inline const InteracStandaloneCredit& credit(const StepContext& c) { return c.input_as<InteracStandaloneCredit>(); }
// Paysafe's refusal (a *.rejected input).
inline const InteracRejection& rejection(const StepContext& c) { return c.input_as<InteracRejection>(); }

// The Paysafe ids interac's flows keep (Transaction::provider_refs).
namespace refs {
inline constexpr RefKey kPaymentHandleId{"payment_handle_id"};
inline constexpr RefKey kPaymentHandleToken{"payment_handle_token"};
inline constexpr RefKey kPaymentId{"payment_id"};
inline constexpr RefKey kVerificationHandleId{"verification_handle_id"};
inline constexpr RefKey kVerificationId{"verification_id"};
inline constexpr RefKey kStandaloneCreditId{"standalone_credit_id"};
}  // namespace refs

// Keeps a payment handle's id and paymentHandleToken in provider_refs.
void record_handle(StepContext& c, const InteracPaymentHandle& h);

// ---- the handle's TTL ("PaymentHandleToken expire dans 899 secondes") -----------------------------
// The handle's timeToLiveSeconds (or the setting handle_ttl_seconds, 899 by default) from now.
std::int64_t handle_deadline(const StepContext& c, const InteracPaymentHandle& h);
// Arms timer.handle_expired at the handle's deadline, kept in `handle_deadline_ms` (the flow's
// member of that name). The deadline is counted from the first answer that showed the handle: a later
// one does not move it.
void arm_handle_ttl(StepContext& c, const InteracPaymentHandle& h, std::optional<std::int64_t>& handle_deadline_ms);
// The handle's deadline is known and has passed.
bool handle_ttl_passed(const StepContext& c, const std::optional<std::int64_t>& handle_deadline_ms);

// ---- amounts Paysafe reports ---------------------------------------------------------------------
// Paysafe writes `amount` as an integer of minor units (the adapter reads "544" and 544 alike into an
// integer) beside `currencyCode`. A resource without `amount` reports none (the adapter's own answer
// to a 5031 duplicate is such a resource); one whose amount is not an integer reports an amount that
// cannot be read, which counts as different from the one asked.
//
// The amount reported, in the resource's currencyCode (the transaction's when absent); nullopt when
// unreadable.
std::optional<Money> reported_amount(const Transaction& t, const std::optional<json::value>& amount,
                                     std::string_view currency_code);
// The resource reports an amount and it is not the one asked (another currency is another amount).
bool amount_differs(const Transaction& t, const std::optional<json::value>& amount, std::string_view currency_code);
template <class Resource>
bool amount_differs(const StepContext& c, const Resource& r) {
  return amount_differs(c.txn, r.amount, r.currencyCode);
}
// Keeps the reported amount and says both in the reason (flow_support's record_amount_mismatch); `what`
// names the resource ("Paysafe's payment").
void record_mismatch(StepContext& c, const std::optional<json::value>& amount, std::string_view currency_code,
                     std::string_view what);
template <class Resource>
void record_mismatch(StepContext& c, const Resource& r, std::string_view what) {
  record_mismatch(c, r.amount, r.currencyCode, what);
}

// The input is a call.failed whose look-up found nothing at Paysafe (the executor's `not_found`).
bool not_found(const StepContext& c);

// ---- the parameters of the calls (adapters/interac/ reads them) ------------------------------------
// A value the executor opens just before the request ({"sealed": ...}: an e-Transfer security answer).
struct Sealed {
  std::string sealed;
};
BOOST_DESCRIBE_STRUCT(Sealed, (), (sealed))

// The e-Transfer's customer: consumerId and its type, and for a standalone credit without
// autodeposit the security question and its sealed answer.
struct Consumer {
  static constexpr bool kWritesEmptyText = true;
  std::string consumerId;
  std::string type;
  std::optional<std::string> question{};
  std::optional<Sealed> answer{};
};
BOOST_DESCRIBE_STRUCT(Consumer, (), (consumerId, type, question, answer))

// consumerId and its type: the customer's email, else their phone number.
Consumer consumer(const Transaction& t);

// POST /paymenthandles: a payment's (mode, and the TTL of send money) or a withdrawal's
// verification or credit handle (no mode).
struct HandleParams {
  static constexpr bool kWritesEmptyText = true;
  std::string merchantRefNum;
  std::string transactionType;  // PAYMENT, VERIFICATION, STANDALONE_CREDIT
  std::string paymentType = "INTERAC_ETRANSFER";
  Money amount;
  std::optional<std::string> mode{};  // SEND_MONEY or REQUEST_MONEY
  std::optional<std::int64_t> timeToLiveSeconds{};
  Consumer interacEtransfer{};
  std::optional<SharedJson> customer{};
};
BOOST_DESCRIBE_STRUCT(HandleParams, (),
                      (merchantRefNum, transactionType, paymentType, amount, mode, timeToLiveSeconds, interacEtransfer,
                       customer))

// GET /paymenthandles: a handle by its id, or by merchantRefNum while its id is not known ("").
struct HandleLookup {
  static constexpr bool kWritesEmptyText = true;
  std::string payment_handle_id;
  std::string merchantRefNum;
};
BOOST_DESCRIBE_STRUCT(HandleLookup, (), (payment_handle_id, merchantRefNum))

}  // namespace corridor::interac
