// The console in a real browser: the runtime on the embedded defaults with its sandboxes, a NovaSend
// payin taken through its provider call and webhook, then Debian's headless Chromium on the operations
// listener. The payments page lists the payment, its page draws the timeline with the provider call
// and the webhook, the attention and flows pages load; screenshots of each are kept in
// build/test-artifacts/console/. Every Chromium run is bounded by timeout(1); no Chromium is a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/io/http_client.hpp"
#include "engine/pipeline/commands.hpp"
#include "tests/support/contracts.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Console : public ::testing::Test {
 protected:
  // Runs Chromium on the console at `fragment` (after '#'), with `mode` --dump-dom or --screenshot=…;
  // returns what it printed on stdout. Its stderr goes to the test's folder.
  std::string chromium(const std::string& fragment, const std::string& mode) {
    const std::string url = "http://" + engine->runtime().operations_address() + "/console#" + fragment;
    const std::filesystem::path out = std::filesystem::path(dir.path()) / "chromium.out";
    const std::string cmd = "timeout 90 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "
                            "--no-first-run --hide-scrollbars --user-data-dir='" + dir.path() + "/profile' " +
                            "--virtual-time-budget=15000 --window-size=1280,1100 " + mode + " '" + url + "' >'" +
                            out.string() + "' 2>>'" + dir.path() + "/chromium.err'";
    const int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << cmd << "\n" << read_file(std::filesystem::path(dir.path()) / "chromium.err");
    return read_file(out);
  }

  // A screenshot of the console at `fragment`, kept as a test artifact.
  void screenshot(const std::string& fragment, const std::string& name) {
    const std::filesystem::path dir_out = CORRIDOR_TEST_ARTIFACTS;
    std::filesystem::create_directories(dir_out);
    const std::filesystem::path file = dir_out / (name + ".png");
    std::filesystem::remove(file);
    chromium(fragment, "--screenshot='" + file.string() + "'");
    const std::string png = read_file(file);
    ASSERT_GT(png.size(), 1000u) << file;
    EXPECT_EQ(png.substr(1, 3), "PNG") << file;
    std::cout << "console screenshot: " << file.string() << std::endl;
  }

  TempDir dir;
  Cluster cluster;
  std::unique_ptr<Engine> engine = std::make_unique<Engine>(cluster, dir.path());
  TopicCollector events{cluster.bootstrap, "corridor.events"};
};

TEST_F(Console, ShowsAPaymentAndItsTimelineWithTheProviderCallAndTheWebhook) {
  ASSERT_EQ(std::system("command -v chromium >/dev/null"), 0) << "chromium is not installed (scripts/install-deps.sh)";
  // The sandbox's default NovaSend customer accepts: a session call, then the payin.confirmed webhook.
  engine->publish_command(payin_command("CONSOLE-1", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "CONSOLE-1");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));

  const std::string list = chromium("/payments", "--dump-dom");
  EXPECT_NE(list.find("data-state=\"ready\""), std::string::npos) << list;
  EXPECT_NE(list.find("data-txn=\"" + txn + "\""), std::string::npos) << list;
  EXPECT_NE(list.find("CONSOLE-1"), std::string::npos);

  const std::string page = chromium("/payment/" + txn, "--dump-dom");
  EXPECT_NE(page.find("data-state=\"ready\""), std::string::npos) << page;
  EXPECT_NE(page.find("id=\"timeline\""), std::string::npos) << page;
  // Drawn in the SVG sequence: the call corridor makes and the webhook the provider sends.
  EXPECT_NE(page.find("class=\"entry kind-call\" data-kind=\"call\""), std::string::npos) << page;
  EXPECT_NE(page.find("class=\"entry kind-webhook\" data-kind=\"webhook\""), std::string::npos) << page;
  EXPECT_NE(page.find("call create_session"), std::string::npos) << page;
  EXPECT_NE(page.find("webhook payin.confirmed"), std::string::npos) << page;

  const std::string attention = chromium("/attention", "--dump-dom");
  EXPECT_NE(attention.find("data-state=\"ready\""), std::string::npos) << attention;
  const std::string flows = chromium("/flows/novasend.payin", "--dump-dom");
  EXPECT_NE(flows.find("id=\"flow-diagram\""), std::string::npos) << flows;

  screenshot("/payments", "payments");
  screenshot("/payment/" + txn, "payment");
  screenshot("/attention", "attention");
  screenshot("/flows/novasend.payin", "flows");
}

// With tokens: the console's files are served to anyone (they hold no data), the API behind them
// answers only a token, a merchant's token sees its own payments only, and the page asks for a token.
class ConsoleWithTokens : public Console {
 protected:
  static constexpr const char* kOperator = "operator-token-0123456789";
  static constexpr const char* kZando = "zando-token-0123456789ab";
  static constexpr const char* kOther = "other-token-0123456789abc";
  ConsoleWithTokens() {
    Config config = test_config(cluster, dir.path() + "/tokens");
    config.auth.operator_tokens = {kOperator};
    for (auto& m : config.merchants)
      if (m.id == "ZANDO") m.tokens = {kZando};
    config.merchants.push_back(MerchantConfig{"OTHER", true, {"novasend"}, {kOther}});
    engine.reset();
    engine = std::make_unique<Engine>(config);
  }
  HttpResponse get(const std::string& path, const std::string& token = "") {
    HttpHeaders headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    auto r = http->send(HttpRequest{"GET", "http://" + engine->runtime().operations_address() + path, headers, "", ""},
                        std::chrono::seconds(10));
    EXPECT_TRUE(r);
    return r ? *r : HttpResponse{0, {}, ""};
  }
  std::unique_ptr<HttpClient> http = recording_http_client();
};

TEST_F(ConsoleWithTokens, FilesAreOpenTheApiNeedsATokenAndAMerchantSeesItsOwn) {
  engine->publish_command(payin_command("CONSOLE-T", "+2250700000001"));
  const auto txn = derive_txn_id("ZANDO", "CONSOLE-T");
  ASSERT_TRUE(events.wait_until([&](const auto& evs) { return latest_status(evs, txn) == "succeeded"; }));

  const HttpResponse page = get("/console");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.header("Content-Security-Policy").find("default-src 'none'"), std::string_view::npos);
  EXPECT_EQ(get("/console/console.js").status, 200);
  EXPECT_EQ(get("/v1/payments").status, 401);
  EXPECT_EQ(get("/v1/flows").status, 401);
  EXPECT_EQ(get("/v1/transactions/" + txn + "/timeline").status, 401);

  EXPECT_NE(get("/v1/payments", kOperator).body.find(txn), std::string::npos);
  EXPECT_NE(get("/v1/payments", kZando).body.find(txn), std::string::npos);
  const HttpResponse other = get("/v1/payments", kOther);
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.body.find(txn), std::string::npos);
  EXPECT_EQ(get("/v1/payments?merchant=ZANDO", kOther).status, 403);
  EXPECT_EQ(get("/v1/transactions/" + txn + "/timeline", kZando).status, 200);
  EXPECT_EQ(get("/v1/transactions/" + txn + "/timeline", kOther).status, 404);
  EXPECT_EQ(get("/v1/flows", kOther).status, 200);

  // Without a token in the tab, the page asks for one.
  const std::string dom = chromium("/payments", "--dump-dom");
  EXPECT_NE(dom.find("<form id=\"token-form\">"), std::string::npos) << dom;
  EXPECT_NE(dom.find("needs a bearer token"), std::string::npos) << dom;
  EXPECT_EQ(dom.find(txn), std::string::npos);
}

}  // namespace
}  // namespace corridor
