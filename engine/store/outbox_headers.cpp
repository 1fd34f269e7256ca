#include "engine/store/outbox_headers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace corridor {

std::string headers_text(const OutboxHeaders& headers) {
  if (headers.empty()) return {};
  boost::json::object o;
  for (const auto& [name, value] : headers) o[name] = value;
  return boost::json::serialize(o);
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
