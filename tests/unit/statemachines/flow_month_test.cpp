// A simulated month per transaction, for every registered flow (issue 12, item 5: "every wait and
// retry is bounded ... no flow emits events forever").
//
// One run is one transaction from its create command, against a random provider and a random clock:
//  - the clock is simulated and only moves forward. It never passes a timer that is due or a call
//    whose answer is due: those happen first (the scheduler fires a timer at its due time, with
//    `at` = due time; the executor answers every call within its own bounds, see kAnswerDelay*);
//  - the model keeps what the processor and the scheduler keep: the armed timers by name (replaced by
//    a timer of the same name, removed by a cancellation, all of them by "*") and the calls still
//    out, by the input id of their answer. An input id is taken once: the processor drops a
//    redelivery by its id before any step, so the model never feeds one twice (a redelivery is
//    counted and dropped);
//  - at each step it picks at random among: fire the earliest due timer, answer a call that is out
//    (the provider's answer for that operation, as the adapter hands it over, or the executor's
//    call.failed: a timeout, not sent, refused before sending, not found), deliver a webhook or
//    callback of the flow's provider (and, for esipay, a line of its settlement file), deliver the
//    content of an earlier webhook again under a new id, redeliver an input id already taken, send
//    a command (transaction.reconcile, an operator's outcome, refund.create, payment.cancel), or let
//    time pass (1 s to 3 days). Answers and webhooks are drawn without regard to the state, only to
//    what the provider can know (esipay calls its return URL for a cardpay it received): they come in
//    any order, duplicated, contradicting each other, after the transaction is final;
//  - each seed has a temper: a silent provider (every call ends in call.failed or "still pending",
//    no webhook), a stalling one (it takes every request but its status reads say "still pending"
//    and it sends nothing: every budgeted wait runs to its end), a steady one (mostly plausible
//    answers, a few webhooks), a chaotic one (anything, up to kMaxSpontaneous webhooks and
//    kMaxCommands commands). Amounts are mostly the one asked, sometimes another, absent or
//    unreadable;
//  - FlowSettings are each flow's defaults plus the engine's default janitor (config.hpp,
//    Config::Janitor);
//  - every input meets the transaction as the store gives it back (serialised, parsed,
//    transaction_from_json), as the processor reads one it no longer holds in memory.
// After the month (kMonth), a drain: no webhook, no command, every call answered with call.failed or a
// "still pending" answer, timers fired, for kDrain more.
//
// What is asserted, per run (a failure names the flow, the seed, the temper and the events; the
// input trace follows when the seed is replayed, CORRIDOR_MONTH_SEED=<flow id>:<seed> or <seed>):
//  1. within the month the transaction reaches a decided state (final; or of status unknown or
//     amount_mismatch, which ask for attention; or an outcome that stays open for refunds, esipay's
//     captured) or an event flags attention. When it has not (the provider said nothing that
//     decides), it must still be moving: a timer of its own armed, or a call out. A transaction in
//     doubt with nothing armed at all, at any moment, waits on the provider forever: a failure. By the
//     end of the drain it is in a decided state;
//  2. at most kMaxEvents events over the month, at most kMaxDrainEvents in the drain, and none in its
//     last kQuietWindow: nothing repeats forever on corridor's own clock;
//  3. events are consecutive versions from 1, each names a state of the flow with that state's
//     status, its previous_state is the state of the event before, and the transaction's state and
//     version are its last event's. A final state is only left by a `late_outcome` event, and only
//     when corridor had decided it on its own clock (kProvisional); an event that stays in a final
//     state carries an attention code; neither late_outcome nor disputed ever comes of a call.failed
//     (other than a look-up the provider answered 404), which is no word of the provider's;
//  4. at most kMaxCalls provider calls over the month and kMaxDrainCalls in the drain;
//  5. no timer or call reuses an input id already taken (the processor would drop its input, and the
//     flow would wait for it forever); the transaction reads back from its stored JSON as it was.
// And over the seeds of a flow, every state of its table is reached.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "statemachines/esipay_card.hpp"
#include "statemachines/reconcile.hpp"
#include "adapters/registry.hpp"
#include "tests/support/flow_harness.hpp"

namespace corridor {
namespace {

using testing::kT0;

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

constexpr std::int64_t kMonth = 30 * kDay;
// Longer than the longest wait a flow has on its own clock (interac.withdrawal's 31-day claim
// deadline, entered at the very end of the month), so that every wait has ended well before the
// quiet window.
constexpr std::int64_t kDrain = 45 * kDay;
constexpr std::int64_t kQuietWindow = 10 * kDay;

constexpr int kSeedsPerFlow = 200;

// The executor answers a call within its own bounds (executor.max_attempts 5 with a 30 s timeout and
// backoff: about three minutes), and later only when corridor itself is behind (a restart, a backlog).
constexpr std::int64_t kAnswerDelayUsual = 20 * kSecond;
constexpr std::int64_t kAnswerDelayExecutor = 3 * kMinute;
constexpr std::int64_t kAnswerDelayBacklog = 2 * kHour;

// Webhooks, callbacks and settlement lines a provider sends on its own in a month, and commands.
constexpr int kMaxSpontaneous = 12;
constexpr int kMaxCommands = 3;

// Events over the month. A run's events are: the two of the creation; the moves through the flow's
// states in doubt, each of which ends by a budget (max_polls, max_retries, a deadline), so a path
// through them is a handful of events; at most one event per input of the provider that says
// something new (a contradiction after a final state is announced, never dropped: each one the
// provider sends is one event); and re-entries of a wait, which only a provider's answer can cause.
// With at most kMaxSpontaneous webhooks and kMaxCommands commands, that is a few dozen at the very
// most; the test prints the largest counts it sees (15 events in a month at most, over every flow). A
// flow that repeats anything on its own clock goes far above 60 within a month: a retry from unknown
// every minute makes two events a minute.
constexpr int kMaxEvents = 60;
// In the drain nothing new is said: only the end of a wait (a budget spent, a deadline, a late
// answer) and its hand-over to unknown or a provisional final state.
constexpr int kMaxDrainEvents = 12;
// Calls over the month: the longest budgeted waits (interac.withdrawal's 140 credit checks,
// interac.payment's 60 per wait, NovaSend's 60) plus re-sends and the janitor's asks (5 min, 1 h,
// then daily: about 32 in a month) stay under 300 (131 at most when this was written); a retry
// without a budget makes thousands.
constexpr int kMaxCalls = 300;
// In the drain: the end of a budgeted wait plus the janitor's daily ask.
constexpr int kMaxDrainCalls = 200;
// A run that takes more inputs than this is a loop, whatever its events.
constexpr int kMaxSteps = 20000;

// ---- deterministic randomness --------------------------------------------------------------------
// std::mt19937_64's output is fixed by the standard; the distributions are not, so the draws are
// made here, and a seed replays the same run with any standard library.

class Random {
 public:
  explicit Random(std::uint64_t seed) : rng_(seed) {}
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  double unit() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // Log-uniform between lo and hi: as many short delays as long ones.
  std::int64_t spread(std::int64_t lo, std::int64_t hi) {
    return static_cast<std::int64_t>(static_cast<double>(lo) * std::pow(static_cast<double>(hi) / lo, unit()));
  }
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }
  // An index drawn by weight.
  std::size_t weighted(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = unit() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    return weights.size() - 1;
  }

 private:
  std::mt19937_64 rng_;
};

std::uint64_t run_seed(std::string_view flow_id, int seed) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: std::hash differs between libraries
  for (char c : flow_id) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return h ^ (static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ull);
}

// ---- the random provider -------------------------------------------------------------------------

enum class Temper { silent, stalling, steady, chaotic };

std::string_view to_string(Temper t) {
  switch (t) {
    case Temper::silent: return "silent";
    case Temper::stalling: return "stalling";
    case Temper::steady: return "steady";
    case Temper::chaotic: return "chaotic";
  }
  return "?";
}

Temper temper_of(int seed) {
  switch (seed % 5) {
    case 0: return Temper::silent;
    case 1: return Temper::stalling;
    case 2: return Temper::steady;
    default: return Temper::chaotic;
  }
}

struct Mood {
  Random& rnd;
  Temper temper;
  bool quiet;  // nothing new: a failure or "still pending" (a silent provider, the drain)
  // Ops of calls that may have reached the provider (answered, or out now, and not "not sent"): what
  // the provider can know about.
  const std::set<std::string, std::less<>>* reached = nullptr;
  // The call being answered is one the provider has already acted on (a webhook said so): its
  // call.failed cannot say it was never sent.
  bool delivered = false;

  bool chaotic() const { return temper == Temper::chaotic; }
  bool knows(std::string_view op) const { return reached != nullptr && reached->contains(op); }
};

struct Reply {
  std::string name;
  json::object data;
  InputKind kind = InputKind::provider_response;
  // For a webhook: the op whose call it shows reached the provider (esipay's return URL is called for
  // a cardpay esipay received).
  std::string_view acts_on{};
};

bool is_read(std::string_view op) { return op == "check" || op.starts_with("check_") || op.starts_with("get_"); }

// The executor's call.failed (engine/components.cpp, call_failed): a timeout after its attempts (with
// outcome unknown for a call that is not retry-safe, esipay's), nothing sent (a circuit open), refused
// before sending (the adapter or the vault), or a look-up the provider answered 404.
Reply call_failed(const ProviderCall& call, Mood& m, bool retry_safe = true) {
  json::object d{{"op", call.op}};
  const auto roll = m.delivered ? 18 + m.rnd.below(82) : m.rnd.below(100);
  if (roll < 15) {
    d["error"] = "circuit open for " + call.provider + ": not sent";
    d["attempts"] = 0;
    d["sent"] = false;
  } else if (roll < 18) {
    d["error"] = "refused before sending: parameters the adapter does not take";
    d["attempts"] = 0;
    d["sent"] = false;
    d["refused"] = true;
  } else if (is_read(call.op) && roll < 45) {
    d["error"] = "HTTP 404: not found";
    d["attempts"] = 1;
    d["not_found"] = true;
  } else {
    d["error"] = "timeout after 30000 ms";
    d["attempts"] = retry_safe ? 5 : 1;
    if (!retry_safe) d["outcome"] = "unknown";
  }
  return {"call.failed", std::move(d)};
}

enum class AmountSaid { asked, other, absent, unreadable };

AmountSaid amount_said(Mood& m) {
  if (m.quiet) return AmountSaid::asked;  // another amount would be news
  const double p_other = m.chaotic() ? 0.15 : 0.03;
  const double p_odd = m.chaotic() ? 0.06 : 0.01;
  const double x = m.rnd.unit();
  if (x < p_other) return AmountSaid::other;
  if (x < p_other + p_odd) return AmountSaid::absent;
  if (x < p_other + 2 * p_odd) return AmountSaid::unreadable;
  return AmountSaid::asked;
}

std::int64_t other_value(Mood& m, std::int64_t asked) {
  switch (m.rnd.below(3)) {
    case 0: return asked - 1;
    case 1: return asked * 2;
    default: return asked + 100;
  }
}

int exponent_of(const Money& m) { return currency_exponent(m.currency).value_or(0); }

// Puts an amount as decimal text of the currency's units ("100.00"), as esipay, FlexPay, Cynod and
// NovaSend's transaction object write it.
void put_decimal(json::object& o, std::string_view key, const Money& asked, Mood& m) {
  switch (amount_said(m)) {
    case AmountSaid::asked: o[key] = format_decimal_amount(asked.value, exponent_of(asked)); break;
    case AmountSaid::other: o[key] = format_decimal_amount(other_value(m, asked.value), exponent_of(asked)); break;
    case AmountSaid::absent: break;
    case AmountSaid::unreadable: o[key] = "12,5"; break;
  }
}

// Puts an integer of whole units (NovaSend's payin amount).
void put_whole_units(json::object& o, std::string_view key, const Money& asked, Mood& m) {
  std::int64_t scale = 1;
  for (int e = 0; e < exponent_of(asked); ++e) scale *= 10;
  switch (amount_said(m)) {
    case AmountSaid::asked: o[key] = asked.value / scale; break;
    case AmountSaid::other: o[key] = asked.value / scale + 1; break;
    case AmountSaid::absent: break;
    case AmountSaid::unreadable: o[key] = "beaucoup"; break;
  }
}

// Puts Paysafe's integer of minor units beside currencyCode.
void put_minor_units(json::object& o, const Money& asked, Mood& m) {
  switch (amount_said(m)) {
    case AmountSaid::asked:
      o["amount"] = asked.value;
      o["currencyCode"] = asked.currency;
      break;
    case AmountSaid::other:
      if (m.rnd.chance(0.3)) {
        o["amount"] = asked.value;
        o["currencyCode"] = "USD";
      } else {
        o["amount"] = other_value(m, asked.value);
        o["currencyCode"] = asked.currency;
      }
      break;
    case AmountSaid::absent: break;
    case AmountSaid::unreadable: o["amount"] = 12.5; break;
  }
}

// How a provider reacts, per flow: the answer to each of its calls, what it sends on its own, and the
// create command's fields that choose a path through the flow.
struct ProviderModel {
  std::string_view flow_id;
  Money amount;
  json::object (*create_fields)(Mood&);
  Reply (*answer)(const ProviderCall&, const Transaction&, Mood&);
  Reply (*notify)(const Transaction&, Mood&);
};

json::object no_fields(Mood&) { return {}; }

// ---- NovaSend (adapters/novasend: the payin object; status.checked is GET /v1/payin/{reference}) ----

json::object novasend_payin(const Transaction& t, Mood& m, std::string_view status, std::string_view confirmation,
                            json::value transaction) {
  json::object o{{"type", "payin"},
                 {"fee", 6},
                 {"reference", "tr_abc"},
                 {"chargedAmount", 306},
                 {"status", status},
                 {"currency", t.amount.currency},
                 {"customerReference", t.txn_id},
                 {"confirmationRequired", !m.rnd.chance(0.3)},
                 {"confirmationStatus", confirmation},
                 {"paymentUrl", "https://link.novasend.app/link/abc"},
                 {"failure", nullptr}};
  put_whole_units(o, "amount", t.amount, m);
  o["transaction"] = std::move(transaction);
  return o;
}

json::value novasend_transaction(const Transaction& t, Mood& m, std::string_view status) {
  json::object tr{{"reference", "tr_core"}, {"status", status}, {"fees", "0.00"}, {"currency", t.amount.currency}};
  put_decimal(tr, "amount", t.amount, m);
  return tr;
}

Reply novasend_answer(const ProviderCall& call, const Transaction& t, Mood& m) {
  if (call.op == "create_session") {
    if (m.quiet) return call_failed(call, m);
    const auto roll = m.rnd.below(100);
    if (roll < 70) return {"session.created", novasend_payin(t, m, "processing", "none", nullptr)};
    if (roll < 80) return {"session.rejected", {{"http_status", 400}, {"error", "invalid msisdn"}}};
    return call_failed(call, m);
  }
  // check_status
  if (m.quiet) {
    if (m.rnd.chance(0.45)) return call_failed(call, m);
    json::value tr = m.rnd.chance(0.5) ? json::value(nullptr) : novasend_transaction(t, m, "pending");
    return {"status.checked",
            novasend_payin(t, m, "processing", m.rnd.chance(0.8) ? "none" : "pending", std::move(tr))};
  }
  const auto roll = m.rnd.below(100);
  if (roll < 15) return call_failed(call, m);
  if (roll < 20) return {"status.checked", {{"not_found", true}, {"http_status", 404}}};
  static const std::vector<std::string_view> confirmations{"none",     "none",     "pending", "accepted",
                                                           "accepted", "declined", "expired"};
  static const std::vector<std::string_view> outcomes{"", "", "pending", "completed", "completed", "failed"};
  const auto confirmation = m.rnd.pick(confirmations);
  const auto outcome = m.rnd.pick(outcomes);
  json::value tr = outcome.empty() ? json::value(nullptr) : novasend_transaction(t, m, outcome);
  const std::string_view status = confirmation == "accepted" && m.rnd.chance(0.5) ? "processed" : "processing";
  return {"status.checked", novasend_payin(t, m, status, confirmation, std::move(tr))};
}

Reply novasend_notify(const Transaction& t, Mood& m) {
  const auto roll = m.rnd.below(100);
  if (roll < 60) {
    json::value tr = m.rnd.chance(0.5) ? json::value(nullptr) : novasend_transaction(t, m, "completed");
    return {"payin.confirmed", novasend_payin(t, m, "processed", "accepted", std::move(tr)), InputKind::webhook};
  }
  if (roll < 90) return {"payin.declined", novasend_payin(t, m, "processing", "declined", nullptr), InputKind::webhook};
  // A signed event of a type no row takes (engine/ingress.cpp names it unhandled.<type>).
  return {"unhandled.payin.refunded", {{"customerReference", t.txn_id}}, InputKind::webhook};
}

// ---- Cynod (adapters/cynod: authorization_input) --------------------------------------------------

json::object cynod_authorization(const Transaction& t, Mood& m, std::string_view status) {
  json::object o{
      {"reference", t.txn_id}, {"status", status}, {"cynod_reference", "CY-1"}, {"card", "535522******0042"}};
  put_decimal(o, "amount", t.amount, m);
  if (m.rnd.chance(0.5)) o["currency"] = t.amount.currency;
  return o;
}

// How an authorisation ended, or (`still_open`) that it is still waiting in the wallet.
Reply cynod_outcome(const Transaction& t, Mood& m, InputKind kind, bool still_open = true) {
  switch (m.rnd.below(still_open ? 5 : 4)) {
    case 0:
    case 1: {
      json::object o = cynod_authorization(t, m, "approved");
      o["authorization_number"] = "A123456";
      return {"authorization.approved", std::move(o), kind};
    }
    case 2: {
      static const std::vector<std::string_view> reasons{"no_account", "insufficient_balance", "customer_refused"};
      json::object o = cynod_authorization(t, m, "declined");
      o["reason"] = m.rnd.pick(reasons);
      return {"authorization.declined", std::move(o), kind};
    }
    case 3: return {"authorization.cancelled", cynod_authorization(t, m, "cancelled"), kind};
    default: return {"authorization.in_progress", cynod_authorization(t, m, "in_progress"), kind};
  }
}

Reply cynod_answer(const ProviderCall& call, const Transaction& t, Mood& m) {
  const auto roll = m.rnd.below(100);
  if (call.op == "request_authorization") {
    if (m.quiet) {
      return roll < 50 ? Reply{"authorization.in_progress", cynod_authorization(t, m, "in_progress")}
                       : call_failed(call, m);
    }
    if (roll < 45) return {"authorization.in_progress", cynod_authorization(t, m, "in_progress")};
    if (roll < 65) return cynod_outcome(t, m, InputKind::provider_response);
    if (roll < 72) return {"authorization.rejected", {{"http_status", 422}, {"error", "card number invalid"}}};
    return call_failed(call, m);
  }
  if (call.op == "get_authorization") {
    if (m.quiet) {
      return roll < 40 ? Reply{"authorization.in_progress", cynod_authorization(t, m, "in_progress")}
                       : call_failed(call, m);
    }
    if (roll < 60) return cynod_outcome(t, m, InputKind::provider_response);
    if (roll < 70) return {"authorization.not_found", {{"not_found", true}, {"http_status", 404}}};
    return call_failed(call, m);
  }
  if (call.op == "cancel_authorization") {
    if (m.quiet) return call_failed(call, m);
    if (roll < 50) return {"authorization.cancelled", cynod_authorization(t, m, "cancelled")};
    // 409: too late, the authorisation already ended; the body says how (never still open).
    if (roll < 65) return cynod_outcome(t, m, InputKind::provider_response, false);
    if (roll < 75) return {"authorization.not_found", {{"not_found", true}, {"http_status", 404}}};
    return call_failed(call, m);
  }
  // acknowledge
  if (m.quiet || roll >= 75) return call_failed(call, m);
  return {"acknowledgement.accepted", {}};
}

Reply cynod_notify(const Transaction& t, Mood& m) {
  if (m.rnd.chance(0.1)) return {"unhandled.cynod.card.updated", {}, InputKind::webhook};
  return cynod_outcome(t, m, InputKind::webhook);
}

// ---- esipay (adapters/esipay; settlement lines from engine/reconcile.cpp) -------------------------

json::object esipay_callback(const Transaction& t, Mood& m) {
  json::object o{{"type", "card"}, {"transaction", "ESI-778"}, {"cid", t.txn_id}};
  put_decimal(o, "amount", t.amount, m);
  if (!o.contains("amount")) o["amount"] = "0.00";  // the adapter refuses a callback without one
  return o;
}

Reply esipay_answer(const ProviderCall& call, const Transaction&, Mood& m) {
  // No call of esipay's is retry-safe: a timeout is an outcome unknown.
  if (m.quiet) return call_failed(call, m, false);
  const auto roll = m.rnd.below(100);
  const bool charge = call.op == "cardpay";
  if (roll < 55) return {charge ? "charge.succeeded" : "refund.succeeded", {{"http_status", 200}}};
  if (roll < 70) {
    static const std::vector<std::int64_t> statuses{400, 403, 500};
    return {charge ? "charge.failed" : "refund.failed",
            {{"http_status", m.rnd.pick(statuses)}, {"error", "refused by esipay"}}};
  }
  return call_failed(call, m, false);
}

// A refund command id the settlement file can name: one corridor sent, or one it never did.
std::string some_refund_id(const Transaction& t, Mood& m) {
  if (const auto& refunds = t.data.as<EsipayCardData>().refunds; refunds && !refunds->empty() && m.rnd.chance(0.8))
    return refunds->at(m.rnd.below(refunds->size())).command_id;
  return "refund-unknown-to-corridor";
}

Reply esipay_notify(const Transaction& t, Mood& m) {
  const auto roll = m.rnd.below(100);
  // esipay calls the return URL for a cid it received: never for a cardpay that did not leave corridor.
  if (roll < 50 && m.knows("cardpay")) return {"esipay.callback", esipay_callback(t, m), InputKind::webhook, "cardpay"};
  if (roll < 50) return {"unhandled.esipay.callback.mobile", {{"cid", t.txn_id}}, InputKind::webhook};
  if (roll < 60) {
    json::object o{{"transaction", "ESI-778"}, {"currency", t.amount.currency}, {"line", 17}};
    put_decimal(o, "amount", t.amount, m);
    return {"charge.settled", std::move(o)};
  }
  if (roll < 70) return {"charge.not_settled", {{"through", "2026-11-23"}}};
  if (roll < 80) {
    json::object o{{"command_id", some_refund_id(t, m)}, {"currency", t.amount.currency}, {"line", 18}};
    put_decimal(o, "amount", Money{t.amount.value / 2, t.amount.currency}, m);
    return {"refund.settled", std::move(o)};
  }
  if (roll < 90) return {"refund.not_settled", {{"command_id", some_refund_id(t, m)}, {"through", "2026-11-24"}}};
  return {"unhandled.esipay.callback.mobile", {{"cid", t.txn_id}}, InputKind::webhook};
}

// ---- FlexPay (adapters/flexpay: pay, check, callback and return URLs) -----------------------------

constexpr std::string_view kFlexPayOrder = "9bsTX7qXdpQe243815877848";

json::object flexpay_check(const Transaction& t, Mood& m, std::string_view status) {
  json::object tr{{"orderNumber", kFlexPayOrder},
                  {"reference", t.txn_id},
                  {"status", status},
                  {"createdAt", "22-11-2026 10:00:00"}};
  put_decimal(tr, "amount", t.amount, m);
  tr["amountCustomer"] = format_decimal_amount(t.amount.value + t.amount.value / 50, exponent_of(t.amount));
  if (!m.chaotic() || m.rnd.chance(0.9)) tr["currency"] = t.amount.currency;
  return {{"code", "0"}, {"message", "Une transaction trouvée"}, {"transaction", std::move(tr)}};
}

json::object flexpay_not_found() {
  return {{"code", "1"}, {"message", "Aucune transaction trouvée"}, {"transaction", nullptr}, {"not_found", true}};
}

Reply flexpay_answer(const ProviderCall& call, const Transaction& t, Mood& m) {
  const auto roll = m.rnd.below(100);
  if (call.op == "pay") {
    if (m.quiet) return call_failed(call, m);
    if (roll < 65)
      return {"pay.accepted",
              {{"code", "0"},
               {"message", "Redirection"},
               {"orderNumber", kFlexPayOrder},
               {"url", "https://cardpayment.flexpay.cd/pay/9bsTX7qXdpQe243815877848"}}};
    if (roll < 75) return {"pay.rejected", {{"http_status", 400}, {"code", "1"}, {"message", "marchand inconnu"}}};
    return call_failed(call, m);
  }
  // check
  if (m.quiet) {
    if (roll < 40) return {"check.result", flexpay_not_found()};
    if (roll < 60) return {"check.result", flexpay_check(t, m, "2")};
    return call_failed(call, m);
  }
  if (roll < 25) return {"check.result", flexpay_not_found()};
  if (roll < 45) return {"check.result", flexpay_check(t, m, "2")};
  if (roll < 65) return {"check.result", flexpay_check(t, m, "0")};
  if (roll < 80) return {"check.result", flexpay_check(t, m, "1")};
  return call_failed(call, m);
}

Reply flexpay_notify(const Transaction& t, Mood& m) {
  if (m.rnd.chance(0.3)) {
    static const std::vector<std::string_view> returns{"approve", "cancel", "decline"};
    const auto kind = m.rnd.pick(returns);
    json::object o{{"source", "return"}, {"return", kind}, {"reference", t.txn_id}};
    if (kind == "cancel") o["customer_cancelled"] = true;
    return {"flexpay.callback", std::move(o), InputKind::webhook};
  }
  static const std::vector<std::string_view> codes{"0", "0", "1", "2"};
  const auto code = m.rnd.pick(codes);
  json::object o{{"code", code},
                 {"reference", t.txn_id},
                 {"provider_reference", "7KI81020PHS"},
                 {"orderNumber", kFlexPayOrder},
                 {"source", "callback"}};
  if (code == "2") o["customer_cancelled"] = true;
  return {"flexpay.callback", std::move(o), InputKind::webhook};
}

// ---- Paysafe for Interac (adapters/interac: resources as data; webhooks named by eventType) -------

json::object paysafe_handle(const Transaction& t, Mood& m, std::string_view status, std::string_view ref_suffix = {},
                            std::string_view type = "PAYMENT") {
  json::object o{
      {"id", "514b4cf1"},
      {"paymentType", "INTERAC_ETRANSFER"},
      {"paymentHandleToken", "PHEkR6gInY2NM05X"},
      {"merchantRefNum", t.txn_id + std::string(ref_suffix)},
      {"status", status},
      {"action", status == "INITIATED" ? "REDIRECT" : "NONE"},
      {"timeToLiveSeconds", 899},
      {"transactionType", type},
      {"links", json::array{json::object{{"rel", "redirect_payment"}, {"href", "https://api.paysafe.com/r?x=1"}}}}};
  if (ref_suffix.empty()) put_minor_units(o, t.amount, m);
  return o;
}

json::object paysafe_payment(const Transaction& t, Mood& m, std::string_view status) {
  json::object o{{"id", "568530f0"},
                 {"paymentHandleToken", "PHEkR6gInY2NM05X"},
                 {"merchantRefNum", t.txn_id},
                 {"status", status},
                 {"settleWithAuth", true}};
  put_minor_units(o, t.amount, m);
  return o;
}

// The adapter's answer to a re-sent create that Paysafe had taken already (5031).
json::object paysafe_duplicate(const Transaction& t) {
  return {{"status", "PROCESSING"},
          {"merchantRefNum", t.txn_id},
          {"duplicate", true},
          {"error", "The transaction you have submitted has already been processed."}};
}

Reply interac_payment_answer(const ProviderCall& call, const Transaction& t, Mood& m) {
  const auto roll = m.rnd.below(100);
  if (call.op == "create_payment_handle") {
    if (m.quiet) return call_failed(call, m);
    if (roll < 55) return {"handle.created", paysafe_handle(t, m, "INITIATED")};
    if (roll < 65) return {"handle.created", paysafe_handle(t, m, "PAYABLE")};
    if (roll < 70) return {"handle.created", paysafe_handle(t, m, "FAILED")};
    if (roll < 78) return {"handle.rejected", {{"http_status", 400}, {"error", "invalid consumer"}, {"code", "5068"}}};
    return call_failed(call, m);
  }
  if (call.op == "get_payment_handle") {
    if (m.quiet) return roll < 40 ? Reply{"handle.status", paysafe_handle(t, m, "INITIATED")} : call_failed(call, m);
    static const std::vector<std::string_view> statuses{"INITIATED", "INITIATED", "PAYABLE",
                                                        "COMPLETED", "FAILED",    "EXPIRED"};
    if (roll < 75) return {"handle.status", paysafe_handle(t, m, m.rnd.pick(statuses))};
    return call_failed(call, m);
  }
  if (call.op == "create_payment") {
    if (m.quiet) return call_failed(call, m);
    if (roll < 40) return {"payment.created", paysafe_payment(t, m, m.rnd.chance(0.5) ? "PROCESSING" : "PENDING")};
    if (roll < 50) return {"payment.created", paysafe_payment(t, m, "COMPLETED")};
    if (roll < 55) return {"payment.created", paysafe_payment(t, m, "FAILED")};
    if (roll < 62) return {"payment.created", paysafe_duplicate(t)};
    if (roll < 70)
      return {"payment.rejected", {{"http_status", 400}, {"error", "handle not payable"}, {"code", "5269"}}};
    return call_failed(call, m);
  }
  // get_payment
  if (m.quiet) return roll < 40 ? Reply{"payment.status", paysafe_payment(t, m, "PROCESSING")} : call_failed(call, m);
  static const std::vector<std::string_view> statuses{"PROCESSING", "PROCESSING", "COMPLETED",
                                                      "FAILED",     "ERRORED",    "CANCELLED"};
  if (roll < 75) return {"payment.status", paysafe_payment(t, m, m.rnd.pick(statuses))};
  return call_failed(call, m);
}

Reply interac_payment_notify(const Transaction& t, Mood& m) {
  static const std::vector<std::string_view> handle_events{"PAYMENT_HANDLE_PAYABLE", "PAYMENT_HANDLE_FAILED",
                                                           "PAYMENT_HANDLE_EXPIRED", "PAYMENT_HANDLE_COMPLETED"};
  static const std::vector<std::string_view> payment_events{
      "PAYMENT_PROCESSING", "PAYMENT_COMPLETED",    "PAYMENT_COMPLETED", "PAYMENT_FAILED",
      "PAYMENT_ERRORED",    "SETTLEMENT_COMPLETED", "SETTLEMENT_FAILED", "SETTLEMENT_ERRORED"};
  const auto roll = m.rnd.below(100);
  if (roll < 40) {
    const auto event = m.rnd.pick(handle_events);
    const std::string_view status = event.substr(std::string_view("PAYMENT_HANDLE_").size());
    return {std::string(event), paysafe_handle(t, m, status), InputKind::webhook};
  }
  if (roll < 95) {
    const auto event = m.rnd.pick(payment_events);
    const std::string_view status = event.ends_with("COMPLETED")    ? "COMPLETED"
                                    : event.ends_with("PROCESSING") ? "PROCESSING"
                                                                    : "FAILED";
    return {std::string(event), paysafe_payment(t, m, status), InputKind::webhook};
  }
  return {"unhandled.PAYMENT_HANDLE_INITIATED", paysafe_handle(t, m, "INITIATED"), InputKind::webhook};
}

json::object interac_payment_fields(Mood& m) {
  const auto roll = m.rnd.below(100);
  if (roll < 35) return {{"mode", "send_money"}};
  if (roll < 40) return {{"mode", "request_money"}};
  if (roll < 43) return {{"mode", "cash"}};  // refused by the flow
  return {};
}

// interac.withdrawal: a verification handle, a verification, a credit handle and a standalone credit.
constexpr std::string_view kVerificationSuffix = "-verification";

json::object paysafe_etransfer(Mood& m) {
  return {{"consumerId", "john@example.com"},
          {"maxAmount", m.rnd.chance(0.9) ? 500000 : 10000},
          {"transferType", m.rnd.chance(0.6) ? "ALIAS_AUTODEPOSIT" : "ACCOUNT_DEPOSIT"}};
}

json::object credit_handle(const Transaction& t, Mood& m, std::string_view status) {
  json::object o = paysafe_handle(t, m, status, {}, "STANDALONE_CREDIT");
  o["id"] = "9129cf41";
  o["paymentHandleToken"] = "PH6grPCguAtRInwc";
  o["interacEtransfer"] = paysafe_etransfer(m);
  return o;
}

json::object verification_handle(const Transaction& t, Mood& m, std::string_view status) {
  json::object o = paysafe_handle(t, m, status, kVerificationSuffix, "VERIFICATION");
  o["id"] = "cbd5a3a4";
  o["paymentHandleToken"] = "PHd0GFCqwJqu9YkV";
  return o;
}

json::object verification(Mood& m, std::string_view status) {
  return {{"id", "d19ca286"}, {"status", status}, {"interacEtransfer", paysafe_etransfer(m)}};
}

json::object standalone_credit(const Transaction& t, Mood& m, std::string_view status) {
  json::object o{
      {"id", "b7759f69"}, {"paymentHandleToken", "PH6grPCguAtRInwc"}, {"merchantRefNum", t.txn_id}, {"status", status}};
  put_minor_units(o, t.amount, m);
  return o;
}

Reply interac_withdrawal_answer(const ProviderCall& call, const Transaction& t, Mood& m) {
  const auto roll = m.rnd.below(100);
  const bool for_verification = call.params.text("merchantRefNum").ends_with(kVerificationSuffix);
  if (call.op == "create_payment_handle") {
    if (m.quiet) return call_failed(call, m);
    if (for_verification) {
      if (roll < 70) return {"handle.created", verification_handle(t, m, "PAYABLE")};
      if (roll < 75) return {"handle.created", verification_handle(t, m, "FAILED")};
    } else {
      if (roll < 45) return {"handle.created", credit_handle(t, m, "PAYABLE")};
      if (roll < 70) return {"handle.created", credit_handle(t, m, "INITIATED")};
      if (roll < 75) return {"handle.created", credit_handle(t, m, "FAILED")};
    }
    if (roll < 80) return {"handle.rejected", {{"http_status", 400}, {"error", "invalid consumer"}, {"code", "5068"}}};
    return call_failed(call, m);
  }
  if (call.op == "get_payment_handle") {
    if (for_verification) {
      if (m.quiet || roll >= 70) return call_failed(call, m);
      return {"handle.status", verification_handle(t, m, m.rnd.chance(0.8) ? "PAYABLE" : "EXPIRED")};
    }
    if (m.quiet) return roll < 40 ? Reply{"handle.status", credit_handle(t, m, "INITIATED")} : call_failed(call, m);
    static const std::vector<std::string_view> statuses{"INITIATED", "PAYABLE", "COMPLETED", "FAILED", "EXPIRED"};
    if (roll < 75) return {"handle.status", credit_handle(t, m, m.rnd.pick(statuses))};
    return call_failed(call, m);
  }
  if (call.op == "create_verification" || call.op == "get_verification") {
    const bool create = call.op == "create_verification";
    if (m.quiet) return call_failed(call, m);
    const std::string name = create ? "verification.completed" : "verification.status";
    if (roll < 60) return {name, verification(m, "COMPLETED")};
    if (roll < 65) return {name, verification(m, "FAILED")};
    if (create && roll < 72)
      return {"verification.rejected",
              {{"http_status", 409}, {"error", "already processed"}, {"code", m.rnd.chance(0.6) ? "5031" : "5068"}}};
    return call_failed(call, m);
  }
  if (call.op == "create_standalone_credit") {
    if (m.quiet) return call_failed(call, m);
    if (roll < 45) return {"credit.created", standalone_credit(t, m, "PROCESSING")};
    if (roll < 52) return {"credit.created", standalone_credit(t, m, "COMPLETED")};
    if (roll < 56) return {"credit.created", standalone_credit(t, m, "FAILED")};
    if (roll < 58) return {"credit.created", standalone_credit(t, m, "CANCELLED")};
    if (roll < 64) return {"credit.created", paysafe_duplicate(t)};
    if (roll < 70)
      return {"credit.rejected", {{"http_status", 400}, {"error", "handle not payable"}, {"code", "5269"}}};
    return call_failed(call, m);
  }
  // get_standalone_credit
  if (m.quiet) return roll < 40 ? Reply{"credit.status", standalone_credit(t, m, "PROCESSING")} : call_failed(call, m);
  static const std::vector<std::string_view> statuses{"PROCESSING", "PROCESSING", "COMPLETED", "FAILED",
                                                      "ERRORED",    "CANCELLED",  "EXPIRED"};
  if (roll < 75) return {"credit.status", standalone_credit(t, m, m.rnd.pick(statuses))};
  return call_failed(call, m);
}

Reply interac_withdrawal_notify(const Transaction& t, Mood& m) {
  static const std::vector<std::string_view> handle_events{"PAYMENT_HANDLE_PAYABLE", "PAYMENT_HANDLE_FAILED",
                                                           "PAYMENT_HANDLE_EXPIRED", "PAYMENT_HANDLE_COMPLETED"};
  static const std::vector<std::string_view> credit_events{"SA_CREDIT_PROCESSING", "SA_CREDIT_COMPLETED",
                                                           "SA_CREDIT_COMPLETED",  "SA_CREDIT_FAILED",
                                                           "SA_CREDIT_ERRORED",    "SA_CREDIT_CANCELLED"};
  if (m.rnd.chance(0.4)) {
    const auto event = m.rnd.pick(handle_events);
    const std::string_view status = event.substr(std::string_view("PAYMENT_HANDLE_").size());
    json::object handle = m.rnd.chance(0.3) ? verification_handle(t, m, status) : credit_handle(t, m, status);
    return {std::string(event), std::move(handle), InputKind::webhook};
  }
  const auto event = m.rnd.pick(credit_events);
  const std::string_view status = event.substr(std::string_view("SA_CREDIT_").size());
  return {std::string(event), standalone_credit(t, m, status), InputKind::webhook};
}

json::object interac_withdrawal_fields(Mood& m) {
  json::object f;
  if (m.rnd.chance(0.5)) f["verify"] = true;
  if (m.rnd.chance(0.6)) {
    f["interac"] = {{"question", "Ville natale ?"}, {"answer_sealed", "3q2+7wAAAAAAAAAAsealed+answer=="}};
  } else if (m.rnd.chance(0.05)) {
    f["interac"] = {{"question", "Ville natale ?"}, {"answer", "Abidjan"}};  // refused: in clear
  }
  return f;
}

// The provider of each registered flow. A flow added to the registry needs its provider here: the
// answers of its calls and its webhooks as its adapter hands them over (a provider that answers a
// call with anything else makes the flow wait for an answer the executor would never give).
const ProviderModel* model_of(const Flow& flow) {
  // clang-format off
  static const std::vector<ProviderModel> models{
      {"novasend.payin",     {300, "XOF"},   no_fields,                 novasend_answer,           novasend_notify},
      {"cynod.card_debit",   {300, "XOF"},   no_fields,                 cynod_answer,              cynod_notify},
      {"esipay.card",        {10000, "USD"}, no_fields,                 esipay_answer,             esipay_notify},
      {"flexpay.card",       {300, "USD"},   no_fields,                 flexpay_answer,            flexpay_notify},
      {"interac.payment",    {54400, "CAD"}, interac_payment_fields,    interac_payment_answer,    interac_payment_notify},
      {"interac.withdrawal", {50000, "CAD"}, interac_withdrawal_fields, interac_withdrawal_answer, interac_withdrawal_notify},
  };
  // clang-format on
  for (const auto& m : models)
    if (m.flow_id == flow.id) return &m;
  return nullptr;
}

// A command a merchant or an operator sends: a reconciliation (with an operator's outcome, which
// esipay takes), a refund (esipay takes them; whole, partial, over what remains, or of nothing left),
// or a cancellation (no flow has a row for it: refused).
Reply random_command(const Transaction& t, Mood& m, int n) {
  const std::string id = "month-cmd-" + std::to_string(n);
  json::object d{{"command_id", id}};
  const auto roll = m.rnd.below(100);
  if (roll < 35) {
    d["type"] = kReconcileInput;
    if (m.rnd.chance(0.3)) d["outcome"] = m.rnd.chance(0.5) ? "captured" : "failed";
    return {std::string(kReconcileInput), std::move(d), InputKind::command};
  }
  if (roll < 85) {
    d["type"] = "refund.create";
    const auto kind = m.rnd.below(4);
    if (kind == 1) d["amount"] = {{"value", t.amount.value / 4}, {"currency", t.amount.currency}};
    if (kind == 2) d["amount"] = {{"value", t.amount.value * 2}, {"currency", t.amount.currency}};
    if (kind == 3) d["amount"] = t.amount.value / 2;
    return {"refund.create", std::move(d), InputKind::command};
  }
  d["type"] = "payment.cancel";
  return {"payment.cancel", std::move(d), InputKind::command};
}

struct Problem {
  std::string text;
};

// ---- the month -------------------------------------------------------------------------------------

// A state that decides, for property 1: final, or asking a person (unknown, amount_mismatch), or an
// outcome that stays open for refunds (a status out of doubt, such as esipay's captured).
bool decided(const Flow& flow, std::string_view state) {
  const StateInfo* s = flow.state(state);
  return s != nullptr && (s->terminal || !in_doubt(s->status) || s->status == Status::unknown);
}

std::string offset(std::int64_t at) {
  const std::int64_t ms = at - kT0;
  std::ostringstream o;
  o << "+" << ms / kDay << "d" << (ms % kDay) / kHour << "h" << (ms % kHour) / kMinute << "m"
    << (ms % kMinute) / kSecond << "s";
  return o.str();
}

struct OutstandingCall {
  ProviderCall call;
  std::int64_t answer_by = 0;  // the executor has answered by then
  bool delivered = false;      // the provider acted on it already (Mood::delivered)
};

class Month {
 public:
  // `model` is flow's (model_of).
  Month(const Flow& flow, const ProviderModel& model, int seed, bool tracing)
      : flow_(flow),
        model_(model),
        seed_(seed),
        temper_(temper_of(seed)),
        rnd_(run_seed(flow.id, seed)),
        tracing_(tracing) {
    // The engine's default janitor (engine/config.hpp, Config::Janitor): unknown after 5 min, 1 h, then
    // daily; pending, requires_action and processing after 1 h, then daily.
    settings_.janitor.unknown_ms = {5 * kMinute, kHour, kDay};
    settings_.janitor.pending_ms = {kHour, kDay};
  }

  void run() {
    create();
    random_month();
    check_month();
    drain();
    check_drain();
  }

  const std::vector<Problem>& problems() const { return problems_; }
  const std::set<std::string_view>& states_reached() const { return reached_states_; }
  const std::vector<std::string>& trace() const { return trace_; }
  int events_in_month() const { return events_month_; }
  int calls_in_month() const { return calls_month_; }
  int events_in_drain() const { return events_drain_; }
  int calls_in_drain() const { return calls_drain_; }

  std::string describe() const {
    std::ostringstream o;
    o << flow_.id << " seed " << seed_ << " (" << to_string(temper_) << " provider): " << events_.size() << " events ("
      << events_month_ << " in the month, " << events_drain_ << " in the drain), " << calls_month_
      << " calls in the month, " << calls_drain_ << " in the drain; " << redeliveries_
      << " redeliveries dropped; state " << txn_.state << "\n";
    for (const auto& e : events_) {
      o << "  v" << e.version << " " << offset(e.occurred_at_ms) << " " << e.previous_state << " -> " << e.state;
      if (!e.attention.empty()) o << " [" << e.attention << "]";
      o << "  (" << to_string(e.cause.kind) << " " << e.cause.input_id << ")\n";
    }
    o << "replay: CORRIDOR_MONTH_SEED=" << flow_.id << ":" << seed_ << " prints the inputs\n";
    return o.str();
  }

 private:
  enum class Phase { month, drain };

  Mood mood(bool quiet) { return Mood{rnd_, temper_, quiet || temper_ == Temper::silent}; }

  void problem(std::string what) {
    if (problems_.size() < 20) problems_.push_back(Problem{offset(now_) + " " + std::move(what)});
  }

  void note(std::string line) {
    if (tracing_) trace_.push_back(offset(now_) + " " + std::move(line));
  }

  // ---- the clock: it never passes a due timer or a due answer --------------------------------------

  std::int64_t horizon() const {
    std::int64_t h = INT64_MAX;
    for (const auto& [_, t] : timers_) h = std::min(h, t.due_at_ms);
    for (const auto& [_, c] : calls_) h = std::min(h, c.answer_by);
    return h;
  }

  void advance(std::int64_t delta) { now_ = std::max(now_, std::min(now_ + delta, horizon())); }

  std::int64_t answer_delay() {
    const double x = rnd_.unit();
    if (x < 0.85) return rnd_.spread(100, kAnswerDelayUsual);
    if (x < 0.98) return rnd_.spread(kAnswerDelayUsual, kAnswerDelayExecutor);
    return rnd_.spread(kAnswerDelayExecutor, kAnswerDelayBacklog);
  }

  // ---- feeding, as the processor does --------------------------------------------------------------

  void feed(Input in) {
    in.txn_id = txn_.txn_id.empty() ? "tx_test" : txn_.txn_id;
    if (!taken_ids_.insert(in.input_id).second) {
      ++redeliveries_;
      note("dropped: input id " + in.input_id + " already taken");
      return;
    }
    const std::string before = txn_.state;
    Effects fx;
    if (!started_) {
      txn_ = start(flow_, in, fx);
      started_ = true;
    } else {
      read_back();
    }
    const StateInfo* was = flow_.state(txn_.state);
    std::optional<Transaction> final_before;
    if (was != nullptr && was->terminal) final_before = txn_;
    // The transaction as read back from the store, its flow's struct read from the document on the
    // step's first use: what a step keeps must survive that round trip (make test-sanitize).
    const StepResult r = step(flow_, txn_, in, settings_, fx);
    ++steps_;
    if (tracing_) {
      std::string line = std::string(to_string(in.kind)) + " " + in.name + " " + boost::json::serialize(in.data);
      if (line.size() > 400) line = line.substr(0, 400) + "...";
      line += "  => " + std::string(to_string(r.outcome)) + ", " + before + " -> " + txn_.state;
      for (const auto& c : fx.calls) line += "; call " + c.op;
      for (const auto& t : fx.timers) line += "; timer " + t.name + " " + offset(t.due_at_ms);
      for (const auto& t : fx.cancelled_timers) line += "; cancel " + t;
      note(std::move(line));
    }
    if (final_before) check_provider_word(*final_before, in, fx);
    for (auto& e : fx.events) take_event(std::move(e));
    for (auto& c : fx.calls) {
      if (taken_ids_.contains(c.answer_input_id()))
        problem("call " + c.op + " answers under input id " + c.answer_input_id() +
                ", already taken: its answer would be dropped");
      ++(phase_ == Phase::month ? calls_month_ : calls_drain_);
      const std::string id = c.answer_input_id();
      calls_[id] = OutstandingCall{std::move(c), now_ + answer_delay(), false};
    }
    for (const auto& name : fx.cancelled_timers) {
      if (name == "*") {
        timers_.clear();
      } else {
        timers_.erase(name);
      }
    }
    for (auto& t : fx.timers) {
      if (taken_ids_.contains(t.input_id))
        problem(t.name + " is armed under input id " + t.input_id + ", already taken: it would never fire");
      timers_[t.name] = std::move(t);
    }
    after_step();
  }

  // The transaction as the store gives it back (engine/store_sqlite.cpp): its JSON text, parsed. It
  // must read back as it was written.
  void read_back() {
    const std::string stored = serialize(txn_);
    boost::system::error_code ec;
    json::value parsed = boost::json::parse(stored, ec);
    if (ec) {
      problem("the transaction's JSON does not parse: " + ec.message());
      return;
    }
    auto back = transaction_from_json(std::move(parsed));
    if (!back) {
      problem("the transaction does not read back from its JSON: " + back.error().message);
      return;
    }
    if (serialize(*back) != stored) problem("the transaction read back from its JSON is not the one written");
    txn_ = std::move(*back);
  }

  // A late_outcome or disputed event says the provider's word contradicts a final state. A
  // call.failed is corridor's own failure to hear the provider (a timeout, nothing sent, refused
  // before sending): it is no word of the provider's, whatever row it meets from the state the
  // transaction settled from (there, typically, a deadline's kProvisional row). A look-up the
  // provider answered 404 (not_found) is its word.
  void check_provider_word(const Transaction& before, const Input& in, const Effects& fx) {
    if (in.name != "call.failed" || get_bool(in.data, "not_found")) return;
    for (const auto& e : fx.events) {
      if (e.attention != attention::kLateOutcome && e.attention != attention::kDisputed) continue;
      const std::string_view from = before.settled_from;
      Transaction shadow = before;
      shadow.state = std::string(from);
      Effects scratch;
      const StepResult r = step(flow_, shadow, in, settings_, scratch);
      std::string row = r.row == nullptr ? std::string("no row")
                                         : "the row '" + std::string(r.row->guard_name) + "' -> " +
                                               std::string(r.row->to) + " (\"" + std::string(r.row->cite) + "\")";
      problem(std::string(e.attention) + " on the final " + before.state + " from a call.failed (" + in.input_id +
                  ", " + std::string(get_string(in.data, "error")) + "), which is no word of the provider's; from " +
                  std::string(from) + " it meets " + row);
    }
  }

  void take_event(StateChangedEvent e) {
    const std::string v = "event v" + std::to_string(e.version);
    const StateInfo* info = flow_.state(e.state);
    const std::int64_t expected = events_.empty() ? 1 : events_.back().version + 1;
    if (e.version != expected)
      problem(v + ": version " + std::to_string(e.version) + ", expected " + std::to_string(expected));
    if (info == nullptr) {
      problem(v + " names the state '" + std::string(e.state) + "', which the flow does not have");
    } else if (e.status != info->status) {
      problem(v + ": status " + std::string(to_string(e.status)) + " is not " + std::string(e.state) + "'s");
    }
    if (!events_.empty()) {
      const StateChangedEvent& last = events_.back();
      if (e.previous_state != last.state)
        problem(v + ": previous_state " + std::string(e.previous_state) + " is not the last event's state " +
                std::string(last.state));
      const StateInfo* was = flow_.state(last.state);
      if (was != nullptr && was->terminal) {
        if (e.state != last.state) {
          if (e.attention != attention::kLateOutcome) {
            problem(v + " leaves the final state " + std::string(last.state) + " for " + std::string(e.state) +
                    " without late_outcome (attention '" + std::string(e.attention) + "')");
          } else if (!provisional_) {
            problem(v + " replaces " + std::string(last.state) +
                    ", which the provider had decided, not corridor's clock (late_outcome)");
          }
        } else if (e.attention.empty()) {
          problem(v + " stays in the final state " + std::string(last.state) + " without an attention code");
        }
      }
    }
    if (!e.attention.empty() && decided_at_ < 0) decided_at_ = now_;
    if (phase_ == Phase::month) {
      ++events_month_;
    } else {
      ++events_drain_;
      if (e.occurred_at_ms >= drain_end_ - kQuietWindow) ++events_quiet_;
    }
    reached_states_.insert(e.state);
    events_.push_back(std::move(e));
  }

  void after_step() {
    if (events_.empty()) return;
    const StateChangedEvent& last = events_.back();
    if (txn_.state != last.state || txn_.version != last.version)
      problem("the transaction is " + txn_.state + " v" + std::to_string(txn_.version) + " but its last event is " +
              std::string(last.state) + " v" + std::to_string(last.version));
    const StateInfo* s = flow_.state(txn_.state);
    if (s == nullptr) return;
    if (s->terminal) provisional_ = txn_.settled_by == "corridor";
    if (decided(flow_, txn_.state) && decided_at_ < 0) decided_at_ = now_;
    // In doubt with nothing armed and nothing out: only the provider's own word could ever move it.
    if (!s->terminal && in_doubt(s->status) && s->status != Status::unknown && timers_.empty() && calls_.empty() &&
        !reported_idle_) {
      reported_idle_ = true;
      problem("waits in " + txn_.state + " with no timer armed and no call out: nothing of corridor's moves it again");
    }
  }

  // ---- what happens ----------------------------------------------------------------------------------

  void create() {
    Mood m = mood(false);
    json::object fields = model_.create_fields(m);
    fields["type"] = flow_.create_command;
    Input in = testing::create_command(flow_.id, model_.amount, std::move(fields));
    in.name = std::string(flow_.create_command);
    now_ = kT0;
    in.at_ms = now_;
    note("create " + boost::json::serialize(in.data));
    feed(std::move(in));
  }

  void fire_timer() {
    auto next = timers_.begin();
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->second.due_at_ms < next->second.due_at_ms) next = it;
    TimerSet t = std::move(next->second);
    timers_.erase(next);
    now_ = std::max(now_, t.due_at_ms);
    Input in;
    in.input_id = t.input_id;
    in.kind = InputKind::timer;
    in.name = t.name;
    in.at_ms = t.due_at_ms;
    feed(std::move(in));
  }

  void answer_call(bool quiet) {
    auto it = calls_.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(rnd_.below(calls_.size())));
    const OutstandingCall out = std::move(it->second);
    calls_.erase(it);
    advance(rnd_.spread(100, 10 * kSecond));
    Mood m = mood(quiet || (temper_ == Temper::stalling && is_read(out.call.op)));
    m.delivered = out.delivered;
    Reply r = model_.answer(out.call, txn_, m);
    if (r.name != "call.failed" || get_bool(r.data, "sent", true)) reached_ops_.insert(out.call.op);
    Input in;
    in.input_id = out.call.answer_input_id();
    in.kind = InputKind::provider_response;
    in.name = std::move(r.name);
    in.at_ms = now_;
    in.data = std::move(r.data);
    feed(std::move(in));
  }

  void notify() {
    advance(rnd_.spread(kSecond, kHour));
    std::set<std::string, std::less<>> reached = reached_ops_;
    for (const auto& [_, c] : calls_) reached.insert(c.call.op);
    Mood m = mood(false);
    m.reached = &reached;
    Reply r = model_.notify(txn_, m);
    for (auto& [_, c] : calls_)
      if (!r.acts_on.empty() && c.call.op == r.acts_on) c.delivered = true;
    Input in;
    in.input_id = "webhook:" + std::string(flow_.provider) + ":" + std::to_string(++spontaneous_);
    in.kind = r.kind;
    in.name = std::move(r.name);
    in.at_ms = now_;
    in.data = std::move(r.data);
    sent_.push_back(in);
    feed(std::move(in));
  }

  // The provider sends what it sent before again, under a new id (a second event for the same news).
  void notify_again() {
    advance(rnd_.spread(kSecond, kDay));
    Input in = rnd_.pick(sent_);
    in.input_id = "webhook:" + std::string(flow_.provider) + ":" + std::to_string(++spontaneous_);
    in.at_ms = now_;
    feed(std::move(in));
  }

  // An input id already taken comes again (a redelivery): the processor drops it before any step.
  void redeliver() {
    Input in;
    in.input_id = *std::next(taken_ids_.begin(), static_cast<std::ptrdiff_t>(rnd_.below(taken_ids_.size())));
    in.kind = InputKind::webhook;
    in.name = "redelivered";
    in.at_ms = now_;
    feed(std::move(in));
  }

  void command() {
    advance(rnd_.spread(kMinute, kDay));
    Mood m = mood(false);
    Reply r = random_command(txn_, m, ++commands_);
    Input in;
    in.input_id = "cmd:" + std::string(get_string(r.data, "command_id"));
    in.kind = InputKind::command;
    in.name = std::move(r.name);
    in.at_ms = now_;
    in.data = std::move(r.data);
    feed(std::move(in));
  }

  std::int64_t next_timer_due() const {
    std::int64_t due = INT64_MAX;
    for (const auto& [_, t] : timers_) due = std::min(due, t.due_at_ms);
    return due;
  }

  void random_month() {
    phase_ = Phase::month;
    const std::int64_t end = kT0 + kMonth;
    // A silent or stalling provider sends nothing on its own; a steady one a few webhooks.
    const int spontaneous_budget = temper_ == Temper::chaotic ? kMaxSpontaneous : temper_ == Temper::steady ? 4 : 0;
    const int command_budget = temper_ == Temper::chaotic ? kMaxCommands : temper_ == Temper::steady ? 1 : 0;
    const double notify_weight = temper_ == Temper::chaotic ? 1.5 : 0.4;
    const double command_weight = temper_ == Temper::chaotic ? 0.3 : 0.05;
    while (now_ < end && steps_ < kMaxSteps) {
      // A timer fires before the clock passes an answer that is due.
      const bool timer_due = next_timer_due() < end && next_timer_due() <= horizon();
      const bool may_notify = spontaneous_ < spontaneous_budget;
      const std::vector<double> weights{
          timer_due ? 5.0 : 0.0,                                                   // fire the earliest timer
          calls_.empty() ? 0.0 : 5.0,                                              // answer a call
          may_notify ? notify_weight : 0.0,                                        // a webhook
          may_notify && !sent_.empty() && temper_ == Temper::chaotic ? 0.4 : 0.0,  // the same news again
          0.2,                                                                     // a redelivered input id
          commands_ < command_budget ? command_weight : 0.0,                       // a command
          1.5,                                                                     // time passes
      };
      switch (rnd_.weighted(weights)) {
        case 0: fire_timer(); break;
        case 1: answer_call(false); break;
        case 2: notify(); break;
        case 3: notify_again(); break;
        case 4: redeliver(); break;
        case 5: command(); break;
        default: advance(std::min(rnd_.spread(kSecond, 3 * kDay), end - now_)); break;
      }
    }
    if (steps_ >= kMaxSteps) problem("more than " + std::to_string(kMaxSteps) + " inputs in the month: a loop");
    now_ = std::max(now_, end);
  }

  void check_month() {
    if (decided_at_ >= 0) return;
    bool own_timer = false;
    for (const auto& [name, _] : timers_) own_timer = own_timer || name != kJanitorTimer;
    if (!own_timer && calls_.empty())
      problem("after a month in " + txn_.state + ", never decided, and no timer of its own nor a call is out");
  }

  // Nothing new is said any more: calls end in call.failed or "still pending", timers fire.
  void drain() {
    phase_ = Phase::drain;
    drain_end_ = now_ + kDrain;
    while (steps_ < kMaxSteps) {
      const bool timer_due = next_timer_due() <= drain_end_;
      if (!timer_due && calls_.empty()) break;
      if (timer_due && (calls_.empty() || rnd_.chance(0.5))) {
        // A timer that is due before any answer fires first; the clock never passes an answer due.
        if (next_timer_due() <= horizon()) {
          fire_timer();
          continue;
        }
      }
      if (!calls_.empty()) answer_call(true);
    }
    if (steps_ >= kMaxSteps) problem("more than " + std::to_string(kMaxSteps) + " inputs: a loop in the drain");
    now_ = std::max(now_, drain_end_);
  }

  void check_drain() {
    if (!decided(flow_, txn_.state))
      problem("still " + txn_.state + " after " + std::to_string(kDrain / kDay) +
              " days of nothing new: every wait ends in a decided state");
    if (events_month_ > kMaxEvents)
      problem(std::to_string(events_month_) + " events in the month, more than " + std::to_string(kMaxEvents));
    if (events_drain_ > kMaxDrainEvents)
      problem(std::to_string(events_drain_) + " events in the drain, more than " + std::to_string(kMaxDrainEvents));
    if (events_quiet_ > 0)
      problem(std::to_string(events_quiet_) + " events in the drain's last " + std::to_string(kQuietWindow / kDay) +
                  " days: something repeats on corridor's clock");
    if (calls_month_ > kMaxCalls)
      problem(std::to_string(calls_month_) + " calls in the month, more than " + std::to_string(kMaxCalls));
    if (calls_drain_ > kMaxDrainCalls)
      problem(std::to_string(calls_drain_) + " calls in the drain, more than " + std::to_string(kMaxDrainCalls));
  }

  const Flow& flow_;
  const ProviderModel& model_;
  const int seed_;
  const Temper temper_;
  Random rnd_;
  const bool tracing_;
  FlowSettings settings_;

  Transaction txn_;
  bool started_ = false;
  std::int64_t now_ = kT0;
  Phase phase_ = Phase::month;
  std::int64_t drain_end_ = INT64_MAX;
  std::map<std::string, TimerSet, std::less<>> timers_;
  std::map<std::string, OutstandingCall, std::less<>> calls_;
  std::set<std::string, std::less<>> taken_ids_;
  std::vector<Input> sent_;                         // webhooks delivered, for notify_again
  std::set<std::string, std::less<>> reached_ops_;  // Mood::reached, of the calls answered

  std::vector<StateChangedEvent> events_;
  std::set<std::string_view> reached_states_;
  std::vector<Problem> problems_;
  std::vector<std::string> trace_;
  int steps_ = 0;
  int spontaneous_ = 0;
  int commands_ = 0;
  int redeliveries_ = 0;
  int events_month_ = 0;
  int events_drain_ = 0;
  int events_quiet_ = 0;
  int calls_month_ = 0;
  int calls_drain_ = 0;
  std::int64_t decided_at_ = -1;
  bool provisional_ = false;
  bool reported_idle_ = false;
};

// CORRIDOR_MONTH_SEED=<seed> or <flow id>:<seed> replays one run (per flow, or of one flow) and
// prints its inputs.
struct Replay {
  bool set = false;
  std::string flow;
  int seed = 0;
};

Replay replay_from_env() {
  Replay r;
  const char* v = std::getenv("CORRIDOR_MONTH_SEED");
  if (v == nullptr || *v == '\0') return r;
  std::string_view s(v);
  if (const auto colon = s.rfind(':'); colon != std::string_view::npos) {
    r.flow = std::string(s.substr(0, colon));
    s = s.substr(colon + 1);
  }
  r.seed = std::atoi(std::string(s).c_str());
  r.set = true;
  return r;
}

std::string trace_text(const std::vector<std::string>& trace, std::size_t last) {
  std::string out;
  const std::size_t from = trace.size() > last ? trace.size() - last : 0;
  if (from > 0) out += "  ... " + std::to_string(from) + " inputs before\n";
  for (std::size_t i = from; i < trace.size(); ++i) out += "  " + trace[i] + "\n";
  return out;
}

std::string problems_text(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += "  " + p.text + "\n";
  return out;
}

// The runs of one flow.
struct FlowRuns {
  int failing = 0;
  std::string failing_seeds;
  std::vector<std::string> first_failures;  // in full, with their inputs
  int most_events = 0;
  int most_calls = 0;
  int most_drain_events = 0;
  int most_drain_calls = 0;
  std::string states_missed;
};

const FlowRuns& runs_of(const Flow& flow, const ProviderModel& model) {
  static std::map<std::string_view, FlowRuns> done;
  if (auto it = done.find(flow.id); it != done.end()) return it->second;
  FlowRuns out;
  std::set<std::string_view> reached;
  for (int seed = 1; seed <= kSeedsPerFlow; ++seed) {
    Month month(flow, model, seed, false);
    month.run();
    reached.insert(month.states_reached().begin(), month.states_reached().end());
    out.most_events = std::max(out.most_events, month.events_in_month());
    out.most_calls = std::max(out.most_calls, month.calls_in_month());
    out.most_drain_events = std::max(out.most_drain_events, month.events_in_drain());
    out.most_drain_calls = std::max(out.most_drain_calls, month.calls_in_drain());
    if (month.problems().empty()) continue;
    ++out.failing;
    out.failing_seeds += " " + std::to_string(seed);
    if (out.failing > 3) continue;  // the first three in full; the others by seed
    // The same seed again, with its inputs written down.
    Month traced(flow, model, seed, true);
    traced.run();
    out.first_failures.push_back(traced.describe() + "problems:\n" + problems_text(traced.problems()) +
                                 "last inputs:\n" + trace_text(traced.trace(), 60));
  }
  for (const auto& s : flow.states)
    if (!reached.contains(s.name)) out.states_missed += " " + std::string(s.name);
  return done.emplace(flow.id, std::move(out)).first->second;
}

class FlowMonth : public ::testing::TestWithParam<const Flow*> {};

TEST_P(FlowMonth, EveryTransactionSettlesWithinBoundsAndThenStaysQuiet) {
  const Flow& flow = *GetParam();
  const ProviderModel* model = model_of(flow);
  ASSERT_NE(model, nullptr) << flow.id << " has no provider here: add its ProviderModel to model_of";
  const Replay replay = replay_from_env();
  if (replay.set) {
    if (!replay.flow.empty() && replay.flow != flow.id) GTEST_SKIP() << "CORRIDOR_MONTH_SEED names " << replay.flow;
    Month month(flow, *model, replay.seed, true);
    month.run();
    std::cout << month.describe() << "inputs:\n" << trace_text(month.trace(), SIZE_MAX);
    if (!month.problems().empty()) ADD_FAILURE() << "problems:\n" << problems_text(month.problems());
    return;
  }
  const FlowRuns& runs = runs_of(flow, *model);
  for (const auto& f : runs.first_failures) ADD_FAILURE() << f;
  EXPECT_EQ(runs.failing, 0) << flow.id << ": seeds failing:" << runs.failing_seeds;
  // The provider's model leads the flow through its whole table, or the properties say little.
  EXPECT_TRUE(runs.states_missed.empty()) << flow.id << ": no seed reaches" << runs.states_missed;
  std::cout << "[ month    ] " << flow.id << ": at most " << runs.most_events << " events and " << runs.most_calls
            << " calls in a month; " << runs.most_drain_events << " events and " << runs.most_drain_calls
            << " calls in the drain (" << kSeedsPerFlow
            << " seeds); states never reached:" << (runs.states_missed.empty() ? " none" : runs.states_missed) << "\n";
}

std::string flow_name(const ::testing::TestParamInfo<const Flow*>& info) {
  std::string name(info.param->id);
  for (char& ch : name)
    if (ch == '.') ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllFlows, FlowMonth, ::testing::ValuesIn(all_flows()), flow_name);

}  // namespace
}  // namespace corridor
