#include "fuzz/support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fuzz/targets.hpp"

namespace corridor::fuzz {

namespace {

// The time every fuzzed input carries: a step never reads a clock.
constexpr std::int64_t kAtMs = 1'700'000'000'000;

std::string_view next_line(std::string_view& text) {
  const std::size_t lf = text.find('\n');
  std::string_view line = text.substr(0, lf);
  text = lf == std::string_view::npos ? std::string_view{} : text.substr(lf + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
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
  // The input the ingress publishes for an accepted notification (engine/ingress.cpp, webhook()).
  Input in;
  // (Without a dedupe id the ingress uses a hex digest of the body: plain ASCII, so any stands in.)
  in.input_id = "webhook:" + std::string(adapter.provider()) + ":" +
                (parsed->dedupe_id.empty() ? std::string("body-digest") : parsed->dedupe_id);
  in.txn_id = parsed->txn_id;
  in.kind = InputKind::webhook;
  in.name = parsed->name;
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
  if (back->input_id != in.input_id || back->txn_id != in.txn_id || back->name != in.name || back->data != in.data)
    throw PropertyViolation("the input record reads back as another input: " + record);
}

}  // namespace corridor::fuzz
