#pragma once
// The Store (store.hpp) on PostgreSQL 15 through libpq: the store several corridor processes share.
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "engine/store/store.hpp"

namespace corridor {

// Connects to `url` (a libpq URI, postgresql://user:password@host:port/db, or key=value pairs) and
// brings its schema to the version this binary knows (postgres_schema_version()), under an advisory
// lock so that processes starting together apply each migration once. Refuses a database whose
// schema is newer (store.schema_too_new) and one it cannot reach (store.unavailable). No message
// carries the URL's password.
Result<std::unique_ptr<Store>> open_postgres_store(const std::string& url);

// The last migration this binary applies (schema_migrations.version).
int postgres_schema_version();

// The password `url` carries (decoded), empty for none.
std::string postgres_url_password(const std::string& url);

// `text` with the password of `url`, and `url` itself, replaced: for messages about a connection.
std::string redact_postgres_url(const std::string& url, std::string text);

}  // namespace corridor
