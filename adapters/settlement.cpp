#include "adapters/settlement.hpp"

#include "statemachines/money.hpp"

namespace corridor {

std::string money_text(std::int64_t minor, const std::string& currency) {
  const auto exponent = currency_exponent(currency);
  return format_decimal_amount(minor, exponent.value_or(0)) + " " + currency;
}

std::string decimal_text(std::int64_t minor, const std::string& currency) {
  return format_decimal_amount(minor, currency_exponent(currency).value_or(0));
}

std::string day_of(std::string_view text) {
  if (text.size() < 10) return {};
  for (std::size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? text[i] != '-' : (text[i] < '0' || text[i] > '9')) return {};
  }
  return std::string(text.substr(0, 10));
}

Input settlement_input(const Transaction& t, std::string id, std::string name, json::object data) {
  Input in;
  in.input_id = "settlement:" + t.txn_id + ":" + id;
  in.txn_id = t.txn_id;
  in.kind = InputKind::provider_response;  // the provider's word, as its answer to a status call would be
  in.name = std::move(name);
  in.data = std::move(data);
  return in;
}

}  // namespace corridor
