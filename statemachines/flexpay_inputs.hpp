#pragma once
// What FlexPay said, as the adapter (adapters/flexpay/) hands it to flexpay.card: one struct per
// kind of answer or notification, under the names FlexPay gives its fields (seed
// 001_4098339f3fd8c036.txt), which the inputs have always carried (recorded inputs read the same).
// FlexPay's codes are text ("0"); the adapter turns a number into its text before anything is
// recorded.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/fields.hpp"

namespace corridor {

// Payment Service's answer to POST /v1/pay. Inputs pay.accepted (code "0": the payment page) and
// pay.rejected (another code, or a 4xx other than 408 and 429, which adds http_status and takes the
// body's message, or "HTTP <status>").
struct FlexPayPayAnswer {
  std::optional<std::int64_t> http_status;  // a refusal over HTTP, for a person; the flow reads the name
  std::string code;
  std::string message;
  std::string orderNumber;  // FlexPay's id of the order: the one corridor checks
  std::string url;          // the payment page the customer is sent to
};
BOOST_DESCRIBE_STRUCT(FlexPayPayAnswer, (), (http_status, code, message, orderNumber, url))

// The transaction of a Check transaction answer.
struct FlexPayCheckedTransaction {
  std::string orderNumber;
  std::string reference;  // corridor's txn_id, sent in the pay request
  // "Le montant de la transaction envoyé" and "le montant total que le client va payer" (fees
  // included), as FlexPay wrote them ("50.0"): the flow reads them exactly, and takes one it cannot
  // read for another amount than the one asked.
  std::optional<json::value> amount;
  std::optional<json::value> amountCustomer;
  std::string currency;
  std::string createdAt;     // "06-02-2021 17:32:46", FlexPay's local time
  std::string status;        // "0" processed successfully, "1" did not go through, else still pending
  std::string createdAtIso;  // createdAt as "2021-02-06T17:32:46", added by the adapter
};
BOOST_DESCRIBE_STRUCT(FlexPayCheckedTransaction, (),
                      (orderNumber, reference, amount, amountCustomer, currency, createdAt, status, createdAtIso))

// Input check.result: the answer to GET /api/rest/v1/check/{orderNumber}. Code "0" with the
// transaction found; code "1" with none (null in FlexPay's answer, absent here), which the adapter
// marks not_found for reconciliation (statemachines/reconcile.hpp).
struct FlexPayCheck {
  std::string code;
  std::string message;
  std::optional<FlexPayCheckedTransaction> transaction;
  std::optional<bool> not_found;
};
BOOST_DESCRIBE_STRUCT(FlexPayCheck, (), (code, message, transaction, not_found))

// Input flexpay.callback, from two sources, both unsigned hints the flow answers with a check:
// - "callback": FlexPay's POST to callback_url, {code, reference, provider_reference, orderNumber};
// - "return": the customer's browser back through approve_url, cancel_url or decline_url, which
//   carries only the reference (and, in the data, "return": the kind, which is a C++ keyword and so
//   not a member: the adapter writes it beside the struct; no flow reads it).
struct FlexPayCallback {
  std::string code;  // "0" succeeded, other: did not go through ("2": the customer's "annuler")
  std::string reference;
  std::string provider_reference;  // the operator's reference, on success
  std::string orderNumber;         // never used: anyone can post one
  std::string source;              // "callback" or "return"
  // A cancel callback (code "2") or the cancel_url return: says why a check's status 1 failed.
  std::optional<bool> customer_cancelled;
};
BOOST_DESCRIBE_STRUCT(FlexPayCallback, (),
                      (code, reference, provider_reference, orderNumber, source, customer_cancelled))

}  // namespace corridor
