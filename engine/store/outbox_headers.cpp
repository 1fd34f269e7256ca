#include "engine/store/outbox_headers.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>

#include "statemachines/fields.hpp"

namespace corridor {

// Written straight, as the object of the names would serialize: a name given twice keeps its first
// place and its last value.
std::string headers_text(const OutboxHeaders& headers) {
  if (headers.empty()) return {};
  boost::container::small_vector<TextPair, 16> pairs;
  for (const auto& [name, value] : headers) {
    auto earlier = std::find_if(pairs.begin(), pairs.end(), [&](const TextPair& p) { return p.first == name; });
    if (earlier != pairs.end()) earlier->second = value;
    else pairs.emplace_back(name, value);
  }
  std::string out;
  append_json_pairs(out, pairs.data(), pairs.size());
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
