#include "tests/support/provider_walk.hpp"

#include <fstream>
#include <iterator>

namespace corridor::testing {

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool names(const std::string& source, std::string_view literal) {
  return source.find("\"" + std::string(literal) + "\"") != std::string::npos;
}

}  // namespace

std::vector<std::string> rows_not_named(const Flow& flow, const std::string& test_source) {
  std::vector<std::string> out;
  const bool starts = test_source.find("create_command(") != std::string::npos ||
                      test_source.find("create_input(") != std::string::npos;
  for (const Row& row : flow.rows) {
    const bool create_row = row.from == flow.initial() && row.on == flow.create_command;
    if (create_row ? starts : names(test_source, row.from) && names(test_source, row.on)) continue;
    out.push_back(std::string(row.from) + " + " + std::string(row.on));
  }
  return out;
}

std::vector<std::string> missing_parts(const ProviderPlugin& p, const SandboxRegistry& sandboxes, const fs::path& root) {
  std::vector<std::string> out;
  const std::string name(p.name);
  auto lacks = [&](std::string what) { out.push_back(name + ": " + std::move(what)); };

  if (p.flows.empty()) lacks("no flow");
  if (p.adapter.make == nullptr) lacks("no adapter factory");
  for (const ConfigKey& k : p.adapter.config_keys)
    if (k.doc.empty()) lacks("config key '" + std::string(k.name) + "' is not documented");
  if (!fs::exists(root / "adapters" / name / (name + "_plugin.cpp"))) lacks("no adapters/" + name + "/" + name + "_plugin.cpp");

  const SandboxRegistration* sandbox = sandboxes.find(p.name);
  if (sandbox == nullptr || sandbox->start == nullptr) {
    lacks("no sandbox registered");
  } else if (sandbox->demo_scenarios == nullptr || sandbox->demo_scenarios().empty()) {
    lacks("a sandbox without a demo scenario");
  }
  if (!fs::is_directory(root / "sandbox" / name)) lacks("no sandbox/" + name + "/");

  if (!fs::exists(root / "docs" / "providers" / (name + ".md"))) lacks("no docs/providers/" + name + ".md");
  for (const Flow* f : p.flows) {
    const std::string id(f->id);
    if (f->provider != p.name) lacks("flow " + id + " is another provider's");
    if (!f->indexed()) lacks("flow " + id + " is not indexed: its make_flow ends with index()");
    if (!fs::exists(root / "docs" / "flows" / (id + ".md"))) lacks("no docs/flows/" + id + ".md");
    const std::string test = name + "_" + std::string(f->name) + "_test.cpp";
    const fs::path test_path = root / "tests" / "unit" / "statemachines" / test;
    if (!fs::exists(test_path)) {
      lacks("no tests/unit/statemachines/" + test);
      continue;
    }
    for (const auto& row : rows_not_named(*f, read(test_path))) lacks(id + " has no test of the row " + row);
  }
  return out;
}

}  // namespace corridor::testing
