// The runtime carries no sandbox: with sandbox.enabled it starts the ones its caller supplies
// (RuntimeOptions::start_sandboxes), and without them it refuses to start rather than call the
// configured base URLs.
#include <gtest/gtest.h>

#include "engine/cli/sandboxes.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor {
namespace {

using namespace testing;

TEST(SandboxHook, SandboxesEnabledWithoutTheHookAreRefused) {
  TempDir dir;
  Cluster cluster;
  Runtime runtime(test_config(cluster, dir.path()));
  try {
    runtime.start();
    FAIL() << "started with sandbox.enabled and no sandboxes";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("sandbox.enabled"), std::string::npos) << e.what();
  }
}

TEST(SandboxHook, TheHookPointsEveryProviderAtItsSandbox) {
  TempDir dir;
  Cluster cluster;
  Config config = test_config(cluster, dir.path());
  std::map<std::string, std::string> given;
  RuntimeOptions options;
  options.start_sandboxes = [&given](const std::string& host, const std::string& public_url,
                                     std::map<std::string, ProviderSettings, std::less<>>& providers) {
    auto started = start_sandboxes(host, public_url, providers);
    for (const auto& [provider, settings] : providers) given[provider] = settings.at("base_url");
    return started;
  };
  Runtime runtime(config, options);
  runtime.start();
  ASSERT_EQ(given.size(), config.providers.size());
  for (const auto& [provider, settings] : runtime.config().providers) {
    EXPECT_EQ(settings.at("base_url"), given[provider]) << provider;
    EXPECT_EQ(settings.at("base_url").rfind("http://127.0.0.1:", 0), 0u) << provider;
  }
  runtime.stop();
}

}  // namespace
}  // namespace corridor
