// `corridor reconcile`. One file: its two modes (asking the providers through the running engine;
// matching esipay's settlement file) read the store the same way, take the same options and report
// to the same command.
#include "engine/cli/provider_reconcile.hpp"

#include "engine/pipeline/commands.hpp"

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <map>
#include <thread>

#include "adapters/registry.hpp"
#include "adapters/support/csv.hpp"
#include "engine/io/kafka.hpp"
#include "statemachines/reconcile.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

const StateInfo* state_of(const Transaction& t) {
  const Flow* flow = find_flow(t.flow_id());
  return flow == nullptr ? nullptr : flow->state(t.state);
}

std::string status_of(const Transaction& t) {
  const StateInfo* s = state_of(t);
  return s == nullptr ? "" : std::string(to_string(s->status));
}

// The transactions of `ids`, read in one go (the store is read while the engine writes it).
std::map<std::string, Transaction> load_all(Store& live, const std::vector<std::string>& ids) {
  auto loaded = live.load_many(ids);
  if (!loaded) throw std::runtime_error("reconcile: " + loaded.error().message);
  return std::move(*loaded);
}

// Every transaction of the store, in txn_id order, read a chunk at a time.
template <typename Visit>
void each_transaction(Store& live, Visit visit) {
  auto ids = live.transaction_ids();
  if (!ids) throw std::runtime_error("reconcile: " + ids.error().message);
  constexpr std::size_t kChunk = 1000;
  for (std::size_t i = 0; i < ids->size(); i += kChunk) {
    const std::vector<std::string> chunk(ids->begin() + i, ids->begin() + std::min(ids->size(), i + kChunk));
    for (const auto& [_, txn] : load_all(live, chunk)) visit(txn);
  }
}

bool selected(const Transaction& t, const ReconcileOptions& o) {
  if (!o.provider.empty() && t.provider != o.provider) return false;
  if (o.since_ms && t.created_at_ms < *o.since_ms) return false;
  const StateInfo* s = state_of(t);
  if (s == nullptr) return false;
  if (o.statuses.empty()) return !s->terminal;
  return std::find(o.statuses.begin(), o.statuses.end(), to_string(s->status)) != o.statuses.end();
}

ReconcileItem item_of(const Transaction& t) {
  ReconcileItem i;
  i.txn_id = t.txn_id;
  i.merchant = t.merchant;
  i.reference = t.reference;
  i.provider = t.provider;
  i.flow = t.flow_id();
  i.from_state = i.to_state = t.state;
  i.from_status = i.to_status = status_of(t);
  return i;
}

// The outcome of an answered ask, from the transaction's reconcile record.
void classify(ReconcileItem& item, const Transaction& now, const ReconcileRecord& record) {
  const std::string_view answer = record.answer;
  item.to_state = record.to.empty() ? now.state : record.to;
  Transaction at_answer = now;
  at_answer.state = item.to_state;
  item.to_status = status_of(at_answer);
  item.note = record.note;
  if (answer == "corrected") {
    item.result = "corrected";
  } else if (answer == "confirmed" || answer == "disputed") {
    item.result = std::string(answer);  // a final transaction verified
  } else if (answer == "unchanged") {
    const StateInfo* s = state_of(at_answer);
    item.result = s != nullptr && in_doubt(s->status) ? "pending" : "confirmed";
  } else if (answer == "not_found") {
    item.result = "unknown_to_provider";
  } else if (answer == "failed") {
    item.result = "unreachable";
  } else {
    item.result = "not_asked";
  }
}

}  // namespace

std::int64_t ReconcileReport::count(std::string_view result) const {
  return std::count_if(items.begin(), items.end(), [&](const ReconcileItem& i) { return i.result == result; });
}

bool ReconcileReport::needs_attention() const {
  return count("disputed") + count("unknown_to_provider") + count("unreachable") + count("no_answer") > 0;
}

ReconcileReport reconcile(const Config& config, Store& live, KafkaProducer& producer, const ReconcileOptions& options) {
  ReconcileReport report;
  struct Asked {
    std::size_t item;
    std::string input_id;
    bool final = false;  // a verification: the state does not move
  };
  std::vector<Asked> waiting;
  each_transaction(live, [&](const Transaction& t) {
    if (!selected(t, options)) return;
    report.items.push_back(item_of(t));
    ReconcileItem& item = report.items.back();
    const StateInfo* s = state_of(t);
    if (s->terminal && t.settled_from.empty()) {
      item.result = "final";
      item.note = "settled before corridor recorded the state it settled from: not asked";
      return;
    }
    const std::string command_id = "reconcile:" + options.run_id + ":" + t.txn_id;
    const json::object command{{"type", kReconcileInput},
                               {"command_id", command_id},
                               {"merchant", t.merchant},
                               {"reference", t.reference}};
    auto sent = producer.produce_sync(config.kafka.commands, t.merchant + ":" + t.reference, boost::json::serialize(command));
    if (!sent) throw std::runtime_error("reconcile: cannot publish to " + config.kafka.commands + ": " + sent.error().message);
    waiting.push_back({report.items.size() - 1, command_input_id(t.txn_id, command_id), s->terminal});
  });

  const auto deadline = std::chrono::steady_clock::now() + options.wait;
  while (!waiting.empty()) {
    std::vector<std::string> ids;
    for (const Asked& a : waiting) ids.push_back(report.items[a.item].txn_id);
    const auto current = load_all(live, ids);  // one read a round, not one a transaction
    std::erase_if(waiting, [&](const Asked& a) {
      ReconcileItem& item = report.items[a.item];
      auto loaded = current.find(item.txn_id);
      if (loaded == current.end()) return false;
      const Transaction& now = loaded->second;
      const bool ours = now.reconcile && now.reconcile->id == a.input_id;
      if (ours && !now.reconcile->answer.empty()) {
        classify(item, now, *now.reconcile);
        return true;
      }
      const StateInfo* s = state_of(now);
      if (!a.final && s != nullptr && s->terminal) {
        // Settled before the answer (or the ask) reached it: a webhook or a poll came first.
        item.to_state = now.state;
        item.to_status = status_of(now);
        item.result = "corrected";
        item.note = "settled meanwhile, before the provider's answer to this reconciliation";
        return true;
      }
      return false;
    });
    if (waiting.empty() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const Asked& a : waiting) {
    report.items[a.item].result = "no_answer";
    report.items[a.item].note = "no answer within the wait: is the engine running on this store and log?";
  }
  return report;
}

void print_reconcile_report(const ReconcileReport& r, const std::string& format, std::ostream& out) {
  static constexpr std::string_view kResults[] = {"confirmed", "corrected",   "pending",   "disputed", "unknown_to_provider",
                                                  "not_asked", "unreachable", "no_answer", "final"};
  if (format == "json") {
    json::object counts;
    for (auto result : kResults) counts[result] = r.count(result);
    json::array items;
    for (const auto& i : r.items) {
      items.push_back({{"txn_id", i.txn_id},     {"merchant", i.merchant},       {"reference", i.reference},
                       {"provider", i.provider}, {"flow", i.flow},               {"result", i.result},
                       {"from_state", i.from_state}, {"from_status", i.from_status}, {"to_state", i.to_state},
                       {"to_status", i.to_status},   {"note", i.note}});
    }
    out << boost::json::serialize(json::object{{"transactions", static_cast<std::int64_t>(r.items.size())},
                                               {"counts", std::move(counts)},
                                               {"items", std::move(items)}})
        << "\n";
    return;
  }
  if (format == "csv") {
    out << "txn_id,merchant,reference,flow,result,from_state,from_status,to_state,to_status,note\n";
    for (const auto& i : r.items) {
      for (const std::string* f : {&i.txn_id, &i.merchant, &i.reference, &i.flow, &i.result, &i.from_state,
                                   &i.from_status, &i.to_state, &i.to_status})
        out << csv_field(*f) << ",";
      out << csv_field(i.note) << "\n";
    }
    return;
  }
  out << "reconciled " << r.items.size() << " transaction(s) with their providers:";
  bool first = true;
  for (auto result : kResults) {
    if (r.count(result) == 0) continue;
    out << (first ? " " : ", ") << r.count(result) << " " << result;
    first = false;
  }
  out << "\n";
  for (const auto& i : r.items) {
    out << "  " << i.txn_id << "  " << i.merchant << "/" << i.reference << "  " << i.flow << "\n      " << i.result
        << ": " << i.from_state << " (" << i.from_status << ")";
    if (i.result == "corrected") out << " -> " << i.to_state << " (" << i.to_status << ")";
    out << "\n";
    if (!i.note.empty()) out << "      " << i.note << "\n";
  }
}

// ---- settlement files -----------------------------------------------------------------------------

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
    if (!fields) return fail("settlement line " + std::to_string(number) + ": " + fields.error().message);
    if (column.empty()) {
      for (std::size_t i = 0; i < fields->size(); ++i) column[(*fields)[i]] = i;
      for (const char* required : {"date", "transaction", "cid", "type", "amount", "currency"})
        if (!column.contains(required)) return fail("settlement header lacks the column '" + std::string(required) + "'");
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
    line.cid = field("cid");
    line.type = field("type");
    line.currency = field("currency");
    if (line.cid.empty()) return fail(where + ": empty cid");
    if (line.type != "card" && line.type != "refund") return fail(where + ": type must be card or refund, got '" + line.type + "'");
    const auto exponent = currency_exponent(line.currency);
    if (!exponent) return fail(where + ": unknown currency '" + line.currency + "'");
    auto amount = parse_decimal_amount(field("amount"), *exponent);
    if (!amount) return fail(where + ": " + amount.error().message);
    line.amount = *amount;
    out.push_back(std::move(line));
  }
  if (column.empty()) return fail("settlement file is empty: no header");
  return out;
}

namespace {

std::string money_text(std::int64_t minor, const std::string& currency) {
  const auto exponent = currency_exponent(currency);
  return format_decimal_amount(minor, exponent.value_or(0)) + " " + currency;
}

std::string decimal_text(std::int64_t minor, const std::string& currency) {
  return format_decimal_amount(minor, currency_exponent(currency).value_or(0));
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

// "YYYY-MM-DD" at the start of `text`, or "".
std::string day_of(std::string_view text) {
  if (text.size() < 10) return {};
  for (std::size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? text[i] != '-' : (text[i] < '0' || text[i] > '9')) return {};
  }
  return std::string(text.substr(0, 10));
}

// The refunds of a transaction as its flow keeps them (data.refunds).
struct StoredRefund {
  std::string command_id;
  std::int64_t amount = 0;
  std::string status;
  std::string day;  // of its command
};

std::vector<StoredRefund> stored_refunds(const Transaction& t) {
  std::vector<StoredRefund> out;
  const json::value* refunds = t.data.as<json::object>().if_contains("refunds");
  if (refunds == nullptr || !refunds->is_array()) return out;
  for (const auto& r : refunds->get_array()) {
    if (!r.is_object()) continue;
    const auto& o = r.get_object();
    out.push_back({std::string(get_string(o, "command_id")), get_int(o, "amount"), std::string(get_string(o, "status")),
                   day_of(get_string(o, "at"))});
  }
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

Input settlement_input(const Transaction& t, std::string id, std::string name, json::object data) {
  Input in;
  in.input_id = "settlement:" + t.txn_id + ":" + id;
  in.txn_id = t.txn_id;
  in.kind = InputKind::provider_response;  // esipay's word, as its answer to a status call would be
  in.name = std::move(name);
  in.data = std::move(data);
  return in;
}

}  // namespace

SettlementReport reconcile_settlement(Store& live, const std::vector<SettlementLine>& lines,
                                      const ReconcileOptions& options) {
  SettlementReport report;
  report.lines = static_cast<std::int64_t>(lines.size());
  std::map<std::string, std::vector<const SettlementLine*>> charges, refunds;
  for (const auto& l : lines) {
    (l.type == "card" ? charges : refunds)[l.cid].push_back(&l);
    report.through = std::max(report.through, day_of(l.date));
  }
  // A day the file covers: at or before its last day.
  auto covered = [&](const std::string& day) { return !report.through.empty() && !day.empty() && day <= report.through; };

  std::map<std::string, bool> known;  // every esipay transaction of the store, compared or not
  each_transaction(live, [&](const Transaction& t) {
    if (t.provider != "esipay") return;
    known[t.txn_id] = true;
    if (options.since_ms && t.created_at_ms < *options.since_ms) return;
    ++report.transactions;
    const std::size_t before = report.differences.size();
    auto differ = [&](std::string kind, std::string what, std::string store, std::string settled, int line) {
      report.differences.push_back({std::move(kind), t.txn_id, std::move(what), std::move(store), std::move(settled), line});
    };
    auto settle = [&](std::string what, std::string result, std::string store, std::string settled, int line, Input in) {
      report.outcomes.push_back({t.txn_id, std::move(what), std::move(result), std::move(store), std::move(settled), line,
                                 std::move(in)});
    };
    const auto& c = charges[t.txn_id];
    const std::string ours = money_text(charged_amount(t), t.amount.currency);
    // A charge corridor could not know the outcome of (esipay has no status endpoint), or one it
    // failed because an earlier file lacked it: the file answers.
    const bool charge_unknown = t.state == "unknown";
    const bool failed_for_absence = t.state == "failed" && t.provisional() && t.settled_from == "unknown";
    if (c.empty()) {
      if (charged(t)) differ("missing_in_settlement", "charge", t.state + " " + ours, "", 0);
      const std::string day = day_of(format_time(t.created_at_ms));
      if (charge_unknown && covered(day))
        settle("charge", "not_settled", "unknown " + ours, "absent through " + report.through, 0,
               settlement_input(t, "charge.not_settled", "charge.not_settled", {{"through", report.through}}));
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
      const std::string_view esipay_id = get_string(t.provider_refs, "transaction");
      if (!esipay_id.empty() && !l.transaction.empty() && esipay_id != l.transaction)
        differ("mismatch", "transaction", std::string(esipay_id), l.transaction, l.line);
      if (c.size() > 1) differ("mismatch", "charge lines", "1", std::to_string(c.size()), c[1]->line);
    }

    // Refunds: the file's total against what the store has refunded, the difference explained by the
    // refunds whose outcome the store does not know (it reserves their amounts).
    const auto& r = refunds[t.txn_id];
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
            settle(what, "not_settled", store, "absent through " + report.through, 0,
                   settlement_input(t, "refund:" + s->command_id, "refund.not_settled",
                                    {{"command_id", s->command_id}, {"through", report.through}}));
          }
        }
      }
      // With a refund still out, the file's total is explained but which refund is which waits for its
      // answer: nothing is published.
    }
    if (report.differences.size() == before) ++report.matched;
  });

  for (const auto& l : lines) {
    if (!known.contains(l.cid))
      report.differences.push_back({"missing_in_store", l.cid, l.type == "card" ? "charge" : "refund", "",
                                    money_text(l.amount, l.currency) + " (esipay " + l.transaction + ")", l.line});
  }
  return report;
}

std::int64_t publish_settlement_outcomes(const Config& config, KafkaProducer& producer, SettlementReport& report,
                                         std::int64_t at_ms) {
  report.published = 0;
  for (auto& o : report.outcomes) {
    o.input.at_ms = at_ms;
    auto sent = producer.produce_sync(config.kafka.inputs, o.input.txn_id, boost::json::serialize(to_json(o.input)));
    if (!sent)
      throw std::runtime_error("reconcile: cannot publish to " + config.kafka.inputs + ": " + sent.error().message);
    ++report.published;
  }
  return report.published;
}

void print_settlement_report(const SettlementReport& r, const std::string& format, std::ostream& out) {
  if (format == "json") {
    json::array diffs;
    for (const auto& d : r.differences)
      diffs.push_back({{"kind", d.kind}, {"txn_id", d.txn_id}, {"what", d.what}, {"store", d.store},
                       {"settlement", d.settlement}, {"line", d.line}});
    json::array outcomes;
    for (const auto& o : r.outcomes)
      outcomes.push_back({{"txn_id", o.txn_id}, {"what", o.what}, {"result", o.result}, {"store", o.store},
                          {"settlement", o.settlement}, {"line", o.line}, {"input", o.input.name}});
    out << boost::json::serialize(json::object{{"lines", r.lines},
                                               {"transactions", r.transactions},
                                               {"matched", r.matched},
                                               {"through", r.through},
                                               {"matches", r.matches()},
                                               {"differences", std::move(diffs)},
                                               {"outcomes", std::move(outcomes)},
                                               {"published", r.published}})
        << "\n";
    return;
  }
  if (format == "csv") {
    out << "kind,txn_id,what,store,settlement,line\n";
    for (const auto& d : r.differences)
      out << csv_field(d.kind) << "," << csv_field(d.txn_id) << "," << csv_field(d.what) << "," << csv_field(d.store)
          << "," << csv_field(d.settlement) << "," << d.line << "\n";
    for (const auto& o : r.outcomes)
      out << csv_field(o.result) << "," << csv_field(o.txn_id) << "," << csv_field(o.what) << "," << csv_field(o.store)
          << "," << csv_field(o.settlement) << "," << o.line << "\n";
    return;
  }
  out << "settlement: " << r.lines << " line(s)";
  if (!r.through.empty()) out << " through " << r.through;
  out << "; " << r.transactions << " esipay transaction(s) compared, " << r.matched << " matched\n";
  if (!r.outcomes.empty()) {
    out << r.outcomes.size() << " outcome(s) corridor did not know, "
        << (r.published == static_cast<std::int64_t>(r.outcomes.size()) ? "published to the flows"
                                                                         : "not published")
        << ":\n";
    for (const auto& o : r.outcomes)
      out << "  " << o.result << "  " << o.txn_id << "  " << o.what << " (" << o.input.name << ")\n      store:      "
          << o.store << "\n      settlement: " << o.settlement << "\n";
  }
  if (r.matches()) {
    out << "the settlement file and the store agree\n";
    return;
  }
  out << r.differences.size() << " difference(s):\n";
  for (const auto& d : r.differences) {
    out << "  " << d.kind << "  " << d.txn_id << "  " << d.what;
    if (d.line > 0) out << "  (line " << d.line << ")";
    out << "\n      store:      " << (d.store.empty() ? "-" : d.store) << "\n      settlement: "
        << (d.settlement.empty() ? "-" : d.settlement) << "\n";
  }
}

}  // namespace corridor
