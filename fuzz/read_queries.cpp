// The read side's routes (engine/ingress/queries.hpp) on a request target a caller chose: the query
// string's decoding and checks, the cursor, the filters reaching the store. One small store, filled
// once, serves every input.
#include <boost/json/parse.hpp>
#include <filesystem>
#include <memory>

#include "engine/config/config.hpp"
#include "engine/ingress/queries.hpp"
#include "engine/store/store.hpp"
#include "fuzz/targets.hpp"

namespace corridor::fuzz {

namespace {

struct ReadSide {
  ReadSide() {
    char tmpl[] = "/tmp/corridor-fuzz-queries-XXXXXX";
    dir = mkdtemp(tmpl);
    store = open_sqlite_store(dir + "/store.db");
    config = parse_config(embedded_default_config(), "embedded");
  }
  ~ReadSide() {
    store.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<Store> store;
  Config config;
};

}  // namespace

bool read_queries(std::string_view input) {
  static ReadSide side;
  const QueryContext context{side.config, *side.store};
  bool accepted = false;
  for (const QueryCaller& caller : {QueryCaller{true, ""}, QueryCaller{false, "ZANDO"}}) {
    const HttpRequest req{"GET", std::string(input), {}, "", "127.0.0.1"};
    const auto r = handle_query(context, req, caller);
    if (!r) continue;
    // Whatever the target, an answer of the read side: a page, or a refusal naming its code; never a
    // failure of the store (a query the store could not run).
    if (r->status != 200 && r->status != 400 && r->status != 403 && r->status != 404)
      throw PropertyViolation("the read side answered " + std::to_string(r->status) + ": " + r->body);
    boost::system::error_code ec;
    const auto body = boost::json::parse(r->body, ec);
    if (ec || !body.is_object()) throw PropertyViolation("the read side answered a body that is not JSON");
    if (r->status != 200 && !body.as_object().contains("code"))
      throw PropertyViolation("a refusal without its code: " + r->body);
    accepted = accepted || r->status == 200;
  }
  return accepted;
}

}  // namespace corridor::fuzz
