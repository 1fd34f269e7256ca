#include "statemachines/flexpay_card.hpp"

#include <algorithm>

#include "statemachines/flexpay_inputs.hpp"
#include "statemachines/flow_support.hpp"

namespace corridor {

namespace {

using Data = FlexPayCardData;

Data& data(const StepContext& c) { return c.txn.data.as<Data>(); }

// Settings (providers.flexpay; docs/providers/flexpay.md lists each with its default). The seed
// gives no lifetime for the payment page; fifteen minutes is the usual hosted-card-page session.
constexpr std::int64_t kPaymentTtlMs = 900000;
constexpr std::int64_t kPollIntervalMs = 5000;
constexpr std::int64_t kPollMaxIntervalMs = 60000;
constexpr std::int64_t kRetryAfterMs = 30000;
// While the customer is on the page corridor checks too, slowly: a lost callback is then noticed
// before the page's delay runs out. The first check comes well after a normal callback would.
constexpr std::int64_t kAwaitingPollIntervalMs = 30000;
constexpr std::int64_t kAwaitingPollMaxIntervalMs = 120000;
// Checks that may fail in a row once the payment delay has passed before corridor stops guessing:
// the outcome is then unknown and reconciliation decides.
constexpr std::int64_t kMaxFailedChecksAfterDeadline = 5;
// Checks while verifying before the outcome is handed to `unknown` and the janitor: about 27 minutes
// at the default pace (5 s doubling to 60 s).
constexpr std::int64_t kMaxPolls = 30;
// Re-sends of an unanswered pay request (30 s doubling to 300 s): the payment delay usually ends
// them first.
constexpr std::int64_t kMaxRetries = 5;

// ---- what FlexPay said --------------------------------------------------------------------------
// The adapter turns FlexPay's answers and callbacks into (statemachines/flexpay_inputs.hpp):
//   pay.accepted, pay.rejected  the POST /v1/pay answer, a FlexPayPayAnswer
//   flexpay.callback            the callback or the browser's return, a FlexPayCallback (a hint only)
//   check.result                GET /api/rest/v1/check/{orderNumber}, a FlexPayCheck

// The transaction a check.result found (code "0"); nullopt for any other answer.
std::optional<FlexPayCheckedTransaction> checked_transaction(const StepContext& c) {
  const auto& check = c.input_as<FlexPayCheck>();
  if (check.code != "0") return std::nullopt;
  return check.transaction;
}

// Check transaction: `amount` is "Le montant de la transaction envoyé", the amount corridor asked, in
// the check's `currency`; `amountCustomer` ("le montant total que le client va payer") adds FlexPay's
// fees and is kept, not compared. Every transaction the check reports is compared, whatever its
// status: an amount or currency left out or unreadable counts as different.
std::optional<Money> checked_amount(const FlexPayCheckedTransaction& checked) {
  return reported_money(checked.amount, checked.currency);
}
bool amount_differs(const StepContext& c) {
  const auto t = checked_transaction(c);
  return t && !same_money(checked_amount(*t), c.txn.amount);
}
// Check transaction: status 0 = processed successfully, 1 = did not go through.
bool paid(const StepContext& c) {
  const auto t = checked_transaction(c);
  return t && t->status == "0";
}
bool transaction_failed(const StepContext& c) {
  const auto t = checked_transaction(c);
  return t && t->status == "1";
}
// Status 1 says only "did not go through"; the customer's "annuler" is told by a callback (code 2)
// or the cancel_url return, which the adapter marks customer_cancelled. The check confirms the
// payment failed; the hint only says why.
bool cancelled_by_customer(const StepContext& c) {
  return transaction_failed(c) && data(c).customer_cancelled.value_or(false);
}
// A callback came before this status 1: no cancel callback is still on its way to say why.
bool failed_after_callback(const StepContext& c) {
  return transaction_failed(c) && data(c).callback_seen.value_or(false);
}
// A transaction without a payment deadline never reaches it.
bool past_payment_deadline(const StepContext& c) {
  return c.input.at_ms >= data(c).payment_deadline_ms.value_or(INT64_MAX);
}
bool no_transaction_past_deadline(const StepContext& c) {
  return !checked_transaction(c) && past_payment_deadline(c);
}
bool failed_pay(const StepContext& c) { return failed_op(c) == "pay"; }
bool failed_check(const StepContext& c) { return failed_op(c) == "check"; }
bool checks_exhausted(const StepContext& c) {
  return failed_check(c) && past_payment_deadline(c) &&
         data(c).failed_checks_after_deadline.value_or(0) + 1 >=
             c.settings.get("max_failed_checks", kMaxFailedChecksAfterDeadline);
}
bool checks_spent(const StepContext& c) { return polls_spent(c, kMaxPolls); }
bool failed_check_spent(const StepContext& c) { return failed_check(c) && checks_spent(c); }
bool pay_retries_spent(const StepContext& c) { return failed_pay(c) && retries_spent(c, kMaxRetries); }

// ---- what corridor does -------------------------------------------------------------------------

struct PayParams {
  static constexpr bool kWritesEmptyText = true;
  std::string reference;  // FlexPay echoes it in the callback: that is how it finds us
  Money amount;
  std::optional<std::string> description{};
};
BOOST_DESCRIBE_STRUCT(PayParams, (), (reference, amount, description))

PayParams pay_params(const Transaction& t) {
  PayParams p{.reference = t.txn_id, .amount = t.amount};
  if (auto d = description_of(t); !d.empty()) p.description = std::string(d);
  return p;
}

void request_payment(StepContext& c) {
  Data& d = data(c);
  d.pay_call_id = c.call("pay", pay_params(c.txn));
  const std::int64_t deadline = c.input.at_ms + c.settings.get("payment_ttl_ms", kPaymentTtlMs);
  d.payment_deadline_ms = deadline;
  c.set_timer("timer.payment_expired", deadline);
}

// FlexPay keys a payment on its reference: the same request again is recognised, not paid twice.
void retry_payment(StepContext& c) {
  c.call_again(data(c).pay_call_id, "pay", pay_params(c.txn));
}

// The pay answer is FlexPay's answer to corridor's own request: the only orderNumber corridor checks.
// A callback's orderNumber is never used (anyone can post one).
void keep_order(StepContext& c, const FlexPayPayAnswer& answer) {
  c.txn.provider_refs.set(flexpay_refs::kOrderNumber, answer.orderNumber);
}

void record_order(StepContext& c) { keep_order(c, c.input_as<FlexPayPayAnswer>()); }

struct CheckParams {
  static constexpr bool kWritesEmptyText = true;
  std::string orderNumber;
  std::string reference;
};
BOOST_DESCRIBE_STRUCT(CheckParams, (), (orderNumber, reference))

void check(StepContext& c) {
  c.call("check", CheckParams{.orderNumber = std::string(c.txn.provider_refs.get(flexpay_refs::kOrderNumber)),
                              .reference = c.txn.txn_id});
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

// The awaiting_customer cadence: capped doubling from awaiting_poll_interval_ms up to
// awaiting_poll_max_interval_ms, on the same attempt counter (reset when verifying starts).
void poll_slowly(StepContext& c) {
  const std::int64_t attempt = c.txn.poll_attempt.value_or(0);
  const std::int64_t base = c.settings.get("awaiting_poll_interval_ms", kAwaitingPollIntervalMs);
  const std::int64_t cap = c.settings.get("awaiting_poll_max_interval_ms", kAwaitingPollMaxIntervalMs);
  std::int64_t delay = base;
  for (std::int64_t i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  c.txn.poll_attempt = attempt + 1;
  c.set_timer("timer.poll", c.input.at_ms + std::min(delay, cap));
}

// While the customer is on the page: slowly, unless a callback said something happened; then at
// the verifying pace. The payment delay bounds either.
void poll_at_pace(StepContext& c) {
  if (data(c).callback_seen.value_or(false)) {
    poll_again(c);
  } else {
    poll_slowly(c);
  }
}

// The callback is not signed: what it claims is kept for the record (and to say why a failure
// happened), never acted on. It moves no state and clears no redirect; it only makes corridor ask.
void remember_callback(StepContext& c) {
  const auto& callback = c.input_as<FlexPayCallback>();
  Data& d = data(c);
  d.callback_seen = true;
  d.callback_code = callback.code;
  if (!callback.provider_reference.empty()) d.callback_provider_reference = callback.provider_reference;
  if (callback.customer_cancelled.value_or(false)) d.customer_cancelled = true;
}

void check_on_callback(StepContext& c) {
  remember_callback(c);
  data(c).failed_checks_after_deadline = 0;
  reset_poll(c);
  check(c);
  poll_again(c);
}

// In unknown the janitor paces the asks: a callback adds one check, no polling.
void check_once_on_callback(StepContext& c) {
  remember_callback(c);
  check(c);
}

void redirect_customer(StepContext& c) {
  const auto& answer = c.input_as<FlexPayPayAnswer>();
  keep_order(c, answer);
  c.txn.next_action = NextAction{.type = "redirect", .url = answer.url};
  reset_poll(c);
  // A callback that overtook this answer: FlexPay is asked about the order it just gave.
  if (data(c).callback_seen.value_or(false)) check(c);
  poll_at_pace(c);
}

void checked_still_open(StepContext& c) {
  data(c).failed_checks_after_deadline = 0;
  poll_at_pace(c);
}

void keep_checking(StepContext& c) {
  data(c).failed_checks_after_deadline = 0;
  poll_again(c);
}

void verify_after_ttl(StepContext& c) {
  reset_poll(c);
  check(c);
  poll_again(c);
}

// Status 1 seen while the customer is on the page and no callback yet: confirmed by one more check at
// the verifying pace, so that a cancel callback sent at the same moment can still say why.
void confirm_failure(StepContext& c) {
  reset_poll(c);
  poll_again(c);
}

void count_failure_after_deadline(StepContext& c) {
  auto& failed = data(c).failed_checks_after_deadline;
  failed = failed.value_or(0) + 1;
}

void count_failed_check(StepContext& c) {
  if (past_payment_deadline(c)) count_failure_after_deadline(c);
  poll_again(c);
}

void outcome_unknown(StepContext& c) {
  count_failure_after_deadline(c);
  c.set_reason(with_failure("FlexPay's check kept failing after the payment delay: outcome unknown, reconcile", c));
}

void checks_exhausted_unknown(StepContext& c) {
  c.set_reason(with_failure("FlexPay's check gave no outcome in max_polls checks: outcome unknown, reconcile", c));
}

void record_check(StepContext& c) {
  const auto t = checked_transaction(c);
  if (!t) return;
  // The adapter refuses a check answer about another order than the one asked.
  c.txn.provider_refs.set(flexpay_refs::kOrderNumber, t->orderNumber);
  if (auto charged = reported_money(t->amountCustomer, t->currency);
      charged && charged->currency == c.txn.amount.currency)
    data(c).amount_customer = charged->value;
}

void succeed(StepContext& c) {
  record_check(c);
  c.txn.provider_refs.set(flexpay_refs::kProviderReference, data(c).callback_provider_reference);
}

void fail_checked(StepContext& c) {
  record_check(c);
  c.set_reason("FlexPay check: the transaction did not go through");
}

void amount_mismatch(StepContext& c) {
  record_check(c);
  const auto t = checked_transaction(c);
  record_amount_mismatch(c, t ? checked_amount(*t) : std::nullopt, "FlexPay's check");
}

void cancel_checked(StepContext& c) {
  record_check(c);
  c.set_reason("the customer cancelled on FlexPay's page (FlexPay check: did not go through)");
}

void pay_refused(StepContext& c) {
  c.set_reason(with_detail("payment request refused by FlexPay", c.input_as<FlexPayPayAnswer>().message));
}

void pay_refused_before_send(StepContext& c) {
  c.set_reason(with_failure("payment request refused before it was sent", c));
}

void expired_without_redirect(StepContext& c) { c.set_reason("no payment page before the deadline"); }

void expired_after_check(StepContext& c) { c.set_reason("payment delay passed and FlexPay has no transaction"); }

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

Flow make_flow() {
  Flow f;
  f.id = "flexpay.card";
  f.provider = "flexpay";
  f.name = "card";
  f.states = {
      {"created", Status::pending},
      {"payment_requested", Status::pending},
      {"awaiting_customer", Status::requires_action},
      {"verifying", Status::processing},
      {"succeeded", Status::succeeded, true},
      {"failed", Status::failed, true},
      {"expired", Status::expired, true},
      {"cancelled", Status::cancelled, true},
      {"amount_mismatch", Status::amount_mismatch, true},
      {"unknown", Status::unknown},
  };
  f.bind = &bind_data<Data>;
  // clang-format off
  f.rows = {
    // from                 on                       guard                          to                   action
    {"created",             "payment.create",        "",                            nullptr,                      "payment_requested", request_payment,   "Payment Service: POST /v1/pay (merchant, reference, amount, currency, callback_url)"},

    {"payment_requested",   "pay.accepted",          "",                            nullptr,                      "awaiting_customer", redirect_customer, "FlexPay answers with the payment page: redirect the customer"},
    {"payment_requested",   "pay.rejected",          "",                            nullptr,                      "failed",            pay_refused,       "FlexPay refused the request"},
    {"payment_requested",   "call.failed",           "refused before send",         refused_before_send,          "failed",            pay_refused_before_send, "the adapter refuses the request (currency CDF or USD only): nothing was sent"},
    {"payment_requested",   "call.failed",           "pay retries spent",           pay_retries_spent,            "payment_requested", nullptr,           "max_retries re-sends unanswered: nobody has the page, the payment delay decides"},
    {"payment_requested",   "call.failed",           "op pay",                      failed_pay,                   "payment_requested", retry_later,       "no answer after retries, or not sent: try again later"},
    {"payment_requested",   "timer.retry",           "",                            nullptr,                      "payment_requested", retry_payment,     "same reference: FlexPay recognises the request"},
    {"payment_requested",   "transaction.reconcile", "",                            nullptr,                      "payment_requested", nullptr,           "reconciliation: the pay request is still out (no orderNumber to check), its answer decides"},
    {"payment_requested",   "flexpay.callback",      "",                            nullptr,                      "payment_requested", remember_callback, "a callback before the pay answer: kept, checked once FlexPay gives the orderNumber"},
    {"payment_requested",   "timer.payment_expired", "",                            nullptr,                      "expired",           expired_without_redirect, "no payment page was ever handed out: nobody can have paid", kProvisional},

    {"awaiting_customer",   "flexpay.callback",      "",                            nullptr,                      "awaiting_customer", check_on_callback, "Résultat (callback URL): unsigned, so it only triggers Check transaction; the page stays"},
    {"awaiting_customer",   "timer.payment_expired", "",                            nullptr,                      "verifying",         verify_after_ttl,  "the delay passed: a last Check transaction decides"},
    {"awaiting_customer",   "pay.accepted",          "",                            nullptr,                      "awaiting_customer", record_order,      "duplicate pay answer"},
    {"awaiting_customer",   "timer.poll",            "",                            nullptr,                      "awaiting_customer", check,             "GET /api/rest/v1/check/{orderNumber}"},
    {"awaiting_customer",   "check.result",          "amount not the one asked",    amount_differs,               "amount_mismatch",   amount_mismatch,   "Check transaction: amount or currency is not the transaction's"},
    {"awaiting_customer",   "check.result",          "paid",                        paid,                         "succeeded",         succeed,           "Check transaction: status 0, the amount asked"},
    {"awaiting_customer",   "check.result",          "cancelled by customer",       cancelled_by_customer,        "cancelled",         cancel_checked,    "Check transaction: status 1, and the customer clicked annuler (cancel callback or cancel_url)"},
    {"awaiting_customer",   "check.result",          "failed after a callback",     failed_after_callback,        "failed",            fail_checked,      "Check transaction: status 1, as the callback said"},
    {"awaiting_customer",   "check.result",          "transaction failed",          transaction_failed,           "verifying",         confirm_failure,   "Check transaction: status 1 before any callback; confirm once more, a cancel callback may be on its way"},
    {"awaiting_customer",   "check.result",          "",                            nullptr,                      "awaiting_customer", checked_still_open, "no transaction yet or pending: check again, until the payment delay"},
    {"awaiting_customer",   "transaction.reconcile", "",                            nullptr,                      "awaiting_customer", check,             "reconciliation: Check transaction now"},
    {"awaiting_customer",   "call.failed",           "op check",                    failed_check,                 "awaiting_customer", poll_at_pace,      "check failed: the payment delay still bounds the wait"},

    {"verifying",           "check.result",          "amount not the one asked",    amount_differs,               "amount_mismatch",   amount_mismatch,   "Check transaction: amount or currency is not the transaction's: money is exact"},
    {"verifying",           "check.result",          "paid",                        paid,                         "succeeded",         succeed,           "Check transaction: status 0, the amount asked"},
    {"verifying",           "check.result",          "cancelled by customer",       cancelled_by_customer,        "cancelled",         cancel_checked,    "Check transaction: status 1, and the customer clicked annuler (cancel callback or cancel_url)"},
    {"verifying",           "check.result",          "transaction failed",          transaction_failed,           "failed",            fail_checked,      "Check transaction: status 1, did not go through"},
    {"verifying",           "check.result",          "no transaction past deadline", no_transaction_past_deadline, "expired",          expired_after_check, "code 1, no transaction found, and the delay has passed", kProvisional},
    {"verifying",           "check.result",          "polls spent",                 checks_spent,                 "unknown",           checks_exhausted_unknown, "max_polls checks without an outcome: reconciliation decides"},
    {"verifying",           "check.result",          "",                            nullptr,                      "verifying",         keep_checking,     "no transaction yet or still pending: check again, backing off"},
    {"verifying",           "timer.poll",            "",                            nullptr,                      "verifying",         check,             "GET /api/rest/v1/check/{orderNumber}"},
    {"verifying",           "timer.payment_expired", "",                            nullptr,                      "verifying",         check,             "the delay passed while verifying: check now"},
    {"verifying",           "flexpay.callback",      "",                            nullptr,                      "verifying",         check_on_callback, "another callback while verifying: check again, never trust it"},
    {"verifying",           "pay.accepted",          "",                            nullptr,                      "verifying",         record_order,      "the pay answer after the delay: keep the orderNumber"},
    {"verifying",           "transaction.reconcile", "",                            nullptr,                      "verifying",         check,             "reconciliation: Check transaction now"},
    {"verifying",           "call.failed",           "checks exhausted",            checks_exhausted,             "unknown",           outcome_unknown,   "the delay passed and max_failed_checks checks failed in a row: reconciliation decides"},
    {"verifying",           "call.failed",           "check polls spent",           failed_check_spent,           "unknown",           checks_exhausted_unknown, "max_polls checks without an outcome: reconciliation decides"},
    {"verifying",           "call.failed",           "op check",                    failed_check,                 "verifying",         count_failed_check, "check failed: try again later"},

    {"unknown",             "transaction.reconcile", "",                            nullptr,                      "unknown",           check,             "reconciliation: ask FlexPay again with Check transaction"},
    {"unknown",             "flexpay.callback",      "",                            nullptr,                      "unknown",           check_once_on_callback, "a callback after giving up: only a reason to check again"},
    {"unknown",             "check.result",          "amount not the one asked",    amount_differs,               "amount_mismatch",   amount_mismatch,   "Check transaction: amount or currency is not the transaction's"},
    {"unknown",             "check.result",          "paid",                        paid,                         "succeeded",         succeed,           "Check transaction: status 0, the amount asked"},
    {"unknown",             "check.result",          "cancelled by customer",       cancelled_by_customer,        "cancelled",         cancel_checked,    "Check transaction: status 1, and the customer clicked annuler"},
    {"unknown",             "check.result",          "transaction failed",          transaction_failed,           "failed",            fail_checked,      "Check transaction: status 1, did not go through"},
    {"unknown",             "check.result",          "no transaction past deadline", no_transaction_past_deadline, "expired",          expired_after_check, "code 1, no transaction found, and the delay has passed", kProvisional},
    {"unknown",             "check.result",          "",                            nullptr,                      "unknown",           nullptr,           "still pending: the janitor asks again on its schedule"},
    {"unknown",             "call.failed",           "",                            nullptr,                      "unknown",           nullptr,           "FlexPay could not be reached: the janitor asks again on its schedule"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& flexpay_card_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
