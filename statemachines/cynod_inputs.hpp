#pragma once
// What Cynod said, as the adapter (adapters/cynod/) hands it to cynod.card_debit: one struct per kind
// of answer or notification, under the JSON names the inputs have always carried (recorded inputs
// read the same). The wire contract is corridor's choice, docs/providers/cynod.md.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "statemachines/fields.hpp"

namespace corridor {

// The authorisation resource, from an answer to request_authorization, get_authorization or
// cancel_authorization (a 2xx, or a cancel's 409) and from the authorization.* webhooks. Inputs
// authorization.in_progress (step 6.2), authorization.approved (step 8.2), authorization.declined
// (step 5 or 7) and authorization.cancelled (Cynod withdrew the wallet request).
struct CynodAuthorization {
  std::string reference;        // Cynod's partner_reference: corridor's txn_id
  std::string status;           // Cynod's status ("approved"), transmitted back in step 10
  std::string cynod_reference;  // Cynod's id of the authorisation
  std::string card;             // as Cynod wrote it, masked again by the adapter
  // The amount as Cynod wrote it (a decimal string of the currency's units), passed on even when it
  // cannot be read: the flow reads it exactly and takes an unreadable one for another amount.
  // Absent (or null) when Cynod gave none.
  std::optional<json::value> amount;
  std::string currency;              // absent: the request's
  std::string authorization_number;  // authorization.approved (step 8.2)
  std::string reason;                // authorization.declined: no_account, insufficient_balance, customer_refused
};
BOOST_DESCRIBE_STRUCT(CynodAuthorization, (),
                      (reference, status, cynod_reference, card, amount, currency, authorization_number, reason))

// Input authorization.rejected: Cynod refused the authorisation request itself (a 4xx other than
// 408 and 429).
struct CynodRejection {
  std::int64_t http_status = 0;  // for a person; the flow decides on the input's name alone
  std::string error;             // Cynod's code and message, or "HTTP <status>"
};
BOOST_DESCRIBE_STRUCT(CynodRejection, (), (http_status, error))

// Input authorization.not_found: Cynod does not know the partner reference (a 404 to
// get_authorization or cancel_authorization). `not_found` is what reconciliation reads
// (statemachines/reconcile.hpp).
struct CynodNotFound {
  bool not_found = true;
  std::int64_t http_status = 404;
};
BOOST_DESCRIBE_STRUCT(CynodNotFound, (), (not_found, http_status))

// acknowledgement.accepted (the answer to step 10) carries no data.

}  // namespace corridor
