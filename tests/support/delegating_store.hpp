#pragma once
// A store that hands every call to another: tests derive from it and override the calls they fail.
#include "engine/store/store.hpp"

namespace corridor::testing {

class DelegatingStore : public Store {
 public:
  explicit DelegatingStore(Store& store) : s_(store) {}

  Result<std::optional<Transaction>> load(const std::string& id) override { return s_.load(id); }
  Result<bool> processed(const std::string& id) override { return s_.processed(id); }
  Result<std::map<std::int32_t, std::int64_t>> offsets(const std::string& t) override { return s_.offsets(t); }
  Result<Ok> reset_offsets(const std::string& t) override { return s_.reset_offsets(t); }
  Result<Ok> commit(const StoreBatch& batch) override { return s_.commit(batch); }
  Result<std::map<std::string, Transaction>> load_many(const std::vector<std::string>& ids) override {
    return s_.load_many(ids);
  }
  Result<std::map<std::string, std::string>> processed_among(const std::vector<std::string>& ids) override {
    return s_.processed_among(ids);
  }
  Result<std::map<std::string, std::string>> traceparents_among(const std::vector<std::string>& ids) override {
    return s_.traceparents_among(ids);
  }
  Result<std::int64_t> claim_partition(const std::string& topic, std::int32_t partition,
                                       const std::string& owner) override {
    return s_.claim_partition(topic, partition, owner);
  }
  Result<std::map<std::int32_t, std::int64_t>> partition_epochs(const std::string& topic) override {
    return s_.partition_epochs(topic);
  }
  Result<std::vector<OutboxRow>> outbox(std::size_t limit, std::int64_t after, PartitionFilter only) override {
    return s_.outbox(limit, after, only);
  }
  Result<Ok> remove_outbox(const std::vector<std::int64_t>& ids) override { return s_.remove_outbox(ids); }
  Result<std::vector<OutboxRow>> outbox_rows(const std::vector<std::int64_t>& ids) override {
    return s_.outbox_rows(ids);
  }
  Result<std::vector<PendingCall>> pending_calls(std::size_t limit, PartitionFilter only) override {
    return s_.pending_calls(limit, only);
  }
  Result<Ok> mark_call_attempted(const std::string& id, const PartitionEpoch* fence) override {
    return s_.mark_call_attempted(id, fence);
  }
  Result<Ok> complete_call(const std::string& id) override { return s_.complete_call(id); }
  Result<std::vector<TimerRow>> due_timers(std::int64_t now, std::size_t limit, PartitionFilter only) override {
    return s_.due_timers(now, limit, only);
  }
  Result<Ok> remove_timers(const std::vector<TimerRow>& fired) override { return s_.remove_timers(fired); }
  Result<Ok> limit_size(std::int64_t max) override { return s_.limit_size(max); }
  Result<std::int64_t> size_bytes() override { return s_.size_bytes(); }
  Result<Ok> set_read_only(bool on) override { return s_.set_read_only(on); }
  Result<std::vector<json::object>> events_of(const std::string& id) override { return s_.events_of(id); }
  Result<std::int64_t> count_transactions() override { return s_.count_transactions(); }
  Result<bool> transaction_exists(const std::string& id) override { return s_.transaction_exists(id); }
  Result<std::vector<std::string>> transaction_ids() override { return s_.transaction_ids(); }
  Result<std::optional<RowColumns>> row_columns(const std::string& id) override { return s_.row_columns(id); }
  Result<Backlog> backlog(std::int64_t now, std::int64_t cap) override { return s_.backlog(now, cap); }
  Result<std::vector<Transaction>> list_transactions(const TransactionQuery& q) override {
    return s_.list_transactions(q);
  }
  Result<std::vector<JournalRow>> journal_of(const std::string& id) override { return s_.journal_of(id); }
  Result<std::size_t> list_unlisted(const std::function<std::string(const Transaction&)>& status_of) override {
    return s_.list_unlisted(status_of);
  }

 private:
  Store& s_;
};

}  // namespace corridor::testing
