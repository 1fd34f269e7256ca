// The processor's batch logic on a real SQLite file, without Kafka: deduplication by input id,
// creation, idempotency conflicts, unknown transactions, timers, offsets, and determinism.
#include "engine/pipeline/processor.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/record_headers.hpp"

namespace corridor {
namespace {

constexpr std::int64_t kT0 = 1795867200000;

// A store in a temporary folder and a way to apply records to it.
class Rig {
 public:
  Rig() {
    char tmpl[] = "/tmp/corridor-proc-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = open_sqlite_store(dir_ + "/store.db");
    config_ = parse_config("providers: { novasend: { base_url: x, webhook_secret: s, poll_interval_ms: 1000 } }\n"
                           "merchants: [ { id: ZANDO, providers: [novasend] } ]\n",
                           "test");
  }
  ~Rig() { std::filesystem::remove_all(dir_); }

  InputRecord command(std::string reference, std::int64_t amount = 300, std::string command_id = "") {
    std::string raw = R"({"type":"payment.create","merchant":"ZANDO","reference":")" + reference +
                      R"(","provider":"novasend","amount":{"value":)" + std::to_string(amount) +
                      R"(,"currency":"XOF"},"customer":{"msisdn":"+2250700000001"}})";
    if (!command_id.empty()) raw.insert(1, R"("command_id":")" + command_id + R"(",)");
    auto routed = route_command(raw, config_, "corridor.commands:0:" + std::to_string(offset_), kT0);
    return record(std::get<RoutedCommand>(routed).input);
  }

  InputRecord record(const Input& in) {
    return {"corridor.inputs", 0, offset_++, kT0, boost::json::serialize(to_json(in))};
  }

  InputRecord raw(std::string value) { return {"corridor.inputs", 1, offset_++, kT0, std::move(value)}; }

  StoreBatch apply(const std::vector<InputRecord>& records) {
    BatchProcessor p(*store_, config_);
    BatchStats stats;
    auto batch = p.process(records, stats);
    EXPECT_TRUE(batch);
    EXPECT_TRUE(store_->commit(*batch));
    last_stats_ = stats;
    return *batch;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  Config config_;
  std::int64_t offset_ = 0;
  BatchStats last_stats_;
};

class ProcessorTest : public ::testing::Test, public Rig {};

std::size_t count_topic(const StoreBatch& b, std::string_view topic) {
  std::size_t n = 0;
  for (const auto& o : b.outbox) n += o.topic == topic;
  return n;
}

TEST_F(ProcessorTest, CreateMakesTransactionEventsCallAndOffsets) {
  auto b = apply({command("R1")});
  ASSERT_EQ(b.transactions.size(), 1u);
  EXPECT_EQ(b.transactions[0].state, "session_requested");
  EXPECT_EQ(count_topic(b, "events"), 2u);  // created, session_requested
  EXPECT_EQ(b.events.size(), 2u);
  ASSERT_EQ(b.calls.size(), 1u);
  EXPECT_EQ(b.calls[0].op, "create_session");
  ASSERT_EQ(b.offsets.size(), 1u);
  EXPECT_EQ(b.offsets[0].next_offset, 1);
  auto offsets = store_->offsets("corridor.inputs");
  ASSERT_TRUE(offsets);
  EXPECT_EQ(offsets->at(0), 1);
  auto pending = store_->pending_calls(10);
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->size(), 1u);
}

TEST_F(ProcessorTest, RedeliveredInputIsSkippedAcrossBatches) {
  auto rec = command("R1", 300, "c1");
  apply({rec});
  auto again = apply({rec});
  EXPECT_EQ(last_stats_.duplicates, 1u);
  EXPECT_TRUE(again.outbox.empty());
  EXPECT_TRUE(again.transactions.empty());
  EXPECT_EQ(again.offsets.at(0).next_offset, rec.offset + 1);
}

TEST_F(ProcessorTest, RedeliveredInputIsSkippedWithinABatch) {
  auto rec = command("R1", 300, "c1");
  auto b = apply({rec, rec});
  EXPECT_EQ(last_stats_.duplicates, 1u);
  EXPECT_EQ(count_topic(b, "events"), 2u);
}

TEST_F(ProcessorTest, SameCreateUnderAnotherCommandIdIsIgnored) {
  apply({command("R1", 300, "c1")});
  auto b = apply({command("R1", 300, "c2")});
  EXPECT_TRUE(b.outbox.empty());
  EXPECT_EQ(last_stats_.duplicates, 1u);
}

TEST_F(ProcessorTest, IdempotencyConflictIsRejectedAndDeadLettered) {
  apply({command("R1", 300, "c1")});
  auto b = apply({command("R1", 500, "c2")});
  ASSERT_EQ(count_topic(b, "events"), 1u);
  EXPECT_NE(b.outbox[0].body.find("command.rejected"), std::string::npos);
  EXPECT_NE(b.outbox[0].body.find("idempotency conflict"), std::string::npos);
  EXPECT_EQ(count_topic(b, "deadletter"), 1u);
  auto txn = store_->load(derive_txn_id("ZANDO", "R1"));
  EXPECT_EQ((*txn)->amount.value, 300);
}

TEST_F(ProcessorTest, InputForUnknownTransactionIsDeadLettered) {
  Input in{"webhook:novasend:1", "tx_nobody", InputKind::webhook, "payin.confirmed", kT0, {}};
  auto b = apply({record(in)});
  EXPECT_EQ(count_topic(b, "deadletter"), 1u);
  EXPECT_NE(b.outbox[0].body.find("unknown transaction"), std::string::npos);
}

TEST_F(ProcessorTest, ARecordWithANumberPastADoublesRangeIsDeadLetteredNeverStored) {
  apply({command("R1")});
  const std::string txn = derive_txn_id("ZANDO", "R1");
  const std::string value = R"({"input_id":"w:inf","txn_id":")" + txn +
                            R"(","kind":"webhook","name":"payin.confirmed","at":"2026-11-22T10:00:00.000Z","data":{"fee":1e400}})";
  auto b = apply({raw(value)});
  ASSERT_EQ(count_topic(b, "deadletter"), 1u);
  EXPECT_NE(b.outbox[0].body.find("input holds a number beyond a double's range"), std::string::npos);
  EXPECT_TRUE(b.transactions.empty());
}

TEST_F(ProcessorTest, MalformedRecordsAreDeadLetteredAndTheOffsetMoves) {
  auto b = apply({raw("not json"), raw(R"({"input_id":"x"})")});
  EXPECT_EQ(count_topic(b, "deadletter"), 2u);
  EXPECT_EQ(b.offsets.at(0).next_offset, offset_);
}

TEST_F(ProcessorTest, TimerSetThenTerminalInSameBatchLeavesNoTimer) {
  apply({command("R1")});
  const auto txn = derive_txn_id("ZANDO", "R1");
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  Input created{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0 + 10, session};
  Input declined{"webhook:novasend:e1", txn, InputKind::webhook, "payin.declined", kT0 + 20, session};
  auto b = apply({record(created), record(declined)});
  EXPECT_TRUE(b.timers_set.empty());
  auto due = store_->due_timers(INT64_MAX, 10);
  ASSERT_TRUE(due);
  EXPECT_TRUE(due->empty());
  EXPECT_EQ((*store_->load(txn))->state, "declined");
}

TEST_F(ProcessorTest, TimersAreStoredAndReplaced) {
  apply({command("R1")});
  const auto txn = derive_txn_id("ZANDO", "R1");
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  apply({record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0, session})});
  auto due = store_->due_timers(INT64_MAX, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 3u);  // poll, confirmation TTL, and the janitor's (an hour on)
  EXPECT_EQ((*due)[0].name, "timer.poll");
  EXPECT_EQ((*due)[0].due_at_ms, kT0 + 1000);
  // The scheduler removes a fired timer only if it was not replaced meanwhile.
  TimerRow stale = (*due)[0];
  stale.input_id = "something-else";
  ASSERT_TRUE(store_->remove_timers({stale}));
  EXPECT_EQ(store_->due_timers(INT64_MAX, 10)->size(), 3u);
  ASSERT_TRUE(store_->remove_timers({(*due)[0]}));
  EXPECT_EQ(store_->due_timers(INT64_MAX, 10)->size(), 2u);
  EXPECT_EQ(store_->due_timers(kT0 + 3600000, 10)->back().name, "timer.janitor");
}

TEST_F(ProcessorTest, SameRecordsOnAFreshStoreGiveTheSameBatch) {
  std::vector<InputRecord> records = {command("R1", 300, "c1"), command("R2", 700, "c2"), raw("junk")};
  auto first = apply(records);
  Rig other;
  auto second = other.apply(records);
  ASSERT_EQ(first.outbox.size(), second.outbox.size());
  for (std::size_t i = 0; i < first.outbox.size(); ++i) EXPECT_EQ(first.outbox[i].body, second.outbox[i].body);
}

// The engine's processor keeps the transactions it committed and the traceparents their events
// carried; every other use reads them from the store.
TEST_F(ProcessorTest, KeptTransactionsGiveTheSameBatchesAsStoredOnes) {
  const auto txn = derive_txn_id("ZANDO", "R1");
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  InputRecord create = command("R1", 300, "c1");
  create.traceparent = trace;
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  const std::vector<std::vector<InputRecord>> batches = {
      {create},
      {record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0 + 10, session})},
      {record(Input{"webhook:novasend:e1", txn, InputKind::webhook, "payin.declined", kT0 + 20, session})}};
  Rig keeping;
  BatchProcessor p(*keeping.store_, keeping.config_);
  for (const auto& records : batches) {
    BatchStats stats;
    auto kept = p.process(records, stats);
    ASSERT_TRUE(kept);
    ASSERT_TRUE(keeping.store_->commit(*kept));
    auto read = apply(records);
    ASSERT_EQ(kept->outbox.size(), read.outbox.size());
    for (std::size_t i = 0; i < read.outbox.size(); ++i) {
      EXPECT_EQ(kept->outbox[i].body, read.outbox[i].body);
      EXPECT_EQ(kept->outbox[i].headers, read.outbox[i].headers);
      EXPECT_EQ(header_value(kept->outbox[i].headers, "traceparent"), trace);
    }
    p.committed(std::move(*kept));
  }
  EXPECT_EQ((*keeping.store_->load(txn))->state, "declined");
}

TEST_F(ProcessorTest, ABatchNotCommittedLeavesNoKeptTransactionBehind) {
  const auto txn = derive_txn_id("ZANDO", "R1");
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  auto answer = record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0, session});
  BatchProcessor p(*store_, config_);
  BatchStats stats;
  auto created = p.process({command("R1")}, stats);
  ASSERT_TRUE(created);
  ASSERT_TRUE(store_->commit(*created));
  p.committed(std::move(*created));
  auto lost = p.process({answer}, stats);  // made, never committed: the store still says session_requested
  ASSERT_TRUE(lost);
  auto again = p.process({answer}, stats);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->transactions.size(), 1u);
  EXPECT_EQ(again->transactions[0].state, lost->transactions[0].state);
  EXPECT_EQ(again->transactions[0].version, lost->transactions[0].version);
  EXPECT_EQ(again->outbox.size(), lost->outbox.size());
}

// The engine makes a batch while the one before it commits: built on top of that batch, the
// batches are the same as made one by one (their events' traceparents too, which the batch
// committing gives), and the transactions kept are the newest.
TEST_F(ProcessorTest, BatchesMadeWhileTheOneBeforeCommitsAreTheSameAsOneByOne) {
  const auto txn = derive_txn_id("ZANDO", "R1");
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  const auto create = command("R1", 300, "c1");
  const std::vector<std::vector<InputRecord>> batches = {
      {create, command("R2", 500, "c2")},
      // The create again (redelivered while its batch was committing): a duplicate.
      {create, record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0 + 10,
                            session})},
      {record(Input{"webhook:novasend:e1", txn, InputKind::webhook, "payin.declined", kT0 + 20, session})}};
  Rig pipelined;
  BatchProcessor p(*pipelined.store_, pipelined.config_);
  std::optional<StoreBatch> committing;
  for (const auto& records : batches) {
    BatchStats stats;
    auto made = p.process(records, stats, committing ? &*committing : nullptr);
    ASSERT_TRUE(made);
    if (committing) {
      ASSERT_TRUE(pipelined.store_->commit(*committing));
      p.committed(std::move(*committing), &*made);
    }
    committing = std::move(*made);
    auto one_by_one = apply(records);
    EXPECT_EQ(stats.duplicates, last_stats_.duplicates);
    ASSERT_EQ(committing->outbox.size(), one_by_one.outbox.size());
    for (std::size_t i = 0; i < one_by_one.outbox.size(); ++i) {
      EXPECT_EQ(committing->outbox[i].body, one_by_one.outbox[i].body);
      EXPECT_EQ(committing->outbox[i].headers, one_by_one.outbox[i].headers);  // the traceparent included
    }
  }
  ASSERT_TRUE(pipelined.store_->commit(*committing));
  p.committed(std::move(*committing));
  EXPECT_EQ((*pipelined.store_->load(txn))->state, "declined");
  // The kept copy is the newest: an input after the last batch finds the transaction final.
  BatchStats stats;
  auto late = p.process({record(Input{"webhook:novasend:e2", txn, InputKind::webhook, "payin.confirmed", kT0 + 30,
                                      session})},
                        stats);
  ASSERT_TRUE(late);
  ASSERT_EQ(late->transactions.size(), 1u);
  EXPECT_EQ(late->transactions[0].state, "declined");
  EXPECT_TRUE(late->events.empty());
}

// The batch in flight fails to commit: the batch made on top of it is thrown away and both are
// made again, one by one, from what the store holds.
TEST_F(ProcessorTest, ABatchMadeOnTopOfAFailedCommitIsMadeAgain) {
  const auto txn = derive_txn_id("ZANDO", "R1");
  json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "u"}};
  const std::vector<InputRecord> first = {command("R1", 300, "c1")};
  const std::vector<InputRecord> second = {
      record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0 + 10, session})};
  BatchProcessor p(*store_, config_);
  BatchStats stats;
  auto failed = p.process(first, stats);
  ASSERT_TRUE(failed);
  auto on_top = p.process(second, stats, &*failed);
  ASSERT_TRUE(on_top);
  ASSERT_EQ(on_top->transactions.size(), 1u);
  EXPECT_EQ(on_top->transactions[0].version, 3);  // built on the failed batch's version 1
  // Neither was committed; made again one by one, they give the same states.
  for (const auto* records : {&first, &second}) {
    auto again = p.process(*records, stats);
    ASSERT_TRUE(again);
    ASSERT_TRUE(store_->commit(*again));
    p.committed(std::move(*again));
  }
  auto stored = store_->load(txn);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->state, on_top->transactions[0].state);
  EXPECT_EQ((*stored)->version, on_top->transactions[0].version);
  EXPECT_EQ(store_->events_of(txn)->size(), 3u);
}

TEST_F(ProcessorTest, OutboxIsReadOldestFirstAndRemoved) {
  apply({command("R1"), command("R2")});
  auto rows = store_->outbox(100);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 4u);
  for (std::size_t i = 1; i < rows->size(); ++i) EXPECT_LT((*rows)[i - 1].id, (*rows)[i].id);
  // The relay reads past the rows it already handed over.
  auto after = store_->outbox(100, (*rows)[1].id);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*after)[0].id, (*rows)[2].id);
  EXPECT_EQ((*after)[0].body, (*rows)[2].body);
  EXPECT_EQ(store_->outbox(1, (*rows)[2].id)->front().id, (*rows)[3].id);
  std::vector<std::int64_t> ids;
  for (const auto& r : *rows) ids.push_back(r.id);
  ASSERT_TRUE(store_->remove_outbox(ids));
  EXPECT_TRUE(store_->outbox(100)->empty());
}

}  // namespace
}  // namespace corridor

namespace corridor {
namespace {

// The same command id under the same transaction with another body: another command reusing the id,
// refused with a clear reason; with the same body: a redelivery, a no-op. In one batch or across.
TEST_F(ProcessorTest, ACommandIdReusedForAnotherCommandIsRefusedTheSameCommandIsANoOp) {
  apply({command("R1", 300, "c1")});
  auto again = apply({command("R1", 300, "c1")});
  EXPECT_EQ(last_stats_.duplicates, 1u);
  EXPECT_EQ(count_topic(again, "events"), 0u);
  auto other = apply({command("R1", 500, "c1")});
  EXPECT_EQ(last_stats_.commands_rejected, 1u);
  ASSERT_EQ(count_topic(other, "events"), 1u);
  EXPECT_NE(other.outbox[0].body.find("command_id 'c1' was already used for another command of this transaction"),
            std::string::npos)
      << other.outbox[0].body;
  // Each other command reusing the id has a rejection event of its own: consumers deduplicating by
  // event_id see every one.
  auto third = apply({command("R1", 900, "c1")});
  ASSERT_EQ(count_topic(third, "events"), 1u);
  auto event_id = [](const OutboxRow& row) {
    return std::string(get_string(boost::json::parse(row.body).as_object(), "event_id"));
  };
  EXPECT_TRUE(event_id(other.outbox[0]).starts_with("rejected:cmd:")) << event_id(other.outbox[0]);
  EXPECT_NE(event_id(other.outbox[0]), event_id(third.outbox[0]));
  // Within one batch too.
  auto both = apply({command("R2", 300, "c2"), command("R2", 700, "c2")});
  EXPECT_EQ(last_stats_.commands_rejected, 1u);
  EXPECT_EQ(both.transactions.size(), 1u);
  EXPECT_EQ(both.transactions[0].amount.value, 300);
}

TEST_F(ProcessorTest, TheSameCommandIdOnAnotherPaymentIsAnotherCommand) {
  auto b = apply({command("R1", 300, "shared"), command("R2", 300, "shared")});
  EXPECT_EQ(b.transactions.size(), 2u);
  EXPECT_EQ(last_stats_.duplicates, 0u);
  EXPECT_EQ(last_stats_.commands_rejected, 0u);
}

TEST_F(ProcessorTest, AnInputOverTheLimitIsDeadLetteredBoundedAndTheBatchGoesOn) {
  auto b = apply({raw(std::string(600 * 1024, '{')), command("R1")});
  ASSERT_EQ(count_topic(b, "deadletter"), 1u);
  std::string dl;
  for (const auto& o : b.outbox)
    if (o.topic == "deadletter") dl = o.body;
  EXPECT_NE(dl.find("larger than limits.input_bytes"), std::string::npos);
  EXPECT_LT(dl.size(), 6u * 4096 + 1024);
  EXPECT_EQ(b.transactions.size(), 1u);
  EXPECT_EQ(b.offsets.size(), 2u);  // the offset moves on past it
}

// Processed ids are kept with their input's time and pruned once older than the retention: each batch
// asks for ids older than its newest input minus store.processed_retention_ms.
TEST_F(ProcessorTest, ProcessedIdsArePrunedOnceOlderThanTheRetention) {
  auto b = apply({command("R1", 300, "c1")});
  ASSERT_EQ(b.processed_inputs.size(), 1u);
  EXPECT_EQ(b.processed_inputs[0].at_ms, kT0);
  EXPECT_EQ(b.processed_inputs[0].digest.size(), 64u);
  EXPECT_EQ(b.prune_processed_before_ms, kT0 - config_.store.processed_retention_ms);
  ASSERT_TRUE(store_->processed("cmd:" + derive_txn_id("ZANDO", "R1") + ":c1").value());
  // A batch a retention later forgets it: the same command is then recognised by its transaction.
  Input later = std::get<RoutedCommand>(route_command(
                    R"({"type":"payment.create","command_id":"c9","merchant":"ZANDO","reference":"R9","provider":"novasend","amount":{"value":1,"currency":"XOF"},"customer":{"msisdn":"+2250700000001"}})",
                    config_, "x", kT0 + config_.store.processed_retention_ms + 1))
                    .input;
  apply({record(later)});
  EXPECT_FALSE(store_->processed("cmd:" + derive_txn_id("ZANDO", "R1") + ":c1").value());
  EXPECT_TRUE(store_->processed(later.input_id).value());
}
}  // namespace
}  // namespace corridor

namespace corridor {
namespace {

// A flow that throws on an input (a bug meeting data it did not expect) must not stop the processor:
// that input is dead-lettered with what failed, and the rest of the batch, inputs of the same
// transaction before and after it included, is applied as if it had not been there.
StepResult step_that_fails_on_boom(const Flow& flow, Transaction& txn, const Input& in, const FlowSettings& settings,
                                   Effects& effects) {
  if (in.data.contains("boom")) {
    txn.state = "half-applied";  // what a throwing step may leave behind: never kept
    throw std::runtime_error("boom in the flow");
  }
  return step(flow, txn, in, settings, effects);
}

TEST_F(ProcessorTest, AnInputItsFlowFailsOnIsDeadLetteredAndTheBatchGoesOn) {
  apply({command("R1")});
  const std::string txn = derive_txn_id("ZANDO", "R1");
  auto answer = [&](std::string id, json::object data) {
    Input in{std::move(id), txn, InputKind::provider_response, "session.created", kT0 + 1, std::move(data)};
    return record(in);
  };
  json::object good{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "https://x"}};
  json::object bad = good;
  bad["boom"] = true;
  BatchProcessor p(*store_, config_, &step_that_fails_on_boom);
  BatchStats stats;
  auto batch = p.process({answer("bad-answer", bad), answer(txn + ":1:create_session", good), raw("{}")}, stats);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->transactions.size(), 1u);
  EXPECT_EQ(batch->transactions[0].state, "awaiting_confirmation");  // the good answer, applied once
  EXPECT_EQ(batch->transactions[0].version, 3);
  std::string dead;
  for (const auto& o : batch->outbox)
    if (o.topic == "deadletter" && o.body.find("the flow failed") != std::string::npos) dead = o.body;
  EXPECT_NE(dead.find("the flow failed on this input (boom in the flow): not applied"), std::string::npos) << dead;
  EXPECT_EQ(stats.deadlettered, 2u);  // it, and the record that is no input
  EXPECT_EQ(batch->offsets.size(), 2u);
  ASSERT_TRUE(store_->commit(*batch));
}

// A step whose event for an input marked "late_mismatch" is a late outcome ending in amount_mismatch,
// as step_final makes when the provider's late word reports another amount.
StepResult step_with_a_late_mismatch(const Flow& flow, Transaction& txn, const Input& in, const FlowSettings& settings,
                                     Effects& effects) {
  const StepResult r = step(flow, txn, in, settings, effects);
  if (in.data.contains("late_mismatch") && !effects.events.empty()) {
    effects.events.back().status = Status::amount_mismatch;
    effects.events.back().attention = attention::kLateOutcome;
  }
  return r;
}

TEST_F(ProcessorTest, ALateOutcomeThatIsAnAmountMismatchCountsUnderBothCodes) {
  apply({command("R1")});
  const std::string txn = derive_txn_id("ZANDO", "R1");
  json::object answer{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "https://x"},
                      {"late_mismatch", true}};
  BatchProcessor p(*store_, config_, &step_with_a_late_mismatch);
  BatchStats stats;
  auto batch = p.process({record(Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created",
                                       kT0 + 1, answer})},
                         stats);
  ASSERT_TRUE(batch);
  EXPECT_EQ(stats.attention, (std::vector<std::string_view>{attention::kLateOutcome, attention::kAmountMismatch}));
}

}  // namespace
}  // namespace corridor
