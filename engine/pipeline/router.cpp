#include "engine/pipeline/router.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <optional>
#include <thread>
#include <variant>

#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/delivery.hpp"
#include "engine/pipeline/metric_labels.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "engine/pipeline/threads.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

void run_router(const Config& config, const std::string& bootstrap, KafkaProducer& producer, const Clock& clock,
                const CardVault* vault, Metrics& metrics, Health& health, const std::atomic<bool>& stop) {
  name_thread("corridor-router");
  // The router's positions in corridor.commands are the offsets of the group `<group>.router`. One
  // process reads every partition itself and commits them as that group's. Several processes share
  // the partitions through the group `<group>.router.members`, which commits nothing: each member
  // keeps its positions in `<group>.router` through a second consumer that never joins it
  // (KafkaConsumer::commit), so no commit of the router can be refused by a rebalance and start
  // another one.
  const bool group = config.kafka.assignment == "group";
  const std::string positions_group = config.kafka.group + ".router";
  KafkaConsumer consumer(bootstrap, group ? positions_group + ".members" : positions_group, config.kafka.properties);
  std::optional<KafkaConsumer> positions;
  if (group) positions.emplace(bootstrap, positions_group, config.kafka.properties);
  auto commit = [&](bool wait) -> Result<Ok> {
    if (!positions) return wait ? consumer.commit() : consumer.commit_async();
    auto at = consumer.positions();
    if (!at) return at.error();
    return positions->commit(*at, wait);
  };
  auto numbers = [](const std::vector<std::pair<std::string, std::int32_t>>& partitions) {
    std::vector<std::int32_t> out;
    for (const auto& [_, p] : partitions) out.push_back(p);
    return out;
  };
  if (group) {
    // A partition starts where `<group>.router` says (asked until it answers: starting anywhere else
    // would route again, or skip, what is between), and leaves with its positions committed
    // (everything polled before was acknowledged), so its next owner routes no command again.
    consumer.subscribe(
        {config.kafka.commands},
        [&](const std::string& topic, std::int32_t partition) -> std::int64_t {
          for (int attempt = 0; !stop.load(); ++attempt) {
            auto at = positions->committed(topic, partition, std::chrono::seconds(5));
            if (at) return *at;
            std::cerr << "router: " << at.error().message << "; retrying" << std::endl;
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 << std::min(attempt, 6), 5000)));
          }
          return -1;  // stopping: nothing is routed from it
        },
        [&](const std::vector<std::pair<std::string, std::int32_t>>& taken, bool lost) {
          health.commands_revoked(numbers(taken));
          if (lost) return;  // another member may own them already: its commits stand
          if (auto r = commit(true); !r) std::cerr << "router: " << r.error().message << std::endl;
        },
        [&](const std::vector<std::pair<std::string, std::int32_t>>& given) {
          health.commands_assigned(numbers(given));
        });
  } else {
    consumer.assign_all(config.kafka.commands);
    std::vector<std::int32_t> every(static_cast<std::size_t>(std::max(consumer.partition_count(config.kafka.commands), 0)));
    for (std::size_t p = 0; p < every.size(); ++p) every[p] = static_cast<std::int32_t>(p);
    health.commands_assigned(every);
  }
  // The callbacks above use this function's locals, which go before the consumer closes (and serves
  // its last rebalance): they are dropped first, whichever way the function returns.
  struct Forget {
    KafkaConsumer& consumer;
    ~Forget() { consumer.forget_callbacks(); }
  } forget{consumer};
  const auto watched = metrics.add_sampler([&] {
    if (auto lag = consumer.lag()) metrics.consumer_lag.set({config.kafka.commands}, *lag);
  });
  const auto payload_limit = static_cast<std::size_t>(config.limits.deadletter_payload_bytes);
  constexpr std::int64_t kClockSkewMs = 300000;
  while (!stop.load()) {
    auto messages = consumer.poll(500, std::chrono::milliseconds(100));
    if (messages.empty()) continue;
    std::vector<Outgoing> out;
    std::vector<CommandLabels> routed, rejected;
    for (const auto& m : messages) {
      if (!m.error().empty()) continue;
      // The record's own time, unless it claims to come from the future: a producer's clock is not
      // corridor's, and inputs' times drive flows and the pruning of processed ids.
      const std::int64_t now = clock.now_ms();
      const std::int64_t at = m.timestamp_ms() > 0 && m.timestamp_ms() <= now + kClockSkewMs ? m.timestamp_ms() : now;
      const std::string record_id =
          std::string(m.topic()) + ":" + std::to_string(m.partition()) + ":" + std::to_string(m.offset());
      json::object where{{"topic", std::string(m.topic())},
                         {"partition", m.partition()},
                         {"offset", m.offset()},
                         {"key", redact_bounded(m.key(), 256)}};
      // The command's trace context, when it brings a valid one (an invalid one is ignored): it goes
      // with its input to the processor, which keeps it with the transaction.
      const std::optional<std::string> traceparent = valid_traceparent(m.header("traceparent").value_or(""));
      std::variant<RoutedCommand, CommandRejection> result = CommandRejection{};
      try {
        result = route_command(m.value(), config, record_id, at, vault);
      } catch (const std::exception& e) {
        // A bug meeting a command it did not expect: the command is rejected, the router goes on.
        result = CommandRejection{"the command could not be read: " + std::string(e.what()), "", "", "", ""};
      }
      if (auto* ok = std::get_if<RoutedCommand>(&result)) {
        // A routed command Kafka refuses: rejected after all, with a note of where it was.
        const json::object& cmd = ok->input.data;
        const std::string trace = traceparent.value_or(derived_traceparent(ok->input.txn_id));
        routed.push_back(command_labels(*config.registry, ok->input.name, cmd));
        auto refused = [&config, at, where, trace, txn = ok->input.txn_id, id = ok->input.input_id,
                        command_id = std::string(get_string(cmd, "command_id")),
                        merchant = std::string(get_string(cmd, "merchant")),
                        reference = std::string(get_string(cmd, "reference"))](const Outgoing& record,
                                                                               const std::string& error) {
          const CommandRejection r{"Kafka refused the command's input record (" + error + ")", command_id, merchant,
                                   reference, txn};
          Outgoing input = record;
          input.headers = {{"ce_subject", txn}, {"traceparent", trace}};  // what the dead letter names
          auto outs = minimal_deadletter("router", input, error, at, where);
          const json::object event = command_rejected_event(r, id, at);
          outs.insert(outs.begin(),
                      Outgoing{config.kafka.events, txn, boost::json::serialize(event), "", {},
                               event_headers(get_string(event, "event_id"), "command.rejected", "", txn,
                                             get_string(event, "occurred_at"), trace)});
          return outs;
        };
        RecordHeaders input_headers;
        if (traceparent) input_headers.emplace_back("traceparent", *traceparent);
        out.push_back(Outgoing{config.kafka.inputs, ok->input.txn_id, input_record(ok->input), config.kafka.deadletter,
                               std::move(refused), std::move(input_headers)});
        continue;
      }
      rejected.push_back(raw_command_labels(config, m.value()));
      const auto& rej = std::get<CommandRejection>(result);
      const std::string input_id =
          rej.command_id.empty() || rej.txn_id.empty() ? "cmd:" + record_id : command_input_id(rej.txn_id, rej.command_id);
      // A command that names no transaction is traced by where it was read.
      const std::string trace = traceparent.value_or(derived_traceparent(rej.txn_id.empty() ? record_id : rej.txn_id));
      const json::object event = command_rejected_event(rej, input_id, at);
      out.push_back(Outgoing{config.kafka.events, rej.txn_id, boost::json::serialize(event), "", {},
                             event_headers(get_string(event, "event_id"), "command.rejected", "", rej.txn_id,
                                           get_string(event, "occurred_at"), trace)});
      const std::optional<std::string> hidden = shown_payload(m.value(), *config.registry);
      const std::optional<std::string_view> shown = hidden ? std::optional<std::string_view>(*hidden) : std::nullopt;
      std::string record =
          boost::json::serialize(deadletter_record("router", rej.reason, m.value(), at, payload_limit, where, shown));
      RecordHeaders headers = deadletter_headers("router", record, format_time(at), rej.txn_id, trace);
      out.push_back(Outgoing{config.kafka.deadletter, "", std::move(record), config.kafka.deadletter,
                             [at, where](const Outgoing& record, const std::string& error) {
                               return minimal_deadletter("router", record, error, at, where);
                             },
                             std::move(headers)});
      std::cerr << "router: rejected command at " << record_id << ": " << redact_bounded(rej.reason, 300) << std::endl;
    }
    // Nothing is committed until everything is acknowledged: a crash re-routes the batch, and the
    // processor recognises the repeated input ids.
    const auto deadletters = std::count_if(out.begin(), out.end(), [&](const Outgoing& o) { return o.topic == config.kafka.deadletter; });
    if (!deliver(producer, std::move(out), health, Health::Part::router, clock, metrics, stop)) return;
    metrics.deadletters_published += deadletters;
    for (const auto& l : routed) metrics.commands_routed.add({l.type, l.provider, l.flow});
    for (const auto& l : rejected) metrics.commands_rejected.add({l.type, l.provider, l.flow});
    // The next batch does not wait for the coordinator: a commit lost with a crash re-routes
    // commands whose input ids the processor recognises, as a crash before any commit always did.
    if (auto r = commit(false); !r) std::cerr << "router: " << r.error().message << std::endl;
  }
  // Everything consumed was acknowledged (a batch that was not returns above): the last positions
  // are committed before the consumer closes.
  if (auto r = commit(true); !r) std::cerr << "router: " << r.error().message << std::endl;
}

}  // namespace corridor
