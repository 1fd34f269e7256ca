#include "core/error.hpp"

#include "core/result.hpp"

namespace corridor {

std::string_view to_string(failure f) {
  switch (f) {
    case failure::transient: return "transient";
    case failure::invalid: return "invalid";
    case failure::unauthenticated: return "unauthenticated";
    case failure::forbidden: return "forbidden";
    case failure::not_found: return "not_found";
    case failure::method_not_allowed: return "method_not_allowed";
    case failure::conflict: return "conflict";
  }
  return "unknown";
}

namespace {

class FailureCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "failure"; }
  std::string message(int value) const override { return std::string(to_string(static_cast<failure>(value))); }
};

}  // namespace

const std::error_category& failure_category() {
  static const FailureCategory category;
  return category;
}

std::string code_text(const std::error_code& code) {
  if (!code) return {};
  return std::string(code.category().name()) + "." + code.message();
}

int Error::http_status() const {
  if (code == failure::unauthenticated) return 401;
  if (code == failure::forbidden) return 403;
  if (code == failure::not_found) return 404;
  if (code == failure::method_not_allowed) return 405;
  if (code == failure::conflict) return 409;
  return 400;
}

}  // namespace corridor
