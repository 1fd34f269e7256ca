// esipay's settlement report read and matched against its transactions: the settlement capability
// of its plugin (adapters/esipay/esipay_plugin.cpp).
#include "adapters/esipay/esipay_settlement.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "adapters/errc.hpp"
#include "adapters/support/csv.hpp"
#include "statemachines/esipay_card.hpp"
#include "statemachines/money.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

Result<std::vector<SettlementLine>> parse_settlement(std::string_view csv) {
  std::vector<SettlementLine> out;
  std::map<std::string, std::size_t> column;
  int number = 0;
  while (!csv.empty()) {
    const std::size_t end = csv.find('\n');
    const std::string_view text = csv.substr(0, end);
    csv = end == std::string_view::npos ? std::string_view{} : csv.substr(end + 1);
    ++number;
    if (text.empty() || text == "\r") continue;
    auto fields = parse_csv_line(text);
    if (!fields) return fail(adapter_errc::malformed_settlement, "settlement line " + std::to_string(number) + ": " + fields.error().message);
    if (column.empty()) {
      for (std::size_t i = 0; i < fields->size(); ++i) column[(*fields)[i]] = i;
      for (const char* required : {"date", "transaction", "cid", "type", "amount", "currency"})
        if (!column.contains(required)) return fail(adapter_errc::malformed_settlement, "settlement header lacks the column '" + std::string(required) + "'");
      continue;
    }
    auto field = [&](const char* name) -> std::string {
      const std::size_t i = column.at(name);
      return i < fields->size() ? (*fields)[i] : std::string();
    };
    const std::string where = "settlement line " + std::to_string(number);
    SettlementLine line;
    line.line = number;
    line.date = field("date");
    line.transaction = field("transaction");
    line.txn_id = field("cid");
    const std::string type = field("type");
    line.currency = field("currency");
    if (line.txn_id.empty()) return fail(adapter_errc::malformed_settlement, where + ": empty cid");
    if (type != "card" && type != "refund") return fail(adapter_errc::malformed_settlement, where + ": type must be card or refund, got '" + type + "'");
    line.kind = type == "card" ? "charge" : "refund";
    const auto exponent = currency_exponent(line.currency);
    if (!exponent) return fail(adapter_errc::malformed_settlement, where + ": unknown currency '" + line.currency + "'");
    auto amount = parse_decimal_amount(field("amount"), *exponent);
    if (!amount) return fail(adapter_errc::malformed_settlement, where + ": " + amount.error().message);
    line.amount = *amount;
    out.push_back(std::move(line));
  }
  if (column.empty()) return fail(adapter_errc::malformed_settlement, "settlement file is empty: no header");
  return out;
}

// The esipay states in which money moved: the charge must be in the settlement.
bool charged(const Transaction& t) {
  return t.state == "captured" || t.state == "partially_refunded" || t.state == "refunded" ||
         t.state == "amount_mismatch";
}

// What esipay charged, as the store has it: the amount asked, or the one esipay reported instead.
std::int64_t charged_amount(const Transaction& t) {
  return t.provider_amount ? t.provider_amount->value : t.amount.value;
}

// The refunds of a transaction as its flow keeps them (EsipayCardData::refunds).
struct StoredRefund {
  std::string command_id;
  std::int64_t amount = 0;
  std::string status;
  std::string day;  // of its command
};

std::vector<StoredRefund> stored_refunds(const Transaction& t) {
  std::vector<StoredRefund> out;
  const auto& refunds = t.data.as<EsipayCardData>().refunds;
  if (!refunds) return out;
  for (const EsipayRefund& r : *refunds) out.push_back({r.command_id, r.amount, r.status, day_of(r.at)});
  return out;
}

// The sets of `amounts` (indexes) that add up to `target`, as their sorted amounts: the file names no
// refund, so refunds of equal amounts cannot be told apart and need not be. Empty when none; more
// than one when the file cannot say which refunds were done. nullopt when there are too many to try.
std::optional<std::vector<std::vector<std::int64_t>>> sums_to(const std::vector<std::int64_t>& amounts,
                                                              std::int64_t target) {
  constexpr std::size_t kMaxTried = 16;
  if (amounts.size() > kMaxTried) return std::nullopt;
  std::vector<std::vector<std::int64_t>> found;
  for (std::uint32_t mask = 0; mask < (1u << amounts.size()); ++mask) {
    std::int64_t sum = 0;
    std::vector<std::int64_t> chosen;
    for (std::size_t i = 0; i < amounts.size(); ++i) {
      if ((mask & (1u << i)) == 0) continue;
      sum += amounts[i];
      chosen.push_back(amounts[i]);
    }
    if (sum != target) continue;
    std::sort(chosen.begin(), chosen.end());
    if (std::find(found.begin(), found.end(), chosen) == found.end()) found.push_back(std::move(chosen));
  }
  return found;
}

// One transaction against the file's lines that name it.
void match_settlement(const Transaction& t, const std::vector<const SettlementLine*>& lines, const std::string& through,
                      SettlementMatch& report) {
  // A day the file covers: at or before its last day.
  auto covered = [&](const std::string& day) { return !through.empty() && !day.empty() && day <= through; };
  std::vector<const SettlementLine*> c, r;
  for (const SettlementLine* l : lines) (l->kind == "charge" ? c : r).push_back(l);
  auto differ = [&](std::string kind, std::string what, std::string store, std::string settled, int line) {
    report.differences.push_back({std::move(kind), t.txn_id, std::move(what), std::move(store), std::move(settled), line});
  };
  auto settle = [&](std::string what, std::string result, std::string store, std::string settled, int line, Input in) {
    report.outcomes.push_back({t.txn_id, std::move(what), std::move(result), std::move(store), std::move(settled), line,
                               std::move(in)});
  };
  const std::string ours = money_text(charged_amount(t), t.amount.currency);
  // A charge corridor could not know the outcome of (esipay has no status endpoint), or one it
  // failed because an earlier file lacked it: the file answers.
  const bool charge_unknown = t.state == "unknown";
  const bool failed_for_absence = t.state == "failed" && t.provisional() && t.settled_from == "unknown";
  if (c.empty()) {
    if (charged(t)) differ("missing_in_settlement", "charge", t.state + " " + ours, "", 0);
    const std::string day = day_of(format_time(t.created_at_ms));
    if (charge_unknown && covered(day))
      settle("charge", "not_settled", "unknown " + ours, "absent through " + through, 0,
             settlement_input(t, "charge.not_settled", "charge.not_settled", {{"through", through}}));
  } else {
    const SettlementLine& l = *c.front();
    if (charge_unknown || failed_for_absence) {
      settle("charge", "settled", t.state + " " + ours,
             money_text(l.amount, l.currency) + ", line " + std::to_string(l.line), l.line,
             settlement_input(t, "charge.settled", "charge.settled",
                              {{"transaction", l.transaction}, {"amount", decimal_text(l.amount, l.currency)},
                               {"currency", l.currency}, {"line", l.line}, {"date", l.date}}));
    }
    if (!charged(t) && !charge_unknown) differ("mismatch", "status", t.state, "charge settled", l.line);
    if (l.amount != charged_amount(t) || l.currency != t.amount.currency)
      differ("mismatch", "amount", ours, money_text(l.amount, l.currency), l.line);
    const std::string_view esipay_id = t.provider_refs.get(esipay_refs::kTransaction);
    if (!esipay_id.empty() && !l.transaction.empty() && esipay_id != l.transaction)
      differ("mismatch", "transaction", std::string(esipay_id), l.transaction, l.line);
    if (c.size() > 1) differ("mismatch", "charge lines", "1", std::to_string(c.size()), c[1]->line);
  }

  // Refunds: the file's total against what the store has refunded, the difference explained by the
  // refunds whose outcome the store does not know (it reserves their amounts).
  std::int64_t refunded = 0;
  for (const SettlementLine* l : r) refunded += l->amount;
  const std::int64_t ours_refunded = t.refunded_amount.value_or(0);
  const auto stored = stored_refunds(t);
  std::vector<const StoredRefund*> unknown, out;
  for (const auto& s : stored) {
    if (s.status == "unknown") unknown.push_back(&s);
    if (s.status == "pending") out.push_back(&s);
  }
  const int first_line = r.empty() ? 0 : r.front()->line;
  auto refunded_differs = [&](std::string note) {
    std::string store = money_text(ours_refunded, t.amount.currency);
    if (!note.empty()) store += " (" + note + ")";
    differ("mismatch", "refunded", std::move(store), money_text(refunded, t.amount.currency), first_line);
  };
  if (unknown.empty() && out.empty()) {
    if (refunded != ours_refunded) refunded_differs({});
  } else {
    std::vector<const StoredRefund*> candidates = unknown;
    candidates.insert(candidates.end(), out.begin(), out.end());
    std::vector<std::int64_t> amounts;
    for (const StoredRefund* s : candidates) amounts.push_back(s->amount);
    std::int64_t reserved = 0;
    for (auto a : amounts) reserved += a;
    const std::string note = money_text(reserved, t.amount.currency) + " of unknown outcome or still out";
    const auto sets = sums_to(amounts, refunded - ours_refunded);
    if (!sets || sets->empty()) {
      refunded_differs(note + (sets ? ": no set of them explains the file" : ": too many to match"));
    } else if (sets->size() > 1) {
      refunded_differs(note + ": the file does not say which of them were done");
    } else if (out.empty()) {
      // Which refunds were done: of each amount in the set, the earliest of that amount.
      std::vector<std::int64_t> done = sets->front();
      for (const StoredRefund* s : unknown) {
        const std::string what = "refund " + s->command_id;
        const std::string store = "unknown " + money_text(s->amount, t.amount.currency);
        auto it = std::find(done.begin(), done.end(), s->amount);
        if (it != done.end()) {
          done.erase(it);
          settle(what, "settled", store,
                 money_text(s->amount, t.amount.currency) + " within the file's refunds, line " +
                     std::to_string(first_line),
                 first_line,
                 settlement_input(t, "refund:" + s->command_id, "refund.settled",
                                  {{"command_id", s->command_id}, {"amount", decimal_text(s->amount, t.amount.currency)},
                                   {"currency", t.amount.currency}, {"line", first_line}}));
        } else if (covered(s->day)) {
          settle(what, "not_settled", store, "absent through " + through, 0,
                 settlement_input(t, "refund:" + s->command_id, "refund.not_settled",
                                  {{"command_id", s->command_id}, {"through", through}}));
        }
      }
    }
    // With a refund still out, the file's total is explained but which refund is which waits for its
    // answer: nothing is published.
  }
}

}  // namespace

SettlementFormat esipay_settlement() { return {parse_settlement, match_settlement}; }

}  // namespace corridor
