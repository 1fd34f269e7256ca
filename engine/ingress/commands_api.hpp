#pragma once
// Commands over HTTP, on the operations listener, beside corridor.commands:
//   POST /v1/payments                        payment.create   (the command's JSON; `type` may be left out)
//   POST /v1/payouts                         payout.create
//   POST /v1/payments/{txn_id}/cancel        payment.cancel         (body optional)
//   POST /v1/payments/{txn_id}/refunds       refund.create          (body optional: {"amount": {...}} for part)
//   POST /v1/payments/{txn_id}/reconcile     transaction.reconcile  (body optional)
// The `Idempotency-Key` header is the command's command_id. The command is held to the router's own
// rules (route_command) and goes, sealed, straight onto corridor.inputs as the router would put it:
// a card number sent here is never on a topic in clear. 202 answers once Kafka acknowledged it, with
// the transaction's id and its Location; a refusal answers the router's reason and code, and is
// dead-lettered with its sensitive fields hidden.
#include "core/http.hpp"

namespace corridor {

struct IngressContext;
struct Caller;

// Whether `req` is one of the routes above (a POST to one of those paths).
bool is_command_route(const HttpRequest& req);

// Answers a command route for `caller`: a merchant's token may name only its own merchant (and fills
// it in when the body leaves it out), and sees only its own transactions.
void handle_command(const IngressContext& context, const Caller& caller, HttpRequest req, Respond respond);

}  // namespace corridor
