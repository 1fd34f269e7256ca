#include "statemachines/interac_payment.hpp"

#include <algorithm>

#include "statemachines/flow_support.hpp"
#include "statemachines/interac_support.hpp"

namespace corridor {

namespace {

// Settings (providers.interac), documented in docs/providers/interac.md.
constexpr std::int64_t kSendMoneyTtlSeconds = 899;
constexpr std::int64_t kSendMoneyMinTtlSeconds = 120;  // "le minimum est de 120"
// After the handle's TTL Paysafe may still pay on the merchant's behalf ("Si le marchand n'effectue
// pas d'appel /payments dans les 899 secondes ... Paysafe effectue le paiement pour le compte du
// marchand"), and "Interac prend au maximum 30 minutes pour informer Paysafe": a handle Paysafe still
// shows open is checked for 30 minutes and 2 more before corridor expires it on its own clock.
constexpr std::int64_t kHandleExpiryGraceMs = 1800000 + 120000;
// "Deux jours plus tard, nous marquerons l'échec de la transaction et vous recevrez la notification
// PAYMENT_FAILED": corridor checks once more two days and an hour after /payments, and then leaves the
// payment to Paysafe's word and the janitor (`unknown`), never failing it on its own clock.
constexpr std::int64_t kProcessingDeadlineMs = 2 * 86400000 + 3600000;
constexpr std::int64_t kPollIntervalMs = 60000;
constexpr std::int64_t kPollMaxIntervalMs = 3600000;
// Checks per wait (max_polls): enough for the two-day wait at the hourly cap (6 checks to reach the
// cap, 49 hourly ones), so the budget ends a wait only when a setting shortened the intervals.
constexpr std::int64_t kMaxPolls = 60;
constexpr std::int64_t kRetryAfterMs = 30000;
// Re-sends of a request without answer (max_retries): 30 s doubling to 300 s, 12.5 minutes in all,
// within the handle's 899 s.
constexpr std::int64_t kMaxRetries = 5;

// ---- what Paysafe said --------------------------------------------------------------------------
// handle.created / handle.rejected: POST /paymenthub/v1/paymenthandles; handle.status: GET of the
// handle; payment.created / payment.rejected: POST /paymenthub/v1/payments; payment.status: GET of
// the payment; webhooks are named after their eventType (PAYMENT_HANDLE_PAYABLE, PAYMENT_COMPLETED...).
// A handle input carries an InteracPaymentHandle, a payment input an InteracPayment, a refusal an
// InteracRejection (statemachines/interac_inputs.hpp).

using interac::handle;
using interac::payment;

InteracPaymentData& data(const StepContext& c) { return c.txn.data.as<InteracPaymentData>(); }

std::string requested_mode(const StepContext& c) { return c.input_as<InteracPaymentCommand>().mode; }
bool send_money(const StepContext& c) { return data(c).mode == "send_money"; }
bool unknown_mode(const StepContext& c) {
  const std::string mode = requested_mode(c);
  return !mode.empty() && mode != "request_money" && mode != "send_money";
}

bool handle_failed(const StepContext& c) { return handle(c).status == "FAILED"; }
bool handle_expired(const StepContext& c) { return handle(c).status == "EXPIRED"; }
bool handle_payable(const StepContext& c) { return handle(c).status == "PAYABLE"; }
bool handle_completed(const StepContext& c) { return handle(c).status == "COMPLETED"; }
bool handle_amount_differs(const StepContext& c) { return interac::amount_differs(c, handle(c)); }
bool payment_amount_differs(const StepContext& c) { return interac::amount_differs(c, payment(c)); }
bool handle_ttl_passed(const StepContext& c) { return interac::handle_ttl_passed(c, data(c).handle_deadline_ms); }

// The handle's TTL and the grace after it: where the last check decides.
std::int64_t expiry_deadline(const StepContext& c) {
  return data(c).handle_deadline_ms.value_or(0) + c.settings.get("handle_expiry_grace_ms", kHandleExpiryGraceMs);
}
bool expiry_deadline_passed(const StepContext& c) {
  return data(c).handle_deadline_ms && c.input.at_ms >= expiry_deadline(c);
}

bool payment_completed(const StepContext& c) { return payment(c).status == "COMPLETED"; }
bool payment_failed(const StepContext& c) {
  const std::string s = payment(c).status;
  return s == "FAILED" || s == "ERRORED" || s == "CANCELLED";
}
bool processing_deadline_passed(const StepContext& c) {
  const auto& deadline = data(c).processing_deadline_ms;
  return deadline && c.input.at_ms >= *deadline;
}
bool checks_spent(const StepContext& c) { return polls_spent(c, kMaxPolls); }
bool no_payment_asked(const StepContext& c) { return data(c).payment_call_id.empty(); }
bool payable_no_payment_asked(const StepContext& c) { return handle_payable(c) && no_payment_asked(c); }

bool failed_handle_request(const StepContext& c) { return failed_op(c) == "create_payment_handle"; }
bool failed_handle_check(const StepContext& c) { return failed_op(c) == "get_payment_handle"; }
bool failed_payment_request(const StepContext& c) { return failed_op(c) == "create_payment"; }
bool failed_payment_check(const StepContext& c) { return failed_op(c) == "get_payment"; }

bool handle_request_refused(const StepContext& c) { return failed_handle_request(c) && refused_before_send(c); }
bool handle_request_not_sent(const StepContext& c) {
  return failed_handle_request(c) && not_sent(c) && !retries_spent(c, kMaxRetries);
}
bool payments_refused(const StepContext& c) { return failed_payment_request(c) && refused_before_send(c); }
bool payments_after_ttl(const StepContext& c) { return failed_payment_request(c) && handle_ttl_passed(c); }
bool payments_retries_spent(const StepContext& c) { return failed_payment_request(c) && retries_spent(c, kMaxRetries); }
bool handle_check_failed_after_deadline(const StepContext& c) {
  return failed_handle_check(c) && expiry_deadline_passed(c);
}
bool handle_checks_failed_spent(const StepContext& c) { return failed_handle_check(c) && checks_spent(c); }
bool handle_check_failed_late(const StepContext& c) {
  return failed_handle_check(c) && (expiry_deadline_passed(c) || checks_spent(c));
}
bool payment_check_failed_after_deadline(const StepContext& c) {
  return failed_payment_check(c) && processing_deadline_passed(c);
}
bool payment_checks_failed_spent(const StepContext& c) { return failed_payment_check(c) && checks_spent(c); }
bool payment_not_found(const StepContext& c) { return failed_payment_check(c) && interac::not_found(c); }

// ---- what corridor does -------------------------------------------------------------------------

void refuse_mode(StepContext& c) {
  c.set_reason("unknown mode '" + requested_mode(c) + "': request_money or send_money");
}

// Payment (request money): transactionType PAYMENT, paymentType INTERAC_ETRANSFER. Send money adds
// mode SEND_MONEY and the time the merchant keeps the transaction open (120 s at least).
interac::HandleParams handle_params(const StepContext& c) {
  const bool send = send_money(c);
  interac::HandleParams p{.merchantRefNum = c.txn.txn_id, .transactionType = "PAYMENT", .amount = c.txn.amount};
  p.mode = send ? "SEND_MONEY" : "REQUEST_MONEY";
  if (send)
    p.timeToLiveSeconds = std::max(kSendMoneyMinTtlSeconds, c.settings.get("send_money_ttl_seconds", kSendMoneyTtlSeconds));
  p.interacEtransfer = interac::consumer(c.txn);
  p.customer = shared_customer(c.txn);
  return p;
}

void create_handle(StepContext& c) {
  InteracPaymentData& d = data(c);
  d.mode = requested_mode(c) == "send_money" ? "send_money" : "request_money";
  d.handle_call_id = c.call("create_payment_handle", handle_params(c));
}

// A handle request that never left corridor (a circuit open) is sent again under its first id.
void resend_handle_request(StepContext& c) {
  c.call_again(data(c).handle_call_id, "create_payment_handle", handle_params(c));
}

// POST /payments with the handle's token.
struct PaymentParams {
  static constexpr bool kWritesEmptyText = true;
  std::string merchantRefNum;
  Money amount;
  bool settleWithAuth = true;
  bool dupCheck = true;
  std::string paymentHandleToken;
};
BOOST_DESCRIBE_STRUCT(PaymentParams, (), (merchantRefNum, amount, settleWithAuth, dupCheck, paymentHandleToken))

PaymentParams payment_params(const Transaction& t) {
  return {.merchantRefNum = t.txn_id,
          .amount = t.amount,
          .paymentHandleToken = std::string(t.provider_refs.get(interac::refs::kPaymentHandleToken))};
}

// Send money: the customer pays from their bank with the instructions corridor shows; they stay the
// next action until the payment is final.
void show_instructions(StepContext& c) {
  if (!send_money(c)) return;
  const auto& i = data(c).instructions;
  if (!i) return;
  c.txn.next_action =
      NextAction{.type = i->type, .method = i->method, .payment_reference = i->payment_reference, .amount = i->amount};
}

void keep_instructions(StepContext& c, const InteracPaymentHandle& h) {
  std::string reference = h.interacEtransfer ? h.interacEtransfer->paymentReference : std::string();
  if (reference.empty()) reference = h.paymentReference;
  data(c).instructions = InteracSendMoneyInstructions{
      .type = "display_instructions",
      .method = "interac_send_money",
      .payment_reference = std::move(reference),
      .amount = c.txn.amount,
  };
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

// Checks the handle again, backing off, never later than the expiry deadline, where the last check
// decides.
void poll_handle(StepContext& c) {
  poll_again(c);
  if (!data(c).handle_deadline_ms) return;
  const std::int64_t last = expiry_deadline(c);
  for (TimerSet& t : c.effects.timers)
    if (t.name == "timer.poll" && t.due_at_ms > last && last > c.input.at_ms) t.due_at_ms = last;
}

// "L'appel à l'API POST /payments n'est possible que si l'état du paymentHandleToken est PAYABLE."
// The handle's TTL still runs: a /payments that gets no answer is re-sent only until then.
void pay_with_handle(StepContext& c) {
  InteracPaymentData& d = data(c);
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  if (send_money(c) && !d.instructions) keep_instructions(c, h);
  show_instructions(c);
  interac::arm_handle_ttl(c, h, d.handle_deadline_ms);
  c.cancel_timer("timer.poll");
  reset_poll(c);
  reset_retries(c);
  d.payment_call_id = c.call("create_payment", payment_params(c.txn));
}

void retry_payment(StepContext& c) {
  c.call_again(data(c).payment_call_id, "create_payment", payment_params(c.txn));
}

// Request money: action REDIRECT, link redirect_payment. The PAYABLE webhook may be lost: the handle
// is also read (GET, capped backoff), so a missed PAYMENT_HANDLE_PAYABLE is not left to the TTL.
void redirect_customer(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  std::string url;
  if (h.links) {
    for (const InteracLink& l : *h.links)
      if (l.rel == "redirect_payment") url = l.href;
  }
  c.txn.next_action = NextAction{.type = "redirect", .url = url};
  interac::arm_handle_ttl(c, h, data(c).handle_deadline_ms);
  reset_poll(c);
  poll_handle(c);
}

// Send money: action PAYABLE and a unique payment reference to show. As with request money, the
// handle is also read (GET, capped backoff): a lost webhook is not left to the TTL.
void instruct_customer(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  keep_instructions(c, h);
  show_instructions(c);
  interac::arm_handle_ttl(c, h, data(c).handle_deadline_ms);
  reset_poll(c);
  poll_handle(c);
}

void check_handle(StepContext& c) {
  c.call("get_payment_handle",
         interac::HandleLookup{.payment_handle_id = std::string(c.txn.provider_refs.get(interac::refs::kPaymentHandleId)),
                               .merchantRefNum = c.txn.txn_id});
}

// The TTL passed: no more /payments (the handle is no longer PAYABLE at Paysafe); what became of the
// handle is asked, and asked again until the expiry deadline.
void check_handle_at_ttl(StepContext& c) {
  c.cancel_timer("timer.retry");
  reset_poll(c);
  check_handle(c);
}

// GET /payments/{id}.
struct PaymentLookup {
  static constexpr bool kWritesEmptyText = true;
  std::string payment_id;
  std::string merchantRefNum;
};
BOOST_DESCRIBE_STRUCT(PaymentLookup, (), (payment_id, merchantRefNum))

void check_payment(StepContext& c) {
  c.call("get_payment", PaymentLookup{.payment_id = std::string(c.txn.provider_refs.get(interac::refs::kPaymentId)),
                                      .merchantRefNum = c.txn.txn_id});
}

void record_payment(StepContext& c) { c.txn.provider_refs.set(interac::refs::kPaymentId, payment(c).id); }
void record_handle(StepContext& c) { interac::record_handle(c, handle(c)); }
bool about_the_handle(const StepContext& c) {
  return c.input.name.starts_with("PAYMENT_HANDLE") || c.input.name.starts_with("handle.");
}

// The payment is PROCESSING or PENDING: Paysafe tells corridor by webhook; checks back it up, and two
// days later a last check. Paysafe marks the failure itself (PAYMENT_FAILED).
void await_payment(StepContext& c) {
  if (about_the_handle(c)) {
    record_handle(c);
  } else {
    record_payment(c);
  }
  show_instructions(c);
  c.cancel_timer("timer.handle_expired");
  c.cancel_timer("timer.retry");
  const std::int64_t deadline = c.input.at_ms + c.settings.get("processing_deadline_ms", kProcessingDeadlineMs);
  data(c).processing_deadline_ms = deadline;
  c.set_timer("timer.payment_deadline", deadline);
  reset_poll(c);
  poll_again(c);
}

void complete(StepContext& c) {
  if (!about_the_handle(c)) record_payment(c);
}

void fail_payment(StepContext& c) {
  complete(c);
  // A webhook is named after its event (PAYMENT_FAILED); a response carries the payment's status.
  const bool webhook = c.input.name.find('.') == std::string::npos;
  std::string reason = "Paysafe: " + (webhook ? c.input.name : "payment " + payment(c).status);
  if (c.input.name == "PAYMENT_FAILED") reason += " (the downstream PSP refused it, HTTP 402)";
  c.set_reason(reason);
}

void payment_mismatch(StepContext& c) {
  const InteracPayment& p = payment(c);
  c.txn.provider_refs.set(interac::refs::kPaymentId, p.id);
  interac::record_mismatch(c, p, "Paysafe's payment");
}
void handle_mismatch(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  interac::record_mismatch(c, h, "Paysafe's payment handle");
}

// Every timer of a wait ends where the janitor takes over.
void stop_waiting(StepContext& c) {
  for (std::string_view t : {"timer.poll", "timer.retry", "timer.handle_expired", "timer.payment_deadline"})
    c.cancel_timer(t);
}

void payments_unanswered(StepContext& c) {
  stop_waiting(c);
  c.set_reason(with_failure("no answer to /payments after " + std::to_string(c.txn.retry_attempt.value_or(0)) +
                                " re-sends: Paysafe may have taken it; reconciliation asks",
                            c));
}
void handle_checks_spent(StepContext& c) {
  if (c.input.name == "handle.status") record_handle(c);  // the last check answered; a call.failed did not
  stop_waiting(c);
  c.set_reason("payment handle checks spent (max_polls) without an outcome: reconciliation asks");
}
void handle_check_unanswered(StepContext& c) {
  stop_waiting(c);
  c.set_reason(with_failure("no answer to the handle checks after the TTL while /payments is out: reconciliation asks",
                            c));
}
void still_processing(StepContext& c) {
  record_payment(c);
  stop_waiting(c);
  c.set_reason(
      "still PROCESSING two days after /payments: Paysafe marks such a payment failed and sends PAYMENT_FAILED; "
      "corridor waits for its word (reconciliation)");
}
void payment_checks_spent(StepContext& c) {
  record_payment(c);
  stop_waiting(c);
  c.set_reason("payment checks spent (max_polls) while Paysafe says PROCESSING: reconciliation asks");
}
void payment_check_unanswered(StepContext& c) {
  stop_waiting(c);
  c.set_reason(with_failure("no answer to the payment checks: reconciliation asks", c));
}

void payment_refused(StepContext& c) {
  c.set_reason(with_detail("Paysafe refused the payment", interac::rejection(c).error));
}
void payments_not_sent(StepContext& c) { c.set_reason(with_failure("/payments could not be sent", c)); }
void handle_refused(StepContext& c) {
  c.set_reason(with_detail("Paysafe refused the payment handle", interac::rejection(c).error));
}
void handle_request_not_sendable(StepContext& c) {
  c.set_reason(with_failure("the payment handle request could not be sent", c));
}
void handle_not_created(StepContext& c) {
  c.set_reason(with_failure("no answer to the payment handle request; the customer never got a link", c));
}
void declined(StepContext& c) {
  record_handle(c);
  c.set_reason("payment handle FAILED: the customer refused or did not finish the transfer");
}
void expired(StepContext& c) {
  record_handle(c);
  c.set_reason("payment handle expired before it was used");
}
// corridor's own clock: the TTL and the grace passed and Paysafe still shows the handle open.
void expired_on_corridors_clock(StepContext& c) {
  const InteracPaymentHandle& h = handle(c);
  interac::record_handle(c, h);
  c.set_reason("the handle's TTL and Interac's 30 minutes passed and Paysafe still shows it " + h.status +
               ": expired on corridor's clock");
}
void expired_without_answer(StepContext& c) {
  c.set_reason(with_failure("the handle's TTL and Interac's 30 minutes passed and the last check got no answer: "
                            "expired on corridor's clock",
                            c));
}

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

Flow make_flow() {
  Flow f;
  f.id = "interac.payment";
  f.provider = "interac";
  f.name = "payment";
  f.bind = &bind_data<InteracPaymentData>;
  f.states = {
      {"created", Status::pending},
      {"handle_requested", Status::pending},
      {"handle_initiated", Status::requires_action},
      {"handle_payable", Status::processing},
      {"payment_processing", Status::processing},
      {"unknown", Status::unknown},
      {"completed", Status::succeeded, true},
      {"expired", Status::expired, true},
      {"declined", Status::declined, true},
      {"failed", Status::failed, true},
      {"amount_mismatch", Status::amount_mismatch, true},
  };
  // Paysafe's definitive word (PAYMENT_COMPLETED, SETTLEMENT_COMPLETED, PAYMENT_FAILED, ...,
  // PAYMENT_HANDLE_FAILED / _EXPIRED and the GET answers) has a row from every state a final state can
  // settle from, so that it also decides a late outcome (statemachines/reconcile.hpp, step_final).
  // A resource reporting another amount than asked goes to amount_mismatch: its row sits below the
  // failures (nothing moved) and above every row that goes on or succeeds.
  // clang-format off
  f.rows = {
    // from                  on                          guard                      to                    action
    {"created",              "payment.create",           "unknown mode",            unknown_mode,          "failed",             refuse_mode,         "mode is request_money (default) or send_money"},
    {"created",              "payment.create",           "",                        nullptr,               "handle_requested",   create_handle,       "create a payment handle: PAYMENT, INTERAC_ETRANSFER (SEND_MONEY with a TTL of 120 s at least)"},

    {"handle_requested",     "handle.created",           "handle FAILED",           handle_failed,         "declined",           declined,            "the handle came back FAILED"},
    {"handle_requested",     "handle.created",           "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the handle is for another amount than asked: nothing is paid with it"},
    {"handle_requested",     "handle.created",           "handle PAYABLE",          handle_payable,        "handle_payable",     pay_with_handle,     "the handle is PAYABLE already: POST /paymenthub/v1/payments"},
    {"handle_requested",     "handle.created",           "send money",              send_money,            "handle_initiated",   instruct_customer,   "send money: action PAYABLE, show the payment reference and instructions"},
    {"handle_requested",     "handle.created",           "",                        nullptr,               "handle_initiated",   redirect_customer,   "request money: action REDIRECT, send the customer to redirect_payment; GET the handle meanwhile"},
    {"handle_requested",     "handle.rejected",          "",                        nullptr,               "failed",             handle_refused,      "Paysafe refused the handle request"},
    {"handle_requested",     "call.failed",              "handle request refused before send", handle_request_refused, "failed", handle_request_not_sendable, "the adapter refused the handle request: nothing left corridor"},
    {"handle_requested",     "call.failed",              "handle request not sent", handle_request_not_sent, "handle_requested", retry_later,         "nothing left corridor (circuit open): send the handle request again later"},
    {"handle_requested",     "call.failed",              "op create_payment_handle", failed_handle_request, "failed",            handle_not_created,  "no answer: no link was handed out, so nobody can pay", kProvisional},
    {"handle_requested",     "call.failed",              "op get_payment_handle",   failed_handle_check,   "handle_requested",   nullptr,             "the look-up found no handle yet: the handle request's answer decides"},
    {"handle_requested",     "timer.retry",              "",                        nullptr,               "handle_requested",   resend_handle_request, "POST /paymenthandles again under the same id"},
    {"handle_requested",     "transaction.reconcile",    "",                        nullptr,               "handle_requested",   check_handle,        "reconciliation: GET /paymenthandles?merchantRefNum="},
    {"handle_requested",     "handle.status",            "handle FAILED",           handle_failed,         "declined",           declined,            "the handle found by GET is FAILED"},
    {"handle_requested",     "handle.status",            "handle EXPIRED",          handle_expired,        "expired",            expired,             "the handle found by GET is EXPIRED"},
    {"handle_requested",     "handle.status",            "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the handle found by GET is for another amount"},
    {"handle_requested",     "handle.status",            "handle PAYABLE",          handle_payable,        "handle_payable",     pay_with_handle,     "the handle found by GET is PAYABLE: POST /payments"},
    {"handle_requested",     "handle.status",            "handle COMPLETED",        handle_completed,      "payment_processing", await_payment,       "the handle found by GET was used: Paysafe paid on the merchant's behalf"},
    {"handle_requested",     "handle.status",            "send money",              send_money,            "handle_initiated",   instruct_customer,   "send money: the handle found by GET gives the payment reference"},
    {"handle_requested",     "handle.status",            "",                        nullptr,               "handle_initiated",   redirect_customer,   "request money: the handle found by GET gives the redirect link"},
    {"handle_requested",     "PAYMENT_HANDLE_PAYABLE",   "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the PAYABLE handle is for another amount"},
    {"handle_requested",     "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "handle_payable",     pay_with_handle,     "the PAYABLE webhook overtook the handle response"},
    {"handle_requested",     "PAYMENT_HANDLE_FAILED",    "",                        nullptr,               "declined",           declined,            "the FAILED webhook overtook the handle response"},
    {"handle_requested",     "PAYMENT_HANDLE_EXPIRED",   "",                        nullptr,               "expired",            expired,             "PAYMENT_HANDLE_EXPIRED: not paid within the handle's TTL"},
    {"handle_requested",     "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "payment_processing", await_payment,       "the handle was used: Paysafe paid on the merchant's behalf"},
    {"handle_requested",     "PAYMENT_PROCESSING",       "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe's payment is for another amount"},
    {"handle_requested",     "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", await_payment,       "no /payments within 899 s: Paysafe pays for the merchant, PROCESSING then COMPLETED"},
    {"handle_requested",     "PAYMENT_COMPLETED",        "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe completed another amount"},
    {"handle_requested",     "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "no /payments within 899 s: Paysafe pays for the merchant, PAYMENT_COMPLETED"},
    {"handle_requested",     "SETTLEMENT_COMPLETED",     "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe settled another amount"},
    {"handle_requested",     "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: the same as PAYMENT_COMPLETED"},
    {"handle_requested",     "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "the payment failed (402 downstream)"},
    {"handle_requested",     "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},

    {"handle_initiated",     "PAYMENT_HANDLE_PAYABLE",   "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the PAYABLE handle is for another amount: no /payments"},
    {"handle_initiated",     "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "handle_payable",     pay_with_handle,     "on PAYMENT_HANDLE_PAYABLE the merchant calls paymenthub/v1/payments"},
    {"handle_initiated",     "PAYMENT_HANDLE_FAILED",    "",                        nullptr,               "declined",           declined,            "the customer refused or did not finish: PAYMENT_HANDLE_FAILED"},
    {"handle_initiated",     "PAYMENT_HANDLE_EXPIRED",   "",                        nullptr,               "expired",            expired,             "not paid within the handle's TTL"},
    {"handle_initiated",     "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "payment_processing", await_payment,       "the handle was used: Paysafe paid on the merchant's behalf"},
    {"handle_initiated",     "PAYMENT_PROCESSING",       "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe's payment is for another amount"},
    {"handle_initiated",     "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", await_payment,       "no /payments within 899 s: Paysafe pays for the merchant, PROCESSING then COMPLETED"},
    {"handle_initiated",     "PAYMENT_COMPLETED",        "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe completed another amount"},
    {"handle_initiated",     "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "no /payments within 899 s: Paysafe pays for the merchant"},
    {"handle_initiated",     "SETTLEMENT_COMPLETED",     "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe settled another amount"},
    {"handle_initiated",     "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: the same as PAYMENT_COMPLETED"},
    {"handle_initiated",     "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "the payment failed (402 downstream)"},
    {"handle_initiated",     "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"handle_initiated",     "SETTLEMENT_FAILED",        "",                        nullptr,               "failed",             fail_payment,        "the settlement failed"},
    {"handle_initiated",     "SETTLEMENT_ERRORED",       "",                        nullptr,               "failed",             fail_payment,        "the settlement errored"},
    {"handle_initiated",     "timer.handle_expired",     "",                        nullptr,               "handle_initiated",   check_handle_at_ttl, "TTL passed: Paysafe may still pay for the merchant; ask what became of the handle"},
    {"handle_initiated",     "timer.poll",               "",                        nullptr,               "handle_initiated",   check_handle,        "GET the payment handle again"},
    {"handle_initiated",     "handle.status",            "handle FAILED",           handle_failed,         "declined",           declined,            "the customer refused or did not finish"},
    {"handle_initiated",     "handle.status",            "handle EXPIRED",          handle_expired,        "expired",            expired,             "the handle expired (its webhook is optional)"},
    {"handle_initiated",     "handle.status",            "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the handle is for another amount: no /payments"},
    {"handle_initiated",     "handle.status",            "handle PAYABLE",          handle_payable,        "handle_payable",     pay_with_handle,     "PAYABLE but its webhook was missed: POST /payments"},
    {"handle_initiated",     "handle.status",            "handle COMPLETED",        handle_completed,      "payment_processing", await_payment,       "the handle was used: a payment exists"},
    {"handle_initiated",     "handle.status",            "expiry deadline passed",  expiry_deadline_passed, "expired",           expired_on_corridors_clock, "TTL and Interac's 30 minutes passed and Paysafe still shows the handle open: expired on corridor's clock", kProvisional},
    {"handle_initiated",     "handle.status",            "polls spent",             checks_spent,          "unknown",            handle_checks_spent, "the handle checks' budget is spent: reconciliation"},
    {"handle_initiated",     "handle.status",            "",                        nullptr,               "handle_initiated",   poll_handle,         "still INITIATED: check again, backing off, until the expiry deadline"},
    {"handle_initiated",     "call.failed",              "handle check failed, expiry deadline passed", handle_check_failed_after_deadline, "expired", expired_without_answer, "no answer to the last check after the TTL and Interac's 30 minutes: expired on corridor's clock", kProvisional},
    {"handle_initiated",     "call.failed",              "handle check failed, polls spent", handle_checks_failed_spent, "unknown", handle_checks_spent, "the handle checks' budget is spent: reconciliation"},
    {"handle_initiated",     "call.failed",              "op get_payment_handle",   failed_handle_check,   "handle_initiated",   poll_handle,         "handle check failed: try again later"},
    {"handle_initiated",     "transaction.reconcile",    "",                        nullptr,               "handle_initiated",   check_handle,        "reconciliation: GET the payment handle now"},
    {"handle_initiated",     "handle.created",           "",                        nullptr,               "handle_initiated",   record_handle,       "duplicate handle response"},

    {"handle_payable",       "payment.created",          "payment FAILED",          payment_failed,        "failed",             fail_payment,        "the payment came back FAILED"},
    {"handle_payable",       "payment.created",          "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe's payment is for another amount"},
    {"handle_payable",       "payment.created",          "payment COMPLETED",       payment_completed,     "completed",          complete,            "Interac had told Paysafe already: COMPLETED in the response"},
    {"handle_payable",       "payment.created",          "",                        nullptr,               "payment_processing", await_payment,       "the payment is PENDING / PROCESSING until the customer pays"},
    {"handle_payable",       "payment.rejected",         "",                        nullptr,               "failed",             payment_refused,     "Paysafe refused /payments"},
    {"handle_payable",       "call.failed",              "/payments refused before send", payments_refused, "failed",            payments_not_sent,   "the adapter refused /payments: nothing left corridor, but Paysafe may pay for the merchant after the TTL", kProvisional},
    {"handle_payable",       "call.failed",              "/payments unanswered, handle TTL passed", payments_after_ttl, "handle_payable", check_handle_at_ttl, "/payments only on a PAYABLE handle: past its TTL, ask what became of it"},
    {"handle_payable",       "call.failed",              "/payments retries spent", payments_retries_spent, "unknown",           payments_unanswered, "re-sends of /payments spent without an answer: reconciliation"},
    {"handle_payable",       "call.failed",              "op create_payment",       failed_payment_request, "handle_payable",    retry_later,         "no answer (or not sent): try again, backing off (merchantRefNum + dupCheck)"},
    {"handle_payable",       "call.failed",              "handle check failed late", handle_check_failed_late, "unknown",        handle_check_unanswered, "no answer to the handle checks after the TTL while /payments is out: reconciliation"},
    {"handle_payable",       "call.failed",              "op get_payment_handle",   failed_handle_check,   "handle_payable",     poll_handle,         "handle check failed: try again later"},
    {"handle_payable",       "call.failed",              "op get_payment",          failed_payment_check,  "handle_payable",     nullptr,             "the payment look-up found none (yet): /payments or the TTL check decides"},
    {"handle_payable",       "timer.retry",              "handle TTL passed",       handle_ttl_passed,     "handle_payable",     check_handle_at_ttl, "/payments only on a PAYABLE handle: past its TTL, ask what became of it"},
    {"handle_payable",       "timer.retry",              "",                        nullptr,               "handle_payable",     retry_payment,       "POST /payments again under the same idempotency key"},
    {"handle_payable",       "timer.handle_expired",     "",                        nullptr,               "handle_payable",     check_handle_at_ttl, "the handle's TTL applies while /payments is out: ask what became of the handle"},
    {"handle_payable",       "timer.poll",               "",                        nullptr,               "handle_payable",     check_handle,        "GET the payment handle again"},
    {"handle_payable",       "handle.status",            "handle FAILED",           handle_failed,         "declined",           declined,            "the handle is FAILED"},
    {"handle_payable",       "handle.status",            "handle EXPIRED",          handle_expired,        "expired",            expired,             "the handle expired: /payments did not reach Paysafe within the TTL"},
    {"handle_payable",       "handle.status",            "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the handle is for another amount"},
    {"handle_payable",       "handle.status",            "handle COMPLETED",        handle_completed,      "payment_processing", await_payment,       "POST /payments makes the handle COMPLETED: a payment exists"},
    {"handle_payable",       "handle.status",            "expiry deadline passed",  expiry_deadline_passed, "expired",           expired_on_corridors_clock, "TTL and Interac's 30 minutes passed, the handle still PAYABLE: no /payments took; expired on corridor's clock", kProvisional},
    {"handle_payable",       "handle.status",            "polls spent",             checks_spent,          "unknown",            handle_checks_spent, "the handle checks' budget is spent: reconciliation"},
    {"handle_payable",       "handle.status",            "",                        nullptr,               "handle_payable",     poll_handle,         "still PAYABLE after the TTL: check again until the expiry deadline"},
    {"handle_payable",       "transaction.reconcile",    "",                        nullptr,               "handle_payable",     check_payment,       "reconciliation: GET /payments?merchantRefNum="},
    {"handle_payable",       "payment.status",           "payment FAILED",          payment_failed,        "failed",             fail_payment,        "GET says FAILED / ERRORED / CANCELLED"},
    {"handle_payable",       "payment.status",           "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "GET: the payment is for another amount"},
    {"handle_payable",       "payment.status",           "payment COMPLETED",       payment_completed,     "completed",          complete,            "GET says COMPLETED"},
    {"handle_payable",       "payment.status",           "",                        nullptr,               "payment_processing", await_payment,       "GET: the payment exists and is PROCESSING"},
    {"handle_payable",       "PAYMENT_PROCESSING",       "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe's payment is for another amount"},
    {"handle_payable",       "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", await_payment,       "the webhook overtook the /payments response"},
    {"handle_payable",       "PAYMENT_COMPLETED",        "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe completed another amount"},
    {"handle_payable",       "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "the completion overtook the /payments response"},
    {"handle_payable",       "SETTLEMENT_COMPLETED",     "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe settled another amount"},
    {"handle_payable",       "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: the same as PAYMENT_COMPLETED"},
    {"handle_payable",       "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "the payment failed (402 downstream)"},
    {"handle_payable",       "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"handle_payable",       "SETTLEMENT_FAILED",        "",                        nullptr,               "failed",             fail_payment,        "the settlement failed"},
    {"handle_payable",       "SETTLEMENT_ERRORED",       "",                        nullptr,               "failed",             fail_payment,        "the settlement errored"},
    {"handle_payable",       "PAYMENT_HANDLE_EXPIRED",   "",                        nullptr,               "expired",            expired,             "/payments did not reach Paysafe within the TTL"},
    {"handle_payable",       "PAYMENT_HANDLE_FAILED",    "",                        nullptr,               "declined",           declined,            "the customer refused or did not finish: PAYMENT_HANDLE_FAILED"},
    {"handle_payable",       "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "handle_payable",     nullptr,             "duplicate PAYABLE webhook"},
    {"handle_payable",       "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "handle_payable",     nullptr,             "the handle was used by our /payments"},
    {"handle_payable",       "handle.created",           "",                        nullptr,               "handle_payable",     record_handle,       "the handle response after its PAYABLE webhook"},

    {"payment_processing",   "PAYMENT_COMPLETED",        "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe completed another amount"},
    {"payment_processing",   "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "the customer paid in time: PAYMENT_COMPLETED"},
    {"payment_processing",   "SETTLEMENT_COMPLETED",     "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe settled another amount"},
    {"payment_processing",   "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: SETTLEMENT_COMPLETED is the same"},
    {"payment_processing",   "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "two days later Paysafe marks it failed: PAYMENT_FAILED"},
    {"payment_processing",   "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"payment_processing",   "SETTLEMENT_FAILED",        "",                        nullptr,               "failed",             fail_payment,        "the settlement failed"},
    {"payment_processing",   "SETTLEMENT_ERRORED",       "",                        nullptr,               "failed",             fail_payment,        "the settlement errored"},
    {"payment_processing",   "PAYMENT_PROCESSING",       "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe's payment is for another amount"},
    {"payment_processing",   "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", record_payment,      "duplicate PROCESSING webhook"},
    {"payment_processing",   "payment.created",          "payment FAILED",          payment_failed,        "failed",             fail_payment,        "the /payments response after the webhook says FAILED"},
    {"payment_processing",   "payment.created",          "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "the /payments response is for another amount"},
    {"payment_processing",   "payment.created",          "payment COMPLETED",       payment_completed,     "completed",          complete,            "the /payments response after the webhook says COMPLETED"},
    {"payment_processing",   "payment.created",          "",                        nullptr,               "payment_processing", record_payment,      "the /payments response after the webhook: keep the payment id"},
    {"payment_processing",   "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "payment_processing", nullptr,             "late handle webhook"},
    {"payment_processing",   "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "payment_processing", nullptr,             "late PAYABLE webhook"},
    {"payment_processing",   "transaction.reconcile",    "",                        nullptr,               "payment_processing", check_payment,       "reconciliation: GET the payment now"},
    {"payment_processing",   "timer.poll",               "",                        nullptr,               "payment_processing", check_payment,       "GET the payment (Interac tells Paysafe within 30 minutes)"},
    {"payment_processing",   "timer.payment_deadline",   "",                        nullptr,               "payment_processing", check_payment,       "two days in PROCESSING: a last check"},
    {"payment_processing",   "payment.status",           "payment FAILED",          payment_failed,        "failed",             fail_payment,        "GET says FAILED / ERRORED / CANCELLED"},
    {"payment_processing",   "payment.status",           "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "GET: the payment is for another amount"},
    {"payment_processing",   "payment.status",           "payment COMPLETED",       payment_completed,     "completed",          complete,            "GET says COMPLETED"},
    {"payment_processing",   "payment.status",           "two-day deadline passed", processing_deadline_passed, "unknown",       still_processing,    "still PROCESSING two days later: Paysafe marks the failure (PAYMENT_FAILED), corridor does not"},
    {"payment_processing",   "payment.status",           "polls spent",             checks_spent,          "unknown",            payment_checks_spent, "the payment checks' budget is spent: reconciliation"},
    {"payment_processing",   "payment.status",           "",                        nullptr,               "payment_processing", poll_again,          "still PROCESSING: check again, backing off"},
    {"payment_processing",   "call.failed",              "payment check failed, two-day deadline passed", payment_check_failed_after_deadline, "unknown", payment_check_unanswered, "no answer to the last check two days later: reconciliation"},
    {"payment_processing",   "call.failed",              "payment check failed, polls spent", payment_checks_failed_spent, "unknown", payment_check_unanswered, "the payment checks' budget is spent: reconciliation"},
    {"payment_processing",   "call.failed",              "op get_payment",          failed_payment_check,  "payment_processing", poll_again,          "payment check failed: try again later"},

    // unknown: no timer of its own; the janitor's reconcile asks Paysafe, and Paysafe's word decides.
    {"unknown",              "transaction.reconcile",    "",                        nullptr,               "unknown",            check_payment,       "reconciliation: GET the payment (by id or merchantRefNum)"},
    {"unknown",              "payment.status",           "payment FAILED",          payment_failed,        "failed",             fail_payment,        "GET says FAILED / ERRORED / CANCELLED"},
    {"unknown",              "payment.status",           "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "GET: the payment is for another amount"},
    {"unknown",              "payment.status",           "payment COMPLETED",       payment_completed,     "completed",          complete,            "GET says COMPLETED"},
    {"unknown",              "payment.status",           "",                        nullptr,               "unknown",            record_payment,      "GET says PROCESSING: Paysafe's webhook or the next reconciliation decides"},
    {"unknown",              "payment.created",          "payment FAILED",          payment_failed,        "failed",             fail_payment,        "the late /payments response says FAILED"},
    {"unknown",              "payment.created",          "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "the late /payments response is for another amount"},
    {"unknown",              "payment.created",          "payment COMPLETED",       payment_completed,     "completed",          complete,            "the late /payments response says COMPLETED"},
    {"unknown",              "payment.created",          "",                        nullptr,               "unknown",            record_payment,      "the late /payments response: keep the payment id"},
    {"unknown",              "call.failed",              "payment not found",       payment_not_found,     "unknown",            check_handle,        "Paysafe has no payment: ask what became of the handle"},
    {"unknown",              "call.failed",              "",                        nullptr,               "unknown",            nullptr,             "no answer: the janitor asks again"},
    {"unknown",              "handle.status",            "handle FAILED",           handle_failed,         "declined",           declined,            "no payment and the handle FAILED"},
    {"unknown",              "handle.status",            "handle EXPIRED",          handle_expired,        "expired",            expired,             "no payment and the handle EXPIRED"},
    {"unknown",              "handle.status",            "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the handle is for another amount"},
    {"unknown",              "handle.status",            "handle PAYABLE, no payment asked", payable_no_payment_asked, "handle_payable", pay_with_handle, "PAYABLE and no /payments sent yet: POST /payments"},
    {"unknown",              "handle.status",            "",                        nullptr,               "unknown",            record_handle,       "the handle is still open or used: the janitor asks again"},
    {"unknown",              "PAYMENT_HANDLE_PAYABLE",   "amount differs",          handle_amount_differs,  "amount_mismatch",    handle_mismatch,     "the PAYABLE handle is for another amount"},
    {"unknown",              "PAYMENT_HANDLE_PAYABLE",   "no payment asked",        no_payment_asked,      "handle_payable",     pay_with_handle,     "on PAYMENT_HANDLE_PAYABLE the merchant calls paymenthub/v1/payments"},
    {"unknown",              "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "unknown",            nullptr,             "duplicate PAYABLE webhook: /payments was sent"},
    {"unknown",              "PAYMENT_HANDLE_FAILED",    "",                        nullptr,               "declined",           declined,            "the customer refused or did not finish: PAYMENT_HANDLE_FAILED"},
    {"unknown",              "PAYMENT_HANDLE_EXPIRED",   "",                        nullptr,               "expired",            expired,             "not paid within the handle's TTL"},
    {"unknown",              "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "unknown",            record_handle,       "the handle was used: the payment's outcome decides"},
    {"unknown",              "PAYMENT_PROCESSING",       "",                        nullptr,               "unknown",            record_payment,      "the payment is in progress: its outcome decides"},
    {"unknown",              "PAYMENT_COMPLETED",        "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe completed another amount"},
    {"unknown",              "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "PAYMENT_COMPLETED: the payment was made"},
    {"unknown",              "SETTLEMENT_COMPLETED",     "amount differs",          payment_amount_differs, "amount_mismatch",    payment_mismatch,    "Paysafe settled another amount"},
    {"unknown",              "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: the same as PAYMENT_COMPLETED"},
    {"unknown",              "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "Paysafe marks the payment failed: PAYMENT_FAILED"},
    {"unknown",              "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"unknown",              "SETTLEMENT_FAILED",        "",                        nullptr,               "failed",             fail_payment,        "the settlement failed"},
    {"unknown",              "SETTLEMENT_ERRORED",       "",                        nullptr,               "failed",             fail_payment,        "the settlement errored"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& interac_payment_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
