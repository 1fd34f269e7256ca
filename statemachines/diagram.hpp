#pragma once
// A flow's transition table drawn as a Mermaid stateDiagram-v2. Generated from the table, so the
// diagrams in docs/flows/ cannot drift from the code (tests/unit/statemachines/diagram_test.cpp).
#include <string>

#include "statemachines/flow.hpp"

namespace corridor {

// One line per state ("name : name (status)"), "[*] --> initial", one arrow per distinct from -> to
// pair in table order, labelled with its inputs in table order ("input [guard]", joined by ", "),
// and "terminal --> [*]". Rows that stay in their state are left out: they are in the table and in
// the flow's doc. Deterministic: the same table always prints the same text.
std::string mermaid_diagram(const Flow& flow);

}  // namespace corridor
