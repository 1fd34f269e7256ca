#pragma once
// The settlement-file seam: a provider that publishes a settlement report (a file of what it charged
// and refunded) declares how to read it and how one of its transactions compares with it
// (ProviderCapabilities::settlement). `corridor reconcile --settlement FILE --provider P` does the rest
// for any such provider (engine/cli/provider_reconcile.hpp): the store, the report, the outcomes it
// publishes on corridor.inputs.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "statemachines/domain.hpp"
#include "core/result.hpp"

namespace corridor {

struct SettlementLine {
  int line = 0;             // in the file, the header being line 1
  std::string date;         // as given; a day the file covers when it starts with YYYY-MM-DD
  std::string transaction;  // the provider's transaction id
  std::string txn_id;       // corridor's txn_id, as corridor sent it to the provider
  std::string kind;         // charge | refund
  std::int64_t amount = 0;  // minor units, parsed exactly from the decimal amount
  std::string currency;
};

struct SettlementDifference {
  // missing_in_settlement: the store says money moved, the file has no line for it
  // missing_in_store: a file line for no transaction of the store
  // mismatch: both have it and `what` differs (amount, currency, transaction, status, refunded)
  std::string kind;
  std::string txn_id;
  std::string what;
  std::string store;
  std::string settlement;
  int line = 0;  // the file line, 0 when none
  // The store's merchant and reference of the transaction, so a person finds the payment (filled by
  // the comparison; empty for a line of no transaction of the store).
  std::string merchant{};
  std::string reference{};
};

// What the file says of an outcome the store does not know, as the input its flow applies.
struct SettlementOutcome {
  std::string txn_id;
  std::string what;        // "charge" or "refund <command_id>"
  std::string result;      // "settled" (the file has it) or "not_settled" (the file covers its day, without it)
  std::string store;       // what the store holds ("unknown 40.00 USD")
  std::string settlement;  // what the file says ("40.00 USD, line 3", "absent through 2026-11-23")
  int line = 0;            // the file line, 0 when none
  Input input;             // for corridor.inputs: kind provider_response, keyed by txn_id; `at` set when published
};

// What comparing one transaction with the file found.
struct SettlementMatch {
  std::vector<SettlementDifference> differences;
  std::vector<SettlementOutcome> outcomes;
};

struct SettlementFormat {
  // The file's lines; an error names the line.
  Result<std::vector<SettlementLine>> (*parse)(std::string_view file) = nullptr;
  // Compares one of the provider's transactions with the file's lines that name it (in file order,
  // possibly none). `through` is the file's last day (YYYY-MM-DD, "" when no date reads as one): the
  // file is the provider's complete record up to it, so what it lacks up to that day was not done.
  void (*match)(const Transaction& t, const std::vector<const SettlementLine*>& lines, const std::string& through,
                SettlementMatch& out) = nullptr;

  bool available() const { return parse != nullptr && match != nullptr; }
};

// "YYYY-MM-DD" at the start of `text`, or "".
std::string day_of(std::string_view text);

// "40.00 USD": minor units in the currency's decimals.
std::string money_text(std::int64_t minor, const std::string& currency);
// "40.00": the same without the currency, as settlement inputs carry amounts.
std::string decimal_text(std::int64_t minor, const std::string& currency);

// The input a settlement outcome of `t` becomes: input id "settlement:<txn_id>:<id>", so that the same
// file read twice gives the same inputs and a flow applies each once.
Input settlement_input(const Transaction& t, std::string id, std::string name, json::object data);

}  // namespace corridor
