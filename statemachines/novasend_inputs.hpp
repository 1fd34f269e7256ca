#pragma once
// What NovaSend said, as the adapter (adapters/novasend/) hands it to novasend.payin: one struct per
// kind of answer or notification, under the names NovaSend gives its fields (seed
// 003_bf421fd2ae9f23ae.txt), which the inputs have always carried (recorded inputs read the same).
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/fields.hpp"

namespace corridor {

// The payin's `transaction`: "la transaction finale enregistrée dans le Core System". Null or {}
// until the customer acted; then its status is the final truth.
struct NovaSendPayinTransaction {
  std::string reference;  // the Core System's id
  std::string status;     // completed, failed or pending
  std::string customerName;
  std::string processedAt;
  std::string phoneNumber;
  // "Montant effectivement traité" (decimal text, "153.00"), the processor's fees and total debit, as
  // NovaSend wrote them: the flow reads the amount exactly, and takes one it cannot read for another
  // amount than the one asked.
  std::optional<json::value> amount;
  std::optional<json::value> fees;
  std::optional<json::value> chargedAmount;
  std::string currency;
};
BOOST_DESCRIBE_STRUCT(NovaSendPayinTransaction, (),
                      (reference, status, customerName, processedAt, phoneNumber, amount, fees, chargedAmount,
                       currency))

// The payin's `failure`: "Détails d'erreur en cas d'échec (null si succès)".
struct NovaSendFailure {
  std::optional<json::value> code;  // the seed does not say its type
  std::string message;
};
BOOST_DESCRIBE_STRUCT(NovaSendFailure, (), (code, message))

// The payin object, from the answers to POST /v1/payin/sessions (input session.created) and
// GET /v1/payin/{reference} (status.checked), and the `data` of the payin.confirmed and
// payin.declined webhooks. The adapter has checked the types it names in docs/providers/novasend.md.
struct NovaSendPayin {
  std::string type;  // "payin"
  // The payin's amounts in whole units, as NovaSend wrote them (the adapter checks they are
  // integers): `amount` ("Montant brut du paiement") must be the amount asked; `fee` and
  // `chargedAmount` (amount + fee) are the customer's, kept and never compared.
  std::optional<json::value> fee;
  std::string reference;  // NovaSend's tr_… reference, for GET /v1/payin/{reference}
  std::string phoneNumber;
  std::string customerName;
  std::optional<json::value> amount;
  std::optional<json::value> chargedAmount;
  std::string status;  // processing, processed (the customer confirmed; not final), expired, ...
  std::string currency;
  std::string customerReference;  // corridor's txn_id, echoed
  std::optional<bool> confirmationRequired;  // absent: true
  std::string confirmationStatus;            // none, accepted, declined, expired
  std::string paymentUrl;                    // where the customer confirms
  std::string createdAt;
  std::optional<NovaSendPayinTransaction> transaction;
  std::optional<NovaSendFailure> failure;
};
BOOST_DESCRIBE_STRUCT(NovaSendPayin, (),
                      (type, fee, reference, phoneNumber, customerName, amount, chargedAmount, status, currency,
                       customerReference, confirmationRequired, confirmationStatus, paymentUrl, createdAt, transaction,
                       failure))

// Input status.checked when NovaSend does not know the reference (GET answered 404): an answer, not
// a failure. `not_found` is what reconciliation reads (statemachines/reconcile.hpp); to the flow it
// is a payin with nothing in it.
struct NovaSendPayinNotFound {
  bool not_found = true;
  std::int64_t http_status = 404;
};
BOOST_DESCRIBE_STRUCT(NovaSendPayinNotFound, (), (not_found, http_status))

// Input session.rejected: NovaSend refused the session request (a 4xx other than 408 and 429).
struct NovaSendRefusal {
  std::int64_t http_status = 0;  // for a person; the flow decides on the input's name alone
  std::string error;             // the body's message, error or error.message, else the status text
};
BOOST_DESCRIBE_STRUCT(NovaSendRefusal, (), (http_status, error))

}  // namespace corridor
