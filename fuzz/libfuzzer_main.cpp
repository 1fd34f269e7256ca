// The libFuzzer entry point of one target, named by CORRIDOR_FUZZ_TARGET when the binary is built
// (fuzz/CMakeLists.txt builds one binary per target).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const corridor::fuzz::Target* target = [] {
    const auto* t = corridor::fuzz::find_target(CORRIDOR_FUZZ_TARGET);
    if (t == nullptr) {
      std::fprintf(stderr, "no fuzz target named %s\n", CORRIDOR_FUZZ_TARGET);
      std::abort();
    }
    return t;
  }();
  target->run({reinterpret_cast<const char*>(data), size});  // accepted or not: both are fine
  return 0;
}
