#include "engine/commands.hpp"

#include <openssl/sha.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <variant>

#include "engine/encoding.hpp"
#include "statemachines/registry.hpp"
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

std::string mask_pan(std::string_view pan) {
  if (pan.size() < 13) return std::string(pan.size(), '*');
  std::string out(pan);
  for (std::size_t i = 6; i + 4 < out.size(); ++i) out[i] = '*';
  return out;
}

std::string mask_card_numbers(std::string_view text) {
  std::string out(text);
  std::size_t i = 0;
  while (i < out.size()) {
    if (out[i] < '0' || out[i] > '9') {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < out.size() && out[j] >= '0' && out[j] <= '9') ++j;
    if (j - i >= 13 && j - i <= 19) {
      for (std::size_t k = i + 6; k + 4 < j; ++k) out[k] = '*';
    }
    i = j;
  }
  return out;
}

namespace {

constexpr std::array<std::string_view, 5> kCommandTypes{"payment.create", "payment.cancel", "refund.create",
                                                         "payout.create", "transaction.reconcile"};

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
  if (!currency_exponent(code)) return "unknown currency '" + code + "' (ISO 4217 alphabetic code expected)";
  return {};
}

}  // namespace

std::variant<RoutedCommand, CommandRejection> route_command(std::string_view raw, const Config& config,
                                                            std::string_view fallback_id, std::int64_t at_ms,
                                                            const CardVault* vault) {
  CommandRejection rej;
  boost::system::error_code ec;
  json::value parsed = boost::json::parse(raw, ec);
  if (ec) {
    rej.reason = "command is not valid JSON: " + ec.message();
    return rej;
  }
  if (!parsed.is_object()) {
    rej.reason = "command must be a JSON object";
    return rej;
  }
  json::object& cmd = parsed.get_object();
  std::string problem;
  // Best effort first, so that even a rejected command is traceable.
  rej.command_id = get_string(cmd, "command_id");
  rej.merchant = get_string(cmd, "merchant");
  rej.reference = get_string(cmd, "reference");
  if (!rej.merchant.empty() && !rej.reference.empty()) rej.txn_id = derive_txn_id(rej.merchant, rej.reference);

  RoutedCommand out;
  // Card numbers are sealed and masked before anything else happens to the command.
  if (auto* card = cmd.if_contains("card"); card != nullptr && card->is_object()) {
    auto& c = card->get_object();
    if (auto* number = c.if_contains("number"); number != nullptr && number->is_string()) {
      const std::string pan(number->get_string());
      c["number"] = mask_pan(pan);
      c.erase("sealed");
      if (vault == nullptr) {
        problem = "command carries card data but CORRIDOR_CARD_KEY is not set: corridor never keeps card numbers in clear";
      } else {
        json::object plain{{"number", pan}};
        if (auto* m = c.if_contains("exp_month")) plain["exp_month"] = *m;
        if (auto* y = c.if_contains("exp_year")) plain["exp_year"] = *y;
        c["sealed"] = vault->seal(boost::json::serialize(plain));
      }
    }
  }

  const std::string type = required_string(cmd, "type", problem);
  if (problem.empty() && std::find(kCommandTypes.begin(), kCommandTypes.end(), type) == kCommandTypes.end())
    problem = "unknown command type '" + type + "'";
  if (auto* id = cmd.if_contains("command_id"); problem.empty() && id != nullptr && !id->is_string())
    problem = "field 'command_id' must be a string";
  const std::string merchant = required_string(cmd, "merchant", problem);
  const std::string reference = required_string(cmd, "reference", problem);
  if (problem.empty() && reference.size() > 128) problem = "field 'reference' is longer than 128 characters";
  const MerchantConfig* m = problem.empty() ? config.merchant(merchant) : nullptr;
  if (problem.empty() && m == nullptr) problem = "unknown merchant '" + merchant + "'";
  if (problem.empty() && !m->enabled) problem = "merchant '" + merchant + "' is disabled";

  const bool creates = type == "payment.create" || type == "payout.create";
  if (problem.empty() && creates) {
    const std::string provider = required_string(cmd, "provider", problem);
    std::string_view flow_name = get_string(cmd, "flow");
    if (auto* f = cmd.if_contains("flow"); problem.empty() && f != nullptr && !f->is_string() && !f->is_null())
      problem = "field 'flow' must be a string";
    const Flow* flow = nullptr;
    if (problem.empty()) {
      bool known_provider = false;
      for (const Flow* f : all_flows()) known_provider = known_provider || f->provider == provider;
      if (!known_provider) problem = "unknown provider '" + provider + "'";
    }
    if (problem.empty()) {
      flow = resolve_flow(provider, flow_name);
      if (flow == nullptr)
        problem = flow_name.empty() ? "provider '" + provider + "' has several flows: name one in 'flow'"
                                    : "unknown flow '" + std::string(flow_name) + "' for provider '" + provider + "'";
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
    if (problem.empty()) cmd["flow"] = flow->name;
  }
  if (problem.empty() && type == "refund.create" && cmd.contains("amount"))
    problem = check_amount(cmd.if_contains("amount"), "amount");

  if (!problem.empty()) {
    rej.reason = std::move(problem);
    return rej;
  }

  Input& in = out.input;
  in.txn_id = derive_txn_id(merchant, reference);
  in.input_id = "cmd:" + (rej.command_id.empty() ? std::string(fallback_id) : rej.command_id);
  in.kind = InputKind::command;
  in.name = type;
  in.at_ms = at_ms;
  in.data = std::move(cmd);
  return out;
}

json::object command_rejected_event(const CommandRejection& r, std::string_view input_id, std::int64_t at_ms) {
  json::object e;
  e["event_id"] = "rejected:" + std::string(input_id);
  e["type"] = "command.rejected";
  e["txn_id"] = r.txn_id.empty() ? json::value(nullptr) : json::value(r.txn_id);
  e["merchant"] = r.merchant.empty() ? json::value(nullptr) : json::value(r.merchant);
  e["reference"] = r.reference.empty() ? json::value(nullptr) : json::value(r.reference);
  e["command_id"] = r.command_id.empty() ? json::value(nullptr) : json::value(r.command_id);
  e["reason"] = r.reason;
  e["occurred_at"] = format_time(at_ms);
  return e;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t continuation;
    if (c < 0x80) {
      continuation = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      continuation = 1;
    } else if ((c >> 4) == 0xe) {
      continuation = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      continuation = 3;
    } else {
      return false;  // a stray continuation byte, an overlong lead, or beyond U+10FFFF
    }
    if (i + continuation >= s.size()) return false;
    for (std::size_t k = 1; k <= continuation; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += continuation + 1;
  }
  return true;
}

json::object deadletter_record(std::string_view source, std::string_view reason, std::string_view payload,
                               std::int64_t at_ms, json::object context) {
  json::object d;
  d["source"] = source;
  d["reason"] = reason;
  d["at"] = format_time(at_ms);
  for (auto& kv : context) d[kv.key()] = kv.value();
  const std::string masked = mask_card_numbers(payload);
  // The record itself must be valid JSON whatever arrived: bytes that are not UTF-8 travel in base64.
  if (valid_utf8(masked)) {
    d["payload"] = masked;
  } else {
    d["payload_base64"] = base64_encode(masked);
  }
  return d;
}

}  // namespace corridor
