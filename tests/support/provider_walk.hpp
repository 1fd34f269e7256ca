#pragma once
// The registry walk: what a provider must have, as CONTRIBUTING.md lists it, checked against a source
// tree. tests/unit/adapters/registry_test.cpp walks corridor's providers over the repository;
// tests/toy/toy_provider_test.cpp walks a toy provider over its own tree (tests/toy/).
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/plugin.hpp"
#include "sandbox/sandbox.hpp"

namespace corridor::testing {

// What `provider` lacks, one message each (empty: nothing), in a tree rooted at `root`:
//  - flows: at least one, each of this provider;
//  - an adapter: a factory, every config key documented, in adapters/<provider>/ beside its
//    <provider>_plugin.cpp;
//  - a sandbox: registered in `sandboxes` with at least one demo scenario, in sandbox/<provider>/;
//  - docs: docs/providers/<provider>.md and docs/flows/<flow id>.md for each flow;
//  - a test per flow row: tests/unit/statemachines/<provider>_<flow>_test.cpp names each row's state
//    and input as string literals (the row from the initial state on the create command: the file
//    starts the flow with create_command() or create_input()).
std::vector<std::string> missing_parts(const ProviderPlugin& provider, const SandboxRegistry& sandboxes,
                                       const std::filesystem::path& root);

// The rows of `flow` that `test_source` (a flow's unit test file) does not name, as "from + on".
std::vector<std::string> rows_not_named(const Flow& flow, const std::string& test_source);

}  // namespace corridor::testing
