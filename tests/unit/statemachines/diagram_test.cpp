// The Mermaid diagrams are generated from the tables; the checked-in docs/flows/<id>.md must hold
// exactly what mermaid_diagram prints, so a table change without its doc fails here.
#include "statemachines/diagram.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "adapters/registry.hpp"

namespace corridor {
namespace {

bool yes(const StepContext&) { return true; }

Flow tiny() {
  Flow f;
  f.id = "demo.tiny";
  f.provider = "demo";
  f.name = "tiny";
  f.states = {{"created", Status::pending}, {"waiting", Status::requires_action}, {"done", Status::succeeded, true},
              {"failed", Status::failed, true}};
  f.rows = {
      {"created", "payment.create", "", nullptr, "waiting", nullptr, "a"},
      {"waiting", "poll", "", nullptr, "waiting", nullptr, "self rows are left out"},
      {"waiting", "result", "ok", yes, "done", nullptr, "b"},
      {"waiting", "webhook.done", "", nullptr, "done", nullptr, "c"},
      {"waiting", "result", "ok", yes, "done", nullptr, "a repeated label is written once"},
      {"waiting", "result", "", nullptr, "failed", nullptr, "d"},
  };
  return f;
}

TEST(MermaidDiagram, DrawsStatesArrowsAndEnds) {
  EXPECT_EQ(mermaid_diagram(tiny()),
            "stateDiagram-v2\n"
            "    created : created (pending)\n"
            "    waiting : waiting (requires_action)\n"
            "    done : done (succeeded)\n"
            "    failed : failed (failed)\n"
            "    [*] --> created\n"
            "    created --> waiting : payment.create\n"
            "    waiting --> done : result [ok], webhook.done\n"
            "    waiting --> failed : result\n"
            "    done --> [*]\n"
            "    failed --> [*]\n");
}

TEST(MermaidDiagram, IsDeterministic) {
  for (const Flow* f : all_flows()) EXPECT_EQ(mermaid_diagram(*f), mermaid_diagram(*f)) << f->id;
}

TEST(MermaidDiagram, EveryStateChangeOfTheTableIsDrawn) {
  for (const Flow* f : all_flows()) {
    const std::string d = mermaid_diagram(*f);
    for (const Row& r : f->rows) {
      if (r.from == r.to) continue;
      const std::string arrow = "    " + std::string(r.from) + " --> " + std::string(r.to) + " : ";
      EXPECT_NE(d.find(arrow), std::string::npos) << f->id << ": " << arrow;
    }
  }
}

TEST(MermaidDiagram, CheckedInDocsMatchTheTables) {
  for (const Flow* f : all_flows()) {
    const std::string path = std::string(CORRIDOR_SOURCE_DIR "/docs/flows/") + std::string(f->id) + ".md";
    std::ifstream in(path);
    ASSERT_TRUE(in.good()) << "missing " << path;
    std::stringstream text;
    text << in.rdbuf();
    const std::string block = "```mermaid\n" + mermaid_diagram(*f) + "```\n";
    EXPECT_NE(text.str().find(block), std::string::npos)
        << path << " does not hold the diagram of its table; regenerate it with `corridor diagram " << f->id
        << "`. Expected:\n"
        << block;
  }
}

}  // namespace
}  // namespace corridor
