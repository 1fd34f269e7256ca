#include "statemachines/diagram.hpp"

#include <utility>
#include <vector>

namespace corridor {

namespace {

std::string label_of(const Row& row) {
  std::string label(row.on);
  if (!row.guard_name.empty()) {
    label += " [";
    label += row.guard_name;
    label += ']';
  }
  return label;
}

struct Arrow {
  std::string_view from;
  std::string_view to;
  std::vector<std::string> labels;
};

}  // namespace

std::string mermaid_diagram(const Flow& flow) {
  std::vector<Arrow> arrows;
  for (const Row& row : flow.rows) {
    if (row.from == row.to) continue;
    Arrow* arrow = nullptr;
    for (auto& a : arrows)
      if (a.from == row.from && a.to == row.to) arrow = &a;
    if (arrow == nullptr) arrow = &arrows.emplace_back(Arrow{row.from, row.to, {}});
    std::string label = label_of(row);
    bool seen = false;
    for (const auto& l : arrow->labels) seen = seen || l == label;
    if (!seen) arrow->labels.push_back(std::move(label));
  }

  std::string out = "stateDiagram-v2\n";
  for (const StateInfo& s : flow.states) {
    out += "    ";
    out += s.name;
    out += " : ";
    out += s.name;
    out += " (";
    out += to_string(s.status);
    out += ")\n";
  }
  out += "    [*] --> ";
  out += flow.initial();
  out += '\n';
  for (const Arrow& a : arrows) {
    out += "    ";
    out += a.from;
    out += " --> ";
    out += a.to;
    out += " : ";
    for (std::size_t i = 0; i < a.labels.size(); ++i) {
      if (i > 0) out += ", ";
      out += a.labels[i];
    }
    out += '\n';
  }
  for (const StateInfo& s : flow.states) {
    if (!s.terminal) continue;
    out += "    ";
    out += s.name;
    out += " --> [*]\n";
  }
  return out;
}

}  // namespace corridor
