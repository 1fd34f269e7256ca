// The image in deploy/Dockerfile is built in the configuration `make test` builds and tests: the same
// CMake build type, so that a warning only another optimisation level raises (GCC 12's -Wrestrict at
// -O3) cannot stop the image's build while every test passes.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(std::string(CORRIDOR_SOURCE_DIR) + "/" + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every CMAKE_BUILD_TYPE the text sets.
std::vector<std::string> build_types(const std::string& text) {
  std::vector<std::string> out;
  const std::regex type("-DCMAKE_BUILD_TYPE=([A-Za-z]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), type); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1]);
  return out;
}

TEST(Image, IsBuiltAsMakeTestBuildsIt) {
  const std::string makefile = slurp("Makefile");
  const std::string dockerfile = slurp("deploy/Dockerfile");
  ASSERT_FALSE(makefile.empty());
  ASSERT_FALSE(dockerfile.empty());
  // The Makefile's `configure` (what `make test` builds) is its first build type; the second is the
  // sanitized build's, which `make test` runs the unit tests in as well.
  const auto tested = build_types(makefile);
  ASSERT_FALSE(tested.empty());
  const auto shipped = build_types(dockerfile);
  ASSERT_EQ(shipped.size(), 1u) << dockerfile;
  EXPECT_EQ(shipped[0], tested[0]) << "deploy/Dockerfile builds " << shipped[0] << ", make test builds " << tested[0];
}

}  // namespace
