#include "statemachines/sensitive.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <utility>
#include <vector>

namespace corridor {

namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// A digit as it is written in the text: [begin, end) holds it.
struct DigitUnit {
  std::size_t begin = 0;
  std::size_t end = 0;
  char digit = '0';
};

// The digit written at `i`, plainly, as a JSON escape behind any number of backslashes (\u0034,
// \\u0034 once serialised again), or percent-encoded (%34).
std::optional<DigitUnit> digit_at(std::string_view t, std::size_t i) {
  if (i >= t.size()) return std::nullopt;
  const char c = t[i];
  if (is_digit(c)) return DigitUnit{i, i + 1, c};
  if (c == '%' && i + 2 < t.size() && t[i + 1] == '3' && is_digit(t[i + 2])) return DigitUnit{i, i + 3, t[i + 2]};
  if (c == '\\') {
    std::size_t j = i;
    while (j < t.size() && t[j] == '\\') ++j;
    if (j + 4 < t.size() && (t[j] == 'u' || t[j] == 'U') && t[j + 1] == '0' && t[j + 2] == '0' && t[j + 3] == '3' &&
        is_digit(t[j + 4]))
      return DigitUnit{i, j + 5, t[j + 4]};
  }
  return std::nullopt;
}

// A run of digits in the text, possibly split into groups by single spaces or dashes.
struct DigitRun {
  std::vector<DigitUnit> units;
  std::vector<std::size_t> group_starts;  // index into units where each group begins
};

// The run starting at `i` (a digit unit is there); `next` is where scanning goes on.
DigitRun run_at(std::string_view t, std::size_t i, std::size_t& next) {
  DigitRun run;
  run.group_starts.push_back(0);
  std::size_t pos = i;
  for (;;) {
    auto u = digit_at(t, pos);
    if (!u) break;
    run.units.push_back(*u);
    pos = u->end;
    if (pos < t.size() && (t[pos] == ' ' || t[pos] == '-') && pos + 1 < t.size()) {
      if (auto after = digit_at(t, pos + 1)) {
        run.group_starts.push_back(run.units.size());
        pos = pos + 1;
        continue;
      }
    }
  }
  next = pos;
  return run;
}

std::string digits_of(const DigitRun& run, std::size_t from, std::size_t to) {
  std::string d;
  for (std::size_t k = from; k < to; ++k) d.push_back(run.units[k].digit);
  return d;
}

bool prefix_between(std::string_view digits, std::string_view low, std::string_view high) {
  if (digits.size() < low.size()) return false;
  const std::string_view p = digits.substr(0, low.size());
  return p >= low && p <= high;
}

// Issuer prefixes and lengths of the card schemes in use: enough to tell a card number from a phone
// number or an order id that happens to pass the Luhn check.
bool plausible_card(std::string_view d) {
  const std::size_t n = d.size();
  if (n < 13 || n > 19 || !luhn_valid(d)) return false;
  if (d[0] == '4') return n == 16 || n == 19;                                               // Visa
  if (prefix_between(d, "51", "55") || prefix_between(d, "2221", "2720")) return n == 16;  // Mastercard
  if (prefix_between(d, "34", "34") || prefix_between(d, "37", "37")) return n == 15;      // American Express
  if (d[0] == '3' || d[0] == '5' || d[0] == '6') return n >= 14;  // Diners, JCB, Discover, UnionPay, Maestro
  return false;
}

// How a card number is written when split: in groups of three to six digits (4-4-4-4, 4-6-5).
bool card_like_groups(const std::vector<std::size_t>& bounds, std::size_t a, std::size_t b) {
  if (b - a == 1) return true;  // one unbroken group
  for (std::size_t g = a; g < b; ++g)
    if (bounds[g + 1] - bounds[g] < 3 || bounds[g + 1] - bounds[g] > 6) return false;
  return true;
}

// Index ranges [from, to) of units holding card numbers inside one run: every unbroken group, and
// every sequence of whole groups, whose digits are a plausible card number. `card_grouping`: split
// sequences count only when their groups are grouped as card numbers are written (what the router
// refuses: an order number joined to another by a dash is not a card number).
std::vector<std::pair<std::size_t, std::size_t>> cards_in(const DigitRun& run, bool card_grouping) {
  std::vector<std::pair<std::size_t, std::size_t>> found;
  std::vector<std::size_t> bounds = run.group_starts;
  bounds.push_back(run.units.size());
  for (std::size_t a = 0; a + 1 < bounds.size(); ++a) {
    for (std::size_t b = a + 1; b < bounds.size(); ++b) {
      const std::size_t len = bounds[b] - bounds[a];
      if (len > 19) break;
      if (len >= 13 && (!card_grouping || card_like_groups(bounds, a, b)) &&
          plausible_card(digits_of(run, bounds[a], bounds[b])))
        found.emplace_back(bounds[a], bounds[b]);
    }
  }
  return found;
}

struct Secrets {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> values;  // value, name
};
Secrets& secrets() {
  static Secrets s;
  return s;
}

}  // namespace

bool is_secret_setting(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kParts{"key",  "secret", "token",   "password", "uuid",
                                                           "hmac", "auth",   "api_client", "credential"};
  return std::any_of(kParts.begin(), kParts.end(), [&](std::string_view p) { return key.find(p) != key.npos; });
}

std::string mask_pan(std::string_view pan) {
  if (pan.size() < 13) return std::string(pan.size(), '*');
  std::string out(pan);
  for (std::size_t i = 6; i + 4 < out.size(); ++i) out[i] = '*';
  return out;
}

bool luhn_valid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!is_digit(*it)) return false;
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

namespace {

// Calls `visit(run)` for each run of digits in `text`, in order, until it returns true.
template <class Visit>
void for_each_run(std::string_view text, Visit&& visit) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!digit_at(text, i)) {
      // A run of backslashes that starts no escaped digit starts none from any of its later
      // backslashes either (digit_at looks past the whole run): skipped at once, so a long run costs
      // one pass, not one pass per backslash.
      if (text[i] == '\\') {
        while (i < text.size() && text[i] == '\\') ++i;
      } else {
        ++i;
      }
      continue;
    }
    std::size_t next = i;
    if (visit(run_at(text, i, next))) return;
    i = std::max(next, i + 1);
  }
}

}  // namespace

namespace {

// Masks the card numbers cards_in() finds (split only as cards are written, with `card_grouping`)
// and, with `long_runs`, every unbroken stretch of 13 or more digits.
std::string mask_runs(std::string_view text, bool card_grouping, bool long_runs) {
  // Which units to mask, then the text written again with each of those units as one '*'.
  std::vector<std::pair<std::size_t, std::size_t>> masked;  // [begin, end) byte ranges
  for_each_run(text, [&](const DigitRun& run) {
    std::vector<bool> mask(run.units.size(), false);
    auto keep_ends = [&](std::size_t from, std::size_t to) {
      for (std::size_t k = from + 6; k + 4 < to; ++k) mask[k] = true;
    };
    // Long unbroken stretches: always (a group's units touch one another).
    std::vector<std::size_t> bounds = run.group_starts;
    bounds.push_back(run.units.size());
    for (std::size_t g = 0; long_runs && g + 1 < bounds.size(); ++g)
      if (bounds[g + 1] - bounds[g] >= 13) keep_ends(bounds[g], bounds[g + 1]);
    for (const auto& [from, to] : cards_in(run, card_grouping)) keep_ends(from, to);
    for (std::size_t k = 0; k < run.units.size(); ++k)
      if (mask[k]) masked.emplace_back(run.units[k].begin, run.units[k].end);
    return false;
  });
  if (masked.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  for (const auto& [begin, end] : masked) {
    out.append(text.substr(pos, begin - pos));
    out.push_back('*');
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

std::string mask_card_numbers(std::string_view text) { return mask_runs(text, false, true); }

std::string mask_found_cards(std::string_view text) { return mask_runs(text, true, false); }

std::optional<std::string> find_card_number(std::string_view text) {
  std::optional<std::string> found;
  for_each_run(text, [&](const DigitRun& run) {
    if (auto cards = cards_in(run, true); !cards.empty()) found = digits_of(run, cards[0].first, cards[0].second);
    return found.has_value();
  });
  return found;
}

void register_secret(std::string_view name, std::string_view value) {
  if (value.size() < 8) return;
  Secrets& s = secrets();
  std::lock_guard lock(s.mu);
  for (const auto& [v, _] : s.values)
    if (v == value) return;
  s.values.emplace_back(std::string(value), std::string(name));
  // Longest first: a secret that contains another is replaced whole.
  std::sort(s.values.begin(), s.values.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

void clear_secrets() {
  Secrets& s = secrets();
  std::lock_guard lock(s.mu);
  s.values.clear();
}

namespace {
// The first `max_bytes` of `text` at most, cut on a UTF-8 character boundary, and "…(N bytes)".
std::string cut(std::string_view text, std::size_t max_bytes, std::size_t whole_bytes) {
  std::size_t at = std::min(max_bytes, text.size());
  while (at > 0 && at < text.size() && (static_cast<unsigned char>(text[at]) & 0xc0) == 0x80) --at;
  return std::string(text.substr(0, at)) + "…(" + std::to_string(whole_bytes) + " bytes)";
}
}  // namespace

std::string redact(std::string_view text) {
  // Secrets first: a credential with a long run of digits is found whole before the masking of card
  // numbers changes it.
  std::string out(text);
  {
    Secrets& s = secrets();
    std::lock_guard lock(s.mu);
    for (const auto& [value, name] : s.values) {
      for (std::size_t at = out.find(value); at != std::string::npos; at = out.find(value, at)) {
        const std::string replacement = "[redacted " + name + "]";
        out.replace(at, value.size(), replacement);
        at += replacement.size();
      }
    }
  }
  return mask_card_numbers(out);
}

std::string redact_bounded(std::string_view text, std::size_t max_bytes) {
  // Redacted, then cut: a cut first could leave twelve digits of a card, or half a secret, that neither
  // the masking nor the secrets' list recognises. Only a margin past the cut is redacted (a card number
  // in any encoding, or a credential, is far shorter than it), so a large text costs no more than a
  // small one; what lies past the margin is cut anyway.
  // Masking shrinks escaped digits (\u0034 is one '*'): the window grows until what is kept ends well
  // before the window's own end, where a card cut in two may lie half masked.
  std::size_t window = max_bytes + 4096;
  std::string redacted = redact(text.substr(0, window));
  while (window < text.size() && redacted.size() <= max_bytes + 1024) {
    window *= 2;
    redacted = redact(text.substr(0, window));
  }
  if (redacted.size() <= max_bytes && window >= text.size()) return redacted;
  return cut(redacted, max_bytes, text.size());
}

std::string bounded(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return cut(text, max_bytes, text.size());
}

}  // namespace corridor
