#pragma once
// The read side of the operations listener and the console, as handlers request -> response:
//   GET /v1/payments?merchant=&reference=&status=&provider=&flow=&since=&attention=&limit=&cursor=
//       {"payments": [<transaction_view without events>], "next_cursor": "<opaque>" | null}, newest first
//   GET /v1/transactions/{txn_id}/timeline
//       {"txn_id", "entries": [{"at", "from", "to", "kind", "name", "detail"}]} in time order: the
//       journal (commands, calls, answers, webhooks, timers) and the events
//   GET /v1/flows
//       {"flows": [{"id", "provider", "name", "initial", "states": [{"name", "status", "terminal"}],
//                   "transitions": [{"from", "to", "input", "guard"}]}]}: the flows' tables
//   GET /console, GET /console/{asset}
//       the console (engine/console/, embedded at build time): static, served without a token (it holds
//       no data; the page asks for the token the API needs)
// The caller is authenticated by the operations listener (ingress.cpp); a merchant's token lists
// only its merchant, and another merchant's transaction is unknown (404).
#include <optional>
#include <string>

#include "core/error.hpp"
#include "core/http.hpp"
#include "engine/config/config.hpp"
#include "engine/store/store.hpp"

namespace corridor {

enum class query_errc {
  bad_parameter = 1,  // a query parameter unknown, repeated, malformed or out of range
  bad_cursor,         // a cursor this API did not give
  not_found,          // no such transaction (or another merchant's), route or asset
  forbidden,          // a merchant's token asking for another merchant
};

template <>
struct errc_info<query_errc> {
  static constexpr const char* module = "query";
  static constexpr std::array<ErrcEntry<query_errc>, 4> codes{{
      {query_errc::bad_parameter, "bad_parameter", failure::invalid},
      {query_errc::bad_cursor, "bad_cursor", failure::invalid},
      {query_errc::not_found, "not_found", failure::not_found},
      {query_errc::forbidden, "forbidden", failure::forbidden},
  }};
};

struct QueryContext {
  const Config& config;
  Store& store;
};

// Who asks, as the operations listener authenticated them.
struct QueryCaller {
  bool operator_ = false;
  std::string merchant;  // a merchant's token: that merchant only
};

// The API routes above; nullopt when `request` is none of them.
std::optional<HttpResponse> handle_query(const QueryContext& context, const HttpRequest& request,
                                         const QueryCaller& caller);
// The console's page and assets; nullopt when `request` is not for /console.
std::optional<HttpResponse> handle_console(const HttpRequest& request);

// The cursor GET /v1/payments gives after a page ending with this row, and back.
std::string encode_cursor(const TransactionQuery::Cursor& cursor);
std::optional<TransactionQuery::Cursor> decode_cursor(std::string_view text);

}  // namespace corridor

template <>
struct std::is_error_code_enum<corridor::query_errc> : std::true_type {};
