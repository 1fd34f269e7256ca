// docs/commands.md held to the code, both ways where the code can say it: every command type the router
// accepts (kCommandTypes, engine/pipeline/commands.cpp) and every flow of the provider registry has its
// section, each flow's section names its create command, its required fields, its sealed fields, its
// provider's limits and exactly the commands its table takes after the create; every sandbox selector
// the sandboxes define is in the selector table and the table names no other; every example command is
// routed by route_command.
//
// kCommandTypes and the sandboxes' selectors live in anonymous namespaces or switch statements of .cpp
// files (the runtime does not link the sandboxes): they are read from the sources, as a reader of the
// code would, and the readings are checked against what the headers do export.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <array>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "adapters/registry.hpp"
#include "engine/config/config.hpp"
#include "engine/pipeline/commands.hpp"
#include "engine/store/card_vault.hpp"
#include "sandbox/cynod/cynod_sandbox.hpp"
#include "sandbox/esipay/esipay_sandbox.hpp"

namespace corridor {
namespace {

std::string source(const std::string& path) {
  std::ifstream in(std::string(CORRIDOR_SOURCE_DIR) + "/" + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string& doc() {
  static const std::string text = source("docs/commands.md");
  return text;
}

// Every first capture group of `pattern` in `text`.
std::vector<std::string> captures(const std::string& text, const std::string& pattern) {
  std::vector<std::string> out;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

// The text under the heading line `heading` (exactly), up to the next heading of level 2 or 3.
std::string section(const std::string& heading) {
  const std::string& d = doc();
  const std::string line = heading + "\n";
  std::size_t at = d.starts_with(line) ? 0 : d.find("\n" + line);
  if (at == std::string::npos) return {};
  if (at != 0) ++at;
  const std::size_t from = at + line.size();
  std::size_t end = from;
  while (true) {
    end = d.find('\n', end);
    if (end == std::string::npos) return d.substr(from);
    if (d.compare(end + 1, 3, "## ") == 0 || d.compare(end + 1, 4, "### ") == 0) return d.substr(from, end - from);
    ++end;
  }
}

// The `### \`name\`` headings under the `## title` heading, in order.
std::vector<std::string> subsections(const std::string& title) {
  const std::string& d = doc();
  std::size_t at = d.find("\n## " + title + "\n");
  if (at == std::string::npos) return {};
  std::size_t end = d.find("\n## ", at + 1);
  const std::string part = d.substr(at, end == std::string::npos ? std::string::npos : end - at);
  return captures(part, "\n### `([^`]+)`\n");
}

// The router's command types, read from its source.
std::vector<std::string> command_types() {
  const std::string src = source("engine/pipeline/commands.cpp");
  std::smatch m;
  const bool found = std::regex_search(src, m, std::regex(R"(kCommandTypes\{([^}]*)\})"));
  EXPECT_TRUE(found) << "kCommandTypes not found in engine/pipeline/commands.cpp";
  return found ? captures(m[1].str(), "\"([^\"]+)\"") : std::vector<std::string>{};
}

bool has(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(CommandsDoc, EveryCommandTypeOfTheRouterHasASectionAndNoOther) {
  const auto types = command_types();
  ASSERT_EQ(types.size(), 5u) << "the router's list has changed: document the new type";
  for (const auto& type : types) {
    const std::string s = section("### `" + type + "`");
    EXPECT_GT(s.size(), 200u) << "docs/commands.md has no section for " << type;
  }
  const auto documented = subsections("Command types");
  EXPECT_EQ(std::set<std::string>(documented.begin(), documented.end()), std::set<std::string>(types.begin(), types.end()));
}

// The command types a flow's table takes after its create: the inputs of its rows that are commands.
std::set<std::string> commands_after_create(const Flow& flow, const std::vector<std::string>& types) {
  std::set<std::string> out;
  for (const Row& row : flow.rows) {
    const std::string on(row.on);
    if (on != flow.create_command && std::find(types.begin(), types.end(), on) != types.end()) out.insert(on);
  }
  return out;
}

TEST(CommandsDoc, EveryFlowHasASectionNamingWhatItsCreateNeeds) {
  const auto types = command_types();
  const ProviderRegistry& registry = providers();
  std::set<std::string> ids;
  for (const Flow* flow : registry.flows()) {
    const std::string id(flow->id);
    ids.insert(id);
    const std::string s = section("### `" + id + "`");
    ASSERT_FALSE(s.empty()) << "docs/commands.md has no section for flow " << id;
    EXPECT_TRUE(has(s, "`" + std::string(flow->create_command) + "`")) << id << " is started by " << flow->create_command;
    EXPECT_TRUE(has(s, "\"provider\": \"" + std::string(flow->provider) + "\"")) << id;
    for (std::string_view field : flow->required_fields)
      EXPECT_TRUE(has(s, "| `" + std::string(field) + "` | yes |")) << id << " requires " << field;

    const ProviderPlugin* plugin = registry.find(flow->provider);
    ASSERT_NE(plugin, nullptr);
    // The provider's limits, in the paragraph that starts "Amount:".
    const std::size_t amount_at = s.find("Amount: ");
    ASSERT_NE(amount_at, std::string::npos) << id << ": no 'Amount:' paragraph";
    const std::string amount = s.substr(amount_at, s.find("\n\n", amount_at) - amount_at);
    const ProviderConstraints& limits = plugin->adapter.constraints;
    for (std::string_view currency : limits.currencies)
      EXPECT_TRUE(has(amount, std::string(currency))) << id << " takes " << currency;
    if (limits.currencies.empty()) {
      EXPECT_TRUE(has(amount, "any currency corridor knows") || limits.whole_units) << id;
    }
    if (limits.whole_units) {
      EXPECT_TRUE(has(amount, "whole units")) << id;
    }
    if (limits.card_digits_max > 0) {
      EXPECT_TRUE(has(amount, std::to_string(limits.card_digits_min) + " to " + std::to_string(limits.card_digits_max) + " digits"))
          << id << ": card numbers of " << limits.card_digits_min << " to " << limits.card_digits_max << " digits";
    }

    // "**After the create:**" names exactly the commands the table takes after the create.
    const std::size_t after = s.find("**After the create:**");
    ASSERT_NE(after, std::string::npos) << id << ": no '**After the create:**' line";
    const std::string paragraph = s.substr(after, s.find("\n\n", after) - after);
    std::set<std::string> named;
    for (const auto& token : captures(paragraph, "`([a-z_]+\\.[a-z_]+)`"))
      if (std::find(types.begin(), types.end(), token) != types.end()) named.insert(token);
    EXPECT_EQ(named, commands_after_create(*flow, types)) << id;
  }
  const auto documented = subsections("Flows");
  EXPECT_EQ(std::set<std::string>(documented.begin(), documented.end()), ids);
}

// A provider's sealed fields (a security answer) are named in the section of a flow of that provider
// that takes them, with the word that they are sealed.
TEST(CommandsDoc, EverySealedFieldIsNamedAsSealed) {
  for (const ProviderPlugin& plugin : providers().all()) {
    for (const SealedField& sealed : plugin.capabilities.sealed_fields) {
      const std::string path = std::string(sealed.object) + "." + std::string(sealed.key);
      bool named = false;
      for (const Flow* flow : plugin.flows) {
        const std::string s = section("### `" + std::string(flow->id) + "`");
        named = named || (has(s, "| `" + path + "` |") && has(s, "sealed by the router into `" + std::string(sealed.object) +
                                                                    "." + std::string(sealed.sealed_as) + "`"));
      }
      EXPECT_TRUE(named) << plugin.name << ": sealed field " << path;
    }
  }
}

// payment.cancel's section says whether any flow takes it.
TEST(CommandsDoc, PaymentCancelSaysWhetherAFlowTakesIt) {
  bool taken = false;
  for (const Flow* flow : providers().flows())
    for (const Row& row : flow->rows) taken = taken || row.on == "payment.cancel";
  EXPECT_EQ(has(section("### `payment.cancel`"), "**no flow has a row for it**"), !taken);
}

// What the Flows section says of every flow: it takes transaction.reconcile in each state its create
// leads to before the outcome.
TEST(CommandsDoc, EveryFlowTakesReconcileInEachStateBeforeTheOutcome) {
  ASSERT_TRUE(has(doc(), "`transaction.reconcile` in each state its create leads to before the outcome"));
  for (const Flow* flow : providers().flows()) {
    for (const StateInfo& state : flow->states) {
      if (state.terminal || state.name == flow->initial()) continue;
      const bool row = std::any_of(flow->rows.begin(), flow->rows.end(), [&](const Row& r) {
        return r.from == state.name && r.on == "transaction.reconcile";
      });
      EXPECT_TRUE(row) << flow->id << " takes no transaction.reconcile in " << state.name;
    }
  }
}

// The ```json blocks right under an `<!-- example -->` line.
std::vector<std::string> examples() {
  return captures(doc(), "<!-- example -->\n```json\n([^`]*)```");
}

CardVault test_vault() {
  std::array<unsigned char, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(i * 7 + 1);
  return CardVault(key);
}

TEST(CommandsDoc, EveryExampleIsRoutedAndTheyCoverEveryTypeAndFlow) {
  const Config config = load_config_file(std::string(CORRIDOR_SOURCE_DIR) + "/config/corridor.yaml");
  const CardVault vault = test_vault();
  const auto all = examples();
  // Every JSON block of the document is a marked example: none escapes the check.
  EXPECT_EQ(all.size(), captures(doc(), "(```json)").size());
  std::set<std::string> types, flows;
  for (const std::string& example : all) {
    auto routed = route_command(example, config, "docs/commands.md", 1764892800000, &vault);
    if (auto* rej = std::get_if<CommandRejection>(&routed)) {
      ADD_FAILURE() << "example refused: " << rej->reason << "\n" << example;
      continue;
    }
    const Input& in = std::get<RoutedCommand>(routed).input;
    types.insert(in.name);
    if (in.name == "payment.create" || in.name == "payout.create") {
      const Flow* flow = providers().resolve_flow(get_string(in.data, "provider"), get_string(in.data, "flow"));
      ASSERT_NE(flow, nullptr) << example;
      flows.insert(std::string(flow->id));
      // The example sits in its flow's section or in its command's.
      EXPECT_TRUE(has(section("### `" + std::string(flow->id) + "`"), example) ||
                  has(section("### `" + in.name + "`"), example))
          << example;
    }
    // Sealed on the way: no card number or security answer in clear on corridor.inputs.
    const std::string routed_text = boost::json::serialize(in.data);
    for (const char* secret : {"6262000000000001", "4000000000000001", "MadhuBaddam"})
      EXPECT_FALSE(has(routed_text, secret)) << example;
  }
  const auto all_types = command_types();
  EXPECT_EQ(types, std::set<std::string>(all_types.begin(), all_types.end()));
  std::set<std::string> registry_flows;
  for (const Flow* flow : providers().flows()) {
    registry_flows.insert(std::string(flow->id));
    EXPECT_TRUE(has(section("### `" + std::string(flow->id) + "`"), "<!-- example -->")) << flow->id << " has no example";
  }
  EXPECT_EQ(flows, registry_flows);
}

TEST(CommandsDoc, TheExamplesNeedTheCardKeyWhereTheyCarryASecret) {
  const Config config = load_config_file(std::string(CORRIDOR_SOURCE_DIR) + "/config/corridor.yaml");
  int refused = 0;
  for (const std::string& example : examples()) {
    auto routed = route_command(example, config, "docs/commands.md", 1764892800000, nullptr);
    if (auto* rej = std::get_if<CommandRejection>(&routed)) {
      ++refused;
      EXPECT_TRUE(has(rej->reason, "CORRIDOR_CARD_KEY")) << rej->reason;
    }
  }
  EXPECT_EQ(refused, 3);  // cynod's and esipay's cards, Interac's security answer
}

// ---- the sandbox selector table -------------------------------------------------------------------

// Every selector value each sandbox defines, read from its source.
std::map<std::string, std::set<std::string>> defined_selectors() {
  std::map<std::string, std::set<std::string>> out;
  const std::string card = R"re(inline constexpr std::string_view k\w+ = "(\d{12,19})")re";
  for (const auto& v : captures(source("sandbox/cynod/cynod_sandbox.hpp"), card)) out["cynod"].insert(v);
  for (const auto& v : captures(source("sandbox/esipay/esipay_sandbox.hpp"), card)) out["esipay"].insert(v);
  for (const auto& v : captures(source("sandbox/flexpay/flexpay_sandbox.cpp"), R"(case (\d+): return Scenario::)"))
    out["flexpay"].insert((v.size() == 1 ? ".0" : ".") + v);
  for (const auto& v : captures(source("sandbox/novasend/novasend_sandbox.cpp"), R"re(ScenarioEntry\{"(\+\d+)")re"))
    out["novasend"].insert(v);
  for (const auto& v : captures(source("sandbox/interac/interac_sandbox.cpp"), R"re(\bt == "([a-z]+)")re")) out["interac"].insert(v);
  return out;
}

TEST(CommandsDoc, TheSourcesAreReadAsTheSandboxesDefineThem) {
  auto defined = defined_selectors();
  EXPECT_TRUE(defined["cynod"].contains(std::string(cynod_cards::kApprove)));
  EXPECT_TRUE(defined["cynod"].contains(std::string(cynod_cards::kAcknowledgementFails)));
  EXPECT_TRUE(defined["esipay"].contains(std::string(esipay_cards::kApprove)));
  EXPECT_TRUE(defined["esipay"].contains(std::string(esipay_cards::kRefundNeverDone)));
  EXPECT_TRUE(defined["flexpay"].contains(".01") && defined["flexpay"].contains(".10"));
  EXPECT_TRUE(defined["novasend"].contains("+2250700000001"));
  EXPECT_TRUE(defined["interac"].contains("decline") && defined["interac"].contains("paysafeauto"));
  for (const ProviderPlugin& p : providers().all()) EXPECT_FALSE(defined[std::string(p.name)].empty()) << p.name;
}

TEST(CommandsDoc, TheSelectorTableHasEverySelectorOfEverySandboxAndNoOther) {
  const std::string table = section("## Sandbox scenario selectors");
  ASSERT_FALSE(table.empty());
  std::map<std::string, std::set<std::string>> documented;
  std::istringstream lines(table);
  int rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("| ") || line.starts_with("| provider")) continue;
    std::vector<std::string> cells;
    for (std::size_t at = 1; at < line.size();) {
      const std::size_t bar = line.find(" | ", at);
      cells.push_back(line.substr(at + 1, (bar == std::string::npos ? line.size() - 2 : bar) - at - 1));
      if (bar == std::string::npos) break;
      at = bar + 2;
    }
    ASSERT_EQ(cells.size(), 5u) << line;
    ++rows;
    for (const auto& value : captures(cells[2], "`([^`]+)`")) documented[cells[0]].insert(value);
    EXPECT_FALSE(cells[4].empty()) << "say how corridor ends: " << line;
  }
  EXPECT_GT(rows, 0);
  const auto defined = defined_selectors();
  for (const auto& [provider, values] : defined) {
    const auto& doc_values = documented[provider];
    for (const auto& v : values) EXPECT_TRUE(doc_values.contains(v)) << provider << " selector " << v << " is not in the table";
    for (const auto& v : doc_values) EXPECT_TRUE(values.contains(v)) << provider << ": the table names " << v << ", which the sandbox does not define";
  }
  for (const auto& [provider, values] : documented) EXPECT_TRUE(defined.contains(provider)) << provider;
}

}  // namespace
}  // namespace corridor
