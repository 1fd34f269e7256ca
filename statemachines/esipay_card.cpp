#include "statemachines/esipay_card.hpp"

#include <span>

#include "statemachines/esipay_inputs.hpp"
#include "statemachines/flow_support.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

using Data = EsipayCardData;

Data& data(const StepContext& c) { return c.txn.data.as<Data>(); }
Data& data(Transaction& t) { return t.data.as<Data>(); }
const Data& data(const Transaction& t) { return t.data.as<Data>(); }

// Settings (providers.esipay; docs/providers/esipay.md documents each). esipay has no idempotency
// key, so the only call corridor sends again is one that never left corridor (`sent: false`, a
// circuit open): after 30 s, doubled up to ten times that, at most kMaxRetries times.
constexpr std::int64_t kRetryAfterMs = 30000;
constexpr std::int64_t kMaxRetries = 3;

// ---- what esipay said ---------------------------------------------------------------------------
// charge.succeeded / charge.failed carry esipay's answer to /cardpay/uuid/cid/... (EsipayAnswer: its
// HTTP status and, on a refusal, what the refusal means); esipay.callback carries the return-URL POST
// (EsipayCallback {type, amount, transaction, cid}); refund.succeeded / refund.failed the answer to a
// refund (EsipayAnswer); statemachines/esipay_inputs.hpp declares them. esipay has no status endpoint
// and no idempotency key: the executor never retries a cardpay or refund call; a timeout comes back as
// call.failed.
//
// What esipay's settlement file says (corridor reconcile --settlement, engine/reconcile.cpp) comes
// through corridor.inputs too (EsipaySettlement): charge.settled {transaction, amount, currency, line}
// or charge.not_settled {through} for a charge whose outcome is unknown; refund.settled /
// refund.not_settled {command_id, amount, currency, line | through} for a refund whose outcome is.
//
// Refund bookkeeping (EsipayCardData): the captured amount, Transaction::refunded_amount, every
// refund command in `refunds`, and the refund call that is out in `refund_in_flight`. A pending or
// unknown refund reserves its amount: what may still be refunded is captured - refunded - reserved,
// until the refund's outcome is known (its answer, or the settlement file for a timeout). One refund
// call is out at a time.

std::int64_t captured_amount(const Transaction& t) { return data(t).captured_amount.value_or(t.amount.value); }
std::int64_t refunded_amount(const Transaction& t) { return t.refunded_amount.value_or(0); }

std::span<const EsipayRefund> refund_list(const Transaction& t) {
  const auto& refunds = data(t).refunds;
  return refunds ? std::span<const EsipayRefund>(*refunds) : std::span<const EsipayRefund>();
}

// Refunds whose outcome is not known yet (a call out, or a timeout): their amounts are reserved.
std::int64_t reserved_amount(const Transaction& t) {
  std::int64_t reserved = 0;
  for (const EsipayRefund& r : refund_list(t))
    if (r.status == "pending" || r.status == "unknown") reserved += r.amount;
  return reserved;
}
std::int64_t remaining_amount(const Transaction& t) {
  return captured_amount(t) - refunded_amount(t) - reserved_amount(t);
}

void write_amounts(Transaction& t) {
  Data& d = data(t);
  d.captured_amount = captured_amount(t);
  t.refunded_amount = refunded_amount(t);
  d.reserved_amount = reserved_amount(t);
  d.remaining_amount = remaining_amount(t);
}

std::string money_text(const Transaction& t, std::int64_t minor) {
  return format_decimal_amount(minor, currency_exponent(t.amount.currency).value_or(0)) + " " + t.amount.currency;
}

bool failed_cardpay(const StepContext& c) { return failed_op(c) == "cardpay"; }
bool failed_refund(const StepContext& c) { return failed_op(c).starts_with("refund"); }
bool charge_refused(const StepContext& c) { return failed_cardpay(c) && refused_before_send(c); }
bool charge_not_sent(const StepContext& c) { return failed_cardpay(c) && not_sent(c); }
bool charge_not_sent_spent(const StepContext& c) { return charge_not_sent(c) && retries_spent(c, kMaxRetries); }

const EsipayAnswer& answer(const StepContext& c) { return c.input_as<EsipayAnswer>(); }
const EsipayCallback& callback(const StepContext& c) { return c.input_as<EsipayCallback>(); }
const EsipaySettlement& settlement(const StepContext& c) { return c.input_as<EsipaySettlement>(); }
const EsipayReconcile& reconciliation(const StepContext& c) { return c.input_as<EsipayReconcile>(); }

// What esipay's refusal means. Answers recorded before the adapter named it carry only the HTTP
// status: read as the flow read them then (400, 403, 500), so that they replay alike.
std::string_view refusal(const EsipayAnswer& a) {
  if (!a.refusal.empty()) return a.refusal;
  switch (a.http_status) {
    case 400: return esipay_refusal::kIncorrectParameter;
    case 403: return esipay_refusal::kAddressNotAllowed;
    case 500: return esipay_refusal::kServiceError;
    default: return {};
  }
}

bool reconciled_captured(const StepContext& c) { return reconciliation(c).outcome == "captured"; }
bool reconciled_failed(const StepContext& c) { return reconciliation(c).outcome == "failed"; }

// "amount : montant réel de la transaction", read exactly in the payment's currency. An amount that
// cannot be read is never taken for the one asked.
std::optional<Money> real_amount(const std::optional<json::value>& amount, const Transaction& t) {
  return reported_money(amount ? &*amount : nullptr, t.amount.currency);
}
bool callback_amount_differs(const StepContext& c) {
  return !same_money(real_amount(callback(c).amount, c.txn), c.txn.amount);
}
// The first callback, after the 200: its amount is the first esipay reports.
bool first_callback_amount_differs(const StepContext& c) {
  return !data(c).callback_received.value_or(false) && callback_amount_differs(c);
}
// The callback received before the 200 named another amount than the one asked.
bool recorded_callback_differs(const StepContext& c) {
  const std::optional<json::value>& amount = data(c).callback_amount;
  return amount && !same_money(real_amount(amount, c.txn), c.txn.amount);
}
std::optional<Money> settled_amount(const StepContext& c) {
  const EsipaySettlement& s = settlement(c);
  return reported_money(s.amount ? &*s.amount : nullptr, s.currency.empty() ? c.txn.amount.currency : s.currency);
}
bool settled_amount_differs(const StepContext& c) { return !same_money(settled_amount(c), c.txn.amount); }

// refund.create's optional amount: {"value": minor units, "currency": ...} or a bare integer.
struct RequestedRefund {
  bool valid = true;
  std::int64_t value = 0;
  std::string problem;
};

RequestedRefund requested_refund(const StepContext& c) {
  RequestedRefund r;
  std::optional<json::value> amount = c.input_as<EsipayRefundCommand>().amount;
  if (!amount) {
    r.value = remaining_amount(c.txn);  // no amount: whatever is left
    if (r.value <= 0) {
      r.valid = false;
      r.problem = "nothing remains to be refunded (" + std::to_string(reserved_amount(c.txn)) + " " +
                  c.txn.amount.currency + " reserved by refunds of unknown outcome)";
    }
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
    r.value = -1;  // a bare integer of minor units, else not an amount
    fields::read(*amount, r.value);
  }
  if (r.value <= 0) {
    r.valid = false;
    r.problem = "refund amount must be a positive integer of minor units";
  }
  return r;
}

// The refund command of `id` in data.refunds, or null.
const EsipayRefund* refund_entry(const Transaction& t, std::string_view id) {
  for (const EsipayRefund& r : refund_list(t))
    if (r.command_id == id) return &r;
  return nullptr;
}

bool duplicate_refund_command(const StepContext& c) { return refund_entry(c.txn, command_id(c)) != nullptr; }
bool refund_in_flight(const StepContext& c) { return data(c).refund_in_flight.has_value(); }
// Only the refund still out can time out: a repeated failure notice finds none and changes nothing.
bool failed_refund_in_flight(const StepContext& c) { return failed_refund(c) && refund_in_flight(c); }
// Nothing left corridor (a circuit open, or the adapter refusing the call): nothing was refunded.
bool refund_not_sent(const StepContext& c) { return failed_refund_in_flight(c) && not_sent(c); }
bool no_esipay_transaction(const StepContext& c) { return c.txn.provider_refs.get(esipay_refs::kTransaction).empty(); }
bool invalid_refund_amount(const StepContext& c) { return !requested_refund(c).valid; }
bool over_remaining(const StepContext& c) { return requested_refund(c).value > remaining_amount(c.txn); }
// esipay's full-refund URL refunds the transaction as esipay holds it: only when nothing was refunded,
// nothing is reserved by a refund of unknown outcome, and the whole amount is asked.
bool whole_amount(const StepContext& c) {
  return refunded_amount(c.txn) == 0 && reserved_amount(c.txn) == 0 &&
         requested_refund(c).value == captured_amount(c.txn);
}

std::int64_t in_flight_amount(const Transaction& t) {
  const auto& f = data(t).refund_in_flight;
  return f ? f->amount : 0;
}
bool refund_completes(const StepContext& c) {
  return refund_in_flight(c) && refunded_amount(c.txn) + in_flight_amount(c.txn) >= captured_amount(c.txn);
}

// The settlement file's word on a refund whose outcome is unknown (named by its command id).
const EsipayRefund* settled_refund(const StepContext& c) {
  const EsipayRefund* entry = refund_entry(c.txn, settlement(c).command_id);
  return entry != nullptr && entry->status == "unknown" ? entry : nullptr;
}
bool unknown_refund(const StepContext& c) { return settled_refund(c) != nullptr; }
bool unknown_refund_completes(const StepContext& c) {
  const EsipayRefund* entry = settled_refund(c);
  return entry != nullptr && refunded_amount(c.txn) + entry->amount >= captured_amount(c.txn);
}

// ---- what corridor does -------------------------------------------------------------------------

struct CardpayParams {
  static constexpr bool kWritesEmptyText = true;
  std::string cid;
  Money amount;
  std::string card = "attached";
};
BOOST_DESCRIBE_STRUCT(CardpayParams, (), (cid, amount, card))

CardpayParams cardpay_params(const Transaction& t) {
  // cid is corridor's txn_id: the return-URL callback carries it back. The card travels encrypted
  // beside the call and is written into the URL path by the adapter only.
  return {.cid = t.txn_id, .amount = t.amount};
}

void charge(StepContext& c) {
  reset_retries(c);
  data(c).charge_call_id = c.call("cardpay", cardpay_params(c.txn));
}

// Nothing left corridor, so nothing can have been charged: the same call again is safe.
void charge_again(StepContext& c) {
  c.call_again(data(c).charge_call_id, "cardpay", cardpay_params(c.txn));
}

void retry_later(StepContext& c) { schedule_retry(c, kRetryAfterMs); }

void charge_never_sent(StepContext& c) {
  c.set_reason(with_failure(refused_before_send(c) ? "payment refused before sending, nothing reached esipay"
                                                   : "payment never sent (no way to esipay), retries spent",
                            c));
}

void record_callback(StepContext& c) {
  const EsipayCallback& cb = callback(c);
  c.txn.provider_refs.set(esipay_refs::kTransaction, cb.transaction);
  // "amount : montant réel de la transaction", as esipay wrote it; compared with the amount asked
  // when the charge is settled.
  if (cb.amount) data(c).callback_amount = *cb.amount;
  data(c).callback_received = true;
}

void capture(StepContext& c) {
  // Reached only when no amount esipay reported differs from the one asked.
  data(c).captured_amount = c.txn.amount.value;
  write_amounts(c.txn);
}

void charge_failed(StepContext& c) {
  const EsipayAnswer& a = answer(c);
  const std::string_view why = refusal(a);
  std::string_view reason = "esipay refused the payment";
  if (why == esipay_refusal::kIncorrectParameter) reason = "esipay: a request parameter is incorrect (400)";
  if (why == esipay_refusal::kAddressNotAllowed) reason = "esipay: the calling server's address is not allowed (403)";
  if (why == esipay_refusal::kServiceError) reason = "esipay: service error (500)";
  c.set_reason(with_detail(reason, a.error));
}

void outcome_unknown(StepContext& c) {
  c.set_reason(with_failure("no answer from esipay and no status endpoint: reconcile", c));
}

// The 200 after a callback whose real amount is not the one asked.
void captured_other_amount(StepContext& c) {
  record_amount_mismatch(c, real_amount(data(c).callback_amount, c.txn), "esipay's return URL (montant réel)");
}

// A first callback after the 200, whose real amount is not the one asked.
void callback_other_amount(StepContext& c) {
  record_callback(c);
  record_amount_mismatch(c, real_amount(callback(c).amount, c.txn), "esipay's return URL (montant réel)");
}

void late_callback(StepContext& c) {
  record_callback(c);
  std::string reason = "return URL called after the timeout: most likely captured; reconcile";
  if (callback_amount_differs(c)) {
    const std::optional<json::value> amount = callback(c).amount;
    const std::string_view written = amount && amount->is_string() ? std::string_view(amount->get_string()) : "";
    reason += " (its real amount, " + std::string(written) + ", is not the " + money_text(c.txn, c.txn.amount.value) +
              " asked)";
  }
  c.set_reason(reason);
}

void reconcile_captured(StepContext& c) {
  const EsipayReconcile& r = reconciliation(c);
  c.txn.provider_refs.set(esipay_refs::kTransaction, r.transaction);
  capture(c);
  c.set_reason(with_detail("reconciled as captured", r.reason));
}

void reconcile_failed(StepContext& c) { c.set_reason(with_detail("reconciled as failed", reconciliation(c).reason)); }

// The settlement file has the charge: esipay charged it.
void settled_captured(StepContext& c) {
  const EsipaySettlement& s = settlement(c);
  c.txn.provider_refs.set(esipay_refs::kTransaction, s.transaction);
  capture(c);
  c.set_reason("found in esipay's settlement file (line " + std::to_string(s.line) + "): captured");
}

void settled_other_amount(StepContext& c) {
  const EsipaySettlement& s = settlement(c);
  c.txn.provider_refs.set(esipay_refs::kTransaction, s.transaction);
  record_amount_mismatch(c, settled_amount(c), "esipay's settlement file (line " + std::to_string(s.line) + ")");
}

void not_settled(StepContext& c) {
  c.set_reason(with_detail("not in esipay's settlement file: not charged", settlement(c).through));
}

void append_refund(StepContext& c, std::int64_t amount, std::string_view status, std::string_view reason) {
  auto& refunds = data(c).refunds;
  if (!refunds) refunds.emplace();
  refunds->push_back({.command_id = std::string(command_id(c)),
                      .amount = amount,
                      .status = std::string(status),
                      .at = format_time(c.input.at_ms),
                      .reason = std::string(reason)});
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
  std::string reason = "refund refused: " + std::to_string(requested_refund(c).value) + " is more than the remaining " +
                       std::to_string(remaining_amount(c.txn)) + " " + c.txn.amount.currency;
  if (const std::int64_t reserved = reserved_amount(c.txn); reserved > 0)
    reason += " (" + std::to_string(reserved) + " reserved by refunds of unknown outcome)";
  refuse_refund(c, reason);
}

// A refund's parameters: the transaction, and for a partial refund the amount.
struct RefundParams {
  static constexpr bool kWritesEmptyText = true;
  std::string cid;
  std::string transaction;
  std::optional<Money> amount{};
};
BOOST_DESCRIBE_STRUCT(RefundParams, (), (cid, transaction, amount))

// `part`: the amount of a partial refund (none for the whole).
void send_refund(StepContext& c, std::string op, std::int64_t amount, std::optional<Money> part) {
  append_refund(c, amount, "pending", {});
  const std::string call_id = c.call(op, RefundParams{.cid = c.txn.txn_id,
                                                      .transaction = std::string(c.txn.provider_refs.get(esipay_refs::kTransaction)),
                                                      .amount = std::move(part)});
  data(c).refund_in_flight =
      EsipayRefundInFlight{.command_id = std::string(command_id(c)), .amount = amount, .op = op, .call_id = call_id};
  write_amounts(c.txn);
}

// Remboursement: /cardpay/uuid/transaction.
void refund_whole(StepContext& c) { send_refund(c, "refund", captured_amount(c.txn), std::nullopt); }

// Remboursement partiel: /cardpay/uuid/transaction/amount.
void refund_part(StepContext& c) {
  const std::int64_t amount = requested_refund(c).value;
  send_refund(c, "refund_partial", amount, Money{amount, c.txn.amount.currency});
}

// Sets the outcome of the refund command `id` in data.refunds.
void set_refund_status(Transaction& t, std::string_view id, std::string_view status, std::string_view reason) {
  auto& refunds = data(t).refunds;
  if (!refunds) return;
  for (EsipayRefund& r : *refunds) {
    if (r.command_id != id) continue;
    r.status = status;
    if (!reason.empty()) r.reason = reason;
  }
}

// Marks the refund in flight with its outcome and forgets the call.
void settle_in_flight(StepContext& c, std::string_view status, std::string_view reason) {
  std::optional<EsipayRefundInFlight>& f = data(c).refund_in_flight;
  if (!f) return;
  set_refund_status(c.txn, f->command_id, status, reason);
  f.reset();
}

void refund_succeeded(StepContext& c) {
  const std::int64_t amount = in_flight_amount(c.txn);
  settle_in_flight(c, "succeeded", {});
  c.txn.reason.reset();  // a refund done needs no reason; an earlier refusal's is not this event's
  c.txn.refunded_amount = refunded_amount(c.txn) + amount;
  write_amounts(c.txn);
}

// The refund out was not done: its amount is released, and the row announces why, so whoever asked
// for the refund learns it.
void refund_not_done(StepContext& c, const std::string& why) {
  settle_in_flight(c, "failed", why);
  write_amounts(c.txn);
  c.set_reason(why);
}

void refund_failed(StepContext& c) {
  const EsipayAnswer& a = answer(c);
  std::string_view reason = "esipay refused the refund";
  if (refusal(a) == esipay_refusal::kIncorrectParameter)
    reason = "esipay: incorrect parameter or amount over the remaining (400)";
  refund_not_done(c, with_detail(reason, a.error));
}

void refund_never_sent(StepContext& c) {
  refund_not_done(c, with_failure(refused_before_send(c) ? "refund refused before sending, nothing reached esipay"
                                                         : "refund never sent (no way to esipay), nothing refunded",
                                  c));
}

// No answer: esipay may or may not have refunded. The refund is marked unknown and its amount stays
// reserved, so no later refund can take it twice; esipay's settlement file decides.
void refund_unknown(StepContext& c) {
  const std::int64_t amount = in_flight_amount(c.txn);
  const std::string reason = with_failure("refund outcome unknown, no answer from esipay: " + money_text(c.txn, amount) +
                                              " reserved until esipay's settlement file says",
                                          c);
  settle_in_flight(c, "unknown", reason);
  write_amounts(c.txn);
  c.set_reason(reason);  // announced: accounting must know a refund may or may not have happened
  c.flag(attention::kOutcomeUnknown);
}

// The settlement file has the refund: esipay refunded it.
void unknown_refund_refunded(StepContext& c) {
  const EsipaySettlement& s = settlement(c);
  const std::string& id = s.command_id;
  const std::int64_t amount = settled_refund(c)->amount;
  const std::string reason = "refund " + id + " of " + money_text(c.txn, amount) +
                             ", outcome unknown, found in esipay's settlement file (line " + std::to_string(s.line) +
                             "): refunded";
  set_refund_status(c.txn, id, "succeeded", reason);
  c.txn.refunded_amount = refunded_amount(c.txn) + amount;
  write_amounts(c.txn);
  c.set_reason(reason);
}

// The settlement file, which covers the refund's day, does not have it: nothing was refunded, and
// the reserved amount may be refunded again.
void unknown_refund_released(StepContext& c) {
  const EsipaySettlement& s = settlement(c);
  const std::string& id = s.command_id;
  const std::int64_t amount = settled_refund(c)->amount;
  const std::string reason = with_detail("refund " + id + " of " + money_text(c.txn, amount) +
                                             ", outcome unknown, not in esipay's settlement file: not refunded, " +
                                             "the amount is released",
                                         s.through);
  set_refund_status(c.txn, id, "failed", reason);
  write_amounts(c.txn);
  c.set_reason(reason);
}

Flow make_flow() {
  Flow f;
  f.id = "esipay.card";
  f.provider = "esipay";
  f.name = "card";
  f.required_fields = {"card.number", "card.exp_month", "card.exp_year"};
  f.bind = &bind_data<Data>;
  f.states = {
      {"created", Status::pending},
      {"charging", Status::processing},
      {"callback_received", Status::processing},
      {"captured", Status::succeeded},
      {"partially_refunded", Status::partially_refunded},
      {"unknown", Status::unknown},
      {"refunded", Status::refunded, true},
      {"failed", Status::failed, true},
      {"amount_mismatch", Status::amount_mismatch, true},
  };
  // clang-format off
  f.rows = {
    // from               on                       guard                          to                    action
    {"created",           "payment.create",        "",                            nullptr,                       "charging",           charge,                  "Paiement par carte bancaire: /cardpay/uuid/cid/cardnumber/cardmonth/cardyear/amount"},

    {"charging",          "esipay.callback",       "",                            nullptr,                       "callback_received",  record_callback,         "the return URL is called (and answered 200) before esipay answers"},
    {"charging",          "charge.succeeded",      "",                            nullptr,                       "captured",           capture,                 "200 reached corridor before the callback did"},
    {"charging",          "charge.failed",         "",                            nullptr,                       "failed",             charge_failed,           "400 incorrect parameter, 403 address not allowed, 500 service error"},
    {"charging",          "call.failed",           "op cardpay, refused",         charge_refused,                "failed",             charge_never_sent,       "the payment URL was never sent: the adapter refused it"},
    {"charging",          "call.failed",           "op cardpay, not sent, spent", charge_not_sent_spent,         "failed",             charge_never_sent,       "the payment URL was never sent, max_retries times", kProvisional},
    {"charging",          "call.failed",           "op cardpay, not sent",        charge_not_sent,               "charging",           retry_later,             "the payment URL was not sent (no way to esipay): nothing charged, send it later"},
    {"charging",          "call.failed",           "op cardpay",                  failed_cardpay,                "unknown",            outcome_unknown,         "timeout: esipay has no status endpoint"},
    {"charging",          "timer.retry",           "",                            nullptr,                       "charging",           charge_again,            "the payment URL, which never left corridor, sent now"},

    {"charging",          "transaction.reconcile", "",                            nullptr,                       "charging",           nullptr,                 "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"callback_received", "charge.succeeded",      "callback amount differs",     recorded_callback_differs,     "amount_mismatch",    captured_other_amount,   "200, but the return URL's montant réel is not the amount asked"},
    {"callback_received", "charge.succeeded",      "",                            nullptr,                       "captured",           capture,                 "200: transaction done and the return URL answered"},
    {"callback_received", "charge.failed",         "",                            nullptr,                       "failed",             charge_failed,           "esipay cancels the payment despite the callback"},
    {"callback_received", "call.failed",           "op cardpay",                  failed_cardpay,                "unknown",            outcome_unknown,         "callback received but no HTTP answer"},
    {"callback_received", "esipay.callback",       "",                            nullptr,                       "callback_received",  record_callback,         "duplicate callback"},

    {"callback_received", "transaction.reconcile", "",                            nullptr,                       "callback_received",  nullptr,                 "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"captured",          "esipay.callback",       "first callback, amount differs", first_callback_amount_differs, "amount_mismatch", callback_other_amount,   "the callback after the 200: its montant réel is not the amount asked"},
    {"captured",          "esipay.callback",       "",                            nullptr,                       "captured",           record_callback,         "the callback after the 200: keep esipay's transaction id"},
    {"captured",          "charge.succeeded",      "",                            nullptr,                       "captured",           nullptr,                 "duplicate 200"},
    {"captured",          "refund.create",         "duplicate command",           duplicate_refund_command,      "captured",           nullptr,                 "the same refund command again: already handled"},
    {"captured",          "refund.create",         "refund in flight",            refund_in_flight,              "captured",           refuse_in_flight,        "one refund at a time"},
    {"captured",          "refund.create",         "no esipay transaction",       no_esipay_transaction,         "captured",           refuse_no_transaction,   "a refund needs the callback's transaction id"},
    {"captured",          "refund.create",         "invalid amount",              invalid_refund_amount,         "captured",           refuse_invalid_amount,   "refund amount not a positive amount of the payment's currency"},
    {"captured",          "refund.create",         "over remaining",              over_remaining,                "captured",           refuse_over_remaining,   "refused before any call: more than captured - refunded - reserved"},
    {"captured",          "refund.create",         "whole amount",                whole_amount,                  "captured",           refund_whole,            "Remboursement: /cardpay/uuid/transaction (nothing refunded or reserved)"},
    {"captured",          "refund.create",         "",                            nullptr,                       "captured",           refund_part,             "Remboursement partiel: /cardpay/uuid/transaction/amount"},
    {"captured",          "refund.succeeded",      "refund completes",            refund_completes,              "refunded",           refund_succeeded,        "200: refund done, nothing left"},
    {"captured",          "refund.succeeded",      "refund in flight",            refund_in_flight,              "partially_refunded", refund_succeeded,        "200: partial refund done"},
    {"captured",          "refund.succeeded",      "",                            nullptr,                       "captured",           nullptr,                 "duplicate refund answer: no refund out"},
    {"captured",          "refund.failed",         "refund in flight",            refund_in_flight,              "captured",           refund_failed,           "400/403/500 on a refund: nothing refunded (announced)", kAnnounces},
    {"captured",          "refund.failed",         "",                            nullptr,                       "captured",           nullptr,                 "duplicate refund answer: no refund out"},
    {"captured",          "call.failed",           "op refund, refund out, not sent", refund_not_sent,          "captured",           refund_never_sent,       "the refund URL was never sent: nothing refunded (announced)", kAnnounces},
    {"captured",          "call.failed",           "op refund, refund out",       failed_refund_in_flight,       "captured",           refund_unknown,          "refund timeout: outcome unknown, its amount reserved (announced)", kAnnounces},
    {"captured",          "refund.settled",        "unknown refund completes",    unknown_refund_completes,      "refunded",           unknown_refund_refunded, "settlement file: the refund of unknown outcome was done, nothing left"},
    {"captured",          "refund.settled",        "unknown refund",              unknown_refund,                "partially_refunded", unknown_refund_refunded, "settlement file: the refund of unknown outcome was done"},
    {"captured",          "refund.not_settled",    "unknown refund",              unknown_refund,                "captured",           unknown_refund_released, "settlement file: the refund of unknown outcome was not done; its amount released (announced)", kAnnounces},

    {"captured",          "transaction.reconcile", "",                            nullptr,                       "captured",           nullptr,                 "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"partially_refunded", "refund.create",        "duplicate command",           duplicate_refund_command,      "partially_refunded", nullptr,                 "the same refund command again: already handled"},
    {"partially_refunded", "refund.create",        "refund in flight",            refund_in_flight,              "partially_refunded", refuse_in_flight,        "one refund at a time"},
    {"partially_refunded", "refund.create",        "invalid amount",              invalid_refund_amount,         "partially_refunded", refuse_invalid_amount,   "refund amount not a positive amount of the payment's currency"},
    {"partially_refunded", "refund.create",        "over remaining",              over_remaining,                "partially_refunded", refuse_over_remaining,   "refused before any call: more than captured - refunded - reserved"},
    {"partially_refunded", "refund.create",        "",                            nullptr,                       "partially_refunded", refund_part,             "Remboursement partiel of (part of) what is left"},
    {"partially_refunded", "refund.succeeded",     "refund completes",            refund_completes,              "refunded",           refund_succeeded,        "200: the last part refunded"},
    {"partially_refunded", "refund.succeeded",     "refund in flight",            refund_in_flight,              "partially_refunded", refund_succeeded,        "200: another partial refund: same state, a new version and event", kAnnounces},
    {"partially_refunded", "refund.succeeded",     "",                            nullptr,                       "partially_refunded", nullptr,                 "duplicate refund answer: no refund out"},
    {"partially_refunded", "refund.failed",        "refund in flight",            refund_in_flight,              "partially_refunded", refund_failed,           "400/403/500 on a refund: nothing refunded (announced)", kAnnounces},
    {"partially_refunded", "refund.failed",        "",                            nullptr,                       "partially_refunded", nullptr,                 "duplicate refund answer: no refund out"},
    {"partially_refunded", "call.failed",          "op refund, refund out, not sent", refund_not_sent,          "partially_refunded", refund_never_sent,       "the refund URL was never sent: nothing refunded (announced)", kAnnounces},
    {"partially_refunded", "call.failed",          "op refund, refund out",       failed_refund_in_flight,       "partially_refunded", refund_unknown,          "refund timeout: outcome unknown, its amount reserved (announced)", kAnnounces},
    {"partially_refunded", "refund.settled",       "unknown refund completes",    unknown_refund_completes,      "refunded",           unknown_refund_refunded, "settlement file: the refund of unknown outcome was done, nothing left"},
    {"partially_refunded", "refund.settled",       "unknown refund",              unknown_refund,                "partially_refunded", unknown_refund_refunded, "settlement file: the refund of unknown outcome was done (announced)", kAnnounces},
    {"partially_refunded", "refund.not_settled",   "unknown refund",              unknown_refund,                "partially_refunded", unknown_refund_released, "settlement file: the refund of unknown outcome was not done; its amount released (announced)", kAnnounces},
    {"partially_refunded", "esipay.callback",      "",                            nullptr,                       "partially_refunded", nullptr,                 "late duplicate callback"},

    {"partially_refunded", "transaction.reconcile", "",                            nullptr,                      "partially_refunded", nullptr,                 "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},

    {"unknown",           "esipay.callback",       "",                            nullptr,                       "unknown",            late_callback,           "the return URL was called after our timeout"},
    {"unknown",           "charge.succeeded",      "callback amount differs",     recorded_callback_differs,     "amount_mismatch",    captured_other_amount,   "a late 200, after a callback whose montant réel is not the amount asked"},
    {"unknown",           "charge.succeeded",      "",                            nullptr,                       "captured",           capture,                 "a late 200"},
    {"unknown",           "charge.failed",         "",                            nullptr,                       "failed",             charge_failed,           "a late refusal"},
    {"unknown",           "charge.settled",        "settled amount differs",      settled_amount_differs,        "amount_mismatch",    settled_other_amount,    "settlement file: charged, another amount than the one asked"},
    {"unknown",           "charge.settled",        "",                            nullptr,                       "captured",           settled_captured,        "settlement file: charged"},
    {"unknown",           "charge.not_settled",    "",                            nullptr,                       "failed",             not_settled,             "settlement file, covering the payment's day, without it: not charged", kProvisional},
    {"unknown",           "transaction.reconcile", "outcome captured",            reconciled_captured,           "captured",           reconcile_captured,      "an operator checked esipay's back office: captured"},
    {"unknown",           "transaction.reconcile", "outcome failed",              reconciled_failed,             "failed",             reconcile_failed,        "an operator checked esipay's back office: not captured"},
    {"unknown",           "transaction.reconcile", "",                            nullptr,                       "unknown",            nullptr,                 "reconciliation: esipay has no status endpoint; the settlement file decides (corridor reconcile --settlement)"},
  };
  // clang-format on
  f.index();
  return f;
}

}  // namespace

const Flow& esipay_card_flow() {
  static const Flow flow = make_flow();
  return flow;
}

}  // namespace corridor
