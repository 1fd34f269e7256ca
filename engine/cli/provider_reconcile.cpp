// `corridor reconcile`. One file: its two modes (asking the providers through the running engine;
// matching a provider's settlement file) read the store the same way, take the same options and report
// to the same command.
#include "engine/cli/provider_reconcile.hpp"

#include "engine/pipeline/commands.hpp"

#include <boost/json/serialize.hpp>
#include <algorithm>
#include <iterator>
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

Result<SettlementFile> parse_settlement(std::string_view provider, std::string_view file,
                                       const ProviderRegistry& registry) {
  const ProviderPlugin* plugin = registry.find(provider);
  if (plugin == nullptr) return fail(adapter_errc::unknown_provider, "unknown provider '" + std::string(provider) + "'");
  const SettlementFormat& format = plugin->capabilities.settlement;
  if (!format.available())
    return fail(adapter_errc::no_capability, "provider '" + std::string(provider) + "' has no settlement file corridor reads");
  auto lines = format.parse(file);
  if (!lines) return lines.error();
  return SettlementFile{plugin, std::move(*lines)};
}

SettlementReport reconcile_settlement(Store& live, const SettlementFile& file, const ReconcileOptions& options) {
  const ProviderPlugin& provider = *file.provider;
  SettlementReport report;
  report.provider = provider.name;
  report.lines = static_cast<std::int64_t>(file.lines.size());
  std::map<std::string, std::vector<const SettlementLine*>> by_txn;
  for (const auto& l : file.lines) {
    by_txn[l.txn_id].push_back(&l);
    report.through = std::max(report.through, day_of(l.date));
  }

  std::map<std::string, bool> known;  // every transaction of the provider in the store, compared or not
  each_transaction(live, [&](const Transaction& t) {
    if (t.provider != provider.name) return;
    known[t.txn_id] = true;
    if (options.since_ms && t.created_at_ms < *options.since_ms) return;
    ++report.transactions;
    SettlementMatch found;
    provider.capabilities.settlement.match(t, by_txn[t.txn_id], report.through, found);
    if (found.differences.empty()) ++report.matched;
    for (SettlementDifference& d : found.differences) {
      d.merchant = t.merchant;
      d.reference = t.reference;
    }
    std::move(found.differences.begin(), found.differences.end(), std::back_inserter(report.differences));
    std::move(found.outcomes.begin(), found.outcomes.end(), std::back_inserter(report.outcomes));
  });

  for (const auto& l : file.lines) {
    if (!known.contains(l.txn_id))
      report.differences.push_back({"missing_in_store", l.txn_id, l.kind, "",
                                    money_text(l.amount, l.currency) + " (" + report.provider + " " + l.transaction + ")",
                                    l.line});
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
      diffs.push_back({{"kind", d.kind}, {"txn_id", d.txn_id}, {"merchant", d.merchant}, {"reference", d.reference},
                       {"what", d.what}, {"store", d.store}, {"settlement", d.settlement}, {"line", d.line}});
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
    out << "kind,txn_id,merchant,reference,what,store,settlement,line\n";
    for (const auto& d : r.differences)
      out << csv_field(d.kind) << "," << csv_field(d.txn_id) << "," << csv_field(d.merchant) << ","
          << csv_field(d.reference) << "," << csv_field(d.what) << "," << csv_field(d.store) << ","
          << csv_field(d.settlement) << "," << d.line << "\n";
    for (const auto& o : r.outcomes)
      out << csv_field(o.result) << "," << csv_field(o.txn_id) << ",,," << csv_field(o.what) << ","
          << csv_field(o.store) << "," << csv_field(o.settlement) << "," << o.line << "\n";
    return;
  }
  out << "settlement: " << r.lines << " line(s)";
  if (!r.through.empty()) out << " through " << r.through;
  out << "; " << r.transactions << " " << r.provider << " transaction(s) compared, " << r.matched << " matched\n";
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
    out << "  " << d.kind << "  " << d.txn_id;
    if (!d.reference.empty()) out << " (" << d.merchant << " " << d.reference << ")";
    out << "  " << d.what;
    if (d.line > 0) out << "  (line " << d.line << ")";
    out << "\n      store:      " << (d.store.empty() ? "-" : d.store) << "\n      settlement: "
        << (d.settlement.empty() ? "-" : d.settlement) << "\n";
  }
}

}  // namespace corridor
