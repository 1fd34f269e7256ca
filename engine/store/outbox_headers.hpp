#pragma once
// An outbox row's headers as both stores keep them: a JSON object of strings ("" for none).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace corridor {

using OutboxHeaders = std::vector<std::pair<std::string, std::string>>;
std::string headers_text(const OutboxHeaders& headers);
// What is not an object of strings reads as no headers.
OutboxHeaders headers_from_text(std::string_view text);

}  // namespace corridor
