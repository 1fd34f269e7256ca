#include "statemachines/domain.hpp"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>
#include <charconv>
#include <cstring>

#include "statemachines/timefmt.hpp"

namespace corridor {

std::string_view to_string(Status s) {
  static constexpr std::array<std::string_view, 11> kNames{
      "pending", "requires_action", "processing", "succeeded", "failed",  "declined",
      "cancelled", "expired",       "refunded",   "partially_refunded", "unknown"};
  return kNames[static_cast<std::size_t>(s)];
}

std::string_view to_string(InputKind k) {
  switch (k) {
    case InputKind::command: return "command";
    case InputKind::provider_response: return "provider_response";
    case InputKind::webhook: return "webhook";
    case InputKind::timer: return "timer";
  }
  return "command";
}

Result<InputKind> input_kind_from_string(std::string_view s) {
  if (s == "command") return InputKind::command;
  if (s == "provider_response") return InputKind::provider_response;
  if (s == "webhook") return InputKind::webhook;
  if (s == "timer") return InputKind::timer;
  return fail("unknown input kind '" + std::string(s) + "'");
}

std::string_view get_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  const auto& s = it->value().get_string();
  return {s.data(), s.size()};
}

std::int64_t get_int(const json::object& o, std::string_view key, std::int64_t fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (it->value().is_int64()) return it->value().get_int64();
  if (it->value().is_uint64() && it->value().get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(it->value().get_uint64());
  return fallback;
}

bool get_bool(const json::object& o, std::string_view key, bool fallback) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_bool()) return fallback;
  return it->value().get_bool();
}

const json::object* get_object(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_object()) return nullptr;
  return &it->value().get_object();
}

json::object to_json(const Input& in) {
  json::object o;
  o["input_id"] = in.input_id;
  o["txn_id"] = in.txn_id;
  o["kind"] = to_string(in.kind);
  o["name"] = in.name;
  o["at"] = format_time(in.at_ms);
  o["data"] = in.data;
  return o;
}

namespace {
Result<std::string> required_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return fail("missing field '" + std::string(key) + "'");
  if (!it->value().is_string()) return fail("field '" + std::string(key) + "' must be a string");
  return std::string(it->value().get_string());
}
}  // namespace

Result<Input> input_from_json(const json::value& v) {
  if (!v.is_object()) return fail("input is not a JSON object");
  const auto& o = v.get_object();
  Input in;
  auto id = required_string(o, "input_id");
  if (!id) return id.error();
  in.input_id = std::move(*id);
  auto txn = required_string(o, "txn_id");
  if (!txn) return txn.error();
  in.txn_id = std::move(*txn);
  auto kind = required_string(o, "kind");
  if (!kind) return kind.error();
  auto k = input_kind_from_string(*kind);
  if (!k) return k.error();
  in.kind = *k;
  auto name = required_string(o, "name");
  if (!name) return name.error();
  in.name = std::move(*name);
  auto at = required_string(o, "at");
  if (!at) return at.error();
  auto ms = parse_time(*at);
  if (!ms) return fail("field 'at' is not an RFC 3339 time");
  in.at_ms = *ms;
  if (auto* d = get_object(o, "data")) in.data = *d;
  if (in.input_id.empty() || in.txn_id.empty() || in.name.empty()) return fail("empty input_id, txn_id or name");
  return in;
}

json::object to_json(const Transaction& t) {
  json::object o;
  o["txn_id"] = t.txn_id;
  o["merchant"] = t.merchant;
  o["reference"] = t.reference;
  o["provider"] = t.provider;
  o["flow"] = t.flow;
  o["amount"] = {{"value", t.amount.value}, {"currency", t.amount.currency}};
  o["state"] = t.state;
  o["version"] = t.version;
  o["seq"] = t.seq;
  o["provider_refs"] = t.provider_refs;
  o["data"] = t.data;
  o["next_action"] = t.next_action;
  o["reason"] = t.reason;
  o["created_at"] = format_time(t.created_at_ms);
  o["updated_at"] = format_time(t.updated_at_ms);
  o["rejected_inputs"] = t.rejected_inputs;
  o["last_rejection"] = t.last_rejection;
  return o;
}

Result<Transaction> transaction_from_json(const json::value& v) {
  if (!v.is_object()) return fail("transaction is not a JSON object");
  const auto& o = v.get_object();
  Transaction t;
  t.txn_id = get_string(o, "txn_id");
  t.merchant = get_string(o, "merchant");
  t.reference = get_string(o, "reference");
  t.provider = get_string(o, "provider");
  t.flow = get_string(o, "flow");
  if (auto* a = get_object(o, "amount")) {
    t.amount.value = get_int(*a, "value");
    t.amount.currency = get_string(*a, "currency");
  }
  t.state = get_string(o, "state");
  t.version = get_int(o, "version");
  t.seq = get_int(o, "seq");
  if (auto* p = get_object(o, "provider_refs")) t.provider_refs = *p;
  if (auto* d = get_object(o, "data")) t.data = *d;
  if (auto* n = o.if_contains("next_action")) t.next_action = *n;
  if (auto* r = o.if_contains("reason")) t.reason = *r;
  t.created_at_ms = parse_time(get_string(o, "created_at")).value_or(0);
  t.updated_at_ms = parse_time(get_string(o, "updated_at")).value_or(0);
  t.rejected_inputs = get_int(o, "rejected_inputs");
  if (auto* l = o.if_contains("last_rejection")) t.last_rejection = *l;
  if (t.txn_id.empty() || t.state.empty()) return fail("transaction lacks txn_id or state");
  return t;
}

json::object to_json(const ProviderCall& c) {
  json::object o{{"call_id", c.call_id}, {"provider", c.provider}, {"op", c.op}, {"params", c.params}};
  if (!c.answer_id.empty()) o["answer_id"] = c.answer_id;
  return o;
}

Result<ProviderCall> provider_call_from_json(const json::value& v) {
  if (!v.is_object()) return fail("provider call is not a JSON object");
  const auto& o = v.get_object();
  ProviderCall c;
  c.call_id = get_string(o, "call_id");
  c.provider = get_string(o, "provider");
  c.op = get_string(o, "op");
  if (auto* p = get_object(o, "params")) c.params = *p;
  c.answer_id = get_string(o, "answer_id");
  if (c.call_id.empty() || c.provider.empty() || c.op.empty()) return fail("provider call lacks call_id, provider or op");
  return c;
}

// ---- transaction.state_changed ------------------------------------------------------------------

namespace {

// Boost.JSON's escaping (boost/json/impl/serializer.ipp): '"', '\\' and the control characters; \b,
// \t, \n, \f, \r by name, the others as \u00xx in lower case. Everything else, UTF-8 included, as is.
bool plain(unsigned char ch) { return ch >= 0x20 && ch != '"' && ch != '\\'; }

// Whether any of 8 bytes is below 0x20, '"' or '\\' (the classic "has a zero byte" bit trick).
bool word_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHigh;
}

// Where the next character to escape is, at or after `from`. Event text is mostly plain: it is
// skipped a word at a time.
std::size_t next_to_escape(std::string_view s, std::size_t from) {
  std::size_t i = from;
  for (std::uint64_t w; i + 8 <= s.size(); i += 8) {
    std::memcpy(&w, s.data() + i, 8);
    if (word_needs_escape(w)) break;
  }
  while (i < s.size() && plain(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;  // start of the characters not yet copied
  for (std::size_t i = next_to_escape(s, 0); i < s.size(); i = next_to_escape(s, run)) {
    out.append(s.data() + run, i - run);
    run = i + 1;
    const auto ch = static_cast<unsigned char>(s[i]);
    switch (ch) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        out += "\\u00";
        out += kHex[ch >> 4];
        out += kHex[ch & 15];
    }
  }
  out.append(s.data() + run, s.size() - run);
}

void append_string(std::string& out, std::string_view s) {
  out += '"';
  append_escaped(out, s);
  out += '"';
}

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Doubles only: Boost.JSON's shortest round-trip form is not std::to_chars' in every case.
void append_double(std::string& out, const json::value& v) {
  json::serializer sr;
  sr.reset(&v);
  char buf[64];
  while (!sr.done()) {
    const json::string_view part = sr.read(buf, sizeof buf);
    out.append(part.data(), part.size());
  }
}

void append_money(std::string& out, std::int64_t value, std::string_view currency) {
  out += "{\"value\":";
  append_int(out, value);
  out += ",\"currency\":";
  append_string(out, currency);
  out += '}';
}

}  // namespace

void append_json(std::string& out, const json::object& o) {
  out += '{';
  bool first = true;
  for (const auto& kv : o) {
    if (!first) out += ',';
    first = false;
    append_string(out, {kv.key().data(), kv.key().size()});
    out += ':';
    append_json(out, kv.value());
  }
  out += '}';
}

void append_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: append_int(out, v.get_int64()); break;
    case json::kind::uint64: {
      char buf[24];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
      out.append(buf, r.ptr);
      break;
    }
    case json::kind::double_: append_double(out, v); break;
    case json::kind::string: append_string(out, {v.get_string().data(), v.get_string().size()}); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, item);
      }
      out += ']';
      break;
    }
    case json::kind::object: append_json(out, v.get_object()); break;
  }
}

std::string json_text(const json::value& v) {
  if (v.is_null()) return "null";
  std::string out;
  out.reserve(128);
  append_json(out, v);
  return out;
}

std::string json_text(const json::object& o) {
  if (o.empty()) return "{}";
  std::string out;
  out.reserve(128);
  append_json(out, o);
  return out;
}

std::string StateChangedEvent::event_id() const { return txn_id + ":" + std::to_string(version); }

void append_json(std::string& out, const StateChangedEvent& e) {
  out += "{\"event_id\":\"";
  append_escaped(out, e.txn_id);  // then ":version", which needs no escaping
  out += ':';
  append_int(out, e.version);
  out += "\",\"type\":\"transaction.state_changed\",\"txn_id\":";
  append_string(out, e.txn_id);
  out += ",\"merchant\":";
  append_string(out, e.merchant);
  out += ",\"reference\":";
  append_string(out, e.reference);
  out += ",\"provider\":";
  append_string(out, e.provider);
  out += ",\"flow\":";
  append_string(out, e.flow);
  out += ",\"version\":";
  append_int(out, e.version);
  out += ",\"state\":";
  append_string(out, e.state);
  out += ",\"previous_state\":";
  if (e.previous_state.empty()) {
    out += "null";
  } else {
    append_string(out, e.previous_state);
  }
  out += ",\"status\":";
  append_string(out, to_string(e.status));
  out += ",\"amount\":";
  append_money(out, e.amount.value, e.amount.currency);
  if (e.amount_refunded) {
    out += ",\"amount_refunded\":";
    append_money(out, *e.amount_refunded, e.amount.currency);
  }
  out += ",\"provider_refs\":";
  out += e.provider_refs_json;
  out += ",\"next_action\":";
  out += e.next_action_json;
  out += ",\"reason\":";
  out += e.reason_json;
  out += ",\"cause\":{\"kind\":";
  append_string(out, to_string(e.cause.kind));
  out += ",\"input_id\":";
  append_string(out, e.cause.input_id);
  out += "},\"occurred_at\":\"";
  append_time(out, e.occurred_at_ms);
  out += "\"}";
}

std::string serialize(const StateChangedEvent& e) {
  // The keys, punctuation, numbers and time take under 320 bytes; escapes may still grow the text.
  const std::size_t size = 320 + 2 * e.txn_id.size() + e.merchant.size() + e.reference.size() + e.provider.size() +
                           e.flow.size() + e.state.size() + e.previous_state.size() + 2 * e.amount.currency.size() +
                           e.provider_refs_json.size() + e.next_action_json.size() + e.reason_json.size() +
                           e.cause.input_id.size();
  std::string out;
  out.reserve(size);
  append_json(out, e);
  return out;
}

json::object to_json(const StateChangedEvent& e) {
  json::object o;
  o.reserve(17);
  o["event_id"] = e.event_id();
  o["type"] = "transaction.state_changed";
  o["txn_id"] = e.txn_id;
  o["merchant"] = e.merchant;
  o["reference"] = e.reference;
  o["provider"] = e.provider;
  o["flow"] = e.flow;
  o["version"] = e.version;
  o["state"] = e.state;
  o["previous_state"] = e.previous_state.empty() ? json::value(nullptr) : json::value(e.previous_state);
  o["status"] = to_string(e.status);
  o["amount"] = {{"value", e.amount.value}, {"currency", e.amount.currency}};
  if (e.amount_refunded) o["amount_refunded"] = {{"value", *e.amount_refunded}, {"currency", e.amount.currency}};
  o["provider_refs"] = json::parse(e.provider_refs_json);
  o["next_action"] = json::parse(e.next_action_json);
  o["reason"] = json::parse(e.reason_json);
  o["cause"] = {{"kind", to_string(e.cause.kind)}, {"input_id", e.cause.input_id}};
  o["occurred_at"] = format_time(e.occurred_at_ms);
  return o;
}

}  // namespace corridor
