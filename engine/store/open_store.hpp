#pragma once
// The store the configuration names (store.kind): SQLite, the embedded default for one process, or
// PostgreSQL, shared by several. The runtime and the command line open stores through here.
#include <memory>

#include "core/result.hpp"
#include "engine/config/config.hpp"
#include "engine/store/store.hpp"

namespace corridor {

// Opens (and creates or migrates) the store. A SQLite store's writer lock (lock_sqlite_writer) is the
// caller's to take: replay and reconcile read a live store without it. Failures: store.unavailable,
// store.schema_too_new; no message carries store.url's password.
Result<std::unique_ptr<Store>> open_store(const Config::Store& config);

}  // namespace corridor
