// The provider registry: one plugin per line of adapters/providers.def, a list checked once (a
// duplicate name, a missing factory or flow refused), and a walk over corridor's providers: every one
// has flows, an adapter, a sandbox, its documents and a test per flow row.
#include "adapters/registry.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <stdexcept>
#include <string>

#include "tests/support/provider_walk.hpp"

namespace corridor {
namespace {

std::unique_ptr<ProviderAdapter> no_adapter(const ProviderSettings&) { return nullptr; }

// A flow with no rows, named "<provider>.<name>", kept for the test program's life.
const Flow& flow_of(std::string_view provider, std::string_view name = "pay") {
  static std::deque<std::string> texts;
  static std::deque<Flow> flows;
  const std::string& p = texts.emplace_back(provider);
  const std::string& n = texts.emplace_back(name);
  const std::string& id = texts.emplace_back(p + "." + n);
  Flow& f = flows.emplace_back();
  f.id = id;
  f.provider = p;
  f.name = n;
  return f;
}

ProviderPlugin plugin(std::string_view name) {
  return {.name = name, .adapter = {name, {}, no_adapter}, .flows = {&flow_of(name)}};
}

TEST(ProviderRegistry, FindsAProviderItsAdapterAndItsFlows) {
  const ProviderPlugin* p = providers().find("novasend");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "novasend");
  EXPECT_EQ(find_adapter("novasend"), &p->adapter);
  EXPECT_EQ(providers().find("nope"), nullptr);
  EXPECT_EQ(find_adapter(""), nullptr);
  EXPECT_EQ(resolve_flow("novasend", ""), p->flows.front());
  EXPECT_EQ(resolve_flow("nope", ""), nullptr);
}

TEST(ProviderRegistry, FlowsComeFromThePluginsInListOrder) {
  std::vector<const Flow*> expected;
  for (const ProviderPlugin& p : providers().all()) expected.insert(expected.end(), p.flows.begin(), p.flows.end());
  EXPECT_EQ(all_flows(), expected);
  for (const Flow* f : all_flows()) EXPECT_EQ(find_flow(f->id), f);
}

TEST(ProviderRegistry, CorridorsOwnListIsValid) {
  auto ok = validate_providers(providers().all());
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST(ProviderRegistry, RefusesADuplicateName) {
  auto r = validate_providers({plugin("novasend"), plugin("flexpay"), plugin("novasend")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'novasend' is registered twice"), std::string::npos) << r.error().message;
  EXPECT_THROW(ProviderRegistry({plugin("a"), plugin("a")}), std::logic_error);
}

TEST(ProviderRegistry, RefusesAPluginWithoutItsParts) {
  EXPECT_FALSE(validate_providers({plugin("")}).ok());
  ProviderPlugin factoryless = plugin("x");
  factoryless.adapter.make = nullptr;
  EXPECT_FALSE(validate_providers({factoryless}).ok());
  ProviderPlugin flowless = plugin("x");
  flowless.flows.clear();
  EXPECT_NE(validate_providers({flowless}).error().message.find("'x' has no flow"), std::string::npos);
  ProviderPlugin misnamed = plugin("x");
  misnamed.adapter.provider = "y";
  EXPECT_FALSE(validate_providers({misnamed}).ok());
  ProviderPlugin keys = plugin("x");
  keys.adapter.config_keys = {{"base_url", true, "", ""}, {"base_url", false, "", ""}};
  EXPECT_NE(validate_providers({keys}).error().message.find("base_url"), std::string::npos);
  ProviderPlugin sealed = plugin("x");
  sealed.capabilities.sealed_fields = {{.object = "x", .key = "pin", .sealed_as = ""}};
  EXPECT_FALSE(validate_providers({sealed}).ok());
}

TEST(ProviderRegistry, RefusesAFlowOfAnotherProviderOrOneRegisteredTwice) {
  ProviderPlugin borrowed = plugin("x");
  borrowed.flows = {&flow_of("y")};
  EXPECT_NE(validate_providers({borrowed}).error().message.find("a flow of another provider"), std::string::npos);
  ProviderPlugin twice = plugin("x");
  twice.flows.push_back(twice.flows.front());
  EXPECT_NE(validate_providers({twice}).error().message.find("'x.pay' is registered twice"), std::string::npos);
}

TEST(ProviderRegistry, ACommandNamesTheFlowOfAProviderWithSeveral) {
  ProviderPlugin two = plugin("x");
  two.flows.push_back(&flow_of("x", "refund"));
  const ProviderRegistry registry({two});
  EXPECT_EQ(registry.resolve_flow("x", ""), nullptr);
  EXPECT_EQ(registry.resolve_flow("x", "pay"), two.flows.front());
}

TEST(ProviderRegistry, SealedFieldsOfEveryProviderInListOrder) {
  std::size_t declared = 0;
  for (const ProviderPlugin& p : providers().all()) declared += p.capabilities.sealed_fields.size();
  EXPECT_EQ(providers().sealed_fields().size(), declared);
}

TEST(ProviderRegistry, SandboxesFollowTheSameList) {
  std::vector<std::string_view> plugins, sandboxes_listed;
  for (const ProviderPlugin& p : providers().all()) plugins.push_back(p.name);
  for (const SandboxRegistration& s : sandboxes().all()) sandboxes_listed.push_back(s.provider);
  EXPECT_EQ(sandboxes_listed, plugins);
  EXPECT_THROW(SandboxRegistry({sandboxes().all().front(), sandboxes().all().front()}), std::logic_error);
}

// STYLE.md: a test walks the registry and checks every provider has a flow, an adapter, a sandbox,
// a doc, and a test per flow row.
TEST(ProviderRegistry, EveryProviderHasFlowsAnAdapterASandboxDocsAndATestPerRow) {
  ASSERT_FALSE(providers().all().empty());
  for (const ProviderPlugin& p : providers().all()) {
    for (const auto& missing : testing::missing_parts(p, sandboxes(), CORRIDOR_SOURCE_DIR)) ADD_FAILURE() << missing;
  }
}

TEST(ProviderRegistry, TheWalkSeesAnUntestedRow) {
  const Flow& flow = *find_flow("esipay.card");
  const auto untested = testing::rows_not_named(flow, "TEST(X, Y) { h.feed(testing::create_command(\"esipay.card\")); }");
  EXPECT_EQ(untested.size(), flow.rows.size() - 1);  // only the create row is exercised
}

TEST(ProviderRegistry, TxnIdOfACallIsItsPrefix) {
  EXPECT_EQ(txn_id_of_call("tx_ABC:3:create_session"), "tx_ABC");
  EXPECT_EQ(txn_id_of_call("tx_ABC"), "tx_ABC");
  EXPECT_EQ(txn_id_of_call(""), "");
}

}  // namespace
}  // namespace corridor
