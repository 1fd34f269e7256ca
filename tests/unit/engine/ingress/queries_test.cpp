// The read side's handlers (engine/ingress/queries.hpp), request -> response without a socket, on a real
// SQLite store filled by the processor: the list with its filters and cursor, the timeline, the flows,
// the console's files, and what a hostile caller sends.
#include "engine/ingress/queries.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <set>

#include "core/encoding.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/processor.hpp"

namespace corridor {
namespace {

constexpr std::int64_t kT0 = 1795867200000;  // 2026-11-28T12:00:00Z

class Queries : public ::testing::Test {
 protected:
  Queries() {
    char tmpl[] = "/tmp/corridor-queries-XXXXXX";
    dir_ = mkdtemp(tmpl);
    store_ = open_sqlite_store(dir_ + "/store.db");
    config_ = parse_config(embedded_default_config(), "embedded");
    config_.merchants.push_back(MerchantConfig{"OTHER", true, {"novasend"}});
  }
  ~Queries() override { std::filesystem::remove_all(dir_); }

  // A NovaSend payin created at kT0 + `at`.
  std::string create(const std::string& merchant, const std::string& reference, std::int64_t at,
                     const std::string& msisdn = "+2250700000001") {
    const std::string raw = R"({"type":"payment.create","command_id":"c-)" + reference + R"(","merchant":")" +
                            merchant + R"(","reference":")" + reference +
                            R"(","provider":"novasend","amount":{"value":300,"currency":"XOF"},"customer":{"msisdn":")" +
                            msisdn + R"("}})";
    return route(raw, at);
  }

  std::string route(const std::string& raw, std::int64_t at) {
    auto routed = route_command(raw, config_, "corridor.commands:0:" + std::to_string(offset_), kT0 + at);
    EXPECT_TRUE(std::holds_alternative<RoutedCommand>(routed)) << raw;
    if (!std::holds_alternative<RoutedCommand>(routed)) return "";
    const Input& in = std::get<RoutedCommand>(routed).input;
    apply({in});
    return in.txn_id;
  }

  void apply(const std::vector<Input>& inputs) {
    std::vector<InputRecord> records;
    for (const auto& in : inputs)
      records.push_back({"corridor.inputs", 0, offset_++, kT0, boost::json::serialize(to_json(in))});
    BatchProcessor p(*store_, config_);
    BatchStats stats;
    auto batch = p.process(records, stats);
    ASSERT_TRUE(batch);
    ASSERT_TRUE(store_->commit(*batch));
  }

  // The session's answer, then the customer's confirmation by webhook: the payin's happy path.
  void confirm(const std::string& txn, std::int64_t at) {
    json::object session{{"reference", "tr_1"}, {"confirmationRequired", true}, {"paymentUrl", "https://pay/x"}};
    apply({Input{txn + ":1:create_session", txn, InputKind::provider_response, "session.created", kT0 + at, session}});
    apply({Input{"webhook:novasend:e-" + txn, txn, InputKind::webhook, "payin.confirmed", kT0 + at + 100,
                 {{"reference", "tr_1"}, {"status", "completed"}, {"confirmationStatus", "accepted"}}}});
  }

  HttpResponse get(const std::string& target, QueryCaller caller = {true, ""}) {
    HttpRequest req{"GET", target, {}, "", "127.0.0.1"};
    auto r = handle_query(QueryContext{config_, *store_}, req, caller);
    EXPECT_TRUE(r.has_value()) << target;
    return r ? *r : HttpResponse{0, {}, ""};
  }

  json::object body(const HttpResponse& r) {
    auto v = boost::json::parse(r.body);
    return v.is_object() ? v.as_object() : json::object{};
  }

  std::vector<std::string> ids(const HttpResponse& r) {
    std::vector<std::string> out;
    const json::object b = body(r);
    if (!b.contains("payments")) {
      ADD_FAILURE() << r.body;
      return out;
    }
    for (const auto& p : b.at("payments").as_array()) out.emplace_back(p.as_object().at("txn_id").as_string());
    return out;
  }

  void expect_refused(const std::string& target, int status, std::string_view code, std::string_view says = "",
                      QueryCaller caller = {true, ""}) {
    const HttpResponse r = get(target, caller);
    EXPECT_EQ(r.status, status) << target << " -> " << r.body;
    const auto b = body(r);
    EXPECT_EQ(get_string(b, "code"), code) << target << " -> " << r.body;
    if (!says.empty()) {
      EXPECT_NE(r.body.find(says), std::string::npos) << target << " -> " << r.body;
    }
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  Config config_;
  std::int64_t offset_ = 0;
};

TEST_F(Queries, ListsNewestFirstWithSummariesWithoutEvents) {
  const auto a = create("ZANDO", "L-1", 0);
  const auto b = create("ZANDO", "L-2", 1000);
  const auto c = create("OTHER", "L-3", 2000);
  const HttpResponse r = get("/v1/payments");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ids(r), (std::vector<std::string>{c, b, a}));
  const auto first = body(r).at("payments").as_array().at(0).as_object();
  EXPECT_EQ(get_string(first, "reference"), "L-3");
  EXPECT_EQ(get_string(first, "status"), "pending");
  EXPECT_EQ(get_string(first, "created_at"), "2026-11-28T12:00:02.000Z");
  EXPECT_FALSE(first.contains("events"));
  EXPECT_TRUE(body(r).at("next_cursor").is_null());
}

TEST_F(Queries, FiltersEachNarrowTheList) {
  const auto a = create("ZANDO", "F-1", 0);
  const auto b = create("ZANDO", "F-2", 1000, "+2250700000003");
  const auto c = create("OTHER", "F-3", 2000);
  confirm(a, 3000);
  EXPECT_EQ(ids(get("/v1/payments?merchant=ZANDO")), (std::vector<std::string>{b, a}));
  EXPECT_EQ(ids(get("/v1/payments?reference=F-3")), (std::vector<std::string>{c}));
  EXPECT_EQ(ids(get("/v1/payments?status=processing")), (std::vector<std::string>{a}));  // confirmed, being checked
  EXPECT_EQ(ids(get("/v1/payments?status=pending&merchant=ZANDO")), (std::vector<std::string>{b}));
  EXPECT_EQ(ids(get("/v1/payments?provider=novasend")).size(), 3u);
  EXPECT_EQ(ids(get("/v1/payments?provider=flexpay")).size(), 0u);
  EXPECT_EQ(ids(get("/v1/payments?flow=payin")).size(), 3u);
  EXPECT_EQ(ids(get("/v1/payments?flow=novasend.payin")).size(), 3u);
  EXPECT_EQ(ids(get("/v1/payments?since=2026-11-28T12:00:01Z")), (std::vector<std::string>{c, b}));
  EXPECT_EQ(ids(get("/v1/payments?since=2026-11-28T13%3A00%3A01%2B01%3A00")), (std::vector<std::string>{c, b}));
  // Empty values filter nothing, as a form sends them.
  EXPECT_EQ(ids(get("/v1/payments?merchant=&reference=&status=&provider=&since=")).size(), 3u);
}

TEST_F(Queries, CursorWalksEveryPageOnceEvenWithTiesOnTheCreationTime) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) created.insert(create("ZANDO", "P-" + std::to_string(i), i < 4 ? 0 : 500));
  std::vector<std::string> seen;
  std::string target = "/v1/payments?limit=3";
  for (int pages = 0; pages < 10; ++pages) {
    const HttpResponse r = get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    for (auto& id : ids(r)) seen.push_back(id);
    const auto next = body(r).at("next_cursor");
    if (next.is_null()) break;
    target = "/v1/payments?limit=3&cursor=" + std::string(next.as_string());
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), created);
}

TEST_F(Queries, AttentionListsOnlyPaymentsNeedingAPerson) {
  const auto fine = create("ZANDO", "A-1", 0);
  const auto doubtful = create("ZANDO", "A-2", 100);
  confirm(fine, 200);
  // The session call failed with its outcome unknown: the payin waits for reconciliation.
  apply({Input{doubtful + ":1:create_session", doubtful, InputKind::provider_response, "call.failed", kT0 + 300,
               {{"op", "create_session"}, {"error", "timeout"}, {"code", "http.timeout"}, {"attempts", 5},
                {"outcome", "unknown"}}}});
  const json::object page = body(get("/v1/payments?reference=A-2"));
  const std::string status(get_string(page.at("payments").as_array().at(0).as_object(), "status"));
  ASSERT_EQ(status, "unknown");
  EXPECT_EQ(ids(get("/v1/payments?attention=true")), (std::vector<std::string>{doubtful}));
  EXPECT_EQ(ids(get("/v1/payments?attention=false")).size(), 2u);
}

TEST_F(Queries, MerchantTokenListsItsOwnAndIsRefusedAnotherMerchant) {
  const auto mine = create("ZANDO", "M-1", 0);
  create("OTHER", "M-2", 100);
  const QueryCaller zando{false, "ZANDO"};
  EXPECT_EQ(ids(get("/v1/payments", zando)), (std::vector<std::string>{mine}));
  EXPECT_EQ(ids(get("/v1/payments?merchant=ZANDO", zando)), (std::vector<std::string>{mine}));
  EXPECT_EQ(ids(get("/v1/payments?reference=M-2", zando)).size(), 0u);
  expect_refused("/v1/payments?merchant=OTHER", 403, "query.forbidden", "", zando);
}

TEST_F(Queries, HostileQueriesAreRefusedNamingTheParameter) {
  create("ZANDO", "H-1", 0);
  expect_refused("/v1/payments?limit=0", 400, "query.bad_parameter", "'limit'");
  expect_refused("/v1/payments?limit=999", 400, "query.bad_parameter", "'limit'");
  expect_refused("/v1/payments?limit=abc", 400, "query.bad_parameter", "'limit'");
  expect_refused("/v1/payments?limit=-1", 400, "query.bad_parameter", "'limit'");
  expect_refused("/v1/payments?limit=", 400, "query.bad_parameter", "'limit'");
  expect_refused("/v1/payments?limit=1e2", 400, "query.bad_parameter", "'limit'");
  expect_refused("/v1/payments?since=yesterday", 400, "query.bad_parameter", "'since'");
  expect_refused("/v1/payments?since=2026-11-28", 400, "query.bad_parameter", "'since'");
  expect_refused("/v1/payments?since=1795867200000", 400, "query.bad_parameter", "'since'");
  expect_refused("/v1/payments?cursor=zz", 400, "query.bad_cursor");
  expect_refused("/v1/payments?cursor=", 400, "query.bad_cursor");
  expect_refused("/v1/payments?cursor=" + hex_encode("c1:12:tx_a' OR 1=1 --"), 400, "query.bad_cursor");
  expect_refused("/v1/payments?cursor=" + hex_encode("c1:-5:tx_abc"), 400, "query.bad_cursor");
  expect_refused("/v1/payments?cursor=" + hex_encode("c1:99999999999999999999999:tx_abc"), 400, "query.bad_cursor");
  expect_refused("/v1/payments?status=done", 400, "query.bad_parameter", "'status'");
  expect_refused("/v1/payments?provider=acme", 400, "query.bad_parameter", "'provider'");
  expect_refused("/v1/payments?flow=flexpay.payin&provider=novasend", 400, "query.bad_parameter", "disagree");
  expect_refused("/v1/payments?attention=yes", 400, "query.bad_parameter", "'attention'");
  expect_refused("/v1/payments?merchnt=ZANDO", 400, "query.bad_parameter", "unknown query parameter 'merchnt'");
  expect_refused("/v1/payments?txn_id=x", 400, "query.bad_parameter", "'txn_id'");
  expect_refused("/v1/payments?merchant=A&merchant=B", 400, "query.bad_parameter", "twice");
  expect_refused("/v1/payments?reference=%zz", 400, "query.bad_parameter", "encoded");
  expect_refused("/v1/payments?reference=%4", 400, "query.bad_parameter", "encoded");
  expect_refused("/v1/payments?reference=a%00b", 400, "query.bad_parameter", "NUL");
  expect_refused("/v1/payments?reference=" + std::string(300, 'x'), 400, "query.bad_parameter", "longer");
  // SQL in a filter is a value like any other: it matches nothing, and the store is untouched.
  for (const char* sqlish : {"%27%20OR%201%3D1%20--", "ZANDO%27%3B%20DROP%20TABLE%20transactions%3B--",
                             "%22%29%20OR%20%28%221%22%3D%221", "%25", "_"}) {
    const HttpResponse r = get(std::string("/v1/payments?merchant=") + sqlish + "&reference=" + sqlish);
    EXPECT_EQ(r.status, 200) << sqlish << " -> " << r.body;
    EXPECT_TRUE(ids(r).empty()) << sqlish;
  }
  EXPECT_EQ(ids(get("/v1/payments")).size(), 1u);
}

TEST_F(Queries, TimelineShowsCommandCallAnswerWebhookTimersAndEventsInTimeOrder) {
  const auto txn = create("ZANDO", "T-1", 0);
  confirm(txn, 1000);
  const HttpResponse r = get("/v1/transactions/" + txn + "/timeline");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = body(r);
  EXPECT_EQ(get_string(b, "txn_id"), txn);
  std::vector<std::string> kinds, calls;
  std::string last_at;
  for (const auto& v : b.at("entries").as_array()) {
    const auto& e = v.as_object();
    kinds.emplace_back(get_string(e, "kind"));
    EXPECT_LE(last_at, std::string(get_string(e, "at")));  // RFC 3339 UTC with milliseconds sorts as text
    last_at = get_string(e, "at");
    const std::string kind(get_string(e, "kind"));
    if (kind == "command") {
      EXPECT_EQ(get_string(e, "from"), "upstream");
      EXPECT_EQ(get_string(e, "name"), "payment.create");
      EXPECT_EQ(get_string(*get_object(e, "detail"), "result"), "applied");
    } else if (kind == "call") {
      EXPECT_EQ(get_string(e, "to"), "provider");
      calls.emplace_back(get_string(e, "name"));
    } else if (kind == "answer") {
      EXPECT_EQ(get_string(e, "from"), "provider");
      EXPECT_EQ(get_string(*get_object(e, "detail"), "op"), "create_session");  // from the call it answers
    } else if (kind == "webhook") {
      EXPECT_EQ(get_string(e, "from"), "provider");
      EXPECT_EQ(get_string(e, "name"), "payin.confirmed");
    } else if (kind == "event") {
      EXPECT_EQ(get_string(e, "to"), "upstream");
    }
  }
  ASSERT_GE(kinds.size(), 6u);
  EXPECT_EQ(kinds.front(), "command");
  for (const char* k : {"call", "answer", "webhook", "event", "timer"})
    EXPECT_NE(std::find(kinds.begin(), kinds.end(), k), kinds.end()) << k << " missing in " << r.body;
  EXPECT_EQ(calls, (std::vector<std::string>{"create_session", "check_status"}));  // the webhook is checked
  // Each event right after the input that caused it: the command, then the created event.
  EXPECT_EQ(kinds.at(1), "event");
  // What the provider said stays in the store: no field of the answer's or the webhook's body.
  EXPECT_EQ(r.body.find("https://pay/x"), std::string::npos);
  EXPECT_EQ(r.body.find("confirmationStatus"), std::string::npos);
}

TEST_F(Queries, TimelineKeepsHostileNamesAsText) {
  const auto txn = create("ZANDO", "T-3", 0);
  const std::string name = "unhandled.x\"},{\"kind\":\"event\\\n\x01<script>";
  apply({Input{"webhook:novasend:\"odd\"\t", txn, InputKind::webhook, name, kT0 + 50, {}}});
  const HttpResponse r = get("/v1/transactions/" + txn + "/timeline");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto b = body(r);
  bool found = false;
  for (const auto& v : b.at("entries").as_array()) {
    const auto& e = v.as_object();
    if (get_string(e, "kind") != "webhook") continue;
    found = true;
    EXPECT_EQ(get_string(e, "name"), name);
    EXPECT_EQ(get_string(*get_object(e, "detail"), "input_id"), "webhook:novasend:\"odd\"\t");
    EXPECT_EQ(get_string(*get_object(e, "detail"), "result"), "rejected");  // no row for it in the flow
  }
  EXPECT_TRUE(found) << r.body;
}

TEST_F(Queries, TimelineOfAnotherMerchantOrNobodyIsUnknown) {
  const auto txn = create("OTHER", "T-2", 0);
  EXPECT_EQ(get("/v1/transactions/" + txn + "/timeline", {false, "OTHER"}).status, 200);
  expect_refused("/v1/transactions/" + txn + "/timeline", 404, "query.not_found", "", {false, "ZANDO"});
  expect_refused("/v1/transactions/tx_nobody/timeline", 404, "query.not_found");
  expect_refused("/v1/transactions/%27%20OR%201%3D1/timeline", 404, "query.not_found");
}

TEST_F(Queries, FlowsComeFromTheRegistryTables) {
  const HttpResponse r = get("/v1/flows", {false, "ZANDO"});
  ASSERT_EQ(r.status, 200);
  const json::object all = body(r);
  const auto& flows = all.at("flows").as_array();
  EXPECT_EQ(flows.size(), config_.registry->flows().size());
  bool found = false;
  for (const auto& v : flows) {
    const auto& f = v.as_object();
    if (get_string(f, "id") != "novasend.payin") continue;
    found = true;
    EXPECT_EQ(get_string(f, "initial"), "created");
    const Flow* flow = config_.registry->find_flow("novasend.payin");
    ASSERT_NE(flow, nullptr);
    EXPECT_EQ(f.at("transitions").as_array().size(), flow->rows.size());
    EXPECT_EQ(f.at("states").as_array().size(), flow->states.size());
    const auto& row = f.at("transitions").as_array().at(0).as_object();
    EXPECT_EQ(get_string(row, "from"), flow->rows[0].from);
    EXPECT_EQ(get_string(row, "input"), flow->rows[0].on);
    EXPECT_EQ(get_string(row, "to"), flow->rows[0].to);
  }
  EXPECT_TRUE(found);
}

TEST_F(Queries, OtherRoutesAreNotTheirs) {
  HttpRequest post{"POST", "/v1/payments", {}, "{}", ""};
  EXPECT_FALSE(handle_query(QueryContext{config_, *store_}, post, {true, ""}));
  HttpRequest txn{"GET", "/v1/transactions/tx_a", {}, "", ""};
  EXPECT_FALSE(handle_query(QueryContext{config_, *store_}, txn, {true, ""}));
  HttpRequest console{"GET", "/console", {}, "", ""};
  EXPECT_FALSE(handle_query(QueryContext{config_, *store_}, console, {true, ""}));
}

TEST(Console, ServesItsFilesWithTheirTypesAndAStrictPolicy) {
  for (const auto& [target, type] : std::vector<std::pair<std::string, std::string>>{
           {"/console", "text/html"},
           {"/console/", "text/html"},
           {"/console?x=1", "text/html"},
           {"/console/index.html", "text/html"},
           {"/console/console.js", "text/javascript"},
           {"/console/console.css", "text/css"}}) {
    auto r = handle_console(HttpRequest{"GET", target, {}, "", ""});
    ASSERT_TRUE(r) << target;
    EXPECT_EQ(r->status, 200) << target;
    EXPECT_TRUE(r->header("Content-Type").starts_with(type)) << target << " " << r->header("Content-Type");
    const std::string_view csp = r->header("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string_view::npos);
    EXPECT_NE(csp.find("script-src 'self'"), std::string_view::npos);
    EXPECT_EQ(csp.find("unsafe"), std::string_view::npos);
    EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff");
    EXPECT_FALSE(r->body.empty());
  }
  const auto page = handle_console(HttpRequest{"GET", "/console", {}, "", ""});
  // No inline script and nothing from another origin.
  EXPECT_EQ(page->body.find("<script>"), std::string::npos);
  EXPECT_EQ(page->body.find("http://"), std::string::npos);
  EXPECT_EQ(page->body.find("https://"), std::string::npos);
  EXPECT_EQ(page->body.find("//cdn"), std::string::npos);
  auto missing = handle_console(HttpRequest{"GET", "/console/nope.js", {}, "", ""});
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("query.not_found"), std::string::npos);
  for (const char* other : {"/console/../etc/passwd", "/console/a/b", "/consoles", "/v1/payments"}) {
    auto r = handle_console(HttpRequest{"GET", other, {}, "", ""});
    EXPECT_TRUE(!r || r->status == 404) << other;
  }
  EXPECT_FALSE(handle_console(HttpRequest{"POST", "/console", {}, "", ""}));
}

TEST(Cursor, RoundTripsAndRefusesWhatItDidNotGive) {
  const TransactionQuery::Cursor c{1795867200000, "tx_ABCDEF234567"};
  auto back = decode_cursor(encode_cursor(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->created_at_ms, c.created_at_ms);
  EXPECT_EQ(back->txn_id, c.txn_id);
  for (const std::string& bad : std::vector<std::string>{"", "0", "abc", "c1", std::string(600, 'a')}) EXPECT_FALSE(decode_cursor(bad)) << bad;
}

}  // namespace
}  // namespace corridor
