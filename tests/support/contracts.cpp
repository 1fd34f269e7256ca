#include "tests/support/contracts.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <map>

namespace corridor::testing {

namespace {

class Recorder {
 public:
  static Recorder& get() {
    static Recorder r;
    return r;
  }

  void write(json::object item) {
    if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info(); info != nullptr)
      item["test"] = std::string(info->test_suite_name()) + "." + info->name();
    const std::string line = boost::json::serialize(item);
    std::lock_guard lock(mu_);
    open();
    out_ << line << '\n';
    out_.flush();
    ++written_;
  }

  void add_listener(std::string_view address, std::string_view role) {
    std::lock_guard lock(mu_);
    listeners_[std::string(address)] = role;
  }
  // The listener's role ("public", "operations"), or "" when the address is not corridor's.
  std::string listener(std::string_view address) {
    std::lock_guard lock(mu_);
    auto it = listeners_.find(std::string(address));
    return it == listeners_.end() ? std::string() : it->second;
  }

  std::string path() {
    std::lock_guard lock(mu_);
    open();
    return path_;
  }
  std::size_t written() {
    std::lock_guard lock(mu_);
    return written_;
  }

 private:
  void open() {
    if (!path_.empty()) return;
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/corridor-contracts-XXXXXX";
    const int fd = mkstemp(tmpl.data());
    if (fd >= 0) close(fd);
    path_ = tmpl;
    out_.open(path_, std::ios::trunc);
  }

  std::mutex mu_;
  std::string path_;
  std::ofstream out_;
  std::size_t written_ = 0;
  std::map<std::string, std::string> listeners_;
};

json::object headers_json(const KafkaHeaders& headers) {
  json::object o;
  for (const auto& [name, value] : headers) o[name] = value;
  return o;
}

// The value as JSON when it is JSON, else as its text (the validator says it is not JSON).
json::value value_json(std::string_view value) {
  boost::system::error_code ec;
  json::value v = boost::json::parse(value, ec);
  if (ec) return json::object{{"not_json", std::string(value.substr(0, 2000))}};
  return v;
}

// "127.0.0.1:PORT" and the path of an absolute http:// URL.
std::pair<std::string, std::string> split_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with(kScheme)) url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  if (slash == std::string_view::npos) return {std::string(url), "/"};
  return {std::string(url.substr(0, slash)), std::string(url.substr(slash))};
}

class RecordingHttpClient final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest& request, std::chrono::milliseconds timeout) override {
    auto r = inner_->send(request, timeout);
    if (r) record_http(request, *r);
    return r;
  }
  Result<HttpResponse> send_at_most_once(const HttpRequest& request, std::chrono::milliseconds timeout) override {
    auto r = inner_->send_at_most_once(request, timeout);
    if (r) record_http(request, *r);
    return r;
  }

 private:
  std::unique_ptr<HttpClient> inner_ = make_http_client();
};

// Runs the validator over what this binary recorded, once its tests are done.
class ContractsCheck final : public ::testing::Environment {
 public:
  void TearDown() override {
    Recorder& recorder = Recorder::get();
    if (recorder.written() == 0) return;
    const std::string command = std::string("timeout 300 ") + CORRIDOR_PYTHON + " " + CORRIDOR_SOURCE_DIR +
                                "/tests/support/contracts.py validate " + CORRIDOR_SOURCE_DIR + "/docs " +
                                recorder.path() + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr) << "cannot run " << command;
    std::string report;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) report += buffer.data();
    const int status = pclose(pipe);
    if (status != 0) {
      ADD_FAILURE() << "what this test binary saw does not match docs/asyncapi.yaml and docs/openapi.yaml ("
                    << recorder.written() << " records in " << recorder.path() << "):\n"
                    << report;
      return;
    }
    std::cout << report;
    std::remove(recorder.path().c_str());
  }
};

[[maybe_unused]] ::testing::Environment* const kContractsCheck =
    ::testing::AddGlobalTestEnvironment(new ContractsCheck);

}  // namespace

void record_command(std::string_view value, const KafkaHeaders& headers) {
  // Its bytes too (bounded), to find the dead letter of a command corridor refused.
  Recorder::get().write({{"schema", "command"},
                         {"headers", headers_json(headers)},
                         {"value", value_json(value)},
                         {"bytes", value.size()},
                         {"raw", std::string(value.substr(0, 8192))}});
}

void record_topic_record(std::string_view topic, std::string_view key, std::string_view value,
                         const KafkaHeaders& headers) {
  std::string_view schema;
  if (topic.ends_with("events")) schema = "event";
  else if (topic.ends_with("deadletter")) schema = "deadletter";
  else if (topic.ends_with("inputs")) schema = "input";
  else return;  // corridor.commands: the test's own commands, recorded as it produces them
  Recorder::get().write({{"schema", schema},
                         {"topic", topic},
                         {"key", key},
                         {"headers", headers_json(headers)},
                         {"value", value_json(value)}});
}

void register_corridor_listener(std::string_view address, std::string_view role) {
  Recorder::get().add_listener(address, role);
}

void record_http(const HttpRequest& request, const HttpResponse& response) {
  auto [authority, path] = split_url(request.target);
  const std::string listener = Recorder::get().listener(authority);
  if (listener.empty()) return;
  json::object item{{"schema", "http"},
                    {"listener", listener},
                    {"method", request.method},
                    {"path", path},
                    {"status", response.status},
                    {"content_type", std::string(response.header("Content-Type"))}};
  if (response.header("Content-Type").starts_with("application/json")) item["value"] = value_json(response.body);
  Recorder::get().write(std::move(item));
}

std::unique_ptr<HttpClient> recording_http_client() { return std::make_unique<RecordingHttpClient>(); }

std::string contracts_log_path() { return Recorder::get().path(); }

}  // namespace corridor::testing
