// CONTRIBUTING.md's steps, proven with a toy provider: its files in tests/toy/ at the paths a
// provider's take in the repository, one line in its own list (tests/toy/providers.def). The registry
// walk finds every part, its flow steps through both rows, and the engine's generic paths serve it
// from that registry with no change: its settings validated, a command routed to it (constraints,
// sealed field), the processor starting and finishing its transaction, its adapter reading the answer.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>

#include "engine/config/config.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/pipeline/processor.hpp"
#include "tests/support/flow_harness.hpp"
#include "tests/support/provider_walk.hpp"
#include "tests/toy/registry.hpp"

namespace corridor {
namespace {

constexpr std::int64_t kT0 = testing::kT0;

const std::string kConfig =
    "providers: { toy: { base_url: http://toy.example, api_key: toy-secret-key } }\n"
    "merchants: [ { id: ZANDO, providers: [toy] } ]\n";

Config toy_config() { return parse_config(kConfig, "toy.yaml", toy_providers()); }

CardVault vault() {
  std::array<unsigned char, 32> key{};
  key.fill(7);
  return CardVault(key);
}

std::string transfer(std::string_view reference, std::string_view extra = "", std::string_view currency = "XOF") {
  return R"({"type":"payment.create","command_id":"c-)" + std::string(reference) +
         R"(","merchant":"ZANDO","reference":")" + std::string(reference) +
         R"(","provider":"toy","amount":{"value":500,"currency":")" + std::string(currency) + R"("})" +
         std::string(extra) + "}";
}

std::string rejection(const std::variant<RoutedCommand, CommandRejection>& routed) {
  return std::holds_alternative<CommandRejection>(routed) ? std::get<CommandRejection>(routed).reason : "";
}

TEST(ToyProvider, TheRegistryWalkFindsEveryPart) {
  ASSERT_EQ(toy_providers().all().size(), 1u);
  const ProviderPlugin& toy = toy_providers().all().front();
  EXPECT_EQ(toy.name, "toy");
  const std::filesystem::path root = std::filesystem::path(CORRIDOR_SOURCE_DIR) / "tests" / "toy";
  EXPECT_EQ(testing::missing_parts(toy, toy_sandboxes(), root), std::vector<std::string>{});
  // Production carries none of it.
  EXPECT_EQ(providers().find("toy"), nullptr);
}

TEST(ToyProvider, ItsFlowStepsThroughBothRows) {
  const Flow& flow = *toy_providers().resolve_flow("toy", "");
  testing::Harness h{flow};
  h.feed(h.create_input());
  EXPECT_EQ(h.txn.state, "requested");
  h.feed("transfer.done", {{"id", "T-1"}});
  EXPECT_EQ(h.txn.state, "done");
  EXPECT_TRUE(flow.state(h.txn.state)->terminal);
}

TEST(ToyProvider, TheConfigIsValidatedAgainstItsSettingsSchema) {
  const Config c = toy_config();
  EXPECT_EQ(c.registry, &toy_providers());
  EXPECT_EQ(c.providers.at("toy").at("api_key"), "toy-secret-key");
  EXPECT_EQ(c.providers.at("toy").at("transfer_limit"), "100000");  // its documented default
  try {
    parse_config("providers: { toy: { base_url: x, api_key: k, colour: blue } }\n", "toy.yaml", toy_providers());
    ADD_FAILURE() << "an unknown key was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("providers.toy.colour"), std::string::npos) << e.what();
  }
  try {
    parse_config("providers: { toy: { base_url: x } }\n", "toy.yaml", toy_providers());
    ADD_FAILURE() << "a missing required key was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("providers.toy.api_key"), std::string::npos) << e.what();
  }
  // corridor's own registry does not know it.
  EXPECT_THROW(parse_config(kConfig, "toy.yaml"), ConfigError);
}

TEST(ToyProvider, ACommandIsRoutedToItsFlowWithItsConstraintsAndSealedField) {
  const Config c = toy_config();
  const CardVault v = vault();
  auto routed = route_command(transfer("R1", R"(,"toy":{"pin":"4321"})"), c, "commands:0:0", kT0, &v);
  ASSERT_EQ(rejection(routed), "");
  const Input& in = std::get<RoutedCommand>(routed).input;
  EXPECT_EQ(get_string(in.data, "flow"), "transfer");
  const json::object& toy = in.data.at("toy").as_object();
  EXPECT_FALSE(toy.contains("pin"));
  ASSERT_TRUE(toy.contains("pin_sealed"));
  EXPECT_EQ(*v.open(toy.at("pin_sealed").as_string()), "4321");

  EXPECT_NE(rejection(route_command(transfer("R2", "", "USD"), c, "commands:0:1", kT0, &v)).find("currency USD"),
            std::string::npos);
  EXPECT_EQ(rejection(route_command(transfer("R3", R"(,"toy":{"pin_sealed":"x"})"), c, "commands:0:2", kT0, &v)),
            "field 'toy.pin_sealed' is corridor's own: send toy.pin");
  EXPECT_EQ(rejection(route_command(transfer("R4", R"(,"toy":{"pin":"4321"})"), c, "commands:0:3", kT0)),
            "command carries sensitive data (toy.pin) but CORRIDOR_CARD_KEY is not set: corridor never keeps it in clear");
  // A dead letter hides the PIN.
  EXPECT_EQ(shown_payload(R"({"toy":{"pin":"4321"}})", toy_providers()), R"({"toy":{"pin":"[redacted]"}})");
  // corridor's own registry does not know the provider.
  Config own = toy_config();
  own.registry = &providers();
  EXPECT_EQ(rejection(route_command(transfer("R5"), own, "commands:0:4", kT0)), "unknown provider 'toy'");
}

TEST(ToyProvider, TheProcessorRunsItsTransactionAndItsAdapterReadsTheAnswer) {
  char tmpl[] = "/tmp/corridor-toy-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto store = open_sqlite_store(dir + "/store.db");
  const Config c = toy_config();
  std::int64_t offset = 0;
  auto record = [&](const Input& in) {
    return InputRecord{"corridor.inputs", 0, offset++, kT0, boost::json::serialize(to_json(in))};
  };
  auto apply = [&](const Input& in) {
    BatchProcessor p(*store, c);
    BatchStats stats;
    auto batch = p.process({record(in)}, stats);
    EXPECT_TRUE(batch);
    EXPECT_TRUE(store->commit(*batch));
    return *batch;
  };

  const auto created = apply(std::get<RoutedCommand>(route_command(transfer("R1"), c, "commands:0:0", kT0)).input);
  ASSERT_EQ(created.transactions.size(), 1u);
  EXPECT_EQ(created.transactions[0].state, "requested");
  ASSERT_EQ(created.calls.size(), 1u);
  const ProviderCall& call = created.calls[0];
  EXPECT_EQ(call.provider, "toy");

  // The call as the executor makes it, through the adapter the registry makes from the settings.
  const auto adapter = c.registry->find_adapter("toy")->make(c.providers.at("toy"));
  auto request = adapter->build_request(call);
  ASSERT_TRUE(request) << request.error().message;
  EXPECT_EQ(request->target, "http://toy.example/transfers");
  auto parsed = adapter->parse_response(call, HttpResponse{201, {}, R"({"id":"T-9"})"});
  ASSERT_TRUE(parsed) << parsed.error().message;
  Input answer;
  answer.input_id = call.answer_input_id();
  answer.txn_id = parsed->txn_id;
  answer.kind = InputKind::provider_response;
  answer.name = parsed->name;
  answer.at_ms = kT0 + 1000;
  answer.data = parsed->data;

  const auto done = apply(answer);
  ASSERT_EQ(done.transactions.size(), 1u);
  EXPECT_EQ(done.transactions[0].state, "done");
  EXPECT_EQ(done.transactions[0].provider_refs.find("transfer"), "T-9");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace corridor
