// Every module's failure codes: unique names, and each listed in docs/errors.md with its condition.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "adapters/errc.hpp"
#include "engine/ingress/errc.hpp"
#include "engine/ingress/queries.hpp"
#include "engine/io/errc.hpp"
#include "engine/pipeline/errc.hpp"
#include "engine/store/errc.hpp"
#include "statemachines/errc.hpp"

namespace corridor {
namespace {

std::string errors_doc() {
  std::ifstream in(std::string(CORRIDOR_SOURCE_DIR) + "/docs/errors.md");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <class E>
void check_module(const std::string& doc, std::set<std::string>& seen) {
  std::set<std::string_view> names;
  for (const auto& e : errc_info<E>::codes) {
    EXPECT_TRUE(names.insert(e.name).second) << errc_info<E>::module << " lists " << e.name << " twice";
    const std::error_code code = e.code;
    const std::string text = code_text(code);
    EXPECT_EQ(code.message(), e.name);
    EXPECT_TRUE(seen.insert(text).second) << text;
    // The row of the code in docs/errors.md names its condition.
    const std::string row = "| `" + text + "` | " + std::string(to_string(e.means)) + " |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/errors.md lacks the row " << row;
  }
}

TEST(Errc, EveryCodeIsDocumentedWithItsCondition) {
  const std::string doc = errors_doc();
  ASSERT_FALSE(doc.empty());
  std::set<std::string> seen;
  check_module<adapter_errc>(doc, seen);
  check_module<http_errc>(doc, seen);
  check_module<kafka_errc>(doc, seen);
  check_module<store_errc>(doc, seen);
  check_module<vault_errc>(doc, seen);
  check_module<pipeline_errc>(doc, seen);
  check_module<record_errc>(doc, seen);
  check_module<api_errc>(doc, seen);
  check_module<query_errc>(doc, seen);
  // And the document names no code that does not exist: every row of a code ("| `module.name` |").
  std::istringstream lines(doc);
  std::size_t rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("| `")) continue;
    const std::string code = line.substr(3, line.find('`', 3) - 3);
    if (code.find('.') == std::string::npos) continue;  // a condition's row
    ++rows;
    EXPECT_TRUE(seen.contains(code)) << "docs/errors.md names " << code << ", which no module has";
  }
  EXPECT_EQ(rows, seen.size());
}

}  // namespace
}  // namespace corridor
