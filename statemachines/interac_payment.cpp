#include "statemachines/interac_payment.hpp"

#include <algorithm>

#include "statemachines/flow_support.hpp"
#include "statemachines/interac_support.hpp"

namespace corridor {

namespace {

// Settings (providers.interac). Interac tells Paysafe within 30 minutes; a payment left PROCESSING is
// marked FAILED by Paysafe two days later ("Deux jours plus tard ... PAYMENT_FAILED"): corridor
// checks once more after two days and an hour's grace.
constexpr std::int64_t kSendMoneyTtlSeconds = 899;
constexpr std::int64_t kSendMoneyMinTtlSeconds = 120;  // "le minimum est de 120"
constexpr std::int64_t kHandleExpiryGraceMs = 120000;
constexpr std::int64_t kProcessingDeadlineMs = 2 * 86400000 + 3600000;
constexpr std::int64_t kPollIntervalMs = 60000;
constexpr std::int64_t kPollMaxIntervalMs = 3600000;
constexpr std::int64_t kRetryAfterMs = 30000;

// ---- what Paysafe said --------------------------------------------------------------------------
// handle.created / handle.rejected: POST /paymenthub/v1/paymenthandles; handle.status: GET of the
// handle; payment.created / payment.rejected: POST /paymenthub/v1/payments; payment.status: GET of
// the payment; webhooks are named after their eventType (PAYMENT_HANDLE_PAYABLE, PAYMENT_COMPLETED...).

bool send_money(const StepContext& c) { return get_string(c.txn.data, "mode") == "send_money"; }
bool unknown_mode(const StepContext& c) {
  auto mode = get_string(c.input.data, "mode");
  return !mode.empty() && mode != "request_money" && mode != "send_money";
}

bool handle_failed(const StepContext& c) { return interac::status(c) == "FAILED"; }
bool handle_expired(const StepContext& c) { return interac::status(c) == "EXPIRED"; }
bool handle_payable(const StepContext& c) { return interac::status(c) == "PAYABLE"; }
bool handle_completed(const StepContext& c) { return interac::status(c) == "COMPLETED"; }
bool past_handle_grace(const StepContext& c) {
  if (!c.txn.data.contains("handle_deadline_ms")) return false;
  return c.input.at_ms >= get_int(c.txn.data, "handle_deadline_ms") +
                              c.settings.get("handle_expiry_grace_ms", kHandleExpiryGraceMs);
}

bool payment_completed(const StepContext& c) { return interac::status(c) == "COMPLETED"; }
bool payment_failed(const StepContext& c) {
  auto s = interac::status(c);
  return s == "FAILED" || s == "ERRORED" || s == "CANCELLED";
}
bool past_processing_deadline(const StepContext& c) {
  return c.input.at_ms >= get_int(c.txn.data, "processing_deadline_ms", INT64_MAX);
}

bool failed_handle_request(const StepContext& c) { return failed_op(c) == "create_payment_handle"; }
bool failed_handle_check(const StepContext& c) { return failed_op(c) == "get_payment_handle"; }
bool failed_payment_request(const StepContext& c) { return failed_op(c) == "create_payment"; }
bool failed_payment_check(const StepContext& c) { return failed_op(c) == "get_payment"; }

// ---- what corridor does -------------------------------------------------------------------------

void refuse_mode(StepContext& c) {
  c.set_reason("unknown mode '" + std::string(get_string(c.input.data, "mode")) + "': request_money or send_money");
}

// Payment (request money): transactionType PAYMENT, paymentType INTERAC_ETRANSFER. Send money adds
// mode SEND_MONEY and the time the merchant keeps the transaction open (120 s at least).
void create_handle(StepContext& c) {
  const bool send = get_string(c.input.data, "mode") == "send_money";
  c.txn.data["mode"] = send ? "send_money" : "request_money";
  json::object p;
  p.reserve(8);  // built key by key: no regrowth on the way
  p["merchantRefNum"] = c.txn.txn_id;
  p["transactionType"] = "PAYMENT";
  p["paymentType"] = "INTERAC_ETRANSFER";
  p["amount"] = money_json(c.txn.amount);
  p["mode"] = send ? "SEND_MONEY" : "REQUEST_MONEY";
  if (send) {
    p["timeToLiveSeconds"] =
        std::max(kSendMoneyMinTtlSeconds, c.settings.get("send_money_ttl_seconds", kSendMoneyTtlSeconds));
  }
  p["interacEtransfer"] = interac::consumer(c.txn);
  if (const json::object* customer = get_object(c.txn.data, "customer")) p["customer"] = *customer;
  c.call("create_payment_handle", std::move(p));
}

json::object payment_params(const Transaction& t) {
  return {{"merchantRefNum", t.txn_id},
          {"amount", money_json(t.amount)},
          {"settleWithAuth", true},
          {"dupCheck", true},
          {"paymentHandleToken", get_string(t.provider_refs, "payment_handle_token")}};
}

// Send money: the customer pays from their bank with the instructions corridor shows; they stay the
// next action until the payment is final.
void show_instructions(StepContext& c) {
  if (!send_money(c)) return;
  if (const json::object* i = get_object(c.txn.data, "instructions")) c.txn.next_action = *i;
}

void keep_instructions(StepContext& c) {
  const json::object* e = get_object(c.input.data, "interacEtransfer");
  std::string_view reference = e ? get_string(*e, "paymentReference") : std::string_view{};
  if (reference.empty()) reference = get_string(c.input.data, "paymentReference");
  c.txn.data["instructions"] = {{"type", "display_instructions"},
                                {"method", "interac_send_money"},
                                {"payment_reference", reference},
                                {"amount", money_json(c.txn.amount)}};
}

// "L'appel à l'API POST /payments n'est possible que si l'état du paymentHandleToken est PAYABLE."
void pay_with_handle(StepContext& c) {
  interac::record_handle(c);
  if (send_money(c) && !c.txn.data.contains("instructions")) keep_instructions(c);
  show_instructions(c);
  c.cancel_timer("timer.handle_expired");
  c.cancel_timer("timer.poll");
  c.txn.data["payment_call_id"] = c.call("create_payment", payment_params(c.txn));
}

void retry_payment(StepContext& c) {
  c.call_again(std::string(get_string(c.txn.data, "payment_call_id")), "create_payment", payment_params(c.txn));
}

void arm_handle_ttl(StepContext& c) {
  const std::int64_t deadline = interac::handle_deadline(c);
  c.txn.data["handle_deadline_ms"] = deadline;
  c.set_timer("timer.handle_expired", deadline);
}

void poll_again(StepContext& c) { schedule_poll(c, kPollIntervalMs, kPollMaxIntervalMs); }

// Request money: action REDIRECT, link redirect_payment. The PAYABLE webhook may be lost: the handle
// is also read (GET, capped backoff), so a missed PAYMENT_HANDLE_PAYABLE is not left to the TTL.
void redirect_customer(StepContext& c) {
  interac::record_handle(c);
  std::string_view url;
  if (const json::value* links = c.input.data.if_contains("links"); links != nullptr && links->is_array()) {
    for (const auto& l : links->get_array())
      if (l.is_object() && get_string(l.get_object(), "rel") == "redirect_payment") url = get_string(l.get_object(), "href");
  }
  c.txn.next_action = {{"type", "redirect"}, {"url", url}};
  arm_handle_ttl(c);
  reset_poll(c);
  poll_again(c);
}

// Send money: action PAYABLE and a unique payment reference to show. As with request money, the
// handle is also read (GET, capped backoff): a lost webhook is not left to the TTL.
void instruct_customer(StepContext& c) {
  interac::record_handle(c);
  keep_instructions(c);
  show_instructions(c);
  arm_handle_ttl(c);
  reset_poll(c);
  poll_again(c);
}

void check_handle(StepContext& c) {
  c.call("get_payment_handle",
         {{"payment_handle_id", get_string(c.txn.provider_refs, "payment_handle_id")}, {"merchantRefNum", c.txn.txn_id}});
}

void check_handle_after_ttl(StepContext& c) {
  reset_poll(c);
  check_handle(c);
}

void handle_still_open(StepContext& c) { poll_again(c); }

void check_payment(StepContext& c) {
  c.call("get_payment", {{"payment_id", get_string(c.txn.provider_refs, "payment_id")}, {"merchantRefNum", c.txn.txn_id}});
}

// The payment is PROCESSING or PENDING: Paysafe tells corridor by webhook; polls back it up, and after
// two days a last check applies Paysafe's own rule.
void await_payment(StepContext& c) {
  if (c.input.name.starts_with("PAYMENT_HANDLE") || c.input.name.starts_with("handle.")) {
    interac::record_handle(c);
  } else {
    interac::record_resource(c, "payment_id");
  }
  show_instructions(c);
  c.cancel_timer("timer.handle_expired");
  c.cancel_timer("timer.retry");
  const std::int64_t deadline = c.input.at_ms + c.settings.get("processing_deadline_ms", kProcessingDeadlineMs);
  c.txn.data["processing_deadline_ms"] = deadline;
  c.set_timer("timer.payment_deadline", deadline);
  reset_poll(c);
  poll_again(c);
}

void record_payment(StepContext& c) { interac::record_resource(c, "payment_id"); }
void record_handle(StepContext& c) { interac::record_handle(c); }

void complete(StepContext& c) {
  if (!c.input.name.starts_with("PAYMENT_HANDLE")) interac::record_resource(c, "payment_id");
}

void fail_payment(StepContext& c) {
  complete(c);
  // A webhook is named after its event (PAYMENT_FAILED); a response carries the payment's status.
  const bool webhook = c.input.name.find('.') == std::string::npos;
  std::string reason = "Paysafe: " + (webhook ? c.input.name : "payment " + std::string(interac::status(c)));
  if (c.input.name == "PAYMENT_FAILED") reason += " (the downstream PSP refused it, HTTP 402)";
  c.set_reason(reason);
}

void two_day_rule(StepContext& c) {
  record_payment(c);
  c.set_reason("still PROCESSING two days after /payments: Paysafe marks such a payment FAILED");
}

void payment_refused(StepContext& c) { c.set_reason(with_detail("Paysafe refused the payment", c.input.data, "error")); }
void handle_refused(StepContext& c) { c.set_reason(with_detail("Paysafe refused the payment handle", c.input.data, "error")); }
void handle_not_created(StepContext& c) {
  c.set_reason(with_detail("no answer to the payment handle request; the customer never got a link", c.input.data, "error"));
}
void declined(StepContext& c) {
  interac::record_handle(c);
  c.set_reason("payment handle FAILED: the customer refused or did not finish the transfer");
}
void expired(StepContext& c) {
  interac::record_handle(c);
  c.set_reason("payment handle expired before it was used");
}
void expired_after_grace(StepContext& c) {
  interac::record_handle(c);
  c.set_reason("payment handle TTL and grace passed without the handle becoming PAYABLE");
}

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

Flow make_flow() {
  Flow f;
  f.id = "interac.payment";
  f.provider = "interac";
  f.name = "payment";
  f.states = {
      {"created", Status::pending},
      {"handle_requested", Status::pending},
      {"handle_initiated", Status::requires_action},
      {"handle_payable", Status::processing},
      {"payment_processing", Status::processing},
      {"completed", Status::succeeded, true},
      {"expired", Status::expired, true},
      {"declined", Status::declined, true},
      {"failed", Status::failed, true},
  };
  // clang-format off
  f.rows = {
    // from                  on                          guard                      to                    action
    {"created",              "payment.create",           "unknown mode",            unknown_mode,          "failed",             refuse_mode,         "mode is request_money (default) or send_money"},
    {"created",              "payment.create",           "",                        nullptr,               "handle_requested",   create_handle,       "create a payment handle: PAYMENT, INTERAC_ETRANSFER (SEND_MONEY with a TTL of 120 s at least)"},

    {"handle_requested",     "handle.created",           "handle FAILED",           handle_failed,         "declined",           declined,            "the handle came back FAILED"},
    {"handle_requested",     "handle.created",           "handle PAYABLE",          handle_payable,        "handle_payable",     pay_with_handle,     "the handle is PAYABLE already: POST /paymenthub/v1/payments"},
    {"handle_requested",     "handle.created",           "send money",              send_money,            "handle_initiated",   instruct_customer,   "send money: action PAYABLE, show the payment reference and instructions"},
    {"handle_requested",     "handle.created",           "",                        nullptr,               "handle_initiated",   redirect_customer,   "request money: action REDIRECT, send the customer to redirect_payment; GET the handle meanwhile"},
    {"handle_requested",     "handle.rejected",          "",                        nullptr,               "failed",             handle_refused,      "Paysafe refused the handle request"},
    {"handle_requested",     "call.failed",              "op create_payment_handle", failed_handle_request, "failed",            handle_not_created,  "no answer: no link was handed out, so nobody can pay"},
    {"handle_requested",     "transaction.reconcile", "",                        nullptr,               "handle_requested",   nullptr,             "reconciliation: the handle request is still out, its answer decides"},
    {"handle_requested",     "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "handle_payable",     pay_with_handle,     "the PAYABLE webhook overtook the handle response"},
    {"handle_requested",     "PAYMENT_HANDLE_FAILED",    "",                        nullptr,               "declined",           declined,            "the FAILED webhook overtook the handle response"},

    {"handle_initiated",     "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "handle_payable",     pay_with_handle,     "on PAYMENT_HANDLE_PAYABLE the merchant calls paymenthub/v1/payments"},
    {"handle_initiated",     "PAYMENT_HANDLE_FAILED",    "",                        nullptr,               "declined",           declined,            "the customer refused or did not finish: PAYMENT_HANDLE_FAILED"},
    {"handle_initiated",     "PAYMENT_HANDLE_EXPIRED",   "",                        nullptr,               "expired",            expired,             "not paid within the handle's TTL"},
    {"handle_initiated",     "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "payment_processing", await_payment,       "the handle was used: Paysafe paid on the merchant's behalf"},
    {"handle_initiated",     "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", await_payment,       "no /payments within 899 s: Paysafe pays for the merchant, PROCESSING then COMPLETED"},
    {"handle_initiated",     "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "no /payments within 899 s: Paysafe pays for the merchant"},
    {"handle_initiated",     "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: the same as PAYMENT_COMPLETED"},
    {"handle_initiated",     "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "the payment failed (402 downstream)"},
    {"handle_initiated",     "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"handle_initiated",     "timer.handle_expired",     "",                        nullptr,               "handle_initiated",   check_handle_after_ttl, "TTL passed: ask Paysafe what became of the handle"},
    {"handle_initiated",     "timer.poll",               "",                        nullptr,               "handle_initiated",   check_handle,        "GET the payment handle again"},
    {"handle_initiated",     "handle.status",            "handle FAILED",           handle_failed,         "declined",           declined,            "the customer refused or did not finish"},
    {"handle_initiated",     "handle.status",            "handle EXPIRED",          handle_expired,        "expired",            expired,             "the handle expired (its webhook is optional)"},
    {"handle_initiated",     "handle.status",            "handle PAYABLE",          handle_payable,        "handle_payable",     pay_with_handle,     "PAYABLE but its webhook was missed: POST /payments"},
    {"handle_initiated",     "handle.status",            "handle COMPLETED",        handle_completed,      "payment_processing", await_payment,       "the handle was used: a payment exists"},
    {"handle_initiated",     "handle.status",            "past expiry grace",       past_handle_grace,     "expired",            expired_after_grace, "TTL and grace passed and Paysafe still shows INITIATED"},
    {"handle_initiated",     "handle.status",            "",                        nullptr,               "handle_initiated",   handle_still_open,   "still INITIATED: check again, backing off"},
    {"handle_initiated",     "call.failed",              "op get_payment_handle",   failed_handle_check,   "handle_initiated",   poll_again,          "handle check failed: try again later"},
    {"handle_initiated",     "transaction.reconcile", "",                        nullptr,               "handle_initiated",   check_handle,        "reconciliation: GET the payment handle now"},
    {"handle_initiated",     "handle.created",           "",                        nullptr,               "handle_initiated",   record_handle,       "duplicate handle response"},

    {"handle_payable",       "payment.created",          "payment COMPLETED",       payment_completed,     "completed",          complete,            "Interac had told Paysafe already: COMPLETED in the response"},
    {"handle_payable",       "payment.created",          "payment FAILED",          payment_failed,        "failed",             fail_payment,        "the payment came back FAILED"},
    {"handle_payable",       "payment.created",          "",                        nullptr,               "payment_processing", await_payment,       "the payment is PENDING / PROCESSING until the customer pays"},
    {"handle_payable",       "payment.rejected",         "",                        nullptr,               "failed",             payment_refused,     "Paysafe refused /payments"},
    {"handle_payable",       "call.failed",              "op create_payment",       failed_payment_request, "handle_payable",    retry_later,         "no answer after retries: try again (merchantRefNum + dupCheck)"},
    {"handle_payable",       "timer.retry",              "",                        nullptr,               "handle_payable",     retry_payment,       "POST /payments again under the same idempotency key"},
    {"handle_payable",       "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", await_payment,       "the webhook overtook the /payments response"},
    {"handle_payable",       "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "the completion overtook the /payments response"},
    {"handle_payable",       "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: the same as PAYMENT_COMPLETED"},
    {"handle_payable",       "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "the payment failed (402 downstream)"},
    {"handle_payable",       "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"handle_payable",       "PAYMENT_HANDLE_EXPIRED",   "",                        nullptr,               "expired",            expired,             "/payments did not reach Paysafe within the TTL"},
    {"handle_payable",       "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "handle_payable",     nullptr,             "duplicate PAYABLE webhook"},
    {"handle_payable",       "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "handle_payable",     nullptr,             "the handle was used by our /payments"},
    {"handle_payable",       "transaction.reconcile", "",                        nullptr,               "handle_payable",     nullptr,             "reconciliation: POST /payments is out (or due again), its answer decides"},
    {"handle_payable",       "handle.created",           "",                        nullptr,               "handle_payable",     record_handle,       "the handle response after its PAYABLE webhook"},

    {"payment_processing",   "PAYMENT_COMPLETED",        "",                        nullptr,               "completed",          complete,            "the customer paid in time: PAYMENT_COMPLETED"},
    {"payment_processing",   "SETTLEMENT_COMPLETED",     "",                        nullptr,               "completed",          complete,            "settleWithAuth: SETTLEMENT_COMPLETED is the same"},
    {"payment_processing",   "PAYMENT_FAILED",           "",                        nullptr,               "failed",             fail_payment,        "two days later Paysafe marks it failed: PAYMENT_FAILED"},
    {"payment_processing",   "PAYMENT_ERRORED",          "",                        nullptr,               "failed",             fail_payment,        "the payment errored"},
    {"payment_processing",   "SETTLEMENT_FAILED",        "",                        nullptr,               "failed",             fail_payment,        "the settlement failed"},
    {"payment_processing",   "SETTLEMENT_ERRORED",       "",                        nullptr,               "failed",             fail_payment,        "the settlement errored"},
    {"payment_processing",   "PAYMENT_PROCESSING",       "",                        nullptr,               "payment_processing", record_payment,      "duplicate PROCESSING webhook"},
    {"payment_processing",   "payment.created",          "payment COMPLETED",       payment_completed,     "completed",          complete,            "the /payments response after the webhook says COMPLETED"},
    {"payment_processing",   "payment.created",          "",                        nullptr,               "payment_processing", record_payment,      "the /payments response after the webhook: keep the payment id"},
    {"payment_processing",   "PAYMENT_HANDLE_COMPLETED", "",                        nullptr,               "payment_processing", nullptr,             "late handle webhook"},
    {"payment_processing",   "PAYMENT_HANDLE_PAYABLE",   "",                        nullptr,               "payment_processing", nullptr,             "late PAYABLE webhook"},
    {"payment_processing",   "transaction.reconcile", "",                        nullptr,               "payment_processing", check_payment,       "reconciliation: GET the payment now"},
    {"payment_processing",   "timer.poll",               "",                        nullptr,               "payment_processing", check_payment,       "GET the payment (Interac tells Paysafe within 30 minutes)"},
    {"payment_processing",   "timer.payment_deadline",   "",                        nullptr,               "payment_processing", check_payment,       "two days in PROCESSING: a last check"},
    {"payment_processing",   "payment.status",           "payment COMPLETED",       payment_completed,     "completed",          complete,            "GET says COMPLETED"},
    {"payment_processing",   "payment.status",           "payment FAILED",          payment_failed,        "failed",             fail_payment,        "GET says FAILED / ERRORED / CANCELLED"},
    {"payment_processing",   "payment.status",           "past two-day deadline",   past_processing_deadline, "failed",          two_day_rule,        "still PROCESSING two days later: Paysafe marks it failed"},
    {"payment_processing",   "payment.status",           "",                        nullptr,               "payment_processing", poll_again,          "still PROCESSING: check again, backing off"},
    {"payment_processing",   "call.failed",              "op get_payment",          failed_payment_check,  "payment_processing", poll_again,          "payment check failed: try again later"},
  };
  // clang-format on
  return f;
}

}  // namespace

const Flow& interac_payment_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
