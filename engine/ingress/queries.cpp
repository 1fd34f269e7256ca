// The read side of the operations listener (queries.hpp): the list of payments, a transaction's
// timeline, the flows' tables, and the console's files. One file: the routes share the query string's
// parsing, the error bodies and the view of a transaction, and nothing else uses them.
#include "engine/ingress/queries.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "adapters/registry.hpp"
#include "core/encoding.hpp"
#include "engine/console/console_assets.hpp"
#include "engine/ingress/ingress.hpp"
#include "statemachines/sensitive.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

constexpr std::size_t kMaxParameterBytes = 256;
constexpr std::size_t kDefaultLimit = 50;
constexpr std::size_t kMaxLimit = 200;

HttpResponse query_error(int status, query_errc code, std::string_view message) {
  return json_response(status, boost::json::serialize(json::object{{"error", redact_bounded(message, 1024)},
                                                                   {"code", code_text(make_error_code(code))}}));
}

HttpResponse store_error(const Error& e) {
  return json_response(503, boost::json::serialize(json::object{{"error", redact_bounded(e.message, 1024)},
                                                                {"code", code_text(e.code)}}));
}

std::string_view query_of(std::string_view target) {
  const auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte; nullopt on a broken escape.
std::optional<std::string> form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_digit(s[i + 1]), lo = hex_digit(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The query's parameters, each at most once and among `allowed`; an error response otherwise.
Result<std::map<std::string, std::string>> parse_query(std::string_view query, const std::set<std::string_view>& allowed,
                                                       HttpResponse& refusal) {
  std::map<std::string, std::string> out;
  auto refuse = [&](std::string message) -> Result<std::map<std::string, std::string>> {
    refusal = query_error(400, query_errc::bad_parameter, message);
    return fail(query_errc::bad_parameter, std::move(message));
  };
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key || !value) return refuse("a query parameter is not well encoded");
    if (!allowed.contains(*key)) return refuse("unknown query parameter '" + redact_bounded(*key, 64) + "'");
    if (value->size() > kMaxParameterBytes)
      return refuse("query parameter '" + *key + "' is longer than " + std::to_string(kMaxParameterBytes) + " bytes");
    if (value->find('\0') != std::string::npos) return refuse("query parameter '" + *key + "' holds a NUL byte");
    if (!out.emplace(*key, std::move(*value)).second) return refuse("query parameter '" + *key + "' given twice");
  }
  return out;
}

std::optional<std::size_t> parse_limit(std::string_view s) {
  if (s.empty() || s.size() > 4 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  std::size_t n = 0;
  std::from_chars(s.data(), s.data() + s.size(), n);
  if (n < 1 || n > kMaxLimit) return std::nullopt;
  return n;
}

bool canonical_status(std::string_view s) {
  for (int i = 0; i <= static_cast<int>(kLastStatus); ++i)
    if (to_string(static_cast<Status>(i)) == s) return true;
  return false;
}

json::object summary(const Transaction& t, const ProviderRegistry& registry) {
  json::object o = transaction_view(t, {}, registry);
  o.erase("events");
  return o;
}

HttpResponse payments(const QueryContext& c, const HttpRequest& req, const QueryCaller& caller) {
  static const std::set<std::string_view> kAllowed{"merchant", "reference", "status", "provider", "flow",
                                                   "since",    "attention", "limit",  "cursor"};
  HttpResponse refusal;
  auto params = parse_query(query_of(req.target), kAllowed, refusal);
  if (!params) return refusal;
  auto param = [&](const char* name) -> const std::string& {
    static const std::string kNone;
    auto it = params->find(name);
    return it == params->end() ? kNone : it->second;
  };
  auto bad = [](std::string message) { return query_error(400, query_errc::bad_parameter, message); };

  TransactionQuery q;
  q.merchant = param("merchant");
  if (!caller.operator_) {
    if (!q.merchant.empty() && q.merchant != caller.merchant)
      return query_error(403, query_errc::forbidden, "this token lists its own merchant's payments only");
    q.merchant = caller.merchant;
  }
  q.reference = param("reference");
  q.status = param("status");
  if (!q.status.empty() && !canonical_status(q.status))
    return bad("query parameter 'status' is not a canonical status (pending, succeeded, unknown, ...)");
  q.provider = param("provider");
  if (!q.provider.empty() && c.config.registry->find_adapter(q.provider) == nullptr)
    return bad("query parameter 'provider' names no provider");
  q.flow = param("flow");
  // "payin", or a flow's id ("novasend.payin"), which names its provider too.
  if (const auto dot = q.flow.find('.'); dot != std::string::npos) {
    const std::string provider = q.flow.substr(0, dot);
    if (!q.provider.empty() && q.provider != provider) return bad("query parameters 'provider' and 'flow' disagree");
    q.provider = provider;
    q.flow = q.flow.substr(dot + 1);
  }
  if (const auto& since = param("since"); !since.empty()) {
    q.since_ms = parse_time(since);
    if (!q.since_ms) return bad("query parameter 'since' is not an RFC 3339 time (2026-11-22T10:00:00Z)");
  }
  if (const auto& a = param("attention"); !a.empty()) {
    if (a != "true" && a != "false") return bad("query parameter 'attention' is true or false");
    q.attention_only = a == "true";
  }
  q.limit = kDefaultLimit;
  if (params->contains("limit")) {
    auto limit = parse_limit(param("limit"));
    if (!limit) return bad("query parameter 'limit' is a whole number from 1 to " + std::to_string(kMaxLimit));
    q.limit = *limit;
  }
  if (params->contains("cursor")) {
    q.cursor = decode_cursor(param("cursor"));
    if (!q.cursor) return query_error(400, query_errc::bad_cursor, "query parameter 'cursor' is not a cursor this API gave");
  }
  const std::size_t page = q.limit;
  q.limit = page + 1;  // one more tells whether another page follows
  auto rows = c.store.list_transactions(q);
  if (!rows) return store_error(rows.error());
  json::value next = nullptr;
  if (rows->size() > page) {
    rows->resize(page);
    next = json::string(encode_cursor({rows->back().created_at_ms, rows->back().txn_id}));
  }
  json::array list;
  for (const auto& t : *rows) list.push_back(summary(t, *c.config.registry));
  return json_response(200, boost::json::serialize(json::object{{"payments", std::move(list)}, {"next_cursor", next}}));
}

// ---- The timeline ---------------------------------------------------------------------------------

struct Entry {
  std::int64_t at_ms = 0;
  json::object value;
};

json::object entry(std::int64_t at_ms, std::string_view from, std::string_view to, std::string_view kind,
                   std::string_view name, json::object detail) {
  return {{"at", format_time(at_ms)}, {"from", from},  {"to", to},
          {"kind", kind},             {"name", name}, {"detail", std::move(detail)}};
}

json::object parse_detail(const std::string& text) {
  boost::system::error_code ec;
  json::value v = boost::json::parse(text, ec);
  return !ec && v.is_object() ? std::move(v.get_object()) : json::object{};
}

HttpResponse timeline(const QueryContext& c, const std::string& txn_id, const QueryCaller& caller) {
  auto txn = c.store.load(txn_id);
  if (!txn) return store_error(txn.error());
  if (!*txn || (!caller.operator_ && (*txn)->merchant != caller.merchant))
    return query_error(404, query_errc::not_found, "unknown transaction " + redact_bounded(txn_id, 64));
  auto journal = c.store.journal_of(txn_id);
  if (!journal) return store_error(journal.error());
  auto events = c.store.events_of(txn_id);
  if (!events) return store_error(events.error());

  // Events by the input that caused them: each is drawn right after its cause.
  std::multimap<std::string, const json::object*> caused;
  std::vector<const json::object*> uncaused;
  for (const auto& e : *events) {
    const json::object* cause = get_object(e, "cause");
    const std::string_view input = cause ? get_string(*cause, "input_id") : std::string_view{};
    if (input.empty()) {
      uncaused.push_back(&e);
    } else {
      caused.emplace(std::string(input), &e);
    }
  }
  auto event_entry = [&](const json::object& e) {
    json::object d{{"version", e.contains("version") ? e.at("version") : json::value(nullptr)},
                   {"state", get_string(e, "state")},
                   {"previous_state", e.contains("previous_state") ? e.at("previous_state") : json::value(nullptr)},
                   {"status", get_string(e, "status")}};
    if (e.contains("attention") && !e.at("attention").is_null()) d["attention"] = e.at("attention");
    if (e.contains("reason") && !e.at("reason").is_null()) d["reason"] = e.at("reason");
    const std::int64_t at = parse_time(get_string(e, "occurred_at")).value_or(0);
    return Entry{at, entry(at, "corridor", "upstream", "event", get_string(e, "type"), std::move(d))};
  };

  std::map<std::string, std::string> call_ops;  // answer id -> the call's operation
  for (const auto& j : *journal) {
    const json::object d = parse_detail(j.detail);
    if (const auto* calls = d.if_contains("calls"); calls && calls->is_array())
      for (const auto& c : calls->get_array())
        if (c.is_object()) call_ops.emplace(get_string(c.get_object(), "answer_id"), get_string(c.get_object(), "op"));
  }

  std::vector<Entry> entries;
  std::set<std::string> placed;
  for (const auto& j : *journal) {
    json::object d = parse_detail(j.detail);
    json::value calls = d.contains("calls") ? d.at("calls") : json::value(nullptr);
    json::value timers = d.contains("timers") ? d.at("timers") : json::value(nullptr);
    d.erase("calls");
    d.erase("timers");
    const std::string input_id(get_string(d, "input_id"));
    if (j.kind == "command") {
      entries.push_back({j.at_ms, entry(j.at_ms, "upstream", "corridor", "command", j.name, std::move(d))});
    } else if (j.kind == "answer") {
      if (!d.contains("op"))
        if (auto op = call_ops.find(input_id); op != call_ops.end()) d["op"] = op->second;
      entries.push_back({j.at_ms, entry(j.at_ms, "provider", "corridor", "answer", j.name, std::move(d))});
    } else if (j.kind == "webhook") {
      // A return URL the provider sends the customer's browser to is a callback; the rest are webhooks.
      const std::string_view kind = j.name.starts_with("callback") ? "callback" : "webhook";
      entries.push_back({j.at_ms, entry(j.at_ms, "provider", "corridor", kind, j.name, std::move(d))});
    } else if (j.kind == "timer") {
      d["fired"] = true;
      entries.push_back({j.at_ms, entry(j.at_ms, "corridor", "corridor", "timer", j.name, std::move(d))});
    } else {
      continue;
    }
    // The events the input caused, then the calls and timers it asked for.
    if (!input_id.empty() && placed.insert(input_id).second) {
      auto [from, to] = caused.equal_range(input_id);
      std::vector<const json::object*> mine;
      for (auto it = from; it != to; ++it) mine.push_back(it->second);
      std::sort(mine.begin(), mine.end(),
                [](auto* a, auto* b) { return get_int(*a, "version") < get_int(*b, "version"); });
      for (const auto* e : mine) entries.push_back(event_entry(*e));
      caused.erase(from, to);
    }
    if (calls.is_array())
      for (const auto& c : calls.get_array()) {
        if (!c.is_object()) continue;
        const json::object& call = c.get_object();
        entries.push_back({j.at_ms, entry(j.at_ms, "corridor", "provider", "call", get_string(call, "op"),
                                          {{"call_id", get_string(call, "call_id")},
                                           {"answer_id", get_string(call, "answer_id")},
                                           {"input_id", input_id}})});
      }
    if (timers.is_array())
      for (const auto& t : timers.get_array()) {
        if (!t.is_object()) continue;
        const json::object& timer = t.get_object();
        entries.push_back({j.at_ms, entry(j.at_ms, "corridor", "corridor", "timer", get_string(timer, "name"),
                                          {{"set", true}, {"due_at", get_string(timer, "due_at")}, {"input_id", input_id}})});
      }
  }
  // Events whose cause the journal does not hold (written before it existed, or a journal pruned).
  for (const auto& [_, e] : caused) uncaused.push_back(e);
  for (const auto* e : uncaused) entries.push_back(event_entry(*e));
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.at_ms < b.at_ms; });

  json::array list;
  for (auto& e : entries) list.push_back(std::move(e.value));
  return json_response(200, boost::json::serialize(json::object{{"txn_id", txn_id}, {"entries", std::move(list)}}));
}

HttpResponse flows(const QueryContext& c) {
  json::array out;
  for (const Flow* f : c.config.registry->flows()) {
    json::array states, transitions;
    for (const auto& s : f->states)
      states.push_back(json::object{{"name", s.name}, {"status", to_string(s.status)}, {"terminal", s.terminal}});
    for (const auto& r : f->rows)
      transitions.push_back(json::object{{"from", r.from}, {"to", r.to}, {"input", r.on}, {"guard", r.guard_name}});
    out.push_back(json::object{{"id", f->id},
                               {"provider", f->provider},
                               {"name", f->name},
                               {"initial", f->initial()},
                               {"states", std::move(states)},
                               {"transitions", std::move(transitions)}});
  }
  return json_response(200, boost::json::serialize(json::object{{"flows", std::move(out)}}));
}


// No script but the console's own file, no style but its own, requests only to this listener, no
// frame around it.
constexpr const char* kConsolePolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

}  // namespace

std::string encode_cursor(const TransactionQuery::Cursor& cursor) {
  return hex_encode("c1:" + std::to_string(cursor.created_at_ms) + ":" + cursor.txn_id);
}

std::optional<TransactionQuery::Cursor> decode_cursor(std::string_view text) {
  if (text.size() > 2 * kMaxParameterBytes) return std::nullopt;
  auto raw = hex_decode(text);
  if (!raw || !raw->starts_with("c1:")) return std::nullopt;
  const std::string_view rest = std::string_view(*raw).substr(3);
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 19) return std::nullopt;
  TransactionQuery::Cursor c;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + colon, c.created_at_ms);
  if (ec != std::errc() || end != rest.data() + colon || c.created_at_ms < 0) return std::nullopt;
  c.txn_id = std::string(rest.substr(colon + 1));
  // A txn_id as corridor derives them: "tx_" and base32.
  if (c.txn_id.size() < 4 || c.txn_id.size() > 64 || !c.txn_id.starts_with("tx_") ||
      !std::all_of(c.txn_id.begin() + 3, c.txn_id.end(),
                   [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); }))
    return std::nullopt;
  return c;
}

std::optional<HttpResponse> handle_query(const QueryContext& c, const HttpRequest& req, const QueryCaller& caller) {
  const auto parts = split_path(req.target);
  if (parts.size() == 2 && parts[0] == "v1" && parts[1] == "payments" && req.method == "GET")
    return payments(c, req, caller);
  if (parts.size() == 4 && parts[0] == "v1" && parts[1] == "transactions" && parts[3] == "timeline" &&
      req.method == "GET")
    return timeline(c, std::string(parts[2]), caller);
  if (parts.size() == 2 && parts[0] == "v1" && parts[1] == "flows" && req.method == "GET") return flows(c);
  return std::nullopt;
}

std::optional<HttpResponse> handle_console(const HttpRequest& req) {
  const auto parts = split_path(req.target);
  if (parts.empty() || parts[0] != "console" || parts.size() > 2) return std::nullopt;
  if (req.method != "GET") return std::nullopt;
  const std::string_view name = parts.size() == 1 ? std::string_view("index.html") : parts[1];
  const ConsoleAsset* asset = find_console_asset(name);
  if (asset == nullptr) return query_error(404, query_errc::not_found, "no console file " + redact_bounded(name, 64));
  HttpResponse r{200,
                 {{"Content-Type", std::string(asset->content_type)},
                  {"Content-Security-Policy", kConsolePolicy},
                  {"X-Content-Type-Options", "nosniff"},
                  {"Referrer-Policy", "no-referrer"},
                  {"Cache-Control", "no-cache"}},
                 std::string(asset->body)};
  return r;
}

}  // namespace corridor
