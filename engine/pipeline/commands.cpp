// Commands from corridor.commands. One file: validation, sealing and the dead-letter form of a
// command all walk the same strictly parsed JSON and its sensitive fields (hide, redact, seal); split,
// each part would need the others' internals in a header.
#include "engine/pipeline/commands.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <unordered_set>
#include <variant>

#include "adapters/registry.hpp"
#include "adapters/support/wire.hpp"
#include "engine/pipeline/errc.hpp"
#include "core/encoding.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

std::string derive_txn_id(std::string_view merchant, std::string_view reference) {
  std::string material;
  material.reserve(merchant.size() + reference.size() + 1);
  material.append(merchant);
  material.push_back('\0');
  material.append(reference);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest.data());
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string out = "tx_";
  unsigned buffer = 0;
  int bits = 0;
  for (int i = 0; i < 16; ++i) {
    buffer = (buffer << 8) | digest[i];
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

namespace {

constexpr std::array<std::string_view, 5> kCommandTypes{"payment.create", "payment.cancel", "refund.create",
                                                         "payout.create", "transaction.reconcile"};
constexpr std::size_t kMaxDepth = 32;

// A value from the command as a reason may quote it: bounded, card numbers and secrets redacted.
std::string shown(std::string_view value) { return redact_bounded(value, 64); }

// Finds a key given twice in one object, as the parser meets the keys. Nothing else is built.
class DuplicateKeys {
 public:
  constexpr static std::size_t max_object_size = std::size_t(-1);
  constexpr static std::size_t max_array_size = std::size_t(-1);
  constexpr static std::size_t max_key_size = std::size_t(-1);
  constexpr static std::size_t max_string_size = std::size_t(-1);

  std::optional<std::string> duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, boost::system::error_code&) {
    keys_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(json::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!keys_.back().insert(key_).second) {
      duplicate = key_;
      ec = boost::json::error::syntax;  // stop: the answer is known
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(std::uint64_t, json::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, json::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  std::vector<std::unordered_set<std::string>> keys_;
  std::string key_;
};

// Reads a required non-empty string, or says what is wrong with it.
std::string required_string(const json::object& o, std::string_view key, std::string& problem) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) {
    if (problem.empty()) problem = "missing required field '" + std::string(key) + "'";
    return {};
  }
  if (!it->value().is_string() || it->value().get_string().empty()) {
    if (problem.empty()) problem = "field '" + std::string(key) + "' must be a non-empty string";
    return {};
  }
  return std::string(it->value().get_string());
}

const json::value* find_path(const json::object& o, std::string_view dotted) {
  const json::object* cur = &o;
  while (true) {
    auto dot = dotted.find('.');
    auto it = cur->find(dotted.substr(0, dot));
    if (it == cur->end()) return nullptr;
    if (dot == std::string_view::npos) return &it->value();
    if (!it->value().is_object()) return nullptr;
    cur = &it->value().get_object();
    dotted.remove_prefix(dot + 1);
  }
}

// "<object>.<key>", the path of a provider's sealed field.
std::string path_of(const SealedField& s, std::string_view key) { return std::string(s.object) + "." + std::string(key); }

// The card's fields but the ones shown, and the fields providers declare secret.
bool is_sealed_field(std::string_view path, const std::vector<SealedField>& sealed) {
  if (path.starts_with("card.")) return !card_field_shown(path.substr(5));
  return std::any_of(sealed.begin(), sealed.end(), [&](const SealedField& s) {
    return path.size() == s.object.size() + 1 + s.key.size() && path.starts_with(s.object) &&
           path[s.object.size()] == '.' && path.ends_with(s.key);
  });
}

// The path of the first key or value outside the sealed fields that holds a card number.
std::optional<std::string> card_number_outside_card(const json::value& v, const std::string& path,
                                                    const std::vector<SealedField>& sealed) {
  if (is_sealed_field(path, sealed)) return std::nullopt;
  switch (v.kind()) {
    case json::kind::string:
      if (find_card_number({v.get_string().data(), v.get_string().size()})) return path;
      return std::nullopt;
    case json::kind::int64:
    case json::kind::uint64:
      if (find_card_number(json_text(v))) return path;
      return std::nullopt;
    case json::kind::array: {
      std::size_t i = 0;
      for (const auto& item : v.get_array())
        if (auto found = card_number_outside_card(item, path + "[" + std::to_string(i++) + "]", sealed)) return found;
      return std::nullopt;
    }
    case json::kind::object:
      for (const auto& kv : v.get_object()) {
        const std::string child = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
        if (find_card_number({kv.key().data(), kv.key().size()})) return path.empty() ? "(a key)" : path + " (a key)";
        if (auto found = card_number_outside_card(kv.value(), child, sealed)) return found;
      }
      return std::nullopt;
    default: return std::nullopt;
  }
}

// Validates {"value": <integer minor units>, "currency": <ISO 4217>}; empty string when valid.
std::string check_amount(const json::value* amount, std::string_view field) {
  const std::string f(field);
  if (amount == nullptr) return "missing required field '" + f + "'";
  if (!amount->is_object()) return "field '" + f + "' must be an object {value, currency}";
  const auto& a = amount->get_object();
  const json::value* value = a.if_contains("value");
  if (value == nullptr) return "missing required field '" + f + ".value'";
  if (value->is_double()) return f + ".value must be an integer number of minor units, not a fraction";
  if (!value->is_int64() && !value->is_uint64()) return f + ".value must be an integer number of minor units";
  if (value->is_uint64() && value->get_uint64() > static_cast<std::uint64_t>(INT64_MAX)) return f + ".value is too large";
  if (value->is_int64() && value->get_int64() <= 0) return f + ".value must be positive";
  const json::value* currency = a.if_contains("currency");
  if (currency == nullptr || !currency->is_string()) return "missing required field '" + f + ".currency'";
  const std::string code(currency->get_string());
  if (!currency_exponent(code)) return "unknown currency '" + shown(code) + "' (ISO 4217 alphabetic code expected)";
  return {};
}

Money money_of(const json::object& cmd) {
  const json::object& a = cmd.at("amount").get_object();
  return Money{get_int(a, "value"), std::string(get_string(a, "currency"))};
}

// The sensitive fields present in the command, checked for their shape; the card number's digits.
struct Sensitive {
  std::vector<std::string> present;  // paths: the card's fields, then the providers' sealed fields
  std::string card_digits;
  std::string problem;
};

Sensitive read_sensitive(const json::object& cmd, const std::vector<SealedField>& sealed) {
  Sensitive out;
  if (const json::value* card = cmd.if_contains("card"); card != nullptr && !card->is_null()) {
    if (!card->is_object()) {
      out.problem = "field 'card' must be an object {number, exp_month, exp_year}";
      return out;
    }
    if (const json::value* number = card->get_object().if_contains("number"); number != nullptr) {
      // A number sent as a JSON number would escape every string check: refused, never guessed at.
      if (!number->is_string()) {
        out.problem = "field 'card.number' must be a string of digits";
        return out;
      }
      for (char c : number->get_string()) {
        if (c == ' ' || c == '-') continue;
        if (c < '0' || c > '9') {
          out.problem = "field 'card.number' must hold digits only (spaces and dashes allowed)";
          return out;
        }
        out.card_digits.push_back(c);
      }
      if (out.card_digits.empty()) {
        out.problem = "field 'card.number' must be a non-empty string of digits";
        return out;
      }
    }
    if (card->get_object().contains("sealed")) {
      out.problem = "field 'card.sealed' is corridor's own: send card.number";
      return out;
    }
  }
  for (const SealedField& s : sealed) {
    const json::object* object = get_object(cmd, s.object);
    if (object == nullptr) continue;
    if (const json::value* secret = object->if_contains(s.key); secret != nullptr && !secret->is_string()) {
      out.problem = "field '" + path_of(s, s.key) + "' must be a string";
      return out;
    }
    if (object->contains(s.sealed_as)) {
      out.problem = "field '" + path_of(s, s.sealed_as) + "' is corridor's own: send " + path_of(s, s.key);
      return out;
    }
  }
  if (const json::object* card = get_object(cmd, "card")) {
    for (const auto& kv : *card)
      if (!card_field_shown(kv.key()) && !kv.value().is_null()) out.present.push_back("card." + std::string(kv.key()));
  }
  for (const SealedField& s : sealed) {
    if (const json::value* v = find_path(cmd, path_of(s, s.key)); v != nullptr && !v->is_null())
      out.present.push_back(path_of(s, s.key));
  }
  return out;
}

// Canonical text: object keys sorted, at every level; sensitive values by their fingerprint.
void canonical(const json::value& v, std::string& out, const std::string& path, const CardVault* vault,
               const std::vector<SealedField>& sealed) {
  if (is_sealed_field(path, sealed) && vault != nullptr) {
    append_json(out, json::value(vault->fingerprint(json_text(v))));
    return;
  }
  if (v.is_object()) {
    std::vector<std::pair<std::string_view, const json::value*>> sorted;
    for (const auto& kv : v.get_object()) sorted.emplace_back(std::string_view(kv.key().data(), kv.key().size()), &kv.value());
    std::sort(sorted.begin(), sorted.end());
    out.push_back('{');
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_json(out, json::value(sorted[i].first));
      out.push_back(':');
      canonical(*sorted[i].second, out, path.empty() ? std::string(sorted[i].first) : path + "." + std::string(sorted[i].first),
                vault, sealed);
    }
    out.push_back('}');
    return;
  }
  if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out.push_back(',');
      first = false;
      canonical(item, out, path + "[]", vault, sealed);
    }
    out.push_back(']');
    return;
  }
  append_json(out, v);
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> d{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d.data());
  return hex_encode({reinterpret_cast<const char*>(d.data()), d.size()});
}

// Seals the sensitive fields in place: the card into card.sealed (its number kept masked), each
// provider's sealed field into its sealed_as key.
void seal(json::object& cmd, const Sensitive& sensitive, const CardVault& vault, const std::vector<SealedField>& sealed) {
  if (json::value* card = cmd.if_contains("card"); card != nullptr && card->is_object()) {
    json::object& c = card->get_object();
    json::object plain;
    if (!sensitive.card_digits.empty()) plain["number"] = sensitive.card_digits;
    for (auto it = c.begin(); it != c.end();) {
      const std::string_view key(it->key().data(), it->key().size());
      if (key == "number" || card_field_shown(key)) {
        ++it;
        continue;
      }
      plain[key] = it->value();
      it = c.erase(it);
    }
    if (!plain.empty()) {
      if (!sensitive.card_digits.empty()) c["number"] = mask_pan(sensitive.card_digits);
      c["sealed"] = vault.seal(json_text(plain));
    }
  }
  for (const SealedField& s : sealed) {
    json::value* object = cmd.if_contains(s.object);
    if (object == nullptr || !object->is_object()) continue;
    json::object& o = object->get_object();
    if (auto it = o.find(s.key); it != o.end()) {
      const auto& secret = it->value().get_string();
      o[s.sealed_as] = vault.seal({secret.data(), secret.size()});
      o.erase(s.key);
    }
  }
}

// The command with its sensitive fields replaced: what a dead letter of a refused command shows.
// True when it replaced anything.
bool hide_sensitive(json::object& cmd, const std::vector<SealedField>& sealed) {
  bool hidden = false;
  auto hide = [&](json::value& v) {
    v = "[redacted]";
    hidden = true;
  };
  if (json::value* card = cmd.if_contains("card"); card != nullptr) {
    if (!card->is_object()) {
      hide(*card);
    } else {
      for (auto& kv : card->get_object())
        if (!card_field_shown(kv.key())) hide(kv.value());
    }
  }
  for (const SealedField& s : sealed) {
    json::value* object = cmd.if_contains(s.object);
    if (object == nullptr) continue;
    if (!object->is_object()) {
      hide(*object);
      continue;
    }
    for (std::string_view key : {s.key, s.sealed_as})
      if (json::value* v = object->get_object().if_contains(key)) hide(*v);
  }
  return hidden;
}

// Whether text corridor cannot read as a command names a sensitive field (any case): its values cannot
// be told apart, so none of it is shown.
bool names_sensitive_field(std::string_view raw) {
  std::string lower(raw);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view name : {"card", "cvv", "cvc", "security", "answer", "exp_month", "exp_year", "expiry"})
    if (lower.find(name) != std::string::npos) return true;
  return false;
}

}  // namespace

std::optional<std::string> shown_payload(std::string_view raw, const ProviderRegistry& registry) {
  boost::json::parse_options options;
  options.max_depth = 256;  // deeper than commands may be: a refused deep command is still read here
  boost::system::error_code ec;
  json::value v = boost::json::parse(raw, ec, {}, options);
  if (ec || !v.is_object()) {
    if (!names_sensitive_field(raw)) return std::nullopt;
    return std::string();
  }
  if (!hide_sensitive(v.get_object(), registry.sealed_fields())) return std::nullopt;
  return boost::json::serialize(v);
}

std::string command_input_id(std::string_view txn_id, std::string_view command_id) {
  std::string id = "cmd:";
  id.append(txn_id);
  id.push_back(':');
  id.append(command_id);
  return id;
}

Result<json::value> parse_strict(std::string_view raw) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  {
    boost::json::basic_parser<DuplicateKeys> scan(options);
    boost::system::error_code ec;
    scan.write_some(false, raw.data(), raw.size(), ec);
    if (scan.handler().duplicate)
      return fail(pipeline_errc::duplicate_key, "command holds the key '" + shown(*scan.handler().duplicate) + "' twice in one object");
  }
  boost::system::error_code ec;
  json::value parsed = boost::json::parse(raw, ec, {}, options);
  if (ec) {
    if (ec == boost::json::error::too_deep)
      return fail(pipeline_errc::not_json, "command is nested deeper than " + std::to_string(kMaxDepth) + " levels");
    return fail(pipeline_errc::not_json, "command is not valid JSON: " + ec.message());
  }
  if (!finite_numbers(parsed)) return fail(pipeline_errc::number_out_of_range, "command holds a number beyond a double's range");
  return parsed;
}

std::variant<RoutedCommand, CommandRejection> route_command(std::string_view raw, const Config& config,
                                                            std::string_view fallback_id, std::int64_t at_ms,
                                                            const CardVault* vault) {
  CommandRejection rej;
  if (raw.size() > static_cast<std::size_t>(config.limits.command_bytes)) {
    rej.reason = "command of " + std::to_string(raw.size()) + " bytes is larger than limits.command_bytes (" +
                 std::to_string(config.limits.command_bytes) + ")";
    rej.code = pipeline_errc::too_large;
    return rej;
  }
  auto parsed = parse_strict(raw);
  if (!parsed) {
    rej.reason = parsed.error().message;
    rej.code = parsed.error().code;
    return rej;
  }
  if (!parsed->is_object()) {
    rej.reason = "command must be a JSON object";
    return rej;
  }
  json::object& cmd = parsed->get_object();
  const ProviderRegistry& registry = *config.registry;
  const std::vector<SealedField>& sealed = registry.sealed_fields();
  std::string problem;
  // Best effort first, so that even a rejected command is traceable.
  rej.command_id = get_string(cmd, "command_id");
  rej.merchant = get_string(cmd, "merchant");
  rej.reference = get_string(cmd, "reference");
  if (!rej.merchant.empty() && !rej.reference.empty()) rej.txn_id = derive_txn_id(rej.merchant, rej.reference);

  // Card numbers go in card.number, which is sealed; anywhere else they would travel in clear.
  if (auto where = card_number_outside_card(*parsed, "", sealed))
    problem = "field '" + *where + "' holds what looks like a card number: card numbers go in card.number only";
  Sensitive sensitive = problem.empty() ? read_sensitive(cmd, sealed) : Sensitive{};
  if (problem.empty()) problem = sensitive.problem;
  if (problem.empty() && !sensitive.present.empty() && vault == nullptr)
    problem = "command carries sensitive data (" + sensitive.present.front() + ") but " + CardVault::kKeyVariable +
              " is not set: corridor never keeps it in clear";

  const std::string type = problem.empty() ? required_string(cmd, "type", problem) : std::string();
  if (problem.empty() && std::find(kCommandTypes.begin(), kCommandTypes.end(), type) == kCommandTypes.end())
    problem = "unknown command type '" + shown(type) + "'";
  if (auto* id = cmd.if_contains("command_id"); problem.empty() && id != nullptr && !id->is_string())
    problem = "field 'command_id' must be a string";
  if (problem.empty() && rej.command_id.size() > 128) problem = "field 'command_id' is longer than 128 characters";
  const std::string merchant = problem.empty() ? required_string(cmd, "merchant", problem) : std::string();
  const std::string reference = problem.empty() ? required_string(cmd, "reference", problem) : std::string();
  if (problem.empty() && reference.size() > 128) problem = "field 'reference' is longer than 128 characters";
  const MerchantConfig* m = problem.empty() ? config.merchant(merchant) : nullptr;
  if (problem.empty() && m == nullptr) problem = "unknown merchant '" + shown(merchant) + "'";
  if (problem.empty() && !m->enabled) problem = "merchant '" + shown(merchant) + "' is disabled";

  const bool creates = type == "payment.create" || type == "payout.create";
  if (problem.empty() && creates) {
    const std::string provider = required_string(cmd, "provider", problem);
    std::string_view flow_name = get_string(cmd, "flow");
    if (auto* f = cmd.if_contains("flow"); problem.empty() && f != nullptr && !f->is_string() && !f->is_null())
      problem = "field 'flow' must be a string";
    const Flow* flow = nullptr;
    if (problem.empty() && registry.find(provider) == nullptr) problem = "unknown provider '" + shown(provider) + "'";
    if (problem.empty()) {
      flow = registry.resolve_flow(provider, flow_name);
      if (flow == nullptr)
        problem = flow_name.empty() ? "provider '" + provider + "' has several flows: name one in 'flow'"
                                    : "unknown flow '" + shown(flow_name) + "' for provider '" + provider + "'";
    }
    if (problem.empty() && !m->allows(provider))
      problem = "merchant '" + merchant + "' may not use provider '" + provider + "'";
    if (problem.empty() && flow->create_command != type)
      problem = "flow '" + std::string(flow->id) + "' is started by '" + std::string(flow->create_command) + "', not '" + type + "'";
    if (problem.empty()) problem = check_amount(cmd.if_contains("amount"), "amount");
    if (problem.empty()) {
      for (std::string_view field : flow->required_fields) {
        const json::value* v = find_path(cmd, field);
        if (v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty())) {
          problem = "missing required field '" + std::string(field) + "' for flow " + std::string(flow->id);
          break;
        }
      }
    }
    // What the provider would refuse is refused here, before a transaction exists.
    if (const AdapterRegistration* reg = registry.find_adapter(provider); problem.empty() && reg != nullptr) {
      problem = reg->constraints.check_amount(money_of(cmd));
      if (problem.empty() && !sensitive.card_digits.empty())
        problem = reg->constraints.check_card_number(sensitive.card_digits);
    }
    if (problem.empty()) cmd["flow"] = flow->name;
  }
  if (problem.empty() && type == "refund.create" && cmd.contains("amount"))
    problem = check_amount(cmd.if_contains("amount"), "amount");

  if (!problem.empty()) {
    rej.reason = std::move(problem);
    return rej;
  }

  RoutedCommand out;
  Input& in = out.input;
  in.txn_id = derive_txn_id(merchant, reference);
  in.input_id = rej.command_id.empty() ? "cmd:" + std::string(fallback_id) : command_input_id(in.txn_id, rej.command_id);
  in.kind = InputKind::command;
  in.name = type;
  in.at_ms = at_ms;
  std::string text;
  canonical(*parsed, text, "", vault, sealed);
  in.digest = sha256_hex(text);
  if (vault != nullptr) seal(cmd, sensitive, *vault, sealed);
  in.data = std::move(cmd);
  return out;
}

json::object command_rejected_event(const CommandRejection& r, std::string_view input_id, std::int64_t at_ms) {
  auto field = [](const std::string& v) { return v.empty() ? json::value(nullptr) : json::value(redact_bounded(v, 128)); };
  json::object e;
  e["event_id"] = "rejected:" + redact_bounded(input_id, 300);
  e["type"] = "command.rejected";
  e["txn_id"] = r.txn_id.empty() ? json::value(nullptr) : json::value(r.txn_id);
  e["merchant"] = field(r.merchant);
  e["reference"] = field(r.reference);
  e["command_id"] = field(r.command_id);
  e["reason"] = redact_bounded(r.reason, 1024);
  e["occurred_at"] = format_time(at_ms);
  return e;
}

json::object deadletter_record(std::string_view source, std::string_view reason, std::string_view payload,
                               std::int64_t at_ms, std::size_t payload_limit, json::object context,
                               std::optional<std::string_view> shown_payload) {
  const std::string_view shown = shown_payload ? *shown_payload : payload;
  json::object d;
  d["source"] = source;
  d["reason"] = redact_bounded(reason, 1024);
  d["at"] = format_time(at_ms);
  for (auto& kv : context) d[kv.key()] = kv.value();
  d["payload_bytes"] = payload.size();
  // A digest of a payload with something hidden would let anyone try the card numbers or codes it
  // could have held, a few million at most: it is given only when the prefix hides nothing.
  const bool altered = shown_payload.has_value() || find_card_number(payload).has_value() ||
                       redact(payload) != mask_card_numbers(payload);  // a card, or a secret replaced
  d["payload_sha256"] = altered ? json::value(nullptr) : json::value(sha256_hex(payload));
  if (shown.empty() && !payload.empty()) {
    d["payload_hidden"] = true;  // not JSON corridor could read, naming a sensitive field
    return d;
  }
  // The record itself must be valid JSON whatever arrived: bytes that are not UTF-8 travel in base64.
  if (well_formed_utf8(shown)) {
    d["payload"] = redact_bounded(shown, payload_limit);
  } else {
    d["payload_base64"] = base64_encode(redact(shown).substr(0, payload_limit));
  }
  return d;
}

}  // namespace corridor
