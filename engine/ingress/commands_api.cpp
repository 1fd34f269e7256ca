#include "engine/ingress/commands_api.hpp"

#include <boost/json/serialize.hpp>
#include <iostream>
#include <optional>
#include <variant>

#include "adapters/support/wire.hpp"
#include "engine/ingress/errc.hpp"
#include "engine/ingress/ingress.hpp"
#include "engine/io/errc.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/delivery.hpp"
#include "engine/pipeline/metric_labels.hpp"
#include "engine/pipeline/record_headers.hpp"
#include "engine/store/errc.hpp"

namespace corridor {

namespace {

// What a command route asks: the command type, and the transaction the path names (empty for the
// two that create one).
struct CommandRoute {
  std::string_view type;
  std::string txn_id;
};

std::optional<CommandRoute> command_route(const HttpRequest& req) {
  if (req.method != "POST") return std::nullopt;
  const auto parts = split_path(req.target);
  if (parts.size() < 2 || parts[0] != "v1") return std::nullopt;
  if (parts.size() == 2 && parts[1] == "payments") return CommandRoute{"payment.create", {}};
  if (parts.size() == 2 && parts[1] == "payouts") return CommandRoute{"payout.create", {}};
  if (parts.size() != 4 || parts[1] != "payments") return std::nullopt;
  const std::string txn_id(parts[2]);
  if (parts[3] == "cancel") return CommandRoute{"payment.cancel", txn_id};
  if (parts[3] == "refunds") return CommandRoute{"refund.create", txn_id};
  if (parts[3] == "reconcile") return CommandRoute{"transaction.reconcile", txn_id};
  return std::nullopt;
}

HttpResponse refusal(const Error& e, int status = 0) {
  return error_response(status != 0 ? status : e.http_status(), e.message, e.code);
}

// An Idempotency-Key: 1 to 128 visible ASCII characters, as a command_id may be.
bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (char c : key)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// Sets `key` to `value` unless the body already holds another value there: the path, the token and
// the header decide these fields, and a body saying otherwise is refused rather than overruled.
std::optional<Error> decide(json::object& cmd, std::string_view key, std::string_view value, std::string_view from) {
  if (const json::value* v = cmd.if_contains(key); v != nullptr && !v->is_null()) {
    if (!v->is_string() || v->get_string() != value)
      return fail(api_errc::not_a_command_body, "field '" + std::string(key) + "' contradicts " + std::string(from));
  }
  cmd[key] = value;
  return std::nullopt;
}

class CommandCall {
 public:
  CommandCall(const IngressContext& c, const Caller& caller, HttpRequest req, Respond respond)
      : c_(c), caller_(caller), req_(std::move(req)), respond_(std::move(respond)) {}

  void run() {
    const auto route = command_route(req_);
    const std::string_view key = req_.header("Idempotency-Key");
    if (!valid_idempotency_key(key))
      return refuse(fail(api_errc::missing_idempotency_key,
                         "an Idempotency-Key header of 1 to 128 visible ASCII characters is required"));
    if (req_.body.size() > static_cast<std::size_t>(c_.config.limits.command_bytes))
      return refuse(fail(pipeline_errc::too_large, "command of " + std::to_string(req_.body.size()) +
                                                       " bytes is larger than limits.command_bytes (" +
                                                       std::to_string(c_.config.limits.command_bytes) + ")"),
                    413);
    auto body = read_body(!route->txn_id.empty());
    if (!body) return refuse(body.error());
    json::object& cmd = *body;

    std::optional<Error> problem;
    if (route->txn_id.empty()) {
      problem = decide(cmd, "type", route->type, "the path");
      if (!problem && !caller_.operator_) {
        const json::value* m = cmd.if_contains("merchant");
        if (m != nullptr && !(m->is_string() && m->get_string() == caller_.merchant))
          return refuse(fail(api_errc::other_merchant, "this token may send commands for merchant '" +
                                                           caller_.merchant + "' only"));
        cmd["merchant"] = caller_.merchant;
      }
    } else {
      auto txn = c_.store.load(route->txn_id);
      if (!txn) return refuse(txn.error(), 503);
      // Another merchant's transaction is as unknown as one that does not exist.
      if (!*txn || (!caller_.operator_ && (*txn)->merchant != caller_.merchant))
        return refuse(fail(api_errc::unknown_transaction, "unknown transaction " + redact_bounded(route->txn_id, 64)));
      problem = decide(cmd, "type", route->type, "the path");
      if (!problem) problem = decide(cmd, "merchant", (*txn)->merchant, "the transaction in the path");
      if (!problem) problem = decide(cmd, "reference", (*txn)->reference, "the transaction in the path");
    }
    if (!problem) problem = decide(cmd, "command_id", key, "the Idempotency-Key header");
    if (problem) return refuse(*problem);
    route_and_publish(boost::json::serialize(cmd));
  }

 private:
  // The body as a command object; an empty body is an empty object where the path says it all.
  Result<json::object> read_body(bool may_be_empty) {
    if (may_be_empty && req_.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{};
    auto parsed = parse_strict(req_.body);
    if (!parsed) return parsed.error();
    if (!parsed->is_object()) return fail(api_errc::not_a_command_body, "the body must be a JSON object");
    return std::move(parsed->get_object());
  }

  void route_and_publish(const std::string& raw) {
    std::variant<RoutedCommand, CommandRejection> result = CommandRejection{};
    try {
      result = route_command(raw, c_.config, "http", c_.clock.now_ms(), c_.vault);
    } catch (const std::exception& e) {
      result = CommandRejection{"the command could not be read: " + std::string(e.what()), "", "", "", ""};
    }
    if (auto* rej = std::get_if<CommandRejection>(&result)) {
      const Error e{rej->code, rej->reason};
      return refuse(e, rej->code == pipeline_errc::too_large ? 413 : 0);
    }
    Input& in = std::get<RoutedCommand>(result).input;
    // The same key with another command on this transaction: refused now when the store already
    // applied the first. (One still in flight is rejected by the processor, with command.rejected.)
    auto seen = c_.store.processed_among({in.input_id});
    if (!seen) return refuse(seen.error(), 503);
    if (auto it = seen->find(in.input_id); it != seen->end() && it->second != in.digest)
      return refuse(fail(api_errc::idempotency_conflict,
                         "Idempotency-Key '" + redact_bounded(get_string(in.data, "command_id"), 128) +
                             "' already named another command on transaction " + in.txn_id));
    publish(std::move(in));
  }

  void publish(Input in) {
    json::object accepted{{"txn_id", in.txn_id}, {"command_id", std::string(get_string(in.data, "command_id"))},
                          {"type", in.name}};
    std::string location = "/v1/transactions/" + in.txn_id;
    // The caller's trace, as the router passes on a command record's: the processor keeps it with the
    // transaction and every event of it carries it (docs/events.md). Not one: ignored, never refused.
    KafkaHeaders headers;
    if (auto trace = valid_traceparent(req_.header("traceparent"))) headers.emplace_back("traceparent", *trace);
    const IngressContext& c = c_;
    const CommandLabels labels = command_labels(*c_.config.registry, in.name, in.data);
    c_.producer.produce(
        c_.config.kafka.inputs, in.txn_id, input_record(in), headers,
        [respond = respond_, accepted = std::move(accepted), location = std::move(location), &c, labels](
            const DeliveryReport& report) {
          if (!report.ok()) {
            std::cerr << "ingress: Kafka did not take command "
                      << redact_bounded(get_string(accepted, "command_id"), 128)
                      << (report.permanent ? " (refused): " : ": ") << report.error << std::endl;
            if (!report.permanent)
              c.health.stalled(Health::Part::ingress, "Kafka does not take commands: " + report.error, c.clock.now_ms());
            return respond(error_response(503, "not stored; retry with the same Idempotency-Key",
                                          kafka_errc::not_acknowledged));
          }
          c.health.progressed(Health::Part::ingress);
          c.metrics.commands_routed.add({labels.type, labels.provider, labels.flow});
          HttpResponse r = json_response(202, boost::json::serialize(accepted));
          r.headers.emplace_back("Location", location);
          respond(std::move(r));
        });
  }

  // Answers the refusal once its dead letter is recorded (within the source's rate).
  void refuse(const Error& e, int status = 0) {
    const HttpResponse answer = refusal(e, status);
    const CommandLabels labels = raw_command_labels(c_.config, req_.body);
    c_.metrics.commands_rejected.add({labels.type, labels.provider, labels.flow});
    std::cerr << "ingress: refused command from " << req_.remote_address << ": " << redact_bounded(e.message, 300)
              << std::endl;
    c_.refusals.record(req_, answer.status, code_text(e.code) + ": " + e.message,
                       [respond = respond_, answer] { respond(answer); }, true);
  }

  const IngressContext& c_;
  const Caller& caller_;
  HttpRequest req_;
  Respond respond_;
};

}  // namespace

bool is_command_route(const HttpRequest& req) { return command_route(req).has_value(); }

void handle_command(const IngressContext& context, const Caller& caller, HttpRequest req, Respond respond) {
  CommandCall(context, caller, std::move(req), std::move(respond)).run();
}

}  // namespace corridor
