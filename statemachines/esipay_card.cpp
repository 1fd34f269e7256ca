#include "statemachines/esipay_card.hpp"

#include "statemachines/flow_support.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

// ---- what esipay said ---------------------------------------------------------------------------
// charge.succeeded / charge.failed carry the HTTP status of /cardpay/uuid/cid/...; esipay.callback
// carries the return-URL POST {type, amount, transaction, cid}; refund.succeeded / refund.failed the
// HTTP status of a refund. esipay has no status endpoint and no idempotency key: the executor never
// retries a cardpay or refund call; a timeout comes back as call.failed.
//
// Refund bookkeeping lives in txn.data: captured_amount, refunded_amount, remaining_amount (minor
// units), refund_in_flight {command_id, amount, op} while a refund call is out, and refunds, the list
// of every refund command {command_id, amount, status: pending|succeeded|failed|unknown|refused,
// reason, at}. One refund is out at a time.

std::int64_t captured_amount(const Transaction& t) { return get_int(t.data, "captured_amount", t.amount.value); }
std::int64_t refunded_amount(const Transaction& t) { return get_int(t.data, "refunded_amount", 0); }
std::int64_t remaining_amount(const Transaction& t) { return captured_amount(t) - refunded_amount(t); }

bool failed_cardpay(const StepContext& c) { return failed_op(c) == "cardpay"; }
bool failed_refund(const StepContext& c) { return failed_op(c).starts_with("refund"); }

bool reconciled_captured(const StepContext& c) { return get_string(c.input.data, "outcome") == "captured"; }
bool reconciled_failed(const StepContext& c) { return get_string(c.input.data, "outcome") == "failed"; }

// refund.create's optional amount: {"value": minor units, "currency": ...} or a bare integer.
struct RequestedRefund {
  bool valid = true;
  std::int64_t value = 0;
  std::string problem;
};

RequestedRefund requested_refund(const StepContext& c) {
  RequestedRefund r;
  const json::value* amount = c.input.data.if_contains("amount");
  if (amount == nullptr || amount->is_null()) {
    r.value = remaining_amount(c.txn);  // no amount: whatever is left
    return r;
  }
  if (amount->is_object()) {
    const auto& o = amount->get_object();
    if (auto currency = get_string(o, "currency"); !currency.empty() && currency != c.txn.amount.currency) {
      r.valid = false;
      r.problem = "refund currency " + std::string(currency) + " differs from the payment's " + c.txn.amount.currency;
      return r;
    }
    r.value = get_int(o, "value", -1);
  } else {
    r.value = get_int(c.input.data, "amount", -1);
  }
  if (r.value <= 0) {
    r.valid = false;
    r.problem = "refund amount must be a positive integer of minor units";
  }
  return r;
}

bool duplicate_refund_command(const StepContext& c) {
  const json::value* refunds = c.txn.data.if_contains("refunds");
  if (refunds == nullptr || !refunds->is_array()) return false;
  const auto id = command_id(c);
  for (const auto& r : refunds->get_array())
    if (r.is_object() && get_string(r.get_object(), "command_id") == id) return true;
  return false;
}
bool refund_in_flight(const StepContext& c) { return get_object(c.txn.data, "refund_in_flight") != nullptr; }
// Only the refund still out can time out: a repeated failure notice finds none and changes nothing.
bool failed_refund_in_flight(const StepContext& c) { return failed_refund(c) && refund_in_flight(c); }
bool no_esipay_transaction(const StepContext& c) { return get_string(c.txn.provider_refs, "transaction").empty(); }
bool invalid_refund_amount(const StepContext& c) { return !requested_refund(c).valid; }
bool over_remaining(const StepContext& c) { return requested_refund(c).value > remaining_amount(c.txn); }
// Nothing refunded yet and the whole amount asked: esipay's full-refund URL.
bool whole_amount(const StepContext& c) {
  return refunded_amount(c.txn) == 0 && requested_refund(c).value == captured_amount(c.txn);
}

std::int64_t in_flight_amount(const Transaction& t) {
  const json::object* f = get_object(t.data, "refund_in_flight");
  return f ? get_int(*f, "amount") : 0;
}
bool refund_completes(const StepContext& c) {
  return refund_in_flight(c) && in_flight_amount(c.txn) >= remaining_amount(c.txn);
}

// ---- what corridor does -------------------------------------------------------------------------

void charge(StepContext& c) {
  // cid is corridor's txn_id: the return-URL callback carries it back. The card travels encrypted
  // beside the call and is written into the URL path by the adapter only.
  c.call("cardpay", {{"cid", c.txn.txn_id}, {"amount", money_json(c.txn.amount)}, {"card", "attached"}});
}

void record_callback(StepContext& c) {
  const auto& d = c.input.data;
  if (auto t = get_string(d, "transaction"); !t.empty()) c.txn.provider_refs["transaction"] = t;
  // "amount : montant réel de la transaction": what refunds are bounded by.
  if (auto exponent = currency_exponent(c.txn.amount.currency)) {
    if (auto real = parse_decimal_amount(get_string(d, "amount"), *exponent)) c.txn.data["captured_amount"] = *real;
  }
  c.txn.data["callback_received"] = true;
  if (c.txn.data.contains("remaining_amount")) c.txn.data["remaining_amount"] = remaining_amount(c.txn);
}

void capture(StepContext& c) {
  c.txn.data["captured_amount"] = captured_amount(c.txn);
  c.txn.data["refunded_amount"] = refunded_amount(c.txn);
  c.txn.data["remaining_amount"] = remaining_amount(c.txn);
}

void charge_failed(StepContext& c) {
  const std::int64_t status = get_int(c.input.data, "http_status");
  std::string reason = "esipay refused the payment";
  if (status == 400) reason = "esipay: a request parameter is incorrect (400)";
  if (status == 403) reason = "esipay: the calling server's address is not allowed (403)";
  if (status == 500) reason = "esipay: service error (500)";
  c.set_reason(with_detail(reason, c.input.data, "error"));
}

void outcome_unknown(StepContext& c) {
  c.set_reason(with_detail("no answer from esipay and no status endpoint: reconcile", c.input.data, "error"));
}

void late_callback(StepContext& c) {
  record_callback(c);
  c.set_reason("return URL called after the timeout: most likely captured; reconcile");
}

void reconcile_captured(StepContext& c) {
  if (auto t = get_string(c.input.data, "transaction"); !t.empty()) c.txn.provider_refs["transaction"] = t;
  capture(c);
  c.set_reason(with_detail("reconciled as captured", c.input.data, "reason"));
}

void reconcile_failed(StepContext& c) { c.set_reason(with_detail("reconciled as failed", c.input.data, "reason")); }

void append_refund(StepContext& c, std::int64_t amount, std::string_view status, std::string_view reason) {
  json::object entry{{"command_id", command_id(c)}, {"amount", amount}, {"status", status},
                     {"at", format_time(c.input.at_ms)}};
  if (!reason.empty()) entry["reason"] = reason;
  json::value& refunds = c.txn.data["refunds"];
  if (!refunds.is_array()) refunds = json::array{};
  refunds.as_array().push_back(std::move(entry));
}

void refuse_refund(StepContext& c, const std::string& reason) {
  const auto requested = requested_refund(c);
  append_refund(c, requested.valid ? requested.value : 0, "refused", reason);
  record_refusal(c, reason);
}

void refuse_in_flight(StepContext& c) { refuse_refund(c, "refund refused: another refund is in progress"); }
void refuse_no_transaction(StepContext& c) {
  refuse_refund(c, "refund refused: esipay's transaction id is not known yet (no callback received)");
}
void refuse_invalid_amount(StepContext& c) { refuse_refund(c, "refund refused: " + requested_refund(c).problem); }
void refuse_over_remaining(StepContext& c) {
  refuse_refund(c, "refund refused: " + std::to_string(requested_refund(c).value) + " is more than the remaining " +
                       std::to_string(remaining_amount(c.txn)) + " " + c.txn.amount.currency);
}

void send_refund(StepContext& c, std::string op, json::object params, std::int64_t amount) {
  append_refund(c, amount, "pending", {});
  const std::string call_id = c.call(op, std::move(params));
  c.txn.data["refund_in_flight"] = {{"command_id", command_id(c)}, {"amount", amount}, {"op", op}, {"call_id", call_id}};
}

// Remboursement: /cardpay/uuid/transaction.
void refund_whole(StepContext& c) {
  const std::int64_t amount = captured_amount(c.txn);
  send_refund(c, "refund", {{"cid", c.txn.txn_id}, {"transaction", get_string(c.txn.provider_refs, "transaction")}},
              amount);
}

// Remboursement partiel: /cardpay/uuid/transaction/amount.
void refund_part(StepContext& c) {
  const std::int64_t amount = requested_refund(c).value;
  send_refund(c, "refund_partial",
              {{"cid", c.txn.txn_id},
               {"transaction", get_string(c.txn.provider_refs, "transaction")},
               {"amount", money_json(Money{amount, c.txn.amount.currency})}},
              amount);
}

// Marks the refund in flight with its outcome and forgets it.
void settle_in_flight(StepContext& c, std::string_view status, std::string_view reason) {
  const json::object* f = get_object(c.txn.data, "refund_in_flight");
  if (f == nullptr) return;
  const std::string id(get_string(*f, "command_id"));
  if (json::value* refunds = c.txn.data.if_contains("refunds"); refunds != nullptr && refunds->is_array()) {
    for (auto& r : refunds->as_array()) {
      if (!r.is_object() || get_string(r.get_object(), "command_id") != id) continue;
      r.as_object()["status"] = status;
      if (!reason.empty()) r.as_object()["reason"] = reason;
    }
  }
  c.txn.data.erase("refund_in_flight");
}

void refund_succeeded(StepContext& c) {
  const std::int64_t amount = in_flight_amount(c.txn);
  settle_in_flight(c, "succeeded", {});
  const std::int64_t refunded = refunded_amount(c.txn) + amount;
  c.txn.data["captured_amount"] = captured_amount(c.txn);
  c.txn.data["refunded_amount"] = refunded;
  c.txn.data["remaining_amount"] = captured_amount(c.txn) - refunded;
}

void refund_failed(StepContext& c) {
  std::string reason = "esipay refused the refund";
  if (get_int(c.input.data, "http_status") == 400) reason = "esipay: incorrect parameter or amount over the remaining (400)";
  settle_in_flight(c, "failed", with_detail(reason, c.input.data, "error"));
}

// No answer: esipay may or may not have refunded. The refund is marked unknown and the remaining
// amount left as it was; esipay itself refuses a partial refund over what is left (400).
void refund_unknown(StepContext& c) {
  const std::string reason = with_detail("refund outcome unknown, no answer from esipay: reconcile", c.input.data, "error");
  settle_in_flight(c, "unknown", reason);
  c.set_reason(reason);  // announced: accounting must know a refund may or may not have happened
}

Flow make_flow() {
  Flow f;
  f.id = "esipay.card";
  f.provider = "esipay";
  f.name = "card";
  f.required_fields = {"card.number", "card.exp_month", "card.exp_year"};
  f.states = {
      {"created", Status::pending},
      {"charging", Status::processing},
      {"callback_received", Status::processing},
      {"captured", Status::succeeded},
      {"partially_refunded", Status::partially_refunded},
      {"unknown", Status::unknown},
      {"refunded", Status::refunded, true},
      {"failed", Status::failed, true},
  };
  // clang-format off
  f.rows = {
    // from               on                      guard                      to                    action
    {"created",           "payment.create",       "",                        nullptr,                  "charging",           charge,                 "Paiement par carte bancaire: /cardpay/uuid/cid/cardnumber/cardmonth/cardyear/amount"},

    {"charging",          "esipay.callback",      "",                        nullptr,                  "callback_received",  record_callback,        "the return URL is called (and answered 200) before esipay answers"},
    {"charging",          "charge.succeeded",     "",                        nullptr,                  "captured",           capture,                "200 reached corridor before the callback did"},
    {"charging",          "charge.failed",        "",                        nullptr,                  "failed",             charge_failed,          "400 incorrect parameter, 403 address not allowed, 500 service error"},
    {"charging",          "call.failed",          "op cardpay",              failed_cardpay,           "unknown",            outcome_unknown,        "timeout: esipay has no status endpoint"},

    {"charging",          "transaction.reconcile", "",                       nullptr,                  "charging",           nullptr,                "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"callback_received", "charge.succeeded",     "",                        nullptr,                  "captured",           capture,                "200: transaction done and the return URL answered"},
    {"callback_received", "charge.failed",        "",                        nullptr,                  "failed",             charge_failed,          "esipay cancels the payment despite the callback"},
    {"callback_received", "call.failed",          "op cardpay",              failed_cardpay,           "unknown",            outcome_unknown,        "callback received but no HTTP answer"},
    {"callback_received", "esipay.callback",      "",                        nullptr,                  "callback_received",  record_callback,        "duplicate callback"},

    {"callback_received", "transaction.reconcile", "",                       nullptr,                  "callback_received",  nullptr,                "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"captured",          "esipay.callback",      "",                        nullptr,                  "captured",           record_callback,        "the callback after the 200: keep esipay's transaction id"},
    {"captured",          "charge.succeeded",     "",                        nullptr,                  "captured",           nullptr,                "duplicate 200"},
    {"captured",          "refund.create",        "duplicate command",       duplicate_refund_command, "captured",           nullptr,                "the same refund command again: already handled"},
    {"captured",          "refund.create",        "refund in flight",        refund_in_flight,         "captured",           refuse_in_flight,       "one refund at a time"},
    {"captured",          "refund.create",        "no esipay transaction",   no_esipay_transaction,    "captured",           refuse_no_transaction,  "a refund needs the callback's transaction id"},
    {"captured",          "refund.create",        "invalid amount",          invalid_refund_amount,    "captured",           refuse_invalid_amount,  "refund amount not a positive amount of the payment's currency"},
    {"captured",          "refund.create",        "over remaining",          over_remaining,           "captured",           refuse_over_remaining,  "refused before any call: more than the remaining amount"},
    {"captured",          "refund.create",        "whole amount",            whole_amount,             "captured",           refund_whole,           "Remboursement: /cardpay/uuid/transaction"},
    {"captured",          "refund.create",        "",                        nullptr,                  "captured",           refund_part,            "Remboursement partiel: /cardpay/uuid/transaction/amount"},
    {"captured",          "refund.succeeded",     "refund completes",        refund_completes,         "refunded",           refund_succeeded,       "200: refund done, nothing left"},
    {"captured",          "refund.succeeded",     "refund in flight",        refund_in_flight,         "partially_refunded", refund_succeeded,       "200: partial refund done"},
    {"captured",          "refund.succeeded",     "",                        nullptr,                  "captured",           nullptr,                "duplicate refund answer: no refund out"},
    {"captured",          "refund.failed",        "",                        nullptr,                  "captured",           refund_failed,          "400/403/500 on a refund: nothing refunded"},
    {"captured",          "call.failed",          "op refund, refund out",   failed_refund_in_flight,  "captured",           refund_unknown,         "refund timeout: outcome unknown (announced)", kAnnounces},

    {"captured",          "transaction.reconcile", "",                       nullptr,                  "captured",           nullptr,                "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"partially_refunded", "refund.create",       "duplicate command",       duplicate_refund_command, "partially_refunded", nullptr,                "the same refund command again: already handled"},
    {"partially_refunded", "refund.create",       "refund in flight",        refund_in_flight,         "partially_refunded", refuse_in_flight,       "one refund at a time"},
    {"partially_refunded", "refund.create",       "invalid amount",          invalid_refund_amount,    "partially_refunded", refuse_invalid_amount,  "refund amount not a positive amount of the payment's currency"},
    {"partially_refunded", "refund.create",       "over remaining",          over_remaining,           "partially_refunded", refuse_over_remaining,  "refused before any call: more than the remaining amount"},
    {"partially_refunded", "refund.create",       "",                        nullptr,                  "partially_refunded", refund_part,            "Remboursement partiel of (part of) what is left"},
    {"partially_refunded", "refund.succeeded",    "refund completes",        refund_completes,         "refunded",           refund_succeeded,       "200: the last part refunded"},
    {"partially_refunded", "refund.succeeded",    "refund in flight",        refund_in_flight,         "partially_refunded", refund_succeeded,       "200: another partial refund: same state, a new version and event", kAnnounces},
    {"partially_refunded", "refund.succeeded",    "",                        nullptr,                  "partially_refunded", nullptr,                "duplicate refund answer: no refund out"},
    {"partially_refunded", "refund.failed",       "",                        nullptr,                  "partially_refunded", refund_failed,          "400/403/500 on a refund: nothing refunded"},
    {"partially_refunded", "call.failed",         "op refund, refund out",   failed_refund_in_flight,  "partially_refunded", refund_unknown,         "refund timeout: outcome unknown (announced)", kAnnounces},
    {"partially_refunded", "esipay.callback",     "",                        nullptr,                  "partially_refunded", nullptr,                "late duplicate callback"},

    {"partially_refunded", "transaction.reconcile", "",                       nullptr,                  "partially_refunded", nullptr,                "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"unknown",           "esipay.callback",      "",                        nullptr,                  "unknown",            late_callback,          "the return URL was called after our timeout"},
    {"unknown",           "charge.succeeded",     "",                        nullptr,                  "captured",           capture,                "a late 200"},
    {"unknown",           "charge.failed",        "",                        nullptr,                  "failed",             charge_failed,          "a late refusal"},
    {"unknown",           "transaction.reconcile", "outcome captured",       reconciled_captured,      "captured",           reconcile_captured,     "an operator checked esipay's back office: captured"},
    {"unknown",           "transaction.reconcile", "outcome failed",         reconciled_failed,        "failed",             reconcile_failed,       "an operator checked esipay's back office: not captured"},
    {"unknown",           "transaction.reconcile", "",                       nullptr,                  "unknown",            nullptr,                "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},
  };
  // clang-format on
  return f;
}

}  // namespace

const Flow& esipay_card_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
