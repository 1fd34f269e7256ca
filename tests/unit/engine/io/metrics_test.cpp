// The exposition GET /metrics serves: labels, escaping, histogram buckets, the sampled gauges; and the
// two documents that name its metrics, docs/operations.md's table and the Grafana dashboard, held to it.
#include "engine/io/metrics.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "engine/io/health.hpp"
#include "statemachines/domain.hpp"

namespace corridor {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

TEST(MetricsExposition, LabelledCountersHaveOneLinePerSeriesInLabelOrder) {
  Metrics m;
  m.transactions_created.add({"novasend", "payin"});
  m.transactions_created.add({"novasend", "payin"}, 2);
  m.transactions_created.add({"esipay", "card"});
  const std::string out = m.prometheus();
  EXPECT_TRUE(has_line(out, "# TYPE corridor_transactions_created_total counter")) << out;
  EXPECT_TRUE(has_line(out, R"(corridor_transactions_created_total{provider="novasend",flow="payin"} 3)")) << out;
  EXPECT_TRUE(has_line(out, R"(corridor_transactions_created_total{provider="esipay",flow="card"} 1)")) << out;
  EXPECT_EQ(m.transactions_created.load(), 4);
  EXPECT_EQ(m.transactions_created.value({"novasend", "payin"}), 3);
  EXPECT_EQ(m.transactions_created.value({"cynod", "card_debit"}), 0);
}

TEST(MetricsExposition, MetricsWithoutLabelsAreShownAtZero) {
  Metrics m;
  const std::string out = m.prometheus();
  EXPECT_TRUE(has_line(out, "corridor_inputs_applied_total 0"));
  EXPECT_TRUE(has_line(out, "corridor_outbox_depth 0"));
  EXPECT_TRUE(has_line(out, "corridor_pending_calls 0"));
  EXPECT_TRUE(has_line(out, "corridor_timers_due 0"));
  // A labelled metric with no series yet has its header and no line.
  EXPECT_TRUE(has_line(out, "# TYPE corridor_command_to_final_seconds histogram"));
  EXPECT_EQ(out.find("corridor_command_to_final_seconds_count"), std::string::npos);
}

TEST(MetricsExposition, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("line\nbreak"), "line\\nbreak");
  Counter c{"test_total", "Help with a \\ and a\nnewline.", {"provider"}};
  c.add({"evil\"} 1\ncorridor_fake 2"});
  std::string out;
  c.write(out);
  EXPECT_EQ(out,
            "# HELP corridor_test_total Help with a \\\\ and a\\nnewline.\n"
            "# TYPE corridor_test_total counter\n"
            "corridor_test_total{provider=\"evil\\\"} 1\\ncorridor_fake 2\"} 1\n");
}

TEST(MetricsExposition, HistogramBucketsAreCumulativeInSeconds) {
  Histogram h{"call_seconds", "A round trip.", {"provider", "op"}, {5, 250, 1000, 2500}};
  h.observe_ms({"novasend", "create_session"}, 0);
  h.observe_ms({"novasend", "create_session"}, 5);      // on a bound: in it (le)
  h.observe_ms({"novasend", "create_session"}, 6);
  h.observe_ms({"novasend", "create_session"}, 2500);
  h.observe_ms({"novasend", "create_session"}, 90061);  // past every bound: +Inf only
  std::string out;
  h.write(out);
  const std::string l = R"({provider="novasend",op="create_session")";
  EXPECT_EQ(out, "# HELP corridor_call_seconds A round trip.\n"
                 "# TYPE corridor_call_seconds histogram\n"
                 "corridor_call_seconds_bucket" + l + R"(,le="0.005"} 2)" "\n"
                 "corridor_call_seconds_bucket" + l + R"(,le="0.25"} 3)" "\n"
                 "corridor_call_seconds_bucket" + l + R"(,le="1"} 3)" "\n"
                 "corridor_call_seconds_bucket" + l + R"(,le="2.5"} 4)" "\n"
                 "corridor_call_seconds_bucket" + l + R"(,le="+Inf"} 5)" "\n"
                 "corridor_call_seconds_sum" + l + "} 92.572\n"
                 "corridor_call_seconds_count" + l + "} 5\n");
  EXPECT_EQ(h.count({"novasend", "create_session"}), 5);
  EXPECT_EQ(h.sum_ms({"novasend", "create_session"}), 92572);
}

TEST(MetricsExposition, HistogramWithoutLabelsHasOnlyLe) {
  Histogram h{"wait_seconds", "A wait.", {}, {1000}};
  h.observe_ms({}, 1500);
  std::string out;
  h.write(out);
  EXPECT_TRUE(has_line(out, R"(corridor_wait_seconds_bucket{le="1"} 0)")) << out;
  EXPECT_TRUE(has_line(out, R"(corridor_wait_seconds_bucket{le="+Inf"} 1)")) << out;
  EXPECT_TRUE(has_line(out, "corridor_wait_seconds_sum 1.5")) << out;
  EXPECT_TRUE(has_line(out, "corridor_wait_seconds_count 1")) << out;
}

TEST(MetricsExposition, DeclaredFlowsShowTheirSeriesAtZero) {
  Metrics m;
  m.declare_flows({{"novasend", "payin"}});
  const std::string out = m.prometheus();
  EXPECT_TRUE(has_line(out, R"(corridor_transactions_created_total{provider="novasend",flow="payin"} 0)"));
  EXPECT_TRUE(has_line(out, R"(corridor_attention_total{provider="novasend",flow="payin",code="late_outcome"} 0)"));
  EXPECT_TRUE(has_line(out, R"(corridor_webhooks_refused_total{provider="novasend"} 0)"));
  EXPECT_TRUE(has_line(out, R"(corridor_circuit_open{provider="novasend"} 0)"));
}

TEST(MetricsSamplers, RunAtAScrapeAtMostOnceASecondAndStopWithTheirHandle) {
  Metrics m;
  int runs = 0;
  auto handle = m.add_sampler([&] {
    ++runs;
    m.outbox_depth.set({}, 7);
  });
  std::string out = m.prometheus();
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(has_line(out, "corridor_outbox_depth 7"));
  m.prometheus();
  EXPECT_EQ(runs, 1);  // within the second: what the last sample read
  m.sample();
  EXPECT_EQ(runs, 2);
  handle.reset();
  m.sample();
  EXPECT_EQ(runs, 2);
}

TEST(MetricsSamplers, AHandleOutlivingTheMetricsIsHarmless) {
  std::shared_ptr<void> handle;
  {
    Metrics m;
    handle = m.add_sampler([] {});
  }
  handle.reset();
}

// ---- the documents held to the exposition ------------------------------------------------------

struct Family {
  std::string type;
  std::set<std::string> labels;
};

// Families by name from an exposition: the type from `# TYPE`, the label names from every series
// (a histogram's `le` left out).
std::map<std::string, Family> families_of(const std::string& text) {
  std::map<std::string, Family> out;
  std::istringstream in(text);
  const std::regex type_line(R"(# TYPE (corridor_[a-z_]+) (counter|gauge|histogram))");
  const std::regex series(R"((corridor_[a-z_]+)(\{(.*)\})? -?[0-9.]+)");
  const std::regex label(R"(([a-z_]+)="(?:[^"\\]|\\.)*")");
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_match(l, m, type_line)) {
      out[m[1]].type = m[2];
      continue;
    }
    if (!std::regex_match(l, m, series)) continue;
    std::string name = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = name.substr(0, name.size() - std::min(name.size(), std::strlen(suffix)));
      if (name.ends_with(suffix) && out.contains(base) && out[base].type == "histogram") name = base;
    }
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label); it != std::sregex_iterator(); ++it)
      if ((*it)[1] != "le") out[name].labels.insert((*it)[1]);
  }
  return out;
}

// Every family with one series at least, as a running engine has them.
std::string full_exposition() {
  Metrics m;
  m.declare_flows({{"novasend", "payin"}});
  m.commands_routed.add({"payment.create", "novasend", "payin"});
  m.commands_rejected.add({"payment.create", kNoLabel, kNoLabel});
  m.provider_calls.add({"novasend", "create_session", "ok"});
  m.state_changes.add({"novasend", "payin", "succeeded"});
  m.transactions_final.add({"novasend", "payin", "succeeded"});
  m.command_to_final.observe_ms({"novasend", "payin", "succeeded"}, 1200);
  m.provider_call_seconds.observe_ms({"novasend", "create_session"}, 12);
  m.consumer_lag.set({"corridor.inputs"}, 0);
  Health health;
  return m.prometheus() + health.prometheus(0);
}

std::string read_file(const std::string& path) {
  std::ifstream in(std::string(CORRIDOR_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The rows of docs/operations.md's metric table: | `name` | type | labels | meaning |.
std::map<std::string, Family> documented() {
  std::map<std::string, Family> out;
  std::istringstream in(read_file("docs/operations.md"));
  const std::regex row(R"(\| `(corridor_[a-z_]+)` \| (counter|gauge|histogram) \|([a-z_, ]*)\|.*)");
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_match(l, m, row)) continue;
    Family f{m[2], {}};
    std::stringstream labels(m[3]);
    for (std::string name; std::getline(labels, name, ',');) {
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (!name.empty()) f.labels.insert(name);
    }
    EXPECT_FALSE(out.contains(m[1])) << m[1] << " is documented twice";
    out[m[1]] = f;
  }
  return out;
}

TEST(MetricsDocs, TheOperationsTableNamesEveryMetricWithItsTypeAndLabels) {
  const auto served = families_of(full_exposition());
  const auto docs = documented();
  ASSERT_GE(docs.size(), 20u) << "docs/operations.md's metric table was not found";
  for (const auto& [name, f] : served) {
    auto d = docs.find(name);
    if (d == docs.end()) {
      ADD_FAILURE() << name << " is served but not in docs/operations.md's table";
      continue;
    }
    EXPECT_EQ(d->second.type, f.type) << name;
    EXPECT_EQ(d->second.labels, f.labels) << name;
  }
  for (const auto& [name, _] : docs) EXPECT_TRUE(served.contains(name)) << name << " is documented but not served";
}

TEST(MetricsDocs, TheDashboardQueriesOnlyServedMetricsAndTheirLabels) {
  const auto served = families_of(full_exposition());
  const auto dashboard = boost::json::parse(read_file("deploy/grafana/corridor-dashboard.json")).as_object();
  const std::regex metric(R"(corridor_[a-z_]+)");
  const std::regex by(R"(by \(([a-z_, ]+)\))");
  std::set<std::string> queried;
  std::size_t exprs = 0;
  for (const auto& panel : dashboard.at("panels").as_array()) {
    for (const auto& target : panel.as_object().at("targets").as_array()) {
      const std::string expr(target.as_object().at("expr").as_string());
      ++exprs;
      std::set<std::string> labels{"le"};
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric); it != std::sregex_iterator(); ++it) {
        std::string name = it->str();
        for (const char* suffix : {"_bucket", "_sum", "_count"})
          if (name.ends_with(suffix) && served.contains(name.substr(0, name.size() - std::strlen(suffix))))
            name = name.substr(0, name.size() - std::strlen(suffix));
        auto f = served.find(name);
        if (f == served.end()) {
          ADD_FAILURE() << "the dashboard queries " << it->str() << ", which corridor does not serve: " << expr;
          continue;
        }
        queried.insert(name);
        labels.insert(f->second.labels.begin(), f->second.labels.end());
      }
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), by); it != std::sregex_iterator(); ++it) {
        std::stringstream names((*it)[1].str());
        for (std::string name; std::getline(names, name, ',');) {
          name.erase(0, name.find_first_not_of(' '));
          EXPECT_TRUE(labels.contains(name)) << "no metric of this query has the label " << name << ": " << expr;
        }
      }
    }
  }
  EXPECT_GE(exprs, 14u);
  // What an SRE opens the dashboard for.
  for (const char* name :
       {"corridor_state_changes_total", "corridor_transactions_final_total", "corridor_command_to_final_seconds",
        "corridor_provider_call_seconds", "corridor_consumer_lag", "corridor_outbox_depth", "corridor_pending_calls",
        "corridor_timers_due", "corridor_circuit_open", "corridor_component_stalled", "corridor_attention_total"})
    EXPECT_TRUE(queried.contains(name)) << "the dashboard does not show " << name;
}

}  // namespace
}  // namespace corridor
