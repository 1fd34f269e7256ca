#pragma once
// An esipay v2 service over HTTP that behaves as the seed says (002_37ebfe69c218fca4.txt):
// /cardpay/uuid/cid/cardnumber/cardmonth/cardyear/amount, the return URL called by POST before the
// 200 and the payment cancelled when it does not answer 200, /cardpay/uuid/transaction (refund) and
// /cardpay/uuid/transaction/amount (partial refund), 400/403/500. Scenarios are chosen by card
// number (docs/providers/esipay.md). The card is in the request URL: nothing here logs a URL, and
// no answer quotes one.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/http.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor {

struct EsipaySandboxOptions {
  std::string uuid = "sandbox-esipay-merchant-uuid";  // the registered company
  std::string return_url;                             // registered at enrolment: corridor's /callbacks/esipay/<token>
  std::string method = "POST";                        // the method corridor documents (docs/providers/esipay.md)
  std::vector<std::string> allowed_callers = {"127.0.0.1"};  // "Adresse IP du serveur effectuant les requêtes"

  std::chrono::milliseconds slow_answer{300};       // the "slow answer" scenario's extra delay
  std::chrono::milliseconds callback_after{100};    // the "callback after the answer" scenario's delay
  std::chrono::milliseconds callback_timeout{5000};  // the return URL must answer within this
  // esipay's API has no currency (the company's account has one): the currency its settlement file
  // (GET /_sandbox/settlement) names.
  std::string settlement_currency = "XOF";
};

// Test cards (docs/providers/esipay.md). Any other 12-19 digit number is approved.
namespace esipay_cards {
inline constexpr std::string_view kApprove = "4000000000000001";
inline constexpr std::string_view kBadRequest = "4000000000000002";
inline constexpr std::string_view kForbidden = "4000000000000003";
inline constexpr std::string_view kServiceError = "4000000000000004";
inline constexpr std::string_view kNoAnswer = "4000000000000005";
inline constexpr std::string_view kSlowAnswer = "4000000000000006";
inline constexpr std::string_view kCallbackAfterAnswer = "4000000000000007";
inline constexpr std::string_view kNoCallback = "4000000000000008";
inline constexpr std::string_view kDuplicateCallback = "4000000000000009";
inline constexpr std::string_view kRefundRefused = "4000000000000010";
inline constexpr std::string_view kWrongReturnToken = "4000000000000011";
inline constexpr std::string_view kOtherRealAmount = "4000000000000012";    // montant réel one unit below the amount asked
inline constexpr std::string_view kRefundLostAnswer = "4000000000000013";   // the first refund is done, its answer never comes
inline constexpr std::string_view kRefundNeverDone = "4000000000000014";    // the first refund is not done, no answer comes
}  // namespace esipay_cards

class EsipaySandbox {
 public:
  explicit EsipaySandbox(EsipaySandboxOptions options = {});
  ~EsipaySandbox();
  EsipaySandbox(const EsipaySandbox&) = delete;
  EsipaySandbox& operator=(const EsipaySandbox&) = delete;

  void start(const std::string& host = "127.0.0.1", std::uint16_t port = 0);
  void stop();  // idempotent; answers still held (the no-answer scenario) are dropped
  std::string base_url() const;
  void set_return_url(std::string url);

  void handle(HttpRequest request, Respond respond);

  // ---- counters for tests ----
  std::size_t payments(std::string_view cid) const;  // cardpay requests that reached the scenario (charges)
  std::string transaction_of(std::string_view cid) const;  // esipay's transaction id; "" none
  std::string status_of(std::string_view cid) const;       // paid, cancelled, refunded, partially_refunded; "" none
  // Payments esipay cancelled because the return URL did not answer 200 (the seed's rule).
  std::size_t cancelled_for_return_url() const;
  std::size_t callbacks_sent(std::string_view cid) const;
  std::size_t refunds(std::string_view transaction) const;  // refunds done (full and partial), refusals excluded
  std::string remaining_of(std::string_view transaction) const;  // decimal string of what can still be refunded
  // esipay's settlement file as corridor reads it (docs/operations.md): a `card` line per payment not
  // cancelled and a `refund` line per refund done, dated the day they were done (UTC). Also served
  // at GET /_sandbox/settlement.
  std::string settlement_csv() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

SandboxRegistration esipay_sandbox_registration();

}  // namespace corridor
