#include "sandbox/esipay/esipay_sandbox.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "engine/io/http_client.hpp"
#include "engine/io/http_server.hpp"
#include "sandbox/support/server.hpp"
#include "sandbox/support/task_queue.hpp"
#include "statemachines/money.hpp"
#include "statemachines/timefmt.hpp"

namespace corridor {

namespace {

using SteadyClock = std::chrono::steady_clock;

// esipay has no currency in its API: amounts are kept in thousandths, exactly.
constexpr int kExponent = 3;

enum class Scenario {
  approve,                // the return URL is called (POST) and answered 200, then 200
  bad_request,            // 400
  forbidden,              // 403
  service_error,          // 500
  no_answer,              // never answers (the executor's timeout decides), no callback
  slow_answer,            // callback, then the 200 after slow_answer
  callback_after_answer,  // 200 first, the callback after callback_after
  no_callback,            // 200 without calling the return URL
  duplicate_callback,     // the return URL is called twice, then 200
  refund_refused,         // paid normally; every refund gets 400
  wrong_return_token,     // the return URL is called with a wrong token: not 200, so the payment is cancelled
  other_real_amount,      // paid normally, but the callback's montant réel is one unit below the amount asked
  refund_lost_answer,     // paid normally; the first refund is done but never answered
  refund_never_done,      // paid normally; the first refund is not done and never answered
};

Scenario scenario_of(std::string_view card) {
  namespace c = esipay_cards;
  if (card == c::kBadRequest) return Scenario::bad_request;
  if (card == c::kForbidden) return Scenario::forbidden;
  if (card == c::kServiceError) return Scenario::service_error;
  if (card == c::kNoAnswer) return Scenario::no_answer;
  if (card == c::kSlowAnswer) return Scenario::slow_answer;
  if (card == c::kCallbackAfterAnswer) return Scenario::callback_after_answer;
  if (card == c::kNoCallback) return Scenario::no_callback;
  if (card == c::kDuplicateCallback) return Scenario::duplicate_callback;
  if (card == c::kRefundRefused) return Scenario::refund_refused;
  if (card == c::kWrongReturnToken) return Scenario::wrong_return_token;
  if (card == c::kOtherRealAmount) return Scenario::other_real_amount;
  if (card == c::kRefundLostAnswer) return Scenario::refund_lost_answer;
  if (card == c::kRefundNeverDone) return Scenario::refund_never_done;
  return Scenario::approve;
}

HttpResponse text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string decimal(std::int64_t thousandths) {
  std::string s = format_decimal_amount(thousandths, kExponent);
  while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
    const bool dot = s.back() == '.';
    s.pop_back();
    if (dot) break;
  }
  return s;
}

std::string form_encode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xF];
    }
  }
  return out;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

bool digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

}  // namespace

namespace {

std::string today() {
  return format_time(
             std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count())
      .substr(0, 10);
}

}  // namespace

struct EsipaySandbox::Impl {
  struct SettledRefund {
    std::string date;
    std::int64_t amount = 0;  // thousandths
  };
  struct Payment {
    std::string cid;
    std::string transaction;
    std::string amount;  // as the request gave it
    std::int64_t captured = 0;
    std::int64_t refunded = 0;
    Scenario scenario = Scenario::approve;
    std::string status;  // paid, cancelled, refunded, partially_refunded
    std::size_t callbacks = 0;
    std::size_t refunds = 0;
    std::string date;  // when it was paid (UTC day)
    std::vector<SettledRefund> settled_refunds;
    std::size_t refund_requests = 0;
  };

  EsipaySandboxOptions options;
  std::unique_ptr<HttpClient> client = make_http_client();
  mutable std::mutex m;
  std::string base_url;
  std::string return_url;
  std::mt19937_64 random{std::random_device{}()};
  std::unordered_map<std::string, Payment> by_transaction;
  std::unordered_map<std::string, std::string> transaction_by_cid;
  std::unordered_map<std::string, std::size_t> charges;  // by cid
  std::size_t cancelled = 0;
  std::vector<Respond> held;  // the no-answer scenario
  std::unique_ptr<TaskQueue> tasks;
  std::unique_ptr<HttpServer> server;

  void handle(HttpRequest req, Respond respond) {
    // No logging anywhere here: the target holds a card number.
    std::string_view path = req.target;
    path = path.substr(0, path.find('?'));
    const auto parts = segments(path);
    if (parts.size() == 1 && parts[0] == "healthz") return respond(text(200, "ok"));
    if (path == "/_sandbox/charges" && req.method == "GET") return respond(charges_answer());
    if (path == "/_sandbox/settlement" && req.method == "GET") return respond(text(200, settlement()));
    if (parts.empty() || parts[0] != "cardpay") return respond(text(404, "not found"));
    if (req.method != options.method) return respond(text(405, "use " + options.method));
    // "403 : l'adresse IP du serveur qui appelle le service n'est pas correcte."
    if (std::find(options.allowed_callers.begin(), options.allowed_callers.end(), req.remote_address) ==
        options.allowed_callers.end()) {
      return respond(text(403, "caller address not registered"));
    }
    if (parts.size() < 2 || parts[1] != options.uuid) return respond(text(400, "unknown uuid"));
    if (parts.size() == 7) return pay(parts, std::move(respond));
    if (parts.size() == 3 || parts.size() == 4) return refund(parts, std::move(respond));
    respond(text(400, "incorrect parameters"));
  }

  // Test-only (the crash harness): card payments that reached a scenario, per cid. esipay has no
  // idempotency key: every such request is a charge.
  HttpResponse charges_answer() {
    std::lock_guard lock(m);
    json::object out;
    for (const auto& [cid, n] : charges) out[cid] = n;
    return json_response(200, json::serialize(out));
  }

  void pay(const std::vector<std::string_view>& p, Respond respond) {
    // /cardpay/uuid/cid/cardnumber/cardmonth/cardyear/amount. Refusals never quote the card.
    const std::string cid(p[2]);
    const std::string_view card = p[3];
    if (cid.empty() || card.size() < 12 || card.size() > 19 || !digits(card)) return respond(text(400, "incorrect card number"));
    if (!digits(p[4]) || p[4].size() > 2 || std::stoi(std::string(p[4])) < 1 || std::stoi(std::string(p[4])) > 12)
      return respond(text(400, "incorrect card month"));
    if (!digits(p[5]) || p[5].size() > 4) return respond(text(400, "incorrect card year"));
    auto amount = parse_decimal_amount(p[6], kExponent);
    if (!amount || *amount <= 0) return respond(text(400, "incorrect amount"));

    const Scenario scenario = scenario_of(card);
    std::string transaction;
    {
      std::lock_guard lock(m);
      ++charges[cid];
      switch (scenario) {
        case Scenario::bad_request: return respond(text(400, "incorrect parameters"));
        case Scenario::forbidden: return respond(text(403, "caller address not registered"));
        case Scenario::service_error: return respond(text(500, "service error"));
        case Scenario::no_answer: held.push_back(std::move(respond)); return;
        default: break;
      }
      static constexpr char kAlphabet[] = "0123456789abcdef";
      transaction = "esi";
      for (int i = 0; i < 24; ++i) transaction += kAlphabet[random() % 16];
      Payment& pay = by_transaction[transaction];
      pay.cid = cid;
      pay.transaction = transaction;
      pay.amount = std::string(p[6]);
      pay.captured = *amount;
      pay.date = today();
      if (scenario == Scenario::other_real_amount && *amount > 1000) {
        // "montant réel de la transaction": what esipay charged, here not what was asked.
        pay.captured = *amount - 1000;
        pay.amount = decimal(pay.captured);
      }
      pay.scenario = scenario;
      pay.status = "paid";
      transaction_by_cid[cid] = transaction;
    }
    auto shared = std::make_shared<Respond>(std::move(respond));
    tasks->at(SteadyClock::now(), [this, transaction, scenario, shared] { settle(transaction, scenario, shared); });
  }

  // The seed: "Si la transaction s'est correctement effectuée le service appelle l'URL de retour par la
  // méthode POST ... L'URL de retour doit retourner le statut HTTP 200. Si ce n'est pas le cas la
  // transaction sera annulée."
  void settle(const std::string& transaction, Scenario scenario, const std::shared_ptr<Respond>& respond) {
    const auto ok = text(200, "OK");
    if (scenario == Scenario::no_callback) return (*respond)(ok);
    if (scenario == Scenario::callback_after_answer) {
      (*respond)(ok);
      tasks->at(SteadyClock::now() + options.callback_after, [this, transaction] { call_return_url(transaction, false); });
      return;
    }
    bool answered = call_return_url(transaction, scenario == Scenario::wrong_return_token);
    if (answered && scenario == Scenario::duplicate_callback) answered = call_return_url(transaction, false);
    if (!answered) {
      {
        std::lock_guard lock(m);
        by_transaction[transaction].status = "cancelled";
        ++cancelled;
      }
      return (*respond)(text(500, "return URL did not answer 200: transaction cancelled"));
    }
    if (scenario == Scenario::slow_answer) {
      tasks->at(SteadyClock::now() + options.slow_answer, [respond, ok] { (*respond)(ok); });
      return;
    }
    (*respond)(ok);
  }

  bool call_return_url(const std::string& transaction, bool wrong_token) {
    HttpRequest req;
    {
      std::lock_guard lock(m);
      if (return_url.empty()) return false;
      Payment& p = by_transaction[transaction];
      ++p.callbacks;
      req.target = return_url + (wrong_token ? "-wrong" : "");
      req.body = "type=card&amount=" + form_encode(p.amount) + "&transaction=" + form_encode(p.transaction) +
                 "&cid=" + form_encode(p.cid);
    }
    req.method = "POST";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    auto res = client->send(req, options.callback_timeout);
    return res.ok() && res->status == 200;
  }

  void refund(const std::vector<std::string_view>& p, Respond respond) {
    std::lock_guard lock(m);
    auto it = by_transaction.find(std::string(p[2]));
    if (it == by_transaction.end()) return respond(text(400, "unknown transaction"));
    Payment& pay = it->second;
    if (pay.status == "cancelled") return respond(text(400, "transaction cancelled"));
    if (pay.scenario == Scenario::refund_refused) return respond(text(400, "refund not allowed for this transaction"));
    const bool first = pay.refund_requests++ == 0;
    const std::int64_t remaining = pay.captured - pay.refunded;
    std::int64_t amount = remaining;  // Remboursement: what is left
    if (p.size() == 4) {
      auto partial = parse_decimal_amount(p[3], kExponent);
      if (!partial || *partial <= 0) return respond(text(400, "incorrect amount"));
      // "400 : ... le montant dépasse le montant restant de transaction"
      if (*partial > remaining) return respond(text(400, "amount over the remaining amount of the transaction"));
      amount = *partial;
    }
    if (amount <= 0) return respond(text(400, "transaction already refunded"));
    if (first && pay.scenario == Scenario::refund_never_done) {
      held.push_back(std::move(respond));  // no answer, and nothing done
      return;
    }
    pay.refunded += amount;
    ++pay.refunds;
    pay.settled_refunds.push_back({today(), amount});
    pay.status = pay.refunded == pay.captured ? "refunded" : "partially_refunded";
    if (first && pay.scenario == Scenario::refund_lost_answer) {
      held.push_back(std::move(respond));  // done, but the answer never comes
      return;
    }
    respond(text(200, "OK"));
  }

  std::string settlement() const {
    std::lock_guard lock(m);
    std::string out = "date,transaction,cid,type,amount,currency\n";
    const int exponent = currency_exponent(options.settlement_currency).value_or(0);
    // Thousandths to the currency's units (esipay's amounts are whole in it).
    auto amount = [&](std::int64_t thousandths) {
      std::int64_t scale = 1;
      for (int e = exponent; e < kExponent; ++e) scale *= 10;
      return format_decimal_amount(thousandths / scale, exponent);
    };
    std::vector<const Payment*> sorted;
    for (const auto& [_, p] : by_transaction) sorted.push_back(&p);
    std::sort(sorted.begin(), sorted.end(), [](const Payment* a, const Payment* b) { return a->transaction < b->transaction; });
    for (const Payment* p : sorted) {
      if (p->status == "cancelled") continue;
      out += p->date + "," + p->transaction + "," + p->cid + ",card," + amount(p->captured) + "," +
             options.settlement_currency + "\n";
      for (const auto& r : p->settled_refunds)
        out += r.date + "," + p->transaction + "," + p->cid + ",refund," + amount(r.amount) + "," +
               options.settlement_currency + "\n";
    }
    return out;
  }
};

EsipaySandbox::EsipaySandbox(EsipaySandboxOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->return_url = impl_->options.return_url;
  impl_->tasks = std::make_unique<TaskQueue>(2);
}

EsipaySandbox::~EsipaySandbox() { stop(); }

void EsipaySandbox::start(const std::string& host, std::uint16_t port) {
  std::string url = start_server(impl_->server, "esipay", host, port, 16 * 1024,
                                 [impl = impl_.get()](HttpRequest req, Respond respond) {
                                   impl->handle(std::move(req), std::move(respond));
                                 });
  std::lock_guard lock(impl_->m);
  impl_->base_url = std::move(url);
}

void EsipaySandbox::stop() {
  if (impl_->server) impl_->server->stop();
  if (impl_->tasks) impl_->tasks->stop();
  std::lock_guard lock(impl_->m);
  impl_->held.clear();
}

std::string EsipaySandbox::base_url() const {
  std::lock_guard lock(impl_->m);
  return impl_->base_url;
}

void EsipaySandbox::set_return_url(std::string url) {
  std::lock_guard lock(impl_->m);
  impl_->return_url = std::move(url);
}

void EsipaySandbox::handle(HttpRequest request, Respond respond) { impl_->handle(std::move(request), std::move(respond)); }

std::size_t EsipaySandbox::payments(std::string_view cid) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->charges.find(std::string(cid));
  return it == impl_->charges.end() ? 0 : it->second;
}

std::string EsipaySandbox::transaction_of(std::string_view cid) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->transaction_by_cid.find(std::string(cid));
  return it == impl_->transaction_by_cid.end() ? std::string() : it->second;
}

std::string EsipaySandbox::status_of(std::string_view cid) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->transaction_by_cid.find(std::string(cid));
  return it == impl_->transaction_by_cid.end() ? std::string() : impl_->by_transaction.at(it->second).status;
}

std::size_t EsipaySandbox::cancelled_for_return_url() const {
  std::lock_guard lock(impl_->m);
  return impl_->cancelled;
}

std::size_t EsipaySandbox::callbacks_sent(std::string_view cid) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->transaction_by_cid.find(std::string(cid));
  return it == impl_->transaction_by_cid.end() ? 0 : impl_->by_transaction.at(it->second).callbacks;
}

std::size_t EsipaySandbox::refunds(std::string_view transaction) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->by_transaction.find(std::string(transaction));
  return it == impl_->by_transaction.end() ? 0 : it->second.refunds;
}

std::string EsipaySandbox::settlement_csv() const { return impl_->settlement(); }

std::string EsipaySandbox::remaining_of(std::string_view transaction) const {
  std::lock_guard lock(impl_->m);
  auto it = impl_->by_transaction.find(std::string(transaction));
  return it == impl_->by_transaction.end() ? std::string() : decimal(it->second.captured - it->second.refunded);
}

}  // namespace corridor
