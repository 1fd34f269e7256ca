#include "engine/store/outbox_headers.hpp"

#include <boost/json/parse.hpp>

#include "statemachines/fields.hpp"

namespace corridor {

// Written straight, as the object of the names would serialize: a name given twice keeps its first
// place and its last value.
std::string headers_text(const OutboxHeaders& headers) {
  if (headers.empty()) return {};
  std::string out;
  std::size_t size = 2;
  for (const auto& [name, value] : headers) size += name.size() + value.size() + 6;
  out.reserve(size);
  out += '{';
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const std::string& name = headers[i].first;
    bool earlier = false;
    for (std::size_t j = 0; j < i && !earlier; ++j) earlier = headers[j].first == name;
    if (earlier) continue;
    const std::string* value = &headers[i].second;
    for (std::size_t j = i + 1; j < headers.size(); ++j)
      if (headers[j].first == name) value = &headers[j].second;
    if (out.size() > 1) out += ',';
    append_json_string(out, name);
    out += ':';
    append_json_string(out, *value);
  }
  out += '}';
  return out;
}

OutboxHeaders headers_from_text(std::string_view text) {
  OutboxHeaders out;
  if (text.empty()) return out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& kv : v.get_object())
    if (kv.value().is_string()) out.emplace_back(std::string(kv.key()), std::string(kv.value().get_string()));
  return out;
}

}  // namespace corridor
