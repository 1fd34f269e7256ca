#pragma once
// Structs as JSON, through Boost.Describe: a flow's data, the transaction's bookkeeping and the
// records they hold are plain structs that list their members with BOOST_DESCRIBE_STRUCT, and these
// templates write and read them, so the store, the events and replay keep JSON while the code reads
// members.
//
// Writing: the members in their declared order; an empty std::optional and an empty std::string are
// left out (a string is an id or a code: empty means not known yet). Reading: each member from the
// key of its name; an absent key, or a value of another type, leaves the member as it was (its
// default), as a lookup with a fallback did before typed state.
#include <boost/describe.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "statemachines/money.hpp"

namespace corridor {

namespace json = boost::json;

// The JSON writer's pieces: the bytes boost::json::serialize gives, without its setup per value.
void append_json(std::string& out, const json::value& v);
void append_json(std::string& out, const json::object& o);
void append_json_string(std::string& out, std::string_view s);
void append_json_int(std::string& out, std::int64_t v);
// {"name":"text",...}: the pairs in the order given (names the caller keeps unique), sized once.
using TextPair = std::pair<std::string_view, std::string_view>;
void append_json_pairs(std::string& out, const TextPair* pairs, std::size_t count);

BOOST_DESCRIBE_STRUCT(Money, (), (value, currency))

// A JSON value that never changes once kept, shared by its copies: what a transaction keeps of its
// create command (customer, description, metadata), which a copy of the transaction and the calls
// that send it on share instead of copying key by key. The value is in the default memory, whatever
// memory it was read from, so that no copy ever allocates from another thread's resource.
class SharedJson {
 public:
  SharedJson() = default;  // null, without an allocation
  SharedJson(const json::value& v) : value_(std::make_shared<const json::value>(v, json::storage_ptr())) {}
  // Moved when `v` is in the default memory already, copied into it otherwise.
  SharedJson(json::value&& v) : value_(std::make_shared<const json::value>(std::move(v), json::storage_ptr())) {}

  const json::value& value() const { return value_ ? *value_ : null(); }
  const json::value& operator*() const { return value(); }
  const json::value* operator->() const { return &value(); }
  friend bool operator==(const SharedJson& a, const SharedJson& b) { return a.value() == b.value(); }
  friend bool operator==(const SharedJson& a, const json::value& b) { return a.value() == b; }

 private:
  static const json::value& null() {
    static const json::value kNull;
    return kNull;
  }
  std::shared_ptr<const json::value> value_;
};

namespace fields {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
inline constexpr bool described = boost::describe::has_describe_members<T>::value;

// A struct whose empty strings are written as "" (a provider call's parameters, which adapters have
// always read that way): it says `static constexpr bool kWritesEmptyText = true;`. Only its empty
// optionals are left out.
template <class T>
inline constexpr bool writes_empty_text = requires { requires T::kWritesEmptyText; };

// Whether the member is left out of the JSON (an empty optional, or an empty string unless the struct
// `Owner` writes empty text).
template <class Owner = void, class T>
bool absent(const T& v) {
  if constexpr (is_optional<T>::value) return !v.has_value();
  else if constexpr (std::is_same_v<T, std::string> && !writes_empty_text<Owner>) return v.empty();
  else return false;
}

inline void write(std::string& out, std::int64_t v) { append_json_int(out, v); }
inline void write(std::string& out, bool v) { out += v ? "true" : "false"; }
inline void write(std::string& out, const std::string& v) { append_json_string(out, v); }
inline void write(std::string& out, const json::value& v) { append_json(out, v); }
inline void write(std::string& out, const json::object& v) { append_json(out, v); }
inline void write(std::string& out, const SharedJson& v) { append_json(out, *v); }
template <class T>
void write(std::string& out, const std::optional<T>& v);
template <class T>
void write(std::string& out, const std::vector<T>& v);
template <class T>
  requires described<T>
void write(std::string& out, const T& v);

// Appends `,"name":value` (no comma before the first) for every member that is not absent.
template <class T>
  requires described<T>
void write_members(std::string& out, const T& v, bool& first) {
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    const auto& member = v.*d.pointer;
    if (absent<T>(member)) return;
    // A member's name is a C++ identifier: nothing in it to escape.
    const std::string_view name = d.name;
    out.append(first ? "\"" : ",\"", first ? 1 : 2);
    first = false;
    out.append(name);
    out.append("\":", 2);
    write(out, member);
  });
}

template <class T>
void write(std::string& out, const std::optional<T>& v) {
  if (v) write(out, *v);
  else out += "null";
}

template <class T>
void write(std::string& out, const std::vector<T>& v) {
  out += '[';
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) out += ',';
    write(out, v[i]);
  }
  out += ']';
}

template <class T>
  requires described<T>
void write(std::string& out, const T& v) {
  out += '{';
  bool first = true;
  write_members(out, v, first);
  out += '}';
}

template <class T>
std::string text(const T& v) {
  std::string out;
  write(out, v);
  return out;
}

// ---- reading: true when the value had the member's type -------------------------------------------
inline bool read(json::value& v, std::int64_t& out) {
  if (v.is_int64()) {
    out = v.get_int64();
    return true;
  }
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    out = static_cast<std::int64_t>(v.get_uint64());
    return true;
  }
  return false;
}
inline bool read(json::value& v, bool& out) {
  if (!v.is_bool()) return false;
  out = v.get_bool();
  return true;
}
inline bool read(json::value& v, std::string& out) {
  if (!v.is_string()) return false;
  out.assign(v.get_string().data(), v.get_string().size());
  return true;
}
inline bool read(json::value& v, json::value& out) {
  out = std::move(v);
  return true;
}
inline bool read(json::value& v, json::object& out) {
  if (!v.is_object()) return false;
  out = std::move(v.get_object());
  return true;
}
inline bool read(json::value& v, SharedJson& out) {
  out = SharedJson(std::move(v));
  return true;
}
template <class T>
bool read(json::value& v, std::optional<T>& out);
template <class T>
bool read(json::value& v, std::vector<T>& out);
template <class T>
  requires described<T>
bool read(json::value& v, T& out);

// Reads every member whose key `o` holds; with `take`, `o` keeps only the keys that are not members,
// in their order.
template <class T>
  requires described<T>
void read_members(json::object& o, T& out, bool take = false) {
  bool any = false;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    auto it = o.find(d.name);
    if (it == o.end()) return;
    any = true;
    read(it->value(), out.*d.pointer);
  });
  if (!take || !any) return;
  json::object rest(o.storage());
  for (auto& kv : o) {
    bool member = false;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
        [&](auto d) { member = member || kv.key() == d.name; });
    if (!member) rest.emplace(kv.key(), std::move(kv.value()));
  }
  o = std::move(rest);
}

template <class T>
bool read(json::value& v, std::optional<T>& out) {
  if (v.is_null()) {
    out.reset();
    return true;
  }
  T value{};
  if (!read(v, value)) return false;
  out = std::move(value);
  return true;
}

template <class T>
bool read(json::value& v, std::vector<T>& out) {
  if (!v.is_array()) return false;
  out.clear();
  out.reserve(v.get_array().size());
  for (json::value& item : v.get_array()) {
    T value{};
    if (read(item, value)) out.push_back(std::move(value));
  }
  return true;
}

template <class T>
  requires described<T>
bool read(json::value& v, T& out) {
  if (!v.is_object()) return false;
  read_members(v.get_object(), out);
  return true;
}

// ---- as JSON values: an adapter builds a flow's input as a struct and hands it on as an object ----
inline json::value to_value(std::int64_t v) { return v; }
inline json::value to_value(bool v) { return v; }
inline json::value to_value(const std::string& v) { return json::string(v); }
inline json::value to_value(const json::value& v) { return v; }
inline json::value to_value(const json::object& v) { return v; }
inline json::value to_value(const SharedJson& v) { return *v; }
template <class T>
json::value to_value(const std::optional<T>& v);
template <class T>
json::value to_value(const std::vector<T>& v);
template <class T>
  requires described<T>
json::value to_value(const T& v);

// The object whose text write() gives: the members in their order, empty optionals and strings left out.
template <class T>
  requires described<T>
json::object to_object(const T& v) {
  json::object o;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>([&](auto d) {
    const auto& member = v.*d.pointer;
    if (!absent<T>(member)) o.emplace(d.name, to_value(member));
  });
  return o;
}

template <class T>
json::value to_value(const std::optional<T>& v) {
  if (!v) return nullptr;
  return to_value(*v);
}

template <class T>
json::value to_value(const std::vector<T>& v) {
  json::array a;
  a.reserve(v.size());
  for (const T& item : v) a.push_back(to_value(item));
  return a;
}

template <class T>
  requires described<T>
json::value to_value(const T& v) {
  return to_object(v);
}

// ---- reading a value left as it is (a step's input) -------------------------------------------------
// The same rules as read(), from a const value: text, numbers and flags are copied out, a json::value
// member takes a copy of its value alone, and a struct is read member by member, so a nested object
// is never copied whole only to be read.
inline bool read_const(const json::value& v, std::int64_t& out) { return read(const_cast<json::value&>(v), out); }
inline bool read_const(const json::value& v, bool& out) { return read(const_cast<json::value&>(v), out); }
inline bool read_const(const json::value& v, std::string& out) { return read(const_cast<json::value&>(v), out); }
inline bool read_const(const json::value& v, json::value& out) {
  out = v;
  return true;
}
inline bool read_const(const json::value& v, json::object& out) {
  if (!v.is_object()) return false;
  out = v.get_object();
  return true;
}
inline bool read_const(const json::value& v, SharedJson& out) {
  out = SharedJson(v);
  return true;
}
template <class T>
bool read_const(const json::value& v, std::optional<T>& out);
template <class T>
bool read_const(const json::value& v, std::vector<T>& out);
template <class T>
  requires described<T>
bool read_const(const json::value& v, T& out);

// Each member from the key of its name, read_members' rules. Walks the object's keys once and finds
// each key's member among the names (most keys differ from most names by their length alone), rather
// than searching the object once per member.
template <class T>
  requires described<T>
void read_members_const(const json::object& o, T& out) {
  using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
  for (const auto& kv : o) {
    const std::string_view key(kv.key().data(), kv.key().size());
    bool done = false;
    boost::mp11::mp_for_each<Members>([&](auto d) {
      if (done) return;
      constexpr std::string_view name(d.name);
      if (key.size() != name.size() || key != name) return;
      done = true;
      read_const(kv.value(), out.*d.pointer);
    });
  }
}

template <class T>
bool read_const(const json::value& v, std::optional<T>& out) {
  if (v.is_null()) {
    out.reset();
    return true;
  }
  T value{};
  if (!read_const(v, value)) return false;
  out = std::move(value);
  return true;
}

template <class T>
bool read_const(const json::value& v, std::vector<T>& out) {
  if (!v.is_array()) return false;
  out.clear();
  out.reserve(v.get_array().size());
  for (const json::value& item : v.get_array()) {
    T value{};
    if (read_const(item, value)) out.push_back(std::move(value));
  }
  return true;
}

template <class T>
  requires described<T>
bool read_const(const json::value& v, T& out) {
  if (!v.is_object()) return false;
  read_members_const(v.get_object(), out);
  return true;
}

// T read from `o`, left as it is (a step's input): each member from the key of its name, as
// read_members does.
template <class T>
  requires described<T>
T from_object(const json::object& o) {
  T out{};
  read_members_const(o, out);
  return out;
}

// The names of T's members, for checks that two structs sharing one JSON object never collide.
template <class T>
  requires described<T>
std::vector<std::string_view> member_names() {
  std::vector<std::string_view> names;
  boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_public>>(
      [&](auto d) { names.emplace_back(d.name); });
  return names;
}

}  // namespace fields

}  // namespace corridor
