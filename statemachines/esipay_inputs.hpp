#pragma once
// What esipay.card reads from its inputs, as described structs (fields.hpp). The esipay adapter fills
// the ones it makes and hands them on as an input's data (fields::to_object); the flow reads each back
// with StepContext::input_as. The keys are the members' names, as they were when the adapter wrote
// them key by key: inputs recorded before read the same.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "statemachines/fields.hpp"

namespace corridor {

// What an esipay refusal means, per the seed's statuses (002_37ebfe69c218fca4.txt, "Le statut HTTP
// de retour peut être"): the adapter names it, the flow chooses its reason from it.
namespace esipay_refusal {
inline constexpr std::string_view kIncorrectParameter = "incorrect_parameter";  // 400; on a partial refund
                                                                                // also an amount over the remaining
inline constexpr std::string_view kAddressNotAllowed = "address_not_allowed";   // 403: the calling server's address
inline constexpr std::string_view kServiceError = "service_error";              // 500
inline constexpr std::string_view kUnlistedStatus = "unlisted_status";          // another 4xx, which the seed does not list
}  // namespace esipay_refusal

// esipay's answer to /cardpay/uuid/cid/... or to a refund URL: charge.succeeded, charge.failed,
// refund.succeeded, refund.failed (adapter).
struct EsipayAnswer {
  std::int64_t http_status = 0;
  std::string error;    // on a refusal: "HTTP 400: <esipay's text>", digits masked
  std::string refusal;  // on a refusal: an esipay_refusal word; absent in answers recorded before it
};
BOOST_DESCRIBE_STRUCT(EsipayAnswer, (), (http_status, error, refusal))

// The return URL's POST, "type, amount, transaction, cid": esipay.callback (adapter).
struct EsipayCallback {
  std::string type;  // "card"
  // "amount : montant réel de la transaction" as esipay wrote it: a decimal string the adapter checked
  // against the widest exponent. Kept as the value it is, so the flow reads exactly what esipay said
  // in the payment's currency, and a value it cannot read counts as another amount.
  std::optional<json::value> amount;
  std::string transaction;  // esipay's id of the transaction, which a refund names
  std::string cid;          // corridor's txn_id, sent in the payment URL
};
BOOST_DESCRIBE_STRUCT(EsipayCallback, (), (type, amount, transaction, cid))

// What esipay's settlement file says of a charge or a refund whose outcome is unknown, made by the
// settlement capability (adapters/esipay/esipay_settlement.cpp, `corridor reconcile --settlement`):
// charge.settled {transaction, amount, currency, line, date}, charge.not_settled {through},
// refund.settled {command_id, amount, currency, line}, refund.not_settled {command_id, through}.
struct EsipaySettlement {
  std::string command_id;             // a refund's command
  std::string transaction;            // esipay's id of the charge
  std::optional<json::value> amount;  // decimal text in `currency`, as the file has it
  std::string currency;               // absent: the payment's
  std::int64_t line = 0;              // the file's line
  std::string date;
  std::string through;  // the last day the file covers
};
BOOST_DESCRIBE_STRUCT(EsipaySettlement, (), (command_id, transaction, amount, currency, line, date, through))

// An operator's word on a charge of unknown outcome, after checking esipay's back office:
// transaction.reconcile {outcome: "captured" | "failed", transaction, reason} (docs/operations.md).
// A reconcile without an outcome (the janitor's, or a command's) carries none of these.
struct EsipayReconcile {
  std::string outcome;
  std::string transaction;
  std::string reason;
};
BOOST_DESCRIBE_STRUCT(EsipayReconcile, (), (outcome, transaction, reason))

// refund.create's amount: {"value": minor units, "currency": ...}, a bare integer of minor units, or
// absent (whatever remains). A value: the command's sender chooses its form, the flow checks it.
struct EsipayRefundCommand {
  std::optional<json::value> amount;
};
BOOST_DESCRIBE_STRUCT(EsipayRefundCommand, (), (amount))

}  // namespace corridor
