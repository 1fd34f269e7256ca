#include "sandbox/interac/interac_sandbox.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"
#include "sandbox/support/server.hpp"
#include "sandbox/support/signing.hpp"
#include "sandbox/support/task_queue.hpp"
#include "sandbox/support/webhooks.hpp"
#include "statemachines/domain.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

using SteadyClock = std::chrono::steady_clock;

// ---- scenarios: the local part of the consumer's email, '+'-separated flags -----------------------
// (docs/providers/interac.md). "approve@…" or any other address: the success path.
struct Flags {
  bool decline = false;        // PAYMENT handle FAILED in the create answer
  bool cancel = false;         // the customer cancels on the Interac page: PAYMENT_HANDLE_FAILED
  bool expire = false;         // nobody comes: PAYMENT_HANDLE_EXPIRED after the TTL
  bool payfail = false;        // the payment fails: PAYMENT_FAILED
  bool payerror = false;       // the payment errors: PAYMENT_ERRORED
  bool unavailable = false;    // the first POST /paymenthandles of a merchantRefNum gets 503, creates nothing
  bool lost = false;           // the first /payments or /standalonecredits is taken but answered 500
  bool verifylost = false;     // the first /verifications is taken but answered 500 (the retry gets 5031)
  bool slow = false;           // /payments and /standalonecredits answer after slow_response
  bool duplicate = false;      // every webhook is delivered twice
  bool outoforder = false;     // webhooks before the answers they follow (PAYABLE before the handle, COMPLETED before /payments)
  bool nowebhook = false;      // no webhook at all: only GETs tell
  bool autodeposit = false;    // registered for autodeposit (ALIAS_AUTODEPOSIT); "paysafeauto" too (the seed's)
  bool creditdecline = false;  // STANDALONE_CREDIT handle FAILED
  bool creditfail = false;     // SA_CREDIT_FAILED
  bool unclaimed = false;      // the question is never answered: SA_CREDIT_CANCELLED
  bool short_amount = false;   // "short": the payment or standalone credit reports one cent less than asked
  bool latepay = false;        // no PAYABLE, no expiry: Paysafe pays for the merchant after the TTL (PAYMENT_COMPLETED)
};

Flags flags_of(std::string_view consumer) {
  std::string local(consumer.substr(0, consumer.find('@')));
  std::transform(local.begin(), local.end(), local.begin(), [](unsigned char c) { return std::tolower(c); });
  Flags f;
  std::string_view rest = local;
  while (true) {
    const auto plus = rest.find('+');
    const std::string_view t = rest.substr(0, plus);
    f.decline |= t == "decline";
    f.cancel |= t == "cancel";
    f.expire |= t == "expire";
    f.payfail |= t == "payfail";
    f.payerror |= t == "payerror";
    f.unavailable |= t == "unavailable";
    f.lost |= t == "lost";
    f.verifylost |= t == "verifylost";
    f.slow |= t == "slow";
    f.duplicate |= t == "duplicate";
    f.outoforder |= t == "outoforder";
    f.nowebhook |= t == "nowebhook";
    f.autodeposit |= t == "autodeposit" || t == "paysafeauto";
    f.creditdecline |= t == "creditdecline";
    f.creditfail |= t == "creditfail";
    f.unclaimed |= t == "unclaimed";
    f.short_amount |= t == "short";
    f.latepay |= t == "latepay";
    if (plus == std::string_view::npos) break;
    rest = rest.substr(plus + 1);
  }
  return f;
}

// ---- helpers --------------------------------------------------------------------------------------

// Signed here, not through the adapter, so the two implementations check each other.
std::string sign(std::string_view key, std::string_view body) { return hmac_sha256_base64(key, body); }

// Paysafe's error body, with the code also in x-application-error-code.
HttpResponse paysafe_error(int status, std::string code, std::string message, std::string field = {}) {
  json::object error{{"code", code}, {"message", message}};
  if (!field.empty()) {
    error["details"] = json::array{"Either you submitted a request that is missing a mandatory field or the value of a field does not match the format expected."};
    error["fieldErrors"] = json::array{json::object{{"field", field}, {"error", message}}};
    error["message"] = "Field error(s)";
  }
  HttpResponse r = json_response(status, json::serialize(json::object{{"error", std::move(error)}}));
  r.headers.emplace_back("x-application-error-code", code);
  return r;
}

HttpResponse field_error(std::string field, std::string message) {
  return paysafe_error(400, "5068", std::move(message), std::move(field));
}

std::string now_iso() {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return format_time(ms - ms % 1000).substr(0, 19) + "Z";
}

std::optional<std::int64_t> minor_amount(const json::object& o) {
  auto it = o.find("amount");
  if (it == o.end()) return std::nullopt;
  const json::value& v = it->value();
  if (v.is_int64() && v.get_int64() > 0) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(v.get_uint64());
  // The seed's examples send "544": Paysafe reads a digit string too.
  if (v.is_string() && !v.get_string().empty() && v.get_string().size() <= 18 &&
      std::string_view(v.get_string()).find_first_not_of("0123456789") == std::string_view::npos) {
    const auto n = std::stoll(std::string(v.get_string()));
    if (n > 0) return n;
  }
  return std::nullopt;
}

}  // namespace

struct InteracSandbox::Impl {
  struct Resource {
    json::object view;  // what GET answers
    Flags flags;
    std::string handle_id;  // payments, verifications and credits: their handle
  };

  InteracSandboxOptions options;
  std::string authorization;
  std::unique_ptr<HttpClient> client = make_http_client();

  mutable std::mutex m;
  std::string webhook_url;
  std::string base_url;
  std::mt19937_64 random{std::random_device{}()};
  // By resource kind ("paymenthandles", "payments", "verifications", "standalonecredits"), then id.
  std::map<std::string, std::unordered_map<std::string, Resource>, std::less<>> resources;
  std::unordered_map<std::string, std::string> handle_by_token;
  std::set<std::string> refused_once;  // unavailable / lost: merchantRefNums already refused once
  std::unordered_map<std::string, std::size_t> handles_made, payments_made, credits_made, delivered;
  std::atomic<std::size_t> attempts{0};

  std::unique_ptr<TaskQueue> tasks;       // the customer, timers, held answers
  std::unique_ptr<TaskQueue> deliveries;  // webhooks, one at a time and in order
  std::unique_ptr<HttpServer> server;

  std::string uuid() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
      out += kHex[random() % 16];
    }
    return out;
  }
  std::string token(std::string_view prefix, std::size_t n) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out(prefix);
    for (std::size_t i = 0; i < n; ++i) out += kAlphabet[random() % 62];
    return out;
  }

  bool authorized(const HttpRequest& req) const {
    const std::string_view given = req.header("Authorization");
    return given.size() > 6 && (given.substr(0, 6) == "Basic " || given.substr(0, 6) == "basic ") &&
           given.substr(6) == std::string_view(authorization).substr(6);
  }

  // Test-only (the crash harness): payments and standalone credits created per merchantRefNum;
  // refused duplicates (dupCheck, 5031) are not counted.
  HttpResponse charges() {
    std::lock_guard lock(m);
    json::object out;
    for (const auto* made : {&payments_made, &credits_made})
      for (const auto& [ref, n] : *made) {
        auto& v = out[ref];
        v = (v.is_int64() ? v.get_int64() : 0) + static_cast<std::int64_t>(n);
      }
    return json_response(200, json::serialize(out));
  }

  // ---- routing ----

  void handle(HttpRequest req, Respond respond) {
    std::string_view target = req.target;
    const auto q = target.find('?');
    const std::string_view path = target.substr(0, q);
    const std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    if (path == "/healthz") return respond(json_response(200, R"({"status":"READY"})"));
    if (path == "/_sandbox/charges" && req.method == "GET") return respond(charges());
    if (path == "/alternatepayments/v1/redirect" && req.method == "GET") return respond(redirect_page(query));
    constexpr std::string_view kRoot = "/paymenthub/v1/";
    if (!path.starts_with(kRoot)) return respond(paysafe_error(404, "5269", "no route " + std::string(path)));
    if (!authorized(req)) {
      HttpResponse r = paysafe_error(401, "5279", "The API key is invalid: Authorization: Basic base64(<user>:<password>)");
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Paysafe\"");
      return respond(std::move(r));
    }
    std::string_view rest = path.substr(kRoot.size());
    const auto slash = rest.find('/');
    const std::string kind(rest.substr(0, slash));
    const std::string id(slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1));
    if (!resources.contains(kind)) return respond(paysafe_error(404, "5269", "no route " + std::string(path)));
    if (req.method == "GET") return respond(lookup(kind, id, query));
    if (req.method != "POST" || !id.empty()) return respond(paysafe_error(405, "5269", "method not allowed"));

    boost::system::error_code ec;
    json::value body = json::parse(req.body, ec);
    if (ec || !body.is_object()) return respond(paysafe_error(400, "5068", "the body is not a JSON object"));
    if (kind == "paymenthandles") return create_handle(body.get_object(), std::move(respond));
    return create_transaction(kind, body.get_object(), std::move(respond));
  }

  // ---- payment handles ----

  void create_handle(const json::object& b, Respond respond) {
    std::optional<HttpResponse> answer;
    bool hold = false;
    std::string handle_id;
    {
      std::lock_guard lock(m);
      answer = create_handle_locked(b, hold, handle_id);
    }
    if (!hold) return respond(std::move(*answer));
    // outoforder: the customer is on the page and PAYMENT_HANDLE_PAYABLE is delivered before the answer.
    customer_visits(handle_id);  // queues the webhook first
    auto shared = std::make_shared<Respond>(std::move(respond));
    auto held = std::make_shared<HttpResponse>(std::move(*answer));
    deliveries->at(SteadyClock::now(), [shared, held] { (*shared)(*held); });
  }

  std::optional<HttpResponse> create_handle_locked(const json::object& b, bool& hold, std::string& handle_id) {
    const std::string ref(get_string(b, "merchantRefNum"));
    if (ref.empty()) return field_error("merchantRefNum", "must not be empty");
    const std::string type(get_string(b, "transactionType"));
    if (type != "PAYMENT" && type != "VERIFICATION" && type != "STANDALONE_CREDIT")
      return field_error("transactionType", "must be PAYMENT, VERIFICATION or STANDALONE_CREDIT");
    if (get_string(b, "paymentType") != "INTERAC_ETRANSFER") return field_error("paymentType", "must be INTERAC_ETRANSFER");
    const auto amount = minor_amount(b);
    if (!amount) return field_error("amount", "must be a positive integer in minor units");
    if (get_string(b, "currencyCode") != "CAD") return field_error("currencyCode", "Interac e-Transfer takes CAD only");
    const json::object* e = get_object(b, "interacEtransfer");
    if (e == nullptr || get_string(*e, "consumerId").empty()) return field_error("interacEtransfer.consumerId", "is required");
    const std::string consumer(get_string(*e, "consumerId"));
    const std::string_view mode = get_string(b, "mode");
    if (!mode.empty() && mode != "SEND_MONEY" && mode != "REQUEST_MONEY") return field_error("mode", "must be SEND_MONEY or REQUEST_MONEY");
    if (auto it = b.find("timeToLiveSeconds"); it != b.end() && (!it->value().is_int64() || it->value().get_int64() < 120))
      return field_error("timeToLiveSeconds", "must be an integer of 120 at least");

    // The same merchantRefNum again (a retry after a lost answer): the handle already made.
    for (const auto& [id, r] : resources["paymenthandles"]) {
      if (get_string(r.view, "merchantRefNum") != ref) continue;
      if (get_int(r.view, "amount") != *amount || get_string(r.view, "transactionType") != type)
        return paysafe_error(409, "5031", "merchantRefNum " + ref + " was already used for another payment handle");
      return json_response(200, json::serialize(r.view));
    }
    Flags flags = flags_of(consumer);
    if (flags.unavailable && refused_once.insert("handle:" + ref).second)
      return paysafe_error(503, "1000", "An internal error occurred; the request was not processed");

    const bool autodeposit = flags.autodeposit;
    const std::int64_t max_amount = autodeposit ? options.max_amount_autodeposit : options.max_amount_regular;
    std::int64_t ttl = 899;
    if (auto it = b.find("timeToLiveSeconds"); it != b.end()) ttl = it->value().get_int64();
    ttl = std::min(ttl, options.handle_ttl_seconds);

    json::object v;
    handle_id = uuid();
    v["id"] = handle_id;
    v["paymentType"] = "INTERAC_ETRANSFER";
    v["paymentHandleToken"] = token("PH", 14);
    v["merchantRefNum"] = ref;
    v["currencyCode"] = "CAD";
    v["txnTime"] = now_iso();
    if (auto ip = get_string(b, "customerIp"); !ip.empty()) v["customerIp"] = ip;
    v["liveMode"] = false;
    v["simulator"] = "EXTERNAL";
    v["usage"] = "SINGLE_USE";
    v["executionMode"] = "SYNCHRONOUS";
    v["amount"] = *amount;
    v["timeToLiveSeconds"] = ttl;
    v["transactionType"] = type;
    v["gatewayReconciliationId"] = uuid();
    v["updatedTime"] = v["txnTime"];
    v["statusTime"] = v["txnTime"];
    json::object etransfer{{"consumerId", consumer}, {"type", get_string(*e, "type").empty() ? "EMAIL" : get_string(*e, "type")}};
    if (const json::object* profile = get_object(b, "profile")) v["profile"] = *profile;
    if (const json::value* links = b.if_contains("returnLinks")) v["returnLinks"] = *links;

    if (type == "PAYMENT") {
      v["gatewayResponse"] = {{"id", token("", 16)}, {"processor", "INTERAC"}, {"status", "AVAILABLE"}};
      if (flags.decline) {
        v["status"] = "FAILED";
        v["action"] = "NONE";
        v["gatewayResponse"] = {{"processor", "INTERAC"}, {"status", "DECLINED"}};
      } else if (mode == "SEND_MONEY") {
        // Send money: action PAYABLE and a unique payment reference for the customer's transfer note.
        v["status"] = "INITIATED";
        v["action"] = "PAYABLE";
        v["mode"] = "SEND_MONEY";
        etransfer["paymentReference"] = token("CA", 8);
      } else {
        v["status"] = "INITIATED";
        v["action"] = "REDIRECT";
        v["links"] = json::array{json::object{
            {"rel", "redirect_payment"},
            {"href", base_url + "/alternatepayments/v1/redirect?paymentHandleId=" + handle_id + "&token=" + token("", 24)}}};
      }
    } else if (type == "VERIFICATION") {
      v["status"] = "PAYABLE";
      v["action"] = "NONE";
      v["gatewayResponse"] = {{"processor", "INTERAC"}};
    } else {
      v["action"] = "NONE";
      const bool question = !get_string(*e, "question").empty() && !get_string(*e, "answer").empty();
      if (!autodeposit && !question)
        return field_error("interacEtransfer.question", "a security question and answer are required without autodeposit");
      etransfer["maxAmount"] = max_amount;
      etransfer["transferType"] = autodeposit ? "ALIAS_AUTODEPOSIT" : "ALIAS_REGULAR";
      if (question) {
        etransfer["question"] = get_string(*e, "question");
        etransfer["answer"] = get_string(*e, "answer");  // the seed's answers echo it
      }
      const bool over = *amount > max_amount;
      v["status"] = flags.creditdecline || over ? "FAILED" : "PAYABLE";
      v["gatewayResponse"] = {{"id", token("", 16)},
                              {"processor", autodeposit ? "PEOPLE_TRUST" : "INTERAC"},
                              {"status", flags.creditdecline || over ? "DECLINED" : "ACCEPTED"}};
    }
    v["interacEtransfer"] = std::move(etransfer);

    Resource& r = resources["paymenthandles"][handle_id];
    r.view = v;
    r.flags = flags;
    handle_by_token[std::string(v["paymentHandleToken"].get_string())] = handle_id;
    ++handles_made[ref];
    schedule_handle(handle_id, r, hold);
    return json_response(201, json::serialize(v));
  }

  void schedule_handle(const std::string& id, const Resource& r, bool& hold) {
    const auto t0 = SteadyClock::now();
    const std::string_view status = get_string(r.view, "status");
    if (status == "FAILED") return;
    if (r.flags.latepay && get_string(r.view, "transactionType") == "PAYMENT") {
      // Seed: "Si le marchand n'effectue pas d'appel /payments dans les 899 secondes ... Paysafe effectue
      // le paiement pour le compte du marchand. et ce dernier reçoit a) PAYMENT_COMPLETED".
      tasks->at(t0 + std::chrono::seconds(get_int(r.view, "timeToLiveSeconds")) + options.late_payment_delay,
                [this, id] { pay_for_the_merchant(id); });
      return;
    }
    // Every unused handle expires (PAYMENT_HANDLE_EXPIRED) once its TTL and the lag passed.
    tasks->at(t0 + std::chrono::seconds(get_int(r.view, "timeToLiveSeconds")) + options.expiry_lag,
              [this, id] { expire(id); });
    if (get_string(r.view, "transactionType") != "PAYMENT" || r.flags.expire) return;
    if (r.flags.outoforder) {
      hold = true;
      return;
    }
    tasks->at(t0 + options.customer_delay, [this, id] { customer_visits(id); });
  }

  // Request money: the customer opened the redirect link and picked their bank; send money: the
  // customer is about to send the transfer. Either way the handle becomes PAYABLE, or FAILED if they cancel.
  void customer_visits(const std::string& id) {
    std::lock_guard lock(m);
    auto it = resources["paymenthandles"].find(id);
    if (it == resources["paymenthandles"].end() || get_string(it->second.view, "status") != "INITIATED") return;
    Resource& r = it->second;
    set_status(r.view, r.flags.cancel ? "FAILED" : "PAYABLE");
    emit(r.flags.cancel ? "PAYMENT_HANDLE_FAILED" : "PAYMENT_HANDLE_PAYABLE", r);
  }

  // latepay: the customer paid on their bank's page without the handle turning PAYABLE for the
  // merchant; after the TTL Paysafe makes the payment itself, COMPLETED at once.
  void pay_for_the_merchant(const std::string& handle_id) {
    std::lock_guard lock(m);
    auto it = resources["paymenthandles"].find(handle_id);
    if (it == resources["paymenthandles"].end() || get_string(it->second.view, "status") != "INITIATED") return;
    Resource& handle = it->second;
    set_status(handle.view, "COMPLETED");
    const std::string ref(get_string(handle.view, "merchantRefNum"));
    const std::string id = uuid();
    json::object v;
    v["id"] = id;
    v["paymentType"] = "INTERAC_ETRANSFER";
    v["paymentHandleToken"] = get_string(handle.view, "paymentHandleToken");
    v["merchantRefNum"] = ref;
    v["currencyCode"] = "CAD";
    v["settleWithAuth"] = true;
    v["txnTime"] = now_iso();
    v["amount"] = get_int(handle.view, "amount");
    v["status"] = "COMPLETED";
    v["liveMode"] = false;
    v["simulator"] = "EXTERNAL";
    v["updatedTime"] = v["txnTime"];
    v["statusTime"] = v["txnTime"];
    if (const json::value* e = handle.view.if_contains("interacEtransfer")) v["interacEtransfer"] = *e;
    ++payments_made[ref];
    store("payments", id, v, handle.flags, handle_id);
    emit("PAYMENT_COMPLETED", resources["payments"].at(id));
  }

  void expire(const std::string& id) {
    std::lock_guard lock(m);
    auto it = resources["paymenthandles"].find(id);
    if (it == resources["paymenthandles"].end()) return;
    Resource& r = it->second;
    const std::string_view status = get_string(r.view, "status");
    if (status != "INITIATED" && status != "PAYABLE") return;
    set_status(r.view, "EXPIRED");
    emit("PAYMENT_HANDLE_EXPIRED", r);
  }

  // ---- payments, verifications, standalone credits ----

  void create_transaction(const std::string& kind, const json::object& b, Respond respond) {
    std::optional<HttpResponse> answer;
    std::optional<SteadyClock::time_point> later;
    bool after_webhook = false;
    {
      std::lock_guard lock(m);
      answer = create_transaction_locked(kind, b, later, after_webhook);
    }
    if (later) {
      auto shared = std::make_shared<Respond>(std::move(respond));
      auto held = std::make_shared<HttpResponse>(std::move(*answer));
      tasks->at(*later, [shared, held] { (*shared)(*held); });
      return;
    }
    if (after_webhook) {
      // Queued behind the webhook just emitted: corridor acknowledges it before this answer leaves.
      auto shared = std::make_shared<Respond>(std::move(respond));
      auto held = std::make_shared<HttpResponse>(std::move(*answer));
      deliveries->at(SteadyClock::now(), [shared, held] { (*shared)(*held); });
      return;
    }
    respond(std::move(*answer));
  }

  std::optional<HttpResponse> create_transaction_locked(const std::string& kind, const json::object& b,
                                                        std::optional<SteadyClock::time_point>& later,
                                                        bool& after_webhook) {
    const std::string ref(get_string(b, "merchantRefNum"));
    if (ref.empty()) return field_error("merchantRefNum", "must not be empty");
    const auto amount = minor_amount(b);
    if (!amount) return field_error("amount", "must be a positive integer in minor units");
    if (get_string(b, "currencyCode") != "CAD") return field_error("currencyCode", "Interac e-Transfer takes CAD only");
    const std::string token_value(get_string(b, "paymentHandleToken"));
    auto h = handle_by_token.find(token_value);
    if (h == handle_by_token.end()) return field_error("paymentHandleToken", "unknown payment handle token");
    Resource& handle = resources["paymenthandles"].at(h->second);
    const std::string_view want = kind == "payments" ? "PAYMENT" : kind == "verifications" ? "VERIFICATION" : "STANDALONE_CREDIT";
    if (get_string(handle.view, "transactionType") != want)
      return paysafe_error(400, "5068", "the payment handle is a " + std::string(get_string(handle.view, "transactionType")) + " handle");
    // dupCheck: one transaction per merchantRefNum.
    if (get_bool(b, "dupCheck", false)) {
      for (const auto& [id, r] : resources[kind])
        if (get_string(r.view, "merchantRefNum") == ref)
          return paysafe_error(409, "5031", "The transaction you have submitted has already been processed.");
    }
    // "L'appel à l'API POST /payments n'est possible que si l'état du paymentHandleToken est PAYABLE."
    if (get_string(handle.view, "status") != "PAYABLE")
      return paysafe_error(409, "5040", "the payment handle is " + std::string(get_string(handle.view, "status")) + ", not PAYABLE");
    if (get_int(handle.view, "amount") != *amount)
      return field_error("amount", "must equal the payment handle's amount " + std::to_string(get_int(handle.view, "amount")));

    const Flags flags = handle.flags;
    json::object v;
    const std::string id = uuid();
    v["id"] = id;
    v["paymentType"] = "INTERAC_ETRANSFER";
    v["paymentHandleToken"] = token_value;
    v["merchantRefNum"] = ref;
    v["currencyCode"] = "CAD";
    v["dupCheck"] = get_bool(b, "dupCheck", false);
    v["txnTime"] = now_iso();
    // "short": Paysafe reports another amount than the one asked (the flows check it).
    const std::int64_t reported = flags.short_amount && kind != "verifications" ? *amount - 1 : *amount;
    v["amount"] = reported;
    v["liveMode"] = false;
    v["simulator"] = "EXTERNAL";
    v["updatedTime"] = v["txnTime"];
    v["statusTime"] = v["txnTime"];
    v["gatewayReconciliationId"] = token("", 16);
    v["gatewayResponse"] = {{"id", token("", 16)}, {"processor", "INTERAC"}, {"status", "AVAILABLE"}};
    if (const json::value* e = handle.view.if_contains("interacEtransfer")) v["interacEtransfer"] = *e;
    if (const json::value* p = handle.view.if_contains("profile")) v["profile"] = *p;
    if (auto d = get_string(b, "description"); !d.empty()) v["description"] = d;

    const auto t0 = SteadyClock::now();
    const bool lose = (kind == "verifications" ? flags.verifylost : flags.lost) &&
                      refused_once.insert(kind + ":" + ref).second;
    const auto answered_at = flags.slow ? t0 + options.slow_response : t0;
    if (flags.slow) later = answered_at;

    if (kind == "verifications") {
      // "Vous recevez l'état de dépôt automatique et le montant maximum transférable en réponse."
      v["status"] = "COMPLETED";
      json::object e = v.contains("interacEtransfer") ? v["interacEtransfer"].as_object() : json::object{};
      e["maxAmount"] = flags.autodeposit ? options.max_amount_autodeposit : options.max_amount_regular;
      e["transferType"] = flags.autodeposit ? "ALIAS_AUTODEPOSIT" : "ALIAS_REGULAR";
      v["interacEtransfer"] = std::move(e);
      set_status(handle.view, "COMPLETED");
    } else if (kind == "payments") {
      v["settleWithAuth"] = get_bool(b, "settleWithAuth", false);
      v["availableToRefund"] = 0;
      v["availableToSettle"] = 0;
      set_status(handle.view, "COMPLETED");
      ++payments_made[ref];
      if (flags.outoforder) {
        // The customer had already accepted: COMPLETED, and its webhook leaves before this answer.
        v["status"] = "COMPLETED";
        v["settlements"] = {{"amount", reported}, {"id", id}, {"merchantRefNum", ref}, {"status", "COMPLETED"}};
        store(kind, id, v, flags, h->second);
        emit("PAYMENT_COMPLETED", resources[kind].at(id));
        after_webhook = true;
        return json_response(201, json::serialize(v));
      }
      v["status"] = "PROCESSING";
      v["settlements"] = {{"amount", reported}, {"id", id}, {"merchantRefNum", ref}, {"status", "PROCESSING"}};
      emit("PAYMENT_HANDLE_COMPLETED", handle);
      tasks->at(answered_at + options.settle_delay, [this, kind, id] { settle(kind, id); });
    } else {
      v["status"] = "PROCESSING";
      if (auto ip = get_string(b, "customerIp"); !ip.empty()) v["customerIp"] = ip;
      set_status(handle.view, "COMPLETED");
      ++credits_made[ref];
      emit("PAYMENT_HANDLE_COMPLETED", handle);
      const auto delay = flags.autodeposit ? options.autodeposit_delay : options.claim_delay;
      tasks->at(answered_at + delay, [this, kind, id] { settle(kind, id); });
    }
    store(kind, id, v, flags, h->second);
    if (kind == "standalonecredits") emit("SA_CREDIT_PROCESSING", resources[kind].at(id));
    if (lose) {
      later.reset();
      return paysafe_error(500, "1000", "An internal error occurred");
    }
    return json_response(201, json::serialize(v));
  }

  void store(const std::string& kind, const std::string& id, const json::object& v, const Flags& flags, const std::string& handle_id) {
    Resource& r = resources[kind][id];
    r.view = v;
    r.flags = flags;
    r.handle_id = handle_id;
  }

  // The customer's bank answers: the payment or credit reaches its final status.
  void settle(const std::string& kind, const std::string& id) {
    std::lock_guard lock(m);
    auto it = resources[kind].find(id);
    if (it == resources[kind].end() || get_string(it->second.view, "status") != "PROCESSING") return;
    Resource& r = it->second;
    const Flags& f = r.flags;
    std::string status = "COMPLETED";
    std::string event;
    if (kind == "payments") {
      status = f.payfail ? "FAILED" : f.payerror ? "ERRORED" : "COMPLETED";
      event = f.payfail ? "PAYMENT_FAILED" : f.payerror ? "PAYMENT_ERRORED" : "PAYMENT_COMPLETED";
      if (json::object* s = r.view.contains("settlements") ? &r.view["settlements"].as_object() : nullptr) s->insert_or_assign("status", status);
    } else {
      status = f.creditfail ? "FAILED" : f.unclaimed ? "CANCELLED" : "COMPLETED";
      event = f.creditfail ? "SA_CREDIT_FAILED" : f.unclaimed ? "SA_CREDIT_CANCELLED" : "SA_CREDIT_COMPLETED";
    }
    set_status(r.view, status);
    emit(event, r);
  }

  static void set_status(json::object& v, std::string_view status) {
    v["status"] = status;
    v["updatedTime"] = now_iso();
    v["statusTime"] = v["updatedTime"];
  }

  // ---- GETs ----

  HttpResponse lookup(const std::string& kind, const std::string& id, std::string_view query) {
    std::lock_guard lock(m);
    auto& all = resources[kind];
    if (!id.empty()) {
      auto it = all.find(id);
      if (it == all.end()) return paysafe_error(404, "5269", "The entity with the id " + id + " was not found");
      return json_response(200, json::serialize(it->second.view));
    }
    constexpr std::string_view kParam = "merchantRefNum=";
    const auto at = query.find(kParam);
    if (at == std::string_view::npos) return field_error("merchantRefNum", "a lookup needs ?merchantRefNum=");
    std::string_view ref = query.substr(at + kParam.size());
    ref = ref.substr(0, ref.find('&'));
    json::array list;
    for (const auto& [rid, r] : all)
      if (get_string(r.view, "merchantRefNum") == ref) list.push_back(r.view);
    const std::string key = kind == "paymenthandles" ? "paymentHandles" : kind == "standalonecredits" ? "standaloneCredits" : kind;
    return json_response(200, json::serialize(json::object{{key, std::move(list)}, {"meta", {{"numberOfRecords", all.size()}}}}));
  }

  HttpResponse redirect_page(std::string_view query) {
    std::lock_guard lock(m);
    constexpr std::string_view kParam = "paymentHandleId=";
    const auto at = query.find(kParam);
    std::string id(at == std::string_view::npos ? std::string_view{} : query.substr(at + kParam.size()));
    id = id.substr(0, id.find('&'));
    auto it = resources["paymenthandles"].find(id);
    if (it == resources["paymenthandles"].end()) return paysafe_error(404, "5269", "unknown payment handle");
    HttpResponse r;
    r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    r.body = "<!doctype html><title>Interac sandbox</title><p>Interac e-Transfer sandbox: payment handle " + id + " of " +
             std::to_string(get_int(it->second.view, "amount")) + " CAD, status " +
             std::string(get_string(it->second.view, "status")) +
             ". The simulated customer acts on their own (see docs/providers/interac.md).</p>";
    return r;
  }

  // ---- webhooks ----

  // Queues the event (under the lock: deliveries run on their own thread, in order).
  void emit(std::string event, const Resource& r) {
    if (r.flags.nowebhook) return;
    json::object payload = r.view;
    payload["accountId"] = "1002345670";
    const int copies = r.flags.duplicate ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      deliveries->at(SteadyClock::now(), [this, event, payload] { deliver(event, payload, 1); });
    }
  }

  void deliver(const std::string& event, const json::object& payload, int attempt) {
    std::string url;
    {
      std::lock_guard lock(m);
      url = webhook_url;
    }
    if (url.empty()) return;
    const std::string resource_id(get_string(payload, "id"));
    const std::string kind = get_string(payload, "transactionType").empty()
                                 ? (event.starts_with("SA_CREDIT") ? "standalonecredits" : "payments")
                                 : "paymenthandles";
    // Paysafe's envelope (its Payments API webhooks pages).
    const std::string body = json::serialize(json::object{
        {"payload", payload},
        {"eventType", event},
        {"eventName", event},
        {"attemptNumber", std::to_string(attempt)},
        {"resourceId", resource_id},
        {"eventDate", now_iso()},
        {"links", json::array{json::object{{"rel", kind}, {"href", base_url + "/paymenthub/v1/" + kind + "/" + resource_id}}}},
        {"mode", "test"}});
    ++attempts;
    const HttpHeaders signature{{options.signature_header, sign(options.webhook_hmac_key, body)}};
    if (post_json(*client, url, body, signature, options.webhook_timeout)) {
      std::lock_guard lock(m);
      ++delivered[std::string(get_string(payload, "merchantRefNum"))];
      return;
    }
    const auto delay = RetryPolicy{options.webhook_attempts, options.webhook_retry_delay}.delay_after(attempt);
    if (!delay) return;
    tasks->at(SteadyClock::now() + *delay, [this, event, payload, attempt] {
      deliveries->at(SteadyClock::now(), [this, event, payload, attempt] { deliver(event, payload, attempt + 1); });
    });
  }
};

InteracSandbox::InteracSandbox(InteracSandboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const std::string& key = impl_->options.api_key;
  impl_->authorization = "Basic " + (key.find(':') != std::string::npos ? base64(key) : key);
  impl_->webhook_url = impl_->options.webhook_url;
  for (const char* kind : {"paymenthandles", "payments", "verifications", "standalonecredits"}) impl_->resources[kind];
  impl_->tasks = std::make_unique<TaskQueue>(2);
  impl_->deliveries = std::make_unique<TaskQueue>(1);
}

InteracSandbox::~InteracSandbox() { stop(); }

void InteracSandbox::start(const std::string& host, std::uint16_t port) {
  std::string url = start_server(impl_->server, "interac", host, port, 64 * 1024,
                                 [impl = impl_.get()](HttpRequest req, Respond respond) {
                                   impl->handle(std::move(req), std::move(respond));
                                 });
  std::lock_guard lock(impl_->m);
  impl_->base_url = std::move(url);
}

void InteracSandbox::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->tasks) impl_->tasks->stop();
  if (impl_->deliveries) impl_->deliveries->stop();
}

std::string InteracSandbox::base_url() const {
  std::lock_guard lock(impl_->m);
  return impl_->base_url;
}

void InteracSandbox::set_webhook_url(std::string url) {
  std::lock_guard lock(impl_->m);
  impl_->webhook_url = std::move(url);
}

void InteracSandbox::handle(HttpRequest request, Respond respond) { impl_->handle(std::move(request), std::move(respond)); }

namespace {
std::size_t count(const std::unordered_map<std::string, std::size_t>& m, std::string_view key) {
  auto it = m.find(std::string(key));
  return it == m.end() ? 0 : it->second;
}
}  // namespace

std::size_t InteracSandbox::payments_created(std::string_view ref) const {
  std::lock_guard lock(impl_->m);
  return count(impl_->payments_made, ref);
}
std::size_t InteracSandbox::credits_created(std::string_view ref) const {
  std::lock_guard lock(impl_->m);
  return count(impl_->credits_made, ref);
}
std::size_t InteracSandbox::handles_created(std::string_view ref) const {
  std::lock_guard lock(impl_->m);
  return count(impl_->handles_made, ref);
}
std::size_t InteracSandbox::webhooks_delivered(std::string_view ref) const {
  std::lock_guard lock(impl_->m);
  return count(impl_->delivered, ref);
}
std::size_t InteracSandbox::webhook_attempts() const { return impl_->attempts.load(); }

}  // namespace corridor
