#include "statemachines/domain.hpp"

#include <cmath>

#include <algorithm>
#include <array>
#include <cassert>
#include <boost/json/parse.hpp>
#include <boost/json/serializer.hpp>
#include <charconv>
#include <cstring>
#include <span>

#include "statemachines/errc.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

std::string_view to_string(Status s) {
  static constexpr std::array<std::string_view, 12> kNames{
      "pending",   "requires_action", "processing", "succeeded",          "failed",  "declined",
      "cancelled", "expired",         "refunded",   "partially_refunded", "unknown", "amount_mismatch"};
  static_assert(kNames.size() == static_cast<std::size_t>(kLastStatus) + 1);
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
  return fail(record_errc::unknown_kind, "unknown input kind '" + std::string(s) + "'");
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

bool finite_numbers(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return std::isfinite(v.get_double());
    case json::kind::array:
      for (const auto& e : v.get_array())
        if (!finite_numbers(e)) return false;
      return true;
    case json::kind::object:
      for (const auto& kv : v.get_object())
        if (!finite_numbers(kv.value())) return false;
      return true;
    default: return true;
  }
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
  if (!in.digest.empty()) o["digest"] = in.digest;
  return o;
}

namespace {
Result<std::string> required_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return fail(record_errc::missing_field, "missing field '" + std::string(key) + "'");
  if (!it->value().is_string()) return fail(record_errc::wrong_type, "field '" + std::string(key) + "' must be a string");
  return std::string(it->value().get_string());
}
}  // namespace

Result<Input> input_from_json(json::value v) {
  if (!v.is_object()) return fail(record_errc::not_an_object, "input is not a JSON object");
  auto& o = v.get_object();
  // The data is moved, not copied: constructed from the parsed object, it keeps the memory it was
  // parsed into (an assignment would copy it into the default memory).
  json::object data(o.storage());
  if (auto it = o.find("data"); it != o.end() && it->value().is_object()) data = std::move(it->value().get_object());
  Input in{.input_id = {}, .txn_id = {}, .kind = InputKind::command, .name = {}, .at_ms = 0, .data = std::move(data)};
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
  if (!ms) return fail(record_errc::bad_time, "field 'at' is not an RFC 3339 time");
  in.at_ms = *ms;
  if (auto it = o.find("digest"); it != o.end() && it->value().is_string()) in.digest = it->value().get_string();
  if (in.input_id.empty() || in.txn_id.empty() || in.name.empty()) return fail(record_errc::missing_field, "empty input_id, txn_id or name");
  return in;
}

json::object to_json(const Transaction& t) { return json::parse(serialize(t)).as_object(); }

json::object data_json(const Transaction& t) {
  std::string out = "{";
  bool first = true;
  fields::write_members(out, t, first);
  t.data.write_members(out, first);
  out += '}';
  return json::parse(out).as_object();
}

Result<Transaction> transaction_from_json(json::value v) {
  if (!v.is_object()) return fail(record_errc::not_an_object, "transaction is not a JSON object");
  auto& o = v.get_object();
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
  if (auto it = o.find("provider_refs"); it != o.end() && it->value().is_object()) {
    auto refs = provider_refs_from_json(it->value().get_object());
    if (!refs) return refs.error();
    t.provider_refs = std::move(*refs);
  }
  if (auto it = o.find("data"); it != o.end() && it->value().is_object()) {
    json::object& data = it->value().get_object();
    fields::read_members(data, t, /*take=*/true);  // the framework's keys; the flow's stay for its struct
    t.data.assign(std::move(data));
  }
  if (auto* n = o.if_contains("next_action")) fields::read(*n, t.next_action);
  if (auto* r = o.if_contains("reason")) fields::read(*r, t.reason);
  t.created_at_ms = parse_time(get_string(o, "created_at")).value_or(0);
  t.updated_at_ms = parse_time(get_string(o, "updated_at")).value_or(0);
  t.rejected_inputs = get_int(o, "rejected_inputs");
  if (auto* l = o.if_contains("last_rejection")) fields::read(*l, t.last_rejection);
  if (t.txn_id.empty() || t.state.empty()) return fail(record_errc::missing_field, "transaction lacks txn_id or state");
  return t;
}

std::size_t ProviderRefs::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    if (entries_[i].first == name) return i;
  return kNone;
}

void ProviderRefs::set(RefKey key, std::string_view id) {
  if (id.empty()) return;
  if (const std::size_t i = index_of(key.name); i != kNone) {
    if (entries_[i].second == id) return;
    entries_[i].second.assign(id);
  } else {
    entries_.emplace_back(key.name, id);
  }
  stale_ = true;
}

std::string_view ProviderRefs::find(std::string_view name) const {
  const std::size_t i = index_of(name);
  return i == kNone ? std::string_view() : std::string_view(entries_[i].second);
}

json::object to_json(const ProviderRefs& refs) {
  json::object o;
  o.reserve(refs.entries().size());
  for (const auto& [name, value] : refs.entries()) o.emplace(name, value);
  return o;
}

Result<ProviderRefs> provider_refs_from_json(const json::object& o) {
  ProviderRefs refs;
  refs.reserve(o.size());
  for (const auto& kv : o) {
    if (!kv.value().is_string())
      return fail(record_errc::wrong_type, "provider_refs '" + std::string(kv.key()) + "' must be a string");
    refs.entries_.emplace_back(kv.key(), kv.value().get_string());  // as stored, keys unique
  }
  if (!refs.empty()) refs.make_text();
  return refs;
}

std::string_view CallParams::text(std::string_view name) const {
  if (typed_) return typed_->text(name);
  return get_string(object_, name);
}

json::object& CallParams::edit() {
  if (typed_) {
    object_ = typed_->object();
    typed_.reset();
  }
  return object_;
}

void CallParams::write(std::string& out) const {
  if (typed_) {
    typed_->write(out);
  } else {
    append_json(out, object_);
  }
}

json::object to_json(const ProviderCall& c) {
  json::object o{{"call_id", c.call_id}, {"provider", c.provider}, {"op", c.op}, {"params", c.params.object()}};
  if (!c.answer_id.empty()) o["answer_id"] = c.answer_id;
  return o;
}

std::string serialize(const ProviderCall& c) {
  std::string out;
  out.reserve(256);
  out += "{\"call_id\":";
  append_json_string(out, c.call_id);
  out += ",\"provider\":";
  append_json_string(out, c.provider);
  out += ",\"op\":";
  append_json_string(out, c.op);
  out += ",\"params\":";
  c.params.write(out);
  if (!c.answer_id.empty()) {
    out += ",\"answer_id\":";
    append_json_string(out, c.answer_id);
  }
  out += '}';
  return out;
}

Result<ProviderCall> provider_call_from_json(const json::value& v) {
  if (!v.is_object()) return fail(record_errc::not_an_object, "provider call is not a JSON object");
  const auto& o = v.get_object();
  ProviderCall c;
  c.call_id = get_string(o, "call_id");
  c.provider = get_string(o, "provider");
  c.op = get_string(o, "op");
  if (auto* p = get_object(o, "params")) c.params = json::object(*p);
  c.answer_id = get_string(o, "answer_id");
  if (c.call_id.empty() || c.provider.empty() || c.op.empty()) return fail(record_errc::missing_field, "provider call lacks call_id, provider or op");
  return c;
}

// ---- transaction.state_changed ------------------------------------------------------------------

namespace {

// JSON text is written in two passes: the exact size first, then the bytes through a pointer into a
// string resized once. (Appending piece by piece, each append checking capacity, was most of an
// event's serialisation in bench_steps' callgrind profile.)
//
// Boost.JSON's escaping (boost/json/impl/serializer.ipp): '"', '\\' and the control characters; \b,
// \t, \n, \f, \r by name, the others as \u00xx in lower case. Everything else, UTF-8 included, as is.
constexpr bool plain(unsigned char ch) { return ch >= 0x20 && ch != '"' && ch != '\\'; }

// Whether any of 8 bytes is below 0x20, '"' or '\\' (the classic "has a zero byte" bit trick).
bool word_needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull;
  constexpr std::uint64_t kHigh = 0x8080808080808080ull;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash)) & kHigh;
}

constexpr std::array<bool, 256> kEscapes = [] {
  std::array<bool, 256> t{};
  for (std::size_t ch = 0; ch < t.size(); ++ch) t[ch] = !plain(static_cast<unsigned char>(ch));
  return t;
}();

// Event text is mostly plain and short: a short string is checked through a table, a longer one a
// word at a time, its tail as the last 8 bytes again.
bool needs_escape(std::string_view s) {
  const auto* d = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  if (n < 8) {
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) any |= kEscapes[d[i]];
    return any;
  }
  std::uint64_t w;
  for (std::size_t i = 0; i + 8 <= n; i += 8) {
    std::memcpy(&w, d + i, 8);
    if (word_needs_escape(w)) return true;
  }
  std::memcpy(&w, d + n - 8, 8);
  return word_needs_escape(w);
}

bool named_escape(unsigned char ch) {
  return ch == '"' || ch == '\\' || ch == '\b' || ch == '\t' || ch == '\n' || ch == '\f' || ch == '\r';
}

// The size of `s` escaped, when it needs escapes.
std::size_t escaped_size_slow(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    const auto ch = static_cast<unsigned char>(c);
    n += plain(ch) ? 1 : named_escape(ch) ? 2 : 6;
  }
  return n;
}

char* write_escaped(char* p, std::string_view s) {
  if (!needs_escape(s)) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    const auto ch = static_cast<unsigned char>(c);
    if (plain(ch)) {
      *p++ = c;
      continue;
    }
    *p++ = '\\';
    switch (ch) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\b': *p++ = 'b'; break;
      case '\t': *p++ = 't'; break;
      case '\n': *p++ = 'n'; break;
      case '\f': *p++ = 'f'; break;
      case '\r': *p++ = 'r'; break;
      default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = kHex[ch >> 4];
        *p++ = kHex[ch & 15];
    }
  }
  return p;
}

// Each string is scanned once when none needs an escape (the usual case): the size pass finds out,
// and the writing pass then copies them as they are (kPlain). `plain` turns false at the first string
// that needs escapes, and the text is then written escaping each string.
std::size_t escaped_size(std::string_view s, bool& plain) {
  if (!needs_escape(s)) return s.size();
  plain = false;
  return escaped_size_slow(s);
}

std::size_t string_size(std::string_view s, bool& plain) { return escaped_size(s, plain) + 2; }

char* write_raw(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

template <bool kPlain>
char* write_chars(char* p, std::string_view s) {
  if constexpr (kPlain) {
    return write_raw(p, s);
  } else {
    return write_escaped(p, s);
  }
}

template <bool kPlain>
char* write_string(char* p, std::string_view s) {
  *p++ = '"';
  p = write_chars<kPlain>(p, s);
  *p++ = '"';
  return p;
}

constexpr std::size_t kMaxIntChars = 20;  // "-9223372036854775808", "18446744073709551615"

template <class Int>
char* write_int(char* p, Int v) {
  return std::to_chars(p, p + kMaxIntChars, v).ptr;
}

template <class Int>
std::size_t int_size(Int v) {
  char buf[kMaxIntChars];
  return static_cast<std::size_t>(write_int(buf, v) - buf);
}

// Doubles only: Boost.JSON's shortest round-trip form is not std::to_chars' in every case.
std::string double_text(const json::value& v) {
  json::serializer sr;
  sr.reset(&v);
  std::string out;
  char buf[64];
  while (!sr.done()) {
    const json::string_view part = sr.read(buf, sizeof buf);
    out.append(part.data(), part.size());
  }
  return out;
}

std::size_t text_size(const json::value& v, bool& plain);

std::size_t text_size(const json::object& o, bool& plain) {
  std::size_t n = 2 + (o.empty() ? 0 : o.size() - 1);  // braces and commas
  for (const auto& kv : o)
    n += string_size({kv.key().data(), kv.key().size()}, plain) + 1 + text_size(kv.value(), plain);
  return n;
}

std::size_t text_size(const json::value& v, bool& plain) {
  switch (v.kind()) {
    case json::kind::null: return 4;
    case json::kind::bool_: return v.get_bool() ? 4 : 5;
    case json::kind::int64: return int_size(v.get_int64());
    case json::kind::uint64: return int_size(v.get_uint64());
    case json::kind::double_: return double_text(v).size();
    case json::kind::string: return string_size({v.get_string().data(), v.get_string().size()}, plain);
    case json::kind::array: {
      const auto& a = v.get_array();
      std::size_t n = 2 + (a.empty() ? 0 : a.size() - 1);
      for (const auto& item : a) n += text_size(item, plain);
      return n;
    }
    case json::kind::object: return text_size(v.get_object(), plain);
  }
  return 0;
}

template <bool kPlain>
char* write_value(char* p, const json::value& v);

template <bool kPlain>
char* write_object(char* p, const json::object& o) {
  *p++ = '{';
  bool first = true;
  for (const auto& kv : o) {
    if (!first) *p++ = ',';
    first = false;
    p = write_string<kPlain>(p, {kv.key().data(), kv.key().size()});
    *p++ = ':';
    p = write_value<kPlain>(p, kv.value());
  }
  *p++ = '}';
  return p;
}

template <bool kPlain>
char* write_value(char* p, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return write_raw(p, "null");
    case json::kind::bool_: return write_raw(p, v.get_bool() ? "true" : "false");
    case json::kind::int64: return write_int(p, v.get_int64());
    case json::kind::uint64: return write_int(p, v.get_uint64());
    case json::kind::double_: return write_raw(p, double_text(v));
    case json::kind::string: return write_string<kPlain>(p, {v.get_string().data(), v.get_string().size()});
    case json::kind::array: {
      *p++ = '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) *p++ = ',';
        first = false;
        p = write_value<kPlain>(p, item);
      }
      *p++ = ']';
      return p;
    }
    case json::kind::object: return write_object<kPlain>(p, v.get_object());
  }
  return p;
}

// Resizes `out` by `size`, lets `write` fill the new bytes and checks it wrote no more than that;
// returns with `out` cut to what was written.
// `write` is called with std::true_type when no string needs an escape.
template <class Write>
void append_sized(std::string& out, std::size_t size, bool plain, Write write) {
  const std::size_t old = out.size();
  out.resize(old + size);
  char* const begin = out.data() + old;
  char* const end = plain ? write(begin, std::true_type{}) : write(begin, std::false_type{});
  assert(end <= out.data() + out.size());
  out.resize(static_cast<std::size_t>(end - out.data()));
}

// {"name":"text",...} of `pairs` (each a pair of texts): its exact size, then its bytes.
template <class Pairs>
std::size_t pairs_size(const Pairs& pairs, bool& plain) {
  std::size_t size = 2 + (pairs.empty() ? 0 : pairs.size() - 1);  // {} and the commas
  for (const auto& [name, value] : pairs) size += string_size(name, plain) + 1 + string_size(value, plain);
  return size;
}

template <bool kPlain, class Pairs>
char* write_pairs(char* p, const Pairs& pairs) {
  *p++ = '{';
  bool first = true;
  for (const auto& [name, value] : pairs) {
    if (!first) *p++ = ',';
    first = false;
    p = write_string<kPlain>(p, name);
    *p++ = ':';
    p = write_string<kPlain>(p, value);
  }
  *p++ = '}';
  return p;
}

// The event's fixed text, in order; the values go between them.
constexpr std::string_view kEventId = "{\"event_id\":\"";
constexpr std::string_view kType = "\",\"type\":\"transaction.state_changed\",\"txn_id\":";
constexpr std::string_view kMerchant = ",\"merchant\":";
constexpr std::string_view kReference = ",\"reference\":";
constexpr std::string_view kProvider = ",\"provider\":";
constexpr std::string_view kFlow = ",\"flow\":";
constexpr std::string_view kVersion = ",\"version\":";
constexpr std::string_view kState = ",\"state\":";
constexpr std::string_view kPreviousState = ",\"previous_state\":";
constexpr std::string_view kStatus = ",\"status\":";
constexpr std::string_view kAmount = ",\"amount\":";
constexpr std::string_view kAmountRefunded = ",\"amount_refunded\":";
constexpr std::string_view kProviderAmount = ",\"provider_amount\":";
constexpr std::string_view kMoneyValue = "{\"value\":";
constexpr std::string_view kMoneyCurrency = ",\"currency\":";
constexpr std::string_view kProviderRefs = ",\"provider_refs\":";
constexpr std::string_view kNextAction = ",\"next_action\":";
constexpr std::string_view kReason = ",\"reason\":";
constexpr std::string_view kAttention = ",\"attention\":";
constexpr std::string_view kCause = ",\"cause\":{\"kind\":";
constexpr std::string_view kInputId = ",\"input_id\":";
constexpr std::string_view kOccurredAt = "},\"occurred_at\":\"";
constexpr std::string_view kEnd = "\"}";
constexpr std::size_t kTimeChars = kMaxTimeChars;

constexpr std::size_t kMoneyFixed = kMoneyValue.size() + kMaxIntChars + kMoneyCurrency.size() + 1;  // + '}'
constexpr std::size_t kEventFixed = kEventId.size() + 1 + kMaxIntChars + kType.size() + kMerchant.size() +
                                    kReference.size() + kProvider.size() + kFlow.size() + kVersion.size() +
                                    kMaxIntChars + kState.size() + kPreviousState.size() + kStatus.size() +
                                    kAmount.size() + kMoneyFixed + kAmountRefunded.size() + kMoneyFixed +
                                    kProviderAmount.size() + kMoneyFixed + kProviderRefs.size() +
                                    kNextAction.size() + kReason.size() + kAttention.size() + kCause.size() +
                                    kInputId.size() + kOccurredAt.size() + kTimeChars + kEnd.size();

template <bool kPlain>
char* write_money(char* p, std::int64_t value, std::string_view currency) {
  p = write_raw(p, kMoneyValue);
  p = write_int(p, value);
  p = write_raw(p, kMoneyCurrency);
  p = write_string<kPlain>(p, currency);
  *p++ = '}';
  return p;
}

// An upper bound of the event's text: the fixed text with room for the widest numbers and time, and
// the strings' exact escaped sizes.
std::size_t event_size_bound(const StateChangedEvent& e, bool& plain) {
  const std::size_t txn_id = escaped_size(e.txn_id, plain);
  return kEventFixed + txn_id + txn_id + 2 + string_size(e.merchant, plain) + string_size(e.reference, plain) +
         string_size(e.provider, plain) + string_size(e.flow, plain) + string_size(e.state, plain) +
         (e.previous_state.empty() ? 4 : string_size(e.previous_state, plain)) +
         string_size(to_string(e.status), plain) + 2 * string_size(e.amount.currency, plain) +
         (e.provider_amount ? string_size(e.provider_amount->currency, plain) : 0) +
         (e.attention.empty() ? 0 : string_size(e.attention, plain)) +
         e.provider_refs_json.size() + e.next_action_json.size() + e.reason_json.size() +
         string_size(to_string(e.cause.kind), plain) + string_size(e.cause.input_id, plain);
}

template <bool kPlain>
char* write_event(char* p, const StateChangedEvent& e) {
  p = write_raw(p, kEventId);
  p = write_chars<kPlain>(p, e.txn_id);  // then ":version", which needs no escaping
  *p++ = ':';
  p = write_int(p, e.version);
  p = write_raw(p, kType);
  p = write_string<kPlain>(p, e.txn_id);
  p = write_raw(p, kMerchant);
  p = write_string<kPlain>(p, e.merchant);
  p = write_raw(p, kReference);
  p = write_string<kPlain>(p, e.reference);
  p = write_raw(p, kProvider);
  p = write_string<kPlain>(p, e.provider);
  p = write_raw(p, kFlow);
  p = write_string<kPlain>(p, e.flow);
  p = write_raw(p, kVersion);
  p = write_int(p, e.version);
  p = write_raw(p, kState);
  p = write_string<kPlain>(p, e.state);
  p = write_raw(p, kPreviousState);
  p = e.previous_state.empty() ? write_raw(p, "null") : write_string<kPlain>(p, e.previous_state);
  p = write_raw(p, kStatus);
  p = write_string<kPlain>(p, to_string(e.status));
  p = write_raw(p, kAmount);
  p = write_money<kPlain>(p, e.amount.value, e.amount.currency);
  if (e.amount_refunded) {
    p = write_raw(p, kAmountRefunded);
    p = write_money<kPlain>(p, *e.amount_refunded, e.amount.currency);
  }
  if (e.provider_amount) {
    p = write_raw(p, kProviderAmount);
    p = write_money<kPlain>(p, e.provider_amount->value, e.provider_amount->currency);
  }
  p = write_raw(p, kProviderRefs);
  p = write_raw(p, e.provider_refs_json.view());
  p = write_raw(p, kNextAction);
  p = write_raw(p, e.next_action_json.view());
  p = write_raw(p, kReason);
  p = write_raw(p, e.reason_json.view());
  if (!e.attention.empty()) {
    p = write_raw(p, kAttention);
    p = write_string<kPlain>(p, e.attention);
  }
  p = write_raw(p, kCause);
  p = write_string<kPlain>(p, to_string(e.cause.kind));
  p = write_raw(p, kInputId);
  p = write_string<kPlain>(p, e.cause.input_id);
  p = write_raw(p, kOccurredAt);
  p = write_time(p, e.occurred_at_ms);
  return write_raw(p, kEnd);
}

}  // namespace

void append_json(std::string& out, const json::object& o) {
  bool plain = true;
  const std::size_t size = text_size(o, plain);
  append_sized(out, size, plain, [&](char* p, auto kPlain) { return write_object<decltype(kPlain)::value>(p, o); });
}

void append_json(std::string& out, const json::value& v) {
  bool plain = true;
  const std::size_t size = text_size(v, plain);
  append_sized(out, size, plain, [&](char* p, auto kPlain) { return write_value<decltype(kPlain)::value>(p, v); });
}

std::string json_text(const json::value& v) {
  if (v.is_null()) return "null";  // most events' next_action and reason
  std::string out;
  append_json(out, v);
  return out;
}

void append_json(std::string& out, const ProviderRefs& refs) { out += refs.json().view(); }

void ProviderRefs::make_text() const {
  bool plain = true;
  const std::size_t size = pairs_size(entries_, plain);
  text_ = SharedText::written(size, [&](char* p) {
    return plain ? write_pairs<true>(p, entries_) : write_pairs<false>(p, entries_);
  });
  stale_ = false;
}

std::string json_text(const ProviderRefs& refs) { return std::string(refs.json().view()); }

std::string json_text(const json::object& o) {
  if (o.empty()) return "{}";
  std::string out;
  append_json(out, o);
  return out;
}

void Effects::set_timer(TimerSet t) {
  cancelled_timers.erase(std::remove(cancelled_timers.begin(), cancelled_timers.end(), t.name), cancelled_timers.end());
  timers.erase(std::remove_if(timers.begin(), timers.end(), [&](const TimerSet& old) { return old.name == t.name; }),
               timers.end());
  timers.push_back(std::move(t));
}

void Effects::cancel_timer(std::string_view name) {
  timers.erase(std::remove_if(timers.begin(), timers.end(), [&](const TimerSet& t) { return t.name == name; }),
               timers.end());
  cancelled_timers.emplace_back(name);
}

std::string StateChangedEvent::event_id() const { return txn_id + ":" + std::to_string(version); }

void append_json(std::string& out, const StateChangedEvent& e) {
  bool plain = true;
  const std::size_t size = event_size_bound(e, plain);
  append_sized(out, size, plain, [&](char* p, auto kPlain) { return write_event<decltype(kPlain)::value>(p, e); });
}

std::string serialize(const StateChangedEvent& e) {
  std::string out;
  append_json(out, e);
  return out;
}

namespace {

void append_string(std::string& out, std::string_view s) {
  if (!needs_escape(s)) {  // the usual case: appended as it is, without sizing the text first
    out += '"';
    out += s;
    out += '"';
    return;
  }
  append_sized(out, escaped_size_slow(s) + 2, false, [&](char* p, auto) { return write_string<false>(p, s); });
}

void append_int(std::string& out, std::int64_t v) {
  append_sized(out, kMaxIntChars, true, [&](char* p, auto) { return write_int(p, v); });
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) { append_string(out, s); }
void append_json_int(std::string& out, std::int64_t v) { append_int(out, v); }

void append_json_pairs(std::string& out, const TextPair* pairs, std::size_t count) {
  const std::span<const TextPair> all(pairs, count);
  bool plain = true;
  const std::size_t size = pairs_size(all, plain);
  append_sized(out, size, plain, [&](char* p, auto kPlain) { return write_pairs<decltype(kPlain)::value>(p, all); });
}

std::string serialize(const Transaction& t) {
  std::string out;
  out.reserve(1024);
  // Each key with the separator before it, then the value: to_json's order.
  auto text = [&out](std::string_view key, std::string_view value) {
    out += key;
    append_string(out, value);
  };
  auto number = [&out](std::string_view key, std::int64_t value) {
    out += key;
    append_int(out, value);
  };
  auto nested = [&out](std::string_view key, const auto& value) {
    out += key;
    append_json(out, value);
  };
  text("{\"txn_id\":", t.txn_id);
  text(",\"merchant\":", t.merchant);
  text(",\"reference\":", t.reference);
  text(",\"provider\":", t.provider);
  text(",\"flow\":", t.flow);
  number(",\"amount\":{\"value\":", t.amount.value);
  text(",\"currency\":", t.amount.currency);
  text("},\"state\":", t.state);
  number(",\"version\":", t.version);
  number(",\"seq\":", t.seq);
  nested(",\"provider_refs\":", t.provider_refs);
  out += ",\"data\":{";
  bool first = true;
  fields::write_members(out, t, first);  // the framework's bookkeeping, then the flow's own fields
  t.data.write_members(out, first);
  out += '}';
  out += ",\"next_action\":";
  fields::write(out, t.next_action);
  out += ",\"reason\":";
  fields::write(out, t.reason);
  text(",\"created_at\":", format_time(t.created_at_ms));
  text(",\"updated_at\":", format_time(t.updated_at_ms));
  number(",\"rejected_inputs\":", t.rejected_inputs);
  out += ",\"last_rejection\":";
  fields::write(out, t.last_rejection);
  out += '}';
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
  if (e.provider_amount)
    o["provider_amount"] = {{"value", e.provider_amount->value}, {"currency", e.provider_amount->currency}};
  o["provider_refs"] = json::parse(e.provider_refs_json.view());
  o["next_action"] = json::parse(e.next_action_json.view());
  o["reason"] = json::parse(e.reason_json.view());
  if (!e.attention.empty()) o["attention"] = e.attention;
  o["cause"] = {{"kind", to_string(e.cause.kind)}, {"input_id", e.cause.input_id}};
  o["occurred_at"] = format_time(e.occurred_at_ms);
  return o;
}

}  // namespace corridor
