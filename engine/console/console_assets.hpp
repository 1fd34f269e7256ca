#pragma once
// The console's files (engine/console/*.html, *.js, *.css), compiled into the binary by
// cmake/embed_console.cmake: corridor serves them itself, nothing comes from elsewhere.
#include <string_view>

namespace corridor {

struct ConsoleAsset {
  std::string_view name;          // "index.html", "console.js", ...
  std::string_view content_type;  // from the file's extension
  std::string_view body;
};

// nullptr when the console has no file of that name.
const ConsoleAsset* find_console_asset(std::string_view name);

}  // namespace corridor
