#pragma once
// esipay's settlement report, its plugin's settlement capability (docs/providers/esipay.md, "The
// settlement file"; columns in docs/operations.md). esipay has no status endpoint: the report is its
// word on the charges and refunds whose outcome corridor could not know.
#include "adapters/settlement.hpp"

namespace corridor {

// The CSV: header `date,transaction,cid,type,amount,currency` (any order; other columns are ignored),
// `cid` being corridor's txn_id and `type` card (a charge) or refund. Matching compares a
// transaction's charge and refund totals with the store, and settles the charges and refunds the store
// holds as unknown.
SettlementFormat esipay_settlement();

}  // namespace corridor
