#include "engine/store/open_store.hpp"

#include <exception>

#include "engine/store/errc.hpp"
#include "engine/store/store_postgres.hpp"
#include "statemachines/sensitive.hpp"

namespace corridor {

Result<std::unique_ptr<Store>> open_store(const Config::Store& config) {
  if (config.kind == "postgres") {
    // Whatever corridor writes from here on (logs, errors, dead letters) shows neither.
    register_secret("store.url", config.url);
    register_secret("store.url", postgres_url_password(config.url));
    return open_postgres_store(config.url);
  }
  try {
    return open_sqlite_store(config.path);
  } catch (const std::exception& e) {
    return fail(store_errc::unavailable, e.what());
  }
}

}  // namespace corridor
