// deploy/docker-compose.yml as Debian's docker-compose (1.29) reads it, with no Docker daemon: three
// corridor instances, PostgreSQL 15 with a volume, three Kafka nodes in one KRaft quorum, topics with
// three replicas made before corridor starts, healthchecks on routes corridor serves, secrets only from
// the env files, the monitoring profile; and deploy/corridor.yaml loaded by corridor's own loader with
// the environment Compose gives an instance.
#include "tests/unit/deploy/deploy_support.hpp"

namespace corridor::deploy_test {
namespace {

class Compose : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    copy_ = new DeployCopy();
    const Ran config = run("docker-compose -f " + copy_->dir() + "/docker-compose.yml --profile monitoring config");
    config_exit_ = config.exit;
    config_output_ = config.output;
    if (config.exit == 0) resolved_ = new YAML::Node(YAML::Load(config.output));
  }
  static void TearDownTestSuite() {
    delete resolved_;
    delete copy_;
  }
  void SetUp() override {
    ASSERT_EQ(copy_->generated().exit, 0) << copy_->generated().output;
    ASSERT_EQ(config_exit_, 0) << config_output_;
  }
  static YAML::Node services() { return (*resolved_)["services"]; }
  static std::vector<std::string> corridor_services() {
    std::vector<std::string> out;
    for (const auto& kv : services())
      if (kv.second["image"].IsDefined() && kv.second["image"].as<std::string>().rfind("corridor", 0) == 0)
        out.push_back(kv.first.as<std::string>());
    return out;
  }
  static std::vector<std::string> kafka_services() {
    std::vector<std::string> out;
    for (const auto& kv : services())
      if (kv.second["environment"].IsDefined() && kv.second["environment"]["KAFKA_PROCESS_ROLES"].IsDefined())
        out.push_back(kv.first.as<std::string>());
    return out;
  }
  static std::map<std::string, std::string> environment(const std::string& service) {
    std::map<std::string, std::string> out;
    for (const auto& kv : services()[service]["environment"]) out[kv.first.as<std::string>()] = kv.second.as<std::string>("");
    return out;
  }
  static std::string text(const YAML::Node& n) {
    YAML::Emitter e;
    e << n;
    return e.c_str();
  }

  static DeployCopy* copy_;
  static int config_exit_;
  static std::string config_output_;
  static YAML::Node* resolved_;
};
DeployCopy* Compose::copy_ = nullptr;
int Compose::config_exit_ = -1;
std::string Compose::config_output_;
YAML::Node* Compose::resolved_ = nullptr;

TEST_F(Compose, DockerComposeValidatesItWithAndWithoutTheMonitoringProfile) {
  EXPECT_EQ(run("docker-compose -f " + copy_->dir() + "/docker-compose.yml config -q").exit, 0);
  const Ran monitoring =
      run("docker-compose -f " + copy_->dir() + "/docker-compose.yml --profile monitoring config --services");
  ASSERT_EQ(monitoring.exit, 0) << monitoring.output;
  EXPECT_NE(monitoring.output.find("prometheus"), std::string::npos);
  EXPECT_NE(monitoring.output.find("grafana"), std::string::npos);
  // Prometheus and Grafana start only with the profile; everything else without it.
  for (const auto& kv : services()) {
    const std::string name = kv.first.as<std::string>();
    const bool monitoring_only = name == "prometheus" || name == "grafana";
    EXPECT_EQ(kv.second["profiles"].IsDefined(), monitoring_only) << name;
    if (monitoring_only) {
      EXPECT_EQ(kv.second["profiles"][0].as<std::string>(), "monitoring") << name;
    }
  }
}

TEST_F(Compose, WithoutTheSecretsItRefusesToStart) {
  DeployCopy bare;
  std::filesystem::remove(bare.dir() + "/secrets/corridor.env");
  const Ran r = run("docker-compose -f " + bare.dir() + "/docker-compose.yml config -q");
  EXPECT_NE(r.exit, 0);
  EXPECT_NE(r.output.find("corridor.env"), std::string::npos) << r.output;
}

TEST_F(Compose, ThreeCorridorInstancesEachReachableOnItsOwnPorts) {
  const auto names = corridor_services();
  ASSERT_EQ(names.size(), 3u);
  std::set<std::string> host_ports;
  for (const auto& name : names) {
    const YAML::Node s = services()[name];
    EXPECT_EQ(s["image"].as<std::string>(), "corridor:latest");
    EXPECT_EQ(s["build"]["dockerfile"].as<std::string>(), "deploy/Dockerfile");
    ASSERT_TRUE(s["ports"].IsSequence());
    for (const auto& n : s["ports"]) {
      const Port p = port(n);
      EXPECT_TRUE(host_ports.insert(p.published).second) << "host port " << p.published << " twice";
      if (p.target == "8081") {
        EXPECT_EQ(p.host_ip, "127.0.0.1") << name << ": operations stay on the host's loopback";
      }
    }
    bool aliased = false;
    for (const auto& a : s["networks"]["default"]["aliases"]) aliased = aliased || a.as<std::string>() == "corridor";
    EXPECT_TRUE(aliased) << name << ": the public URL http://corridor:8080 reaches every instance";
    EXPECT_EQ(environment(name).at("CORRIDOR_PUBLIC_URL"), "http://corridor:8080");
    EXPECT_EQ(s["restart"].as<std::string>(""), "unless-stopped");
    // The drain on SIGTERM outlasts a provider call (executor.timeout_ms, 30 s).
    const std::string grace = s["stop_grace_period"].as<std::string>("");
    EXPECT_TRUE(grace == "1m30s" || grace == "90s") << grace;
  }
  EXPECT_EQ(host_ports.size(), 6u);
}

TEST_F(Compose, InstancesStartAfterTheTopicsAndTheDatabaseAndAreCheckedOnARouteCorridorServes) {
  const auto routes = public_routes();
  for (const auto& name : corridor_services()) {
    const YAML::Node s = services()[name];
    EXPECT_EQ(s["depends_on"]["topics"]["condition"].as<std::string>(""), "service_completed_successfully") << name;
    EXPECT_EQ(s["depends_on"]["postgres"]["condition"].as<std::string>(""), "service_healthy") << name;
    const std::string test = text(s["healthcheck"]["test"]);
    const std::regex url(R"(http://127\.0\.0\.1:8080(/[a-z/]+))");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(test, m, url)) << test;
    EXPECT_EQ(m[1], "/health/ready");
    EXPECT_TRUE(routes.count(m[1])) << m[1] << " is not a public route of docs/openapi.yaml";
  }
  // The image's Dockerfile installs the tool the healthcheck runs.
  EXPECT_NE(slurp(source("deploy/Dockerfile")).find(" curl"), std::string::npos);
}

TEST_F(Compose, ThreeKafkaNodesInOneQuorum) {
  const auto names = kafka_services();
  ASSERT_EQ(names.size(), 3u);
  std::set<std::string> ids, voters_seen, cluster_ids, advertised;
  std::map<std::string, std::string> id_of;  // node id -> service
  for (const auto& name : names) {
    const auto env = environment(name);
    EXPECT_EQ(env.at("KAFKA_PROCESS_ROLES"), "broker,controller") << name;
    ids.insert(env.at("KAFKA_NODE_ID"));
    id_of[env.at("KAFKA_NODE_ID")] = name;
    voters_seen.insert(env.at("KAFKA_CONTROLLER_QUORUM_VOTERS"));
    cluster_ids.insert(env.at("CLUSTER_ID"));
    advertised.insert(env.at("KAFKA_ADVERTISED_LISTENERS"));
    EXPECT_EQ(env.at("KAFKA_DEFAULT_REPLICATION_FACTOR"), "3") << name;
    EXPECT_EQ(env.at("KAFKA_MIN_INSYNC_REPLICAS"), "2") << name;
    EXPECT_EQ(env.at("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"), "3") << name;
    EXPECT_EQ(env.at("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"), "3") << name;
    EXPECT_EQ(env.at("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"), "2") << name;
    EXPECT_EQ(env.at("KAFKA_AUTO_CREATE_TOPICS_ENABLE"), "false") << name;
    EXPECT_NE(env.at("KAFKA_ADVERTISED_LISTENERS").find("INTERNAL://" + name + ":9092"), std::string::npos) << name;
    EXPECT_TRUE(services()[name]["healthcheck"]["test"].IsDefined()) << name;
    // Its log on a named volume of its own.
    const Volume v = volume(services()[name]["volumes"][0]);
    EXPECT_TRUE((*resolved_)["volumes"][v.source].IsDefined()) << name;
    EXPECT_EQ(v.target, env.at("KAFKA_LOG_DIRS"));
  }
  EXPECT_EQ(ids, (std::set<std::string>{"1", "2", "3"}));
  EXPECT_EQ(cluster_ids.size(), 1u);
  EXPECT_EQ(advertised.size(), 3u);
  ASSERT_EQ(voters_seen.size(), 1u) << "every node names the same voters";
  // Each voter is a node: its id at its own service's controller port.
  std::set<std::string> voters;
  for (const auto& v : split(*voters_seen.begin(), ',')) voters.insert(v);
  std::set<std::string> expected;
  for (const auto& [id, name] : id_of) expected.insert(id + "@" + name + ":9093");
  EXPECT_EQ(voters, expected);
}

TEST_F(Compose, TopicsWithThreeReplicasAndTheConfiguredPartitionsBeforeCorridor) {
  const YAML::Node config = YAML::LoadFile(copy_->dir() + "/corridor.yaml");
  const std::string partitions = config["kafka"]["partitions"].as<std::string>();
  const YAML::Node topics = services()["topics"];
  for (const auto& name : kafka_services())
    EXPECT_EQ(topics["depends_on"][name]["condition"].as<std::string>(""), "service_healthy") << name;
  const std::string script = text(topics["command"]);
  EXPECT_NE(script.find("--partitions " + partitions + " "), std::string::npos) << script;
  EXPECT_NE(script.find("--replication-factor 3"), std::string::npos);
  EXPECT_NE(script.find("min.insync.replicas=2"), std::string::npos);
  EXPECT_NE(script.find("--if-not-exists"), std::string::npos);
  // The four topics corridor uses: deploy/corridor.yaml names none, so corridor's defaults.
  EXPECT_FALSE(config["kafka"]["topics"].IsDefined());
  for (const char* t : {"corridor.commands", "corridor.inputs", "corridor.events", "corridor.deadletter"})
    EXPECT_NE(script.find(t), std::string::npos) << t;
  // Every broker in corridor's bootstrap list.
  const std::string bootstrap = environment(corridor_services()[0]).at("KAFKA_BOOTSTRAP");
  for (const auto& name : kafka_services()) EXPECT_NE(bootstrap.find(name + ":9092"), std::string::npos) << bootstrap;
}

TEST_F(Compose, Postgres15WithAVolumeAndTheStoreUrlPointingAtIt) {
  const YAML::Node pg = services()["postgres"];
  EXPECT_EQ(pg["image"].as<std::string>(), "postgres:15");
  const Volume data = volume(pg["volumes"][0]);
  EXPECT_EQ(data.target, "/var/lib/postgresql/data");
  EXPECT_TRUE((*resolved_)["volumes"][data.source].IsDefined()) << "a named volume";
  EXPECT_NE(text(pg["healthcheck"]["test"]).find("pg_isready"), std::string::npos);
  const auto env = environment("postgres");
  EXPECT_FALSE(env.at("POSTGRES_PASSWORD").empty());
  for (const auto& name : corridor_services()) {
    const auto c = environment(name);
    EXPECT_EQ(c.at("CORRIDOR_STORE_URL"),
              "postgresql://" + env.at("POSTGRES_USER") + "@postgres:5432/" + env.at("POSTGRES_DB"));
    EXPECT_EQ(c.at("PGPASSWORD"), env.at("POSTGRES_PASSWORD")) << "libpq's password is the server's";
  }
}

TEST_F(Compose, SecretsComeOnlyFromTheEnvFilesAndOnlyWhereTheyAreNeeded) {
  const std::string raw = slurp(source("deploy/docker-compose.yml"));
  for (const char* key : {"CORRIDOR_CARD_KEY:", "CORRIDOR_OPERATOR_TOKEN:", "PGPASSWORD:", "POSTGRES_PASSWORD:"})
    EXPECT_EQ(raw.find(key), std::string::npos) << key << " set in docker-compose.yml";
  for (const auto& file : {"deploy/docker-compose.yml", "deploy/corridor.yaml", "deploy/k8s/corridor.yaml",
                           "deploy/k8s/kafka.yaml", "deploy/k8s/postgres.yaml", "deploy/kustomization.yaml"}) {
    const std::string text = slurp(source(file));
    for (const auto& v : copy_->secret_values()) EXPECT_EQ(text.find(v), std::string::npos) << file;
  }
  const auto card = copy_->secrets("corridor.env").at("CORRIDOR_CARD_KEY");
  const auto token = copy_->secrets("operator.env").at("CORRIDOR_OPERATOR_TOKEN");
  for (const auto& name : corridor_services()) {
    EXPECT_EQ(environment(name).at("CORRIDOR_CARD_KEY"), card) << name;
    EXPECT_EQ(environment(name).at("CORRIDOR_OPERATOR_TOKEN"), token) << name;
  }
  // Prometheus gets the token and nothing else secret; the database and Kafka get no corridor secret.
  const auto prometheus = environment("prometheus");
  EXPECT_EQ(prometheus.at("CORRIDOR_OPERATOR_TOKEN"), token);
  EXPECT_FALSE(prometheus.count("CORRIDOR_CARD_KEY") || prometheus.count("PGPASSWORD"));
  for (const auto& name : kafka_services()) EXPECT_FALSE(environment(name).count("CORRIDOR_CARD_KEY")) << name;
  EXPECT_FALSE(environment("postgres").count("CORRIDOR_CARD_KEY"));
  EXPECT_FALSE(environment("postgres").count("CORRIDOR_OPERATOR_TOKEN"));
  EXPECT_FALSE(environment("grafana").count("CORRIDOR_OPERATOR_TOKEN"));
}

TEST_F(Compose, GenerateWritesUsableSecretsAndNeverOverwrites) {
  const auto db = copy_->secrets("database.env");
  EXPECT_EQ(db.at("POSTGRES_PASSWORD"), db.at("PGPASSWORD"));
  EXPECT_GE(db.at("PGPASSWORD").size(), 32u);
  EXPECT_TRUE(std::regex_match(copy_->secrets("corridor.env").at("CORRIDOR_CARD_KEY"), std::regex("[0-9a-f]{64}")));
  EXPECT_GE(copy_->secrets("operator.env").at("CORRIDOR_OPERATOR_TOKEN").size(), 16u);
  const auto before = copy_->secrets("corridor.env");
  const Ran again = run("sh " + copy_->dir() + "/secrets/generate.sh");
  EXPECT_EQ(again.exit, 0);
  EXPECT_EQ(copy_->secrets("corridor.env"), before);
  // Only owner-readable.
  const auto perms = std::filesystem::status(copy_->dir() + "/secrets/corridor.env").permissions();
  EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all), std::filesystem::perms::none);
  // The examples name the same keys, and git ignores the real files.
  for (const char* f : {"database", "corridor", "operator"}) {
    std::set<std::string> generated, example;
    for (const auto& [k, v] : copy_->secrets(std::string(f) + ".env")) generated.insert(k);
    for (const auto& [k, v] : env_file(source("deploy/secrets/") + f + ".env.example")) example.insert(k);
    EXPECT_EQ(generated, example) << f;
  }
  EXPECT_NE(slurp(source("deploy/secrets/.gitignore")).find("*.env"), std::string::npos);
  EXPECT_NE(slurp(source(".dockerignore")).find("deploy/secrets/*.env"), std::string::npos);
}

TEST_F(Compose, InstancesAreGivenOnlyVariablesCorridorReadsAndEveryOneItNeeds) {
  const ConfigEnv wanted = corridor_env(slurp(source("deploy/corridor.yaml")));
  for (const auto& name : corridor_services()) {
    const auto env = environment(name);
    for (const auto& [k, v] : env)
      EXPECT_TRUE(wanted.all.count(k) || k == "POSTGRES_PASSWORD") << name << ": corridor reads no " << k;
    for (const auto& k : wanted.required) EXPECT_TRUE(env.count(k)) << name << " lacks " << k;
  }
}

TEST_F(Compose, TheDeployConfigLoadsWithTheEnvironmentOfAnInstance) {
  const auto env = environment(corridor_services()[0]);
  // Everything but the store with corridor's own loader.
  const std::string sqlite_copy = copy_->dir() + "/corridor-sqlite.yaml";
  std::ofstream(sqlite_copy) << with_sqlite_store(slurp(copy_->dir() + "/corridor.yaml"));
  const Ran rest = check_config(sqlite_copy, env);
  EXPECT_EQ(rest.exit, 0) << rest.output;
  // Without the operator token it takes from the environment, it is refused, naming it.
  auto without = env;
  without.erase("CORRIDOR_OPERATOR_TOKEN");
  const Ran refused = check_config(sqlite_copy, without);
  EXPECT_NE(refused.exit, 0);
  EXPECT_NE(refused.output.find("CORRIDOR_OPERATOR_TOKEN"), std::string::npos) << refused.output;
  // The file whole, its PostgreSQL store included.
  const Ran whole = check_config(copy_->dir() + "/corridor.yaml", env);
  if (whole.exit != 0 && no_postgres_loader(whole.output))
    GTEST_SKIP() << "this build's config loader has no PostgreSQL store yet: " << whole.output;
  EXPECT_EQ(whole.exit, 0) << whole.output;
}

TEST_F(Compose, PrometheusScrapesEveryInstanceWithTheToken) {
  const YAML::Node prom = YAML::LoadFile(copy_->dir() + "/grafana/prometheus.yml");
  const YAML::Node job = prom["scrape_configs"][0];
  std::set<std::string> targets, expected;
  for (const auto& t : job["static_configs"][0]["targets"]) targets.insert(t.as<std::string>());
  for (const auto& name : corridor_services()) {
    const std::string listen = environment(name).at("CORRIDOR_OPERATIONS_LISTEN");
    expected.insert(name + listen.substr(listen.rfind(':')));
  }
  EXPECT_EQ(targets, expected);
  const std::string file = job["authorization"]["credentials_file"].as<std::string>();
  const YAML::Node s = services()["prometheus"];
  EXPECT_NE(text(s["command"]).find("> " + file), std::string::npos) << "the entrypoint writes the token there";
}

}  // namespace
}  // namespace corridor::deploy_test
