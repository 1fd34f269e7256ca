#include "engine/pipeline/record_headers.hpp"

#include <openssl/sha.h>

namespace corridor {

namespace {

bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::string sha256_hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0f]);
  }
  return out;
}

}  // namespace

std::optional<std::string> valid_traceparent(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55 characters.
  constexpr std::size_t kLength = 55;
  if (h.size() < kLength) return std::nullopt;
  const std::string_view version = h.substr(0, 2);
  if (!lower_hex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; a later one may add fields after a dash.
  if (version == "00" ? h.size() != kLength : (h.size() > kLength && h[kLength] != '-')) return std::nullopt;
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  const std::string_view trace_id = h.substr(3, 32), parent_id = h.substr(36, 16), flags = h.substr(53, 2);
  if (!lower_hex(trace_id) || !lower_hex(parent_id) || !lower_hex(flags)) return std::nullopt;
  if (all_zero(trace_id) || all_zero(parent_id)) return std::nullopt;
  std::string out = "00-";
  out.append(trace_id).append("-").append(parent_id).append("-").append(flags);
  return out;
}

std::string derived_traceparent(std::string_view seed) {
  std::string material = "corridor traceparent";
  material.push_back('\0');
  material.append(seed);
  const std::string hex = sha256_hex(material);
  std::string trace_id = hex.substr(0, 32), parent_id = hex.substr(32, 16);
  if (all_zero(trace_id)) trace_id.back() = '1';  // W3C: an all-zero id is invalid
  if (all_zero(parent_id)) parent_id.back() = '1';
  return "00-" + trace_id + "-" + parent_id + "-00";
}

std::string traceparent_or_derived(std::string_view given, std::string_view seed) {
  if (auto v = valid_traceparent(given)) return *v;
  return derived_traceparent(seed);
}

RecordHeaders event_headers(std::string_view id, std::string_view type, std::string_view flow_id,
                            std::string_view subject, std::string_view time, std::string_view traceparent) {
  RecordHeaders h;
  h.reserve(8);
  h.emplace_back("ce_specversion", "1.0");
  h.emplace_back("ce_id", std::string(id));
  h.emplace_back("ce_type", std::string(type));
  h.emplace_back("ce_source", flow_id.empty() ? std::string("corridor") : "corridor/" + std::string(flow_id));
  if (!subject.empty()) h.emplace_back("ce_subject", std::string(subject));
  h.emplace_back("ce_time", std::string(time));
  h.emplace_back("content-type", "application/json");
  if (!traceparent.empty()) h.emplace_back("traceparent", std::string(traceparent));
  return h;
}

RecordHeaders deadletter_headers(std::string_view source, std::string_view body, std::string_view time,
                                 std::string_view txn_id, std::string_view traceparent) {
  RecordHeaders h;
  h.reserve(8);
  h.emplace_back("ce_specversion", "1.0");
  h.emplace_back("ce_id", "deadletter:" + sha256_hex(body).substr(0, 32));
  h.emplace_back("ce_type", "corridor.deadletter");
  h.emplace_back("ce_source", "corridor/" + std::string(source));
  if (!txn_id.empty()) h.emplace_back("ce_subject", std::string(txn_id));
  h.emplace_back("ce_time", std::string(time));
  h.emplace_back("content-type", "application/json");
  if (!traceparent.empty()) h.emplace_back("traceparent", std::string(traceparent));
  return h;
}

std::string_view header_value(const RecordHeaders& headers, std::string_view name) {
  std::string_view found;
  for (const auto& [n, v] : headers)
    if (n == name) found = v;
  return found;
}

}  // namespace corridor
