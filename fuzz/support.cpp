#include "fuzz/support.hpp"

#include "engine/pipeline/commands.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuzz/targets.hpp"

namespace corridor::fuzz {

namespace {

std::string_view next_line(std::string_view& text) {
  const std::size_t lf = text.find('\n');
  std::string_view line = text.substr(0, lf);
  text = lf == std::string_view::npos ? std::string_view{} : text.substr(lf + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// Equal JSON, but two doubles always match: Boost.JSON 1.81 parses a double's text inexactly (its
// serializer writes the shortest exact text, its parser may come back a few ulps off). corridor holds
// no money or identity in a double, and the processor reads the same record on every replay.
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double()) return true;
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!same_json(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [key, value] : x) {
      const json::value* other = y.if_contains(key);
      if (other == nullptr || !same_json(value, *other)) return false;
    }
    return true;
  }
  return a == b;
}

std::string_view next_word(std::string_view& line) {
  const std::size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  return word;
}

}  // namespace

HttpRequest request_from_text(std::string_view text) {
  HttpRequest request;
  std::string_view first = next_line(text);
  request.method = std::string(next_word(first));
  request.target = std::string(next_word(first));
  request.remote_address = std::string(first);
  while (!text.empty()) {
    const std::string_view line = next_line(text);
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(text);
  return request;
}

std::unique_ptr<ProviderAdapter> make_adapter(std::string_view provider, const ProviderSettings& settings) {
  const AdapterRegistration* registration = find_adapter(provider);
  if (registration == nullptr) throw std::logic_error("fuzz: no adapter " + std::string(provider));
  return registration->make(settings);
}

bool run_webhook(const ProviderAdapter& adapter, std::string_view input, const Signer& sign) {
  HttpRequest request = request_from_text(input);
  for (auto& [name, value] : request.headers) {
    if (const std::size_t at = value.find(kSignaturePlaceholder); at != std::string::npos)
      value.replace(at, kSignaturePlaceholder.size(), sign(request, value));
  }
  auto parsed = adapter.parse_webhook(request);
  if (!parsed) return false;
  if (!finite_numbers(parsed->data)) return false;  // refused by the ingress
  // engine/ingress/ingress.cpp, webhook(): a notification naming no transaction is refused, or, when its type
  // is one corridor does not handle, acknowledged and dead-lettered; the dead letter must be JSON.
  if (parsed->txn_id.empty()) {
    if (!parsed->unhandled) return false;
    const std::string record = boost::json::serialize(deadletter_record("ingress", "unhandled", request.body, kAtMs, 4096));
    boost::system::error_code ec;
    boost::json::parse(record, ec);
    if (ec) throw PropertyViolation("the dead letter of an unhandled notification is not JSON: " + record);
    return true;
  }
  // The input the ingress publishes for an accepted notification.
  Input in;
  // (Without a dedupe id the ingress uses a hex digest of the body: plain ASCII, so any stands in.)
  in.input_id = "webhook:" + std::string(adapter.provider()) + ":" +
                (parsed->dedupe_id.empty() ? std::string("body-digest") : parsed->dedupe_id);
  in.txn_id = parsed->txn_id;
  in.kind = InputKind::webhook;
  in.name = parsed->unhandled ? "unhandled." + parsed->name : parsed->name;
  in.at_ms = kAtMs;
  in.data = std::move(parsed->data);
  check_input_record(in);
  return true;
}

void check_input_record(const Input& in) {
  const std::string record = boost::json::serialize(to_json(in));
  boost::system::error_code ec;
  json::value v = boost::json::parse(record, ec);
  if (ec) throw PropertyViolation("the input record is not JSON (" + ec.message() + "): " + record);
  auto back = input_from_json(std::move(v));
  if (!back) throw PropertyViolation("the processor cannot read the input record (" + back.error().message + "): " + record);
  if (back->input_id != in.input_id || back->txn_id != in.txn_id || back->name != in.name ||
      !same_json(back->data, in.data))
    throw PropertyViolation("the input record reads back as another input: " + record);
}

}  // namespace corridor::fuzz
