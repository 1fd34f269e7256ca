#include "engine/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace corridor {
namespace {

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "corridor.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, EmbeddedDefaultsAreValid) {
  Config c = parse_config(embedded_default_config(), "embedded");
  EXPECT_EQ(c.kafka.bootstrap, "embedded");
  EXPECT_EQ(c.kafka.partitions, 12);
  EXPECT_EQ(c.kafka.inputs, "corridor.inputs");
  EXPECT_EQ(c.store.kind, "sqlite");
  EXPECT_TRUE(c.sandbox.enabled);
  ASSERT_NE(c.merchant("ZANDO"), nullptr);
  EXPECT_TRUE(c.merchant("ZANDO")->allows("novasend"));
  EXPECT_EQ(c.flow_settings("novasend").get("poll_interval_ms", 0), 5000);
}

TEST(Config, UnknownKeyIsNamedWithItsPathAndLine) {
  const std::string err = error_of("kafka:\n  bootstrap: embedded\n  partitons: 3\n");
  EXPECT_NE(err.find("corridor.yaml:3"), std::string::npos) << err;
  EXPECT_NE(err.find("kafka.partitons"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown key"), std::string::npos) << err;
}

TEST(Config, UnknownProviderKeyIsRefused) {
  const std::string err = error_of("providers:\n  novasend:\n    base_url: x\n    webhook_secret: s\n    api_kye: k\n");
  EXPECT_NE(err.find("providers.novasend.api_kye"), std::string::npos) << err;
}

TEST(Config, MissingRequiredProviderKey) {
  const std::string err = error_of("providers:\n  novasend:\n    webhook_secret: s\n");
  EXPECT_NE(err.find("providers.novasend.base_url"), std::string::npos) << err;
  EXPECT_NE(err.find("required"), std::string::npos) << err;
}

TEST(Config, WrongTypesAndRanges) {
  EXPECT_NE(error_of("kafka: { partitions: many }").find("must be an integer"), std::string::npos);
  EXPECT_NE(error_of("kafka: { partitions: 0 }").find("between"), std::string::npos);
  EXPECT_NE(error_of("sandbox: { enabled: perhaps }").find("true or false"), std::string::npos);
  EXPECT_NE(error_of("store: { kind: oracle }").find("must be 'sqlite' or 'postgres'"), std::string::npos);
  EXPECT_NE(error_of("http: { listen: nowhere }").find("host:port"), std::string::npos);
}

// Who reads which partitions: by the store unless said, and only 'all' or 'group'.
TEST(Config, KafkaAssignmentFollowsTheStoreUnlessGiven) {
  EXPECT_EQ(parse_config("", "c.yaml").kafka.assignment, "all");
  EXPECT_EQ(parse_config(embedded_default_config(), "embedded").kafka.assignment, "all");
  EXPECT_EQ(parse_config("store: { kind: postgres, url: 'postgresql://db/corridor' }", "c.yaml").kafka.assignment,
            "group");
  EXPECT_EQ(parse_config("kafka: { assignment: group }", "c.yaml").kafka.assignment, "group");
  EXPECT_EQ(parse_config("kafka: { assignment: all }\nstore: { kind: postgres, url: 'postgresql://db/corridor' }",
                         "c.yaml")
                .kafka.assignment,
            "all");
  const std::string err = error_of("kafka:\n  assignment: roundrobin\n");
  EXPECT_NE(err.find("kafka.assignment"), std::string::npos) << err;
  EXPECT_NE(err.find("'all'"), std::string::npos) << err;
  EXPECT_NE(err.find("corridor.yaml:2"), std::string::npos) << err;
}

TEST(Config, APostgresStoreNeedsAUrlAndKeepsItOutOfErrors) {
  Config c = parse_config("store:\n  kind: postgres\n  url: postgresql://corridor:s3cret-pw@db:5432/corridor\n", "c.yaml");
  EXPECT_EQ(c.store.kind, "postgres");
  EXPECT_EQ(c.store.url, "postgresql://corridor:s3cret-pw@db:5432/corridor");
  EXPECT_EQ(parse_config("store: { kind: postgres, url: 'postgres://h/db' }", "c.yaml").store.url, "postgres://h/db");

  std::string err = error_of("store:\n  kind: postgres\n");
  EXPECT_NE(err.find("store.url"), std::string::npos) << err;
  EXPECT_NE(err.find("required"), std::string::npos) << err;
  EXPECT_NE(err.find("corridor.yaml:2"), std::string::npos) << err;
  err = error_of("store:\n  kind: postgres\n  url: ''\n");
  EXPECT_NE(err.find("required"), std::string::npos) << err;
  // Not a URL: refused without quoting it (it may hold a password).
  err = error_of("store:\n  kind: postgres\n  url: mysql://corridor:s3cret-pw@db/corridor\n");
  EXPECT_NE(err.find("corridor.yaml:3: store.url: must be a postgresql:// URL"), std::string::npos) << err;
  EXPECT_EQ(err.find("s3cret-pw"), std::string::npos) << err;
  err = error_of("store:\n  kind: postgres\n  url: [a, b]\n");
  EXPECT_NE(err.find("store.url"), std::string::npos) << err;
  // A url with kind sqlite is a mistake worth saying.
  err = error_of("store:\n  url: postgresql://h/db\n");
  EXPECT_NE(err.find("store.url: is for kind postgres"), std::string::npos) << err;
  err = error_of("store:\n  kind: Postgres\n  url: postgresql://h/db\n");
  EXPECT_NE(err.find("must be 'sqlite' or 'postgres'"), std::string::npos) << err;
  // From the environment, as secrets are given.
  setenv("CORRIDOR_TEST_STORE_URL", "postgresql://u:env-pw-123@h/db", 1);
  EXPECT_EQ(parse_config("store: { kind: postgres, url: '${CORRIDOR_TEST_STORE_URL}' }", "c.yaml").store.url,
            "postgresql://u:env-pw-123@h/db");
  unsetenv("CORRIDOR_TEST_STORE_URL");
}

// Found by fuzz/config_loader (fuzz/regressions/config_loader/): a list or a mapping where a plain
// value belongs escaped as yaml-cpp's bad conversion instead of a ConfigError.
TEST(Config, ListOrMappingWhereAPlainValueBelongsIsAConfigError) {
  const std::string esipay =
      "providers:\n  esipay:\n    base_url: http://10.0.0.6\n    uuid: u\n    callback_token: \"0123456789abcdef\"\n";
  const std::pair<std::string, std::string> cases[] = {
      {"? []\n", "corridor.yaml:1: "},
      {"kafka:\n  properties:\n    ? [a, b]\n    : x\n", "kafka.properties"},
      {"providers:\n  ? {cynod: 1}\n  : {}\n", "providers"},
      {esipay + "    allowed_sources: [{ip: 10.0.0.6}]\n", "providers.esipay.allowed_sources[0]"},
      {"merchants:\n  - id: ZANDO\n    providers: [{novasend: 1}]\n", "merchants[0].providers[0]"},
  };
  for (const auto& [yaml, where] : cases) {
    std::string err;
    EXPECT_NO_THROW(err = error_of(yaml)) << yaml;
    EXPECT_NE(err.find(where), std::string::npos) << yaml << " -> " << err;
    EXPECT_NE(err.find("must be a plain value"), std::string::npos) << yaml << " -> " << err;
  }
}

TEST(Config, IntegerOutOfRangeIsRefusedNotClamped) {
  const std::string err = error_of("store:\n  max_bytes: 99999999999999999999\n");
  EXPECT_NE(err.find("store.max_bytes"), std::string::npos) << err;
  EXPECT_NE(error_of("janitor:\n  unknown_after_ms: [99999999999999999999]\n").find("janitor.unknown_after_ms[0]"),
            std::string::npos);
}

TEST(Config, JanitorScheduleReachesEveryFlowAndIsChecked) {
  const Config defaults = parse_config(embedded_default_config(), "embedded");
  EXPECT_EQ(defaults.flow_settings("novasend").janitor.unknown_ms, (std::vector<std::int64_t>{300000, 3600000, 86400000}));
  EXPECT_EQ(defaults.flow_settings("cynod").janitor.pending_ms, (std::vector<std::int64_t>{3600000, 86400000}));
  const Config off = parse_config("janitor: { enabled: false }\n", "corridor.yaml");
  EXPECT_TRUE(off.flow_settings("novasend").janitor.unknown_ms.empty());
  const Config own = parse_config("janitor: { unknown_after_ms: [60000], pending_after_ms: [120000, 240000] }\n", "c.yaml");
  EXPECT_EQ(own.janitor.unknown_after_ms, (std::vector<std::int64_t>{60000}));
  EXPECT_EQ(own.janitor.pending_after_ms, (std::vector<std::int64_t>{120000, 240000}));
  EXPECT_NE(error_of("janitor: { unknown_after_ms: [] }").find("janitor.unknown_after_ms: must be a non-empty list"),
            std::string::npos)
      << error_of("janitor: { unknown_after_ms: [] }");
  EXPECT_NE(error_of("janitor: { pending_after_ms: [3600000, soon] }").find("janitor.pending_after_ms[1]"),
            std::string::npos);
  EXPECT_NE(error_of("janitor: { unknown_after_ms: [10] }").find("between 1000"), std::string::npos);
  EXPECT_NE(error_of("janitor: { every: 5 }").find("janitor.every"), std::string::npos);
}

TEST(Config, TheInputsLimitLeavesRoomForAnAcceptedCommandOrWebhook) {
  const std::string err = error_of("limits:\n  command_bytes: 300000\n  input_bytes: 320000\n");
  EXPECT_NE(err.find("limits.input_bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("at least"), std::string::npos) << err;
  EXPECT_EQ(error_of("limits:\n  command_bytes: 300000\n  input_bytes: 400000\n"), "");
}

TEST(Config, MerchantsNameConfiguredProvidersOnly) {
  EXPECT_NE(error_of("merchants: [ { id: A, providers: [novasend] } ]").find("not configured"), std::string::npos);
  EXPECT_NE(error_of("merchants: [ { providers: [] } ]").find("merchants[0].id"), std::string::npos);
}

TEST(Config, EnvironmentInterpolation) {
  setenv("CORRIDOR_TEST_SECRET", "s3cret", 1);
  Config c = parse_config(
      "providers:\n  novasend:\n    base_url: \"${CORRIDOR_TEST_NOT_SET:-http://fallback}\"\n"
      "    webhook_secret: \"${CORRIDOR_TEST_SECRET}\"\n",
      "t");
  EXPECT_EQ(c.providers["novasend"]["webhook_secret"], "s3cret");
  EXPECT_EQ(c.providers["novasend"]["base_url"], "http://fallback");
  const std::string err =
      error_of("providers:\n  novasend:\n    base_url: x\n    webhook_secret: \"${CORRIDOR_TEST_NOT_SET}\"\n");
  EXPECT_NE(err.find("CORRIDOR_TEST_NOT_SET is not set"), std::string::npos) << err;
  EXPECT_NE(err.find("providers.novasend.webhook_secret"), std::string::npos) << err;
}

TEST(Config, InvalidYamlSaysWhere) {
  const std::string err = error_of("kafka:\n  bootstrap: [unclosed\n");
  EXPECT_NE(err.find("invalid YAML"), std::string::npos) << err;
}

}  // namespace
}  // namespace corridor
