#pragma once
// What interac.payment and interac.withdrawal read from their inputs, as described structs
// (fields.hpp). The two flows share one adapter (adapters/interac/interac_adapter.cpp), which reads
// each Paysafe resource it is handed (an answer's body, a webhook's `payload`) into the struct of its
// kind and hands that on as the input's data (fields::to_object); the flows read it back with
// StepContext::input_as. The keys are Paysafe's names, as the adapter passed them before: inputs
// recorded then read the same.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "statemachines/fields.hpp"

namespace corridor {

// One of a resource's `links`: {"rel": "redirect_payment", "href": ...}.
struct InteracLink {
  std::string rel;
  std::string href;
};
BOOST_DESCRIBE_STRUCT(InteracLink, (), (rel, href))

// A resource's `interacEtransfer`. The security answer Paysafe echoes is never kept.
struct InteracEtransfer {
  std::string consumerId;
  std::string type;      // EMAIL or PHONE
  std::string question;  // a standalone credit's security question
  // "le montant maximum transférable" (a verification, a credit handle); absent when not reported.
  std::optional<std::int64_t> maxAmount;
  // ALIAS_AUTODEPOSIT when the customer is registered for autodeposit; absent when Paysafe did not say.
  std::optional<std::string> transferType;
  std::string paymentReference;  // send money: the reference the customer quotes
};
BOOST_DESCRIBE_STRUCT(InteracEtransfer, (),
                      (consumerId, type, question, maxAmount, transferType, paymentReference))

// Every resource reports `amount` and `currencyCode`. The adapter reads Paysafe's amount (an integer,
// or digits in a string) into an integer of minor units; it is kept as a value so that a record whose
// amount is anything else reads as an amount that cannot be read, which differs from the one asked,
// never as none (DESIGN.md section 9).

// A payment handle (POST or GET /paymenthandles): handle.created, handle.status, and the webhooks
// PAYMENT_HANDLE_PAYABLE, PAYMENT_HANDLE_FAILED, PAYMENT_HANDLE_EXPIRED, PAYMENT_HANDLE_COMPLETED.
// interac.payment's handle, and interac.withdrawal's verification handle and credit handle alike.
struct InteracPaymentHandle {
  std::string id;
  std::string merchantRefNum;  // <txn_id>, or <txn_id>-verification for a verification handle
  std::string paymentHandleToken;
  std::string transactionType;  // PAYMENT, VERIFICATION or STANDALONE_CREDIT
  std::string status;           // INITIATED, PAYABLE, FAILED, EXPIRED, COMPLETED
  std::string action;           // REDIRECT (request money), NONE
  std::optional<json::value> amount;
  std::string currencyCode;
  // "PaymentHandleToken expire dans 899 secondes"; absent: the setting handle_ttl_seconds.
  std::optional<std::int64_t> timeToLiveSeconds;
  std::string paymentReference;  // send money, where a handle carries it beside interacEtransfer's
  std::optional<std::vector<InteracLink>> links;  // request money: redirect_payment
  std::optional<InteracEtransfer> interacEtransfer;
};
BOOST_DESCRIBE_STRUCT(InteracPaymentHandle, (),
                      (id, merchantRefNum, paymentHandleToken, transactionType, status, action, amount, currencyCode,
                       timeToLiveSeconds, paymentReference, links, interacEtransfer))

// A payment (POST or GET /payments): payment.created, payment.status, and the webhooks
// PAYMENT_PROCESSING (and PAYMENT_PENDING), PAYMENT_COMPLETED, PAYMENT_FAILED, PAYMENT_ERRORED,
// SETTLEMENT_COMPLETED, SETTLEMENT_FAILED, SETTLEMENT_ERRORED.
struct InteracPayment {
  std::string id;
  std::string merchantRefNum;
  std::string paymentHandleToken;
  std::string status;  // PROCESSING, PENDING, COMPLETED, FAILED, ERRORED, CANCELLED
  std::optional<json::value> amount;
  std::string currencyCode;
  // A /payments retry Paysafe refused as already processed (5031): the payment exists, and the adapter
  // answers {status PROCESSING, merchantRefNum, duplicate, error} without an id.
  std::optional<bool> duplicate;
  std::string error;
};
BOOST_DESCRIBE_STRUCT(InteracPayment, (),
                      (id, merchantRefNum, paymentHandleToken, status, amount, currencyCode, duplicate, error))

// A verification (POST /verifications, GET /verifications?merchantRefNum=): verification.completed,
// verification.status. Its interacEtransfer says maxAmount and whether the customer has autodeposit.
struct InteracVerification {
  std::string id;
  std::string merchantRefNum;  // <txn_id>-verification
  std::string paymentHandleToken;
  std::string status;  // COMPLETED, or anything else: not verified
  std::optional<json::value> amount;
  std::string currencyCode;
  std::optional<InteracEtransfer> interacEtransfer;
};
BOOST_DESCRIBE_STRUCT(InteracVerification, (),
                      (id, merchantRefNum, paymentHandleToken, status, amount, currencyCode, interacEtransfer))

// A standalone credit (POST or GET /standalonecredits): credit.created, credit.status, and the webhooks
// SA_CREDIT_PROCESSING (and SA_CREDIT_PENDING), SA_CREDIT_COMPLETED, SA_CREDIT_FAILED, SA_CREDIT_ERRORED,
// SA_CREDIT_CANCELLED.
struct InteracStandaloneCredit {
  std::string id;
  std::string merchantRefNum;
  std::string paymentHandleToken;
  std::string status;  // PROCESSING, PENDING, COMPLETED, FAILED, ERRORED, CANCELLED, EXPIRED
  std::optional<json::value> amount;
  std::string currencyCode;
  std::optional<InteracEtransfer> interacEtransfer;
  // A /standalonecredits retry Paysafe refused as already processed (5031), as for a payment.
  std::optional<bool> duplicate;
  std::string error;
};
BOOST_DESCRIBE_STRUCT(InteracStandaloneCredit, (),
                      (id, merchantRefNum, paymentHandleToken, status, amount, currencyCode, interacEtransfer,
                       duplicate, error))

// Paysafe's refusal of a request (a 4xx with its error body): handle.rejected, payment.rejected,
// verification.rejected, credit.rejected.
struct InteracRejection {
  std::int64_t http_status = 0;
  std::string error;  // "<code> <message>: <details> [field: error]"
  std::string code;   // Paysafe's error code ("5068", "5031"), its word on what went wrong
};
BOOST_DESCRIBE_STRUCT(InteracRejection, (), (http_status, error, code))

// interac.payment's payment.create command: {mode: "request_money" (the default) | "send_money"}.
struct InteracPaymentCommand {
  std::string mode;
};
BOOST_DESCRIBE_STRUCT(InteracPaymentCommand, (), (mode))

// interac.withdrawal's payout.create command: {verify, interac: {question, answer_sealed}}.
struct InteracSecurityFields {
  std::string question;
  std::string answer_sealed;  // the router's seal of the answer
  // The answer in clear: present only when a sender put it there, which the flow refuses.
  std::optional<json::value> answer;
};
BOOST_DESCRIBE_STRUCT(InteracSecurityFields, (), (question, answer_sealed, answer))

struct InteracPayoutCommand {
  bool verify = false;  // Verification API first
  std::optional<InteracSecurityFields> interac;
};
BOOST_DESCRIBE_STRUCT(InteracPayoutCommand, (), (verify, interac))

}  // namespace corridor
