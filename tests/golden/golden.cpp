#include "tests/golden/golden.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "adapters/support/wire.hpp"
#include "engine/store/store.hpp"
#include "tests/support/runtime_harness.hpp"

namespace corridor::golden {

std::string directory() { return std::string(CORRIDOR_SOURCE_DIR) + "/tests/golden"; }

Config config(const std::string& dir) { return testing::test_config_for("golden.invalid:9092", dir); }

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::vector<InputRecord> read_inputs(const std::string& path) {
  std::vector<InputRecord> records;
  for (const auto& line : read_lines(path)) {
    const json::object o = boost::json::parse(line).as_object();
    InputRecord r;
    r.topic = "corridor.inputs";
    r.partition = static_cast<std::int32_t>(get_int(o, "partition"));
    r.offset = get_int(o, "offset");
    r.timestamp_ms = get_int(o, "timestamp_ms");
    if (o.contains("value_base64")) {
      auto bytes = base64_decode(get_string(o, "value_base64"));
      if (!bytes) throw std::runtime_error("bad value_base64 in " + path);
      r.value = std::move(*bytes);
    } else {
      r.value = std::string(get_string(o, "value"));
    }
    records.push_back(std::move(r));
  }
  return records;
}

void write_inputs(const std::string& path, const std::vector<InputRecord>& records) {
  std::vector<std::string> lines;
  for (const auto& r : records) {
    json::object o{{"partition", r.partition}, {"offset", r.offset}, {"timestamp_ms", r.timestamp_ms}};
    if (well_formed_utf8(r.value)) {
      o["value"] = r.value;
    } else {
      o["value_base64"] = base64_encode(r.value);
    }
    lines.push_back(boost::json::serialize(o));
  }
  write_lines(path, lines);
}

Replayed replay(const std::vector<InputRecord>& records, const Config& config, const std::string& store_path) {
  std::vector<InputRecord> ordered = records;
  std::stable_sort(ordered.begin(), ordered.end(), [](const InputRecord& a, const InputRecord& b) {
    return a.partition != b.partition ? a.partition < b.partition : a.offset < b.offset;
  });
  auto store = open_sqlite_store(store_path);
  Replayed out;
  constexpr std::size_t kBatch = 50;
  for (std::size_t at = 0; at < ordered.size(); at += kBatch) {
    const std::vector<InputRecord> batch(ordered.begin() + static_cast<std::ptrdiff_t>(at),
                                         ordered.begin() + static_cast<std::ptrdiff_t>(std::min(at + kBatch, ordered.size())));
    BatchProcessor processor(*store, config);
    BatchStats stats;
    auto made = processor.process(batch, stats);
    if (!made) throw std::runtime_error("replay: " + made.error().message);
    for (const auto& row : made->outbox) out.outbox.push_back(row.topic + " " + row.body);
    if (auto r = store->commit(*made); !r) throw std::runtime_error("replay: " + r.error().message);
  }
  auto ids = store->transaction_ids();
  if (!ids) throw std::runtime_error("replay: " + ids.error().message);
  std::sort(ids->begin(), ids->end());
  for (const auto& id : *ids) {
    auto txn = store->load(id);
    if (!txn || !*txn) throw std::runtime_error("replay: cannot load " + id);
    out.states.push_back(boost::json::serialize(to_json(**txn)));
  }
  return out;
}

}  // namespace corridor::golden
