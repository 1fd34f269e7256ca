#pragma once
// corridor reconcile: does the provider agree with us?
//
// Status reconciliation publishes a `transaction.reconcile` command for every matching transaction on
// corridor.commands, so the ask takes the normal path: the router, corridor.inputs, the flow's
// reconcile row, the executor's status call, the provider's answer on corridor.inputs, and the flow
// deciding. The running engine does the work; this waits until each transaction's reconcile record
// (statemachines/reconcile.hpp) holds the answer to its own ask, and reports each transaction as
// corrected (old -> new), still pending or unknown to the provider (final transactions, selected by
// status, are verified instead: confirmed or disputed, never changed) — or why it could not
// be asked.
//
// Settlement reconciliation, for a provider whose plugin reads its settlement file (adapters/settlement.hpp),
// matches the file against the provider's transactions in the store; docs/operations.md documents each
// provider's columns. Where the store holds an outcome corridor does not know (a charge or a refund
// that timed out), the file is the provider's answer: it is published on corridor.inputs as an input
// the flow applies (the provider's flow document names them), the way a provider's answer to a status
// call reaches the flows.
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/registry.hpp"
#include "adapters/settlement.hpp"
#include "engine/config/config.hpp"
#include "engine/store/store.hpp"

namespace corridor {

class KafkaProducer;

struct ReconcileOptions {
  std::string provider;                  // only this provider's transactions ("" : all)
  std::optional<std::int64_t> since_ms;  // only transactions created at or after this time
  std::vector<std::string> statuses;     // only these canonical statuses; empty: every status not final
  std::chrono::milliseconds wait{std::chrono::seconds(60)};  // for the answers, in all
  std::string run_id;                    // makes the command ids of this run unique
};

struct ReconcileItem {
  std::string txn_id, merchant, reference, provider, flow;
  // confirmed | corrected | pending | disputed | unknown_to_provider | not_asked | unreachable | no_answer
  // | final
  std::string result;
  std::string from_state, from_status, to_state, to_status;
  std::string note;
};

struct ReconcileReport {
  std::vector<ReconcileItem> items;
  std::int64_t count(std::string_view result) const;
  // Something an operator must look at: disputed, unknown to the provider, unreachable or unanswered.
  bool needs_attention() const;
};

// The transactions matching `options`, asked through `producer` (corridor.commands of `config`);
// `live` is the store the engine runs on, read while it runs.
ReconcileReport reconcile(const Config& config, Store& live, KafkaProducer& producer, const ReconcileOptions& options);

// "text" (default), "json" or "csv".
void print_reconcile_report(const ReconcileReport& report, const std::string& format, std::ostream& out);

// ---- settlement files -----------------------------------------------------------------------------

// A provider's settlement file, read by its plugin's settlement capability.
struct SettlementFile {
  const ProviderPlugin* provider = nullptr;
  std::vector<SettlementLine> lines;
};

// Fails when `provider` is unknown or reads no settlement file, or with the file's first bad line.
Result<SettlementFile> parse_settlement(std::string_view provider, std::string_view file,
                                        const ProviderRegistry& registry = providers());

struct SettlementReport {
  std::string provider;
  std::int64_t lines = 0;
  std::int64_t transactions = 0;  // the provider's transactions of the store compared
  std::int64_t matched = 0;
  std::string through;            // the file's last day (YYYY-MM-DD), "" when no date reads as one
  std::vector<SettlementDifference> differences;
  std::vector<SettlementOutcome> outcomes;  // for the flows: not differences, they settle what was unknown
  std::int64_t published = 0;               // outcomes published on corridor.inputs
  bool matches() const { return differences.empty(); }
};

// Compares; publishes nothing. The file is taken as the provider's complete record of the transactions
// it is compared with, up to its last day: a charge or refund of unknown outcome from that day or
// before that the file lacks was not done. `options.since_ms` narrows the transactions compared.
SettlementReport reconcile_settlement(Store& live, const SettlementFile& file, const ReconcileOptions& options);

// Publishes the report's outcomes on corridor.inputs of `config` (acks=all, each acknowledged before
// the next), stamped `at_ms`; their input ids make a second run's the same inputs, so a flow applies
// each once. Returns how many this call published (also report.published). Throws when Kafka refuses
// one.
std::int64_t publish_settlement_outcomes(const Config& config, KafkaProducer& producer, SettlementReport& report,
                                         std::int64_t at_ms);

void print_settlement_report(const SettlementReport& report, const std::string& format, std::ostream& out);

}  // namespace corridor
