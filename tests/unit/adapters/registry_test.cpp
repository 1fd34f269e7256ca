// The provider registry: one registration per provider, refused duplicates, and for every provider
// a flow, an adapter, a sandbox and a document.
#include "adapters/registry.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "statemachines/registry.hpp"

namespace corridor {
namespace {

std::unique_ptr<ProviderAdapter> no_adapter(const ProviderSettings&) { return nullptr; }

TEST(AdapterRegistry, FindsNovaSend) {
  const AdapterRegistration* r = find_adapter("novasend");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->provider, "novasend");
  EXPECT_EQ(find_adapter("nope"), nullptr);
  EXPECT_EQ(find_adapter(""), nullptr);
}

TEST(AdapterRegistry, CorridorsOwnListIsValid) {
  auto ok = validate_registrations(adapter_registrations());
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST(AdapterRegistry, RefusesADuplicateName) {
  std::vector<AdapterRegistration> list;
  list.push_back({"novasend", {}, no_adapter});
  list.push_back({"flexpay", {}, no_adapter});
  list.push_back({"novasend", {}, no_adapter});
  auto r = validate_registrations(list);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'novasend' is registered twice"), std::string::npos) << r.error().message;
}

TEST(AdapterRegistry, RefusesUnnamedFactorylessOrRepeatedKeys) {
  EXPECT_FALSE(validate_registrations({AdapterRegistration{"", {}, no_adapter}}).ok());
  EXPECT_FALSE(validate_registrations({AdapterRegistration{"x", {}, nullptr}}).ok());
  std::vector<AdapterRegistration> keys;
  keys.push_back({"x", {{"base_url", true, "", ""}, {"base_url", false, "", ""}}, no_adapter});
  auto r = validate_registrations(keys);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("base_url"), std::string::npos);
}

TEST(AdapterRegistry, EveryProviderHasAFlowAnAdapterASandboxAndADoc) {
  const std::filesystem::path root = CORRIDOR_SOURCE_DIR;
  for (const auto& r : adapter_registrations()) {
    const std::string name(r.provider);
    bool has_flow = false;
    for (const Flow* f : all_flows()) has_flow = has_flow || f->provider == r.provider;
    EXPECT_TRUE(has_flow) << name << " has no flow in statemachines/";
    EXPECT_TRUE(std::filesystem::is_directory(root / "adapters" / name)) << name;
    EXPECT_TRUE(std::filesystem::is_directory(root / "sandbox" / name)) << name << " has no sandbox";
    EXPECT_TRUE(std::filesystem::exists(root / "docs" / "providers" / (name + ".md"))) << name << " has no doc";
    bool documented_keys = true;
    for (const auto& k : r.config_keys) documented_keys = documented_keys && !k.doc.empty();
    EXPECT_TRUE(documented_keys) << name << " has an undocumented config key";
  }
}

TEST(AdapterRegistry, TxnIdOfACallIsItsPrefix) {
  EXPECT_EQ(txn_id_of_call("tx_ABC:3:create_session"), "tx_ABC");
  EXPECT_EQ(txn_id_of_call("tx_ABC"), "tx_ABC");
  EXPECT_EQ(txn_id_of_call(""), "");
}

}  // namespace
}  // namespace corridor
