// deploy/kustomization.yaml and deploy/k8s/ as `kubectl kustomize` builds them with no cluster: corridor
// as a Deployment of three with a rolling update of one at a time, a PodDisruptionBudget, probes on the
// health routes corridor serves, a drain long enough, resources, its config (deploy/corridor.yaml
// itself) in a ConfigMap and its secrets in Secrets made from the env files; PostgreSQL 15 in a
// StatefulSet; a three-node KRaft Kafka StatefulSet with a headless Service and a consistent quorum.
#include "tests/unit/deploy/deploy_support.hpp"

namespace corridor::deploy_test {
namespace {

class Kubernetes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    copy_ = new DeployCopy();
    const Ran built = run("kubectl kustomize " + copy_->dir());
    built_exit_ = built.exit;
    built_output_ = built.output;
    if (built.exit == 0) docs_ = new std::vector<YAML::Node>(YAML::LoadAll(built.output));
  }
  static void TearDownTestSuite() {
    delete docs_;
    delete copy_;
  }
  void SetUp() override {
    ASSERT_EQ(copy_->generated().exit, 0) << copy_->generated().output;
    ASSERT_EQ(built_exit_, 0) << built_output_;
  }
  // The object of `kind` named `name`; generated ConfigMaps and Secrets carry a hash after their name.
  static YAML::Node find(const std::string& kind, const std::string& name) {
    for (const auto& d : *docs_) {
      if (d["kind"].as<std::string>() != kind) continue;
      const std::string n = d["metadata"]["name"].as<std::string>();
      const bool generated = kind == "ConfigMap" || kind == "Secret";
      if (n == name || (generated && n.rfind(name + "-", 0) == 0 && n.size() == name.size() + 11)) return d;
    }
    return YAML::Node();
  }
  static std::vector<YAML::Node> all(const std::string& kind) {
    std::vector<YAML::Node> out;
    for (const auto& d : *docs_)
      if (d["kind"].as<std::string>() == kind) out.push_back(d);
    return out;
  }
  static YAML::Node container(const YAML::Node& workload, const std::string& name) {
    for (const auto& c : workload["spec"]["template"]["spec"]["containers"])
      if (c["name"].as<std::string>() == name) return c;
    return YAML::Node();
  }
  static std::map<std::string, std::string> env(const YAML::Node& c) {
    std::map<std::string, std::string> out;
    for (const auto& e : c["env"]) out[e["name"].as<std::string>()] = e["value"].as<std::string>("");
    return out;
  }
  static std::string decoded(const std::string& b64) {
    const Ran r = run("printf %s " + quoted(b64) + " | base64 -d");
    return r.output;
  }
  // Does `selector` (matchLabels) select the pods of `workload`?
  static bool selects(const YAML::Node& selector, const YAML::Node& workload) {
    const YAML::Node labels = workload["spec"]["template"]["metadata"]["labels"];
    if (!selector.IsMap() || selector.size() == 0) return false;
    for (const auto& kv : selector)
      if (labels[kv.first.as<std::string>()].as<std::string>("") != kv.second.as<std::string>()) return false;
    return true;
  }

  static DeployCopy* copy_;
  static int built_exit_;
  static std::string built_output_;
  static std::vector<YAML::Node>* docs_;
};
DeployCopy* Kubernetes::copy_ = nullptr;
int Kubernetes::built_exit_ = -1;
std::string Kubernetes::built_output_;
std::vector<YAML::Node>* Kubernetes::docs_ = nullptr;

TEST_F(Kubernetes, EveryObjectHasAKindANameAndAnApiVersion) {
  std::set<std::string> seen;
  for (const auto& d : *docs_) {
    ASSERT_TRUE(d["apiVersion"].IsDefined() && d["kind"].IsDefined() && d["metadata"]["name"].IsDefined());
    EXPECT_TRUE(seen.insert(d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>()).second);
  }
  EXPECT_EQ(all("Deployment").size(), 1u);
  EXPECT_EQ(all("StatefulSet").size(), 2u);
  EXPECT_EQ(all("PodDisruptionBudget").size(), 2u);
}

TEST_F(Kubernetes, WithoutTheSecretsItDoesNotBuild) {
  DeployCopy bare;
  std::filesystem::remove(bare.dir() + "/secrets/operator.env");
  const Ran r = run("kubectl kustomize " + bare.dir());
  EXPECT_NE(r.exit, 0);
  EXPECT_NE(r.output.find("operator.env"), std::string::npos) << r.output;
}

TEST_F(Kubernetes, CorridorIsThreeReplicasRolledOneAtATimeWithABudget) {
  const YAML::Node d = find("Deployment", "corridor");
  ASSERT_TRUE(d.IsDefined());
  EXPECT_EQ(d["spec"]["replicas"].as<int>(), 3);
  EXPECT_EQ(d["spec"]["strategy"]["type"].as<std::string>(), "RollingUpdate");
  EXPECT_EQ(d["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as<std::string>(), "1");
  const YAML::Node pdb = find("PodDisruptionBudget", "corridor");
  ASSERT_TRUE(pdb.IsDefined());
  EXPECT_EQ(pdb["apiVersion"].as<std::string>(), "policy/v1");
  EXPECT_TRUE(selects(pdb["spec"]["selector"]["matchLabels"], d));
  // Two of three kept: one down at a time.
  if (pdb["spec"]["minAvailable"].IsDefined()) {
    EXPECT_EQ(pdb["spec"]["minAvailable"].as<std::string>(), "2");
  } else {
    EXPECT_EQ(pdb["spec"]["maxUnavailable"].as<std::string>(), "1");
  }
  EXPECT_TRUE(selects(d["spec"]["selector"]["matchLabels"], d));
}

TEST_F(Kubernetes, ProbesAreOnHealthRoutesOfTheListenerTheyReach) {
  const YAML::Node d = find("Deployment", "corridor");
  const YAML::Node c = container(d, "corridor");
  ASSERT_TRUE(c.IsDefined());
  // The port each probe names is the container port of http.listen in deploy/corridor.yaml.
  const YAML::Node config = YAML::LoadFile(copy_->dir() + "/corridor.yaml");
  const std::string listen = config["http"]["listen"].as<std::string>();
  const std::string public_port = listen.substr(listen.rfind(':') + 1);
  std::map<std::string, std::string> ports;
  for (const auto& p : c["ports"]) ports[p["name"].as<std::string>("")] = p["containerPort"].as<std::string>();
  const auto routes = public_routes();
  const std::map<std::string, std::string> wanted{
      {"readinessProbe", "/health/ready"}, {"livenessProbe", "/health/live"}, {"startupProbe", "/health/live"}};
  for (const auto& [probe, path] : wanted) {
    const YAML::Node get = c[probe]["httpGet"];
    ASSERT_TRUE(get.IsDefined()) << probe;
    EXPECT_EQ(get["path"].as<std::string>(), path) << probe;
    EXPECT_TRUE(routes.count(path)) << path << " is not a public route of docs/openapi.yaml";
    std::string port = get["port"].as<std::string>();
    if (ports.count(port)) port = ports[port];
    EXPECT_EQ(port, public_port) << probe << " must reach the public listener, which needs no token";
  }
  // Liveness is patient: restarts cure a stuck instance, not a cluster-wide outage.
  EXPECT_GE(c["livenessProbe"]["periodSeconds"].as<int>() * c["livenessProbe"]["failureThreshold"].as<int>(), 60);
}

TEST_F(Kubernetes, ADrainHasTimeAndEveryContainerHasResources) {
  const YAML::Node d = find("Deployment", "corridor");
  // More than a provider call's timeout (executor.timeout_ms, 30 s) plus the preStop pause.
  EXPECT_GE(d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"].as<int>(), 60);
  for (const auto& workload : {find("Deployment", "corridor"), find("StatefulSet", "kafka"), find("StatefulSet", "postgres")}) {
    ASSERT_TRUE(workload.IsDefined());
    for (const char* list : {"containers", "initContainers"})
      for (const auto& c : workload["spec"]["template"]["spec"][list]) {
        EXPECT_TRUE(c["resources"]["requests"]["memory"].IsDefined()) << c["name"];
        EXPECT_TRUE(c["resources"]["limits"]["memory"].IsDefined()) << c["name"];
      }
  }
}

TEST_F(Kubernetes, TheConfigIsTheDeployConfigAndItIsWhereCorridorReadsIt) {
  const YAML::Node cm = find("ConfigMap", "corridor-config");
  ASSERT_TRUE(cm.IsDefined());
  EXPECT_EQ(cm["data"]["corridor.yaml"].as<std::string>(), slurp(source("deploy/corridor.yaml")));
  const YAML::Node d = find("Deployment", "corridor");
  const YAML::Node c = container(d, "corridor");
  std::vector<std::string> args;
  for (const auto& a : c["args"]) args.push_back(a.as<std::string>());
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[0], "run");
  EXPECT_EQ(args[1], "--config");
  std::string volume_name;
  for (const auto& v : d["spec"]["template"]["spec"]["volumes"])
    if (v["configMap"].IsDefined() && v["configMap"]["name"].as<std::string>("") == cm["metadata"]["name"].as<std::string>())
      volume_name = v["name"].as<std::string>();
  ASSERT_FALSE(volume_name.empty()) << "the ConfigMap is mounted";
  std::string mounted;
  for (const auto& m : c["volumeMounts"])
    if (m["name"].as<std::string>() == volume_name) mounted = m["mountPath"].as<std::string>();
  EXPECT_EQ(args[2], mounted + "/corridor.yaml");
  // Every option given to `corridor run` is one it takes.
  const Ran help = run(std::string(CORRIDOR_BINARY) + " run --help");
  ASSERT_EQ(help.exit, 0) << help.output;
  for (const auto& a : args) {
    if (a.rfind("--", 0) == 0) {
      EXPECT_NE(help.output.find(a), std::string::npos) << a;
    }
  }
  // Not root, which Kubernetes can check only for an image whose user is a number.
  EXPECT_TRUE(c["securityContext"]["runAsNonRoot"].as<bool>(false));
  EXPECT_TRUE(std::regex_search(slurp(source("deploy/Dockerfile")), std::regex(R"(\nUSER [0-9]+\n)")));
  // The image runs the same command with the same file by default.
  const std::string dockerfile = slurp(source("deploy/Dockerfile"));
  EXPECT_NE(dockerfile.find(R"(CMD ["run", "--config", ")" + args[2] + "\"]"), std::string::npos);
}

TEST_F(Kubernetes, SecretsComeFromTheEnvFilesAndCorridorIsGivenOnlyWhatItReads) {
  const YAML::Node d = find("Deployment", "corridor");
  const YAML::Node c = container(d, "corridor");
  std::map<std::string, std::string> given = env(c);
  for (const auto& from : c["envFrom"]) {
    ASSERT_TRUE(from["secretRef"].IsDefined()) << "secrets only from Secrets";
    const YAML::Node secret = find("Secret", from["secretRef"]["name"].as<std::string>());
    ASSERT_TRUE(secret.IsDefined()) << from["secretRef"]["name"];
    for (const auto& kv : secret["data"]) given[kv.first.as<std::string>()] = decoded(kv.second.as<std::string>());
  }
  EXPECT_EQ(given.at("CORRIDOR_CARD_KEY"), copy_->secrets("corridor.env").at("CORRIDOR_CARD_KEY"));
  EXPECT_EQ(given.at("CORRIDOR_OPERATOR_TOKEN"), copy_->secrets("operator.env").at("CORRIDOR_OPERATOR_TOKEN"));
  EXPECT_EQ(given.at("PGPASSWORD"), copy_->secrets("database.env").at("PGPASSWORD"));
  const ConfigEnv wanted = corridor_env(slurp(source("deploy/corridor.yaml")));
  for (const auto& [k, v] : given) EXPECT_TRUE(wanted.all.count(k) || k == "POSTGRES_PASSWORD") << "corridor reads no " << k;
  for (const auto& k : wanted.required) EXPECT_TRUE(given.count(k)) << "corridor needs " << k;
  // No secret in clear in any manifest.
  for (const char* file : {"deploy/k8s/corridor.yaml", "deploy/k8s/kafka.yaml", "deploy/k8s/postgres.yaml"}) {
    const std::string text = slurp(source(file));
    EXPECT_EQ(text.find("kind: Secret"), std::string::npos) << file << ": Secrets are generated from deploy/secrets/";
    for (const char* key : {"CORRIDOR_CARD_KEY", "CORRIDOR_OPERATOR_TOKEN", "PGPASSWORD", "POSTGRES_PASSWORD"})
      EXPECT_EQ(text.find("name: " + std::string(key)), std::string::npos) << file << " sets " << key;
  }

  // The deploy config loads with corridor's own loader and this environment (the store aside, which
  // this build's loader may not know yet).
  const std::string sqlite_copy = copy_->dir() + "/corridor-k8s-sqlite.yaml";
  std::ofstream(sqlite_copy) << with_sqlite_store(slurp(copy_->dir() + "/corridor.yaml"));
  const Ran rest = check_config(sqlite_copy, given);
  EXPECT_EQ(rest.exit, 0) << rest.output;
  const Ran whole = check_config(copy_->dir() + "/corridor.yaml", given);
  if (whole.exit != 0 && no_postgres_loader(whole.output))
    GTEST_SKIP() << "this build's config loader has no PostgreSQL store yet: " << whole.output;
  EXPECT_EQ(whole.exit, 0) << whole.output;
}

TEST_F(Kubernetes, KafkaIsThreeNodesInOneQuorumBehindAHeadlessService) {
  const YAML::Node sts = find("StatefulSet", "kafka");
  ASSERT_TRUE(sts.IsDefined());
  const int replicas = sts["spec"]["replicas"].as<int>();
  EXPECT_EQ(replicas, 3);
  const std::string service = sts["spec"]["serviceName"].as<std::string>();
  const YAML::Node headless = find("Service", service);
  ASSERT_TRUE(headless.IsDefined()) << service;
  EXPECT_EQ(headless["spec"]["clusterIP"].as<std::string>(), "None");
  EXPECT_TRUE(headless["spec"]["publishNotReadyAddresses"].as<bool>(false)) << "the quorum forms before readiness";
  EXPECT_TRUE(selects(headless["spec"]["selector"], sts));
  EXPECT_EQ(sts["spec"]["podManagementPolicy"].as<std::string>(""), "Parallel");
  const YAML::Node c = container(sts, "kafka");
  const auto e = env(c);
  EXPECT_EQ(e.at("KAFKA_PROCESS_ROLES"), "broker,controller");
  EXPECT_EQ(e.at("KAFKA_DEFAULT_REPLICATION_FACTOR"), "3");
  EXPECT_EQ(e.at("KAFKA_MIN_INSYNC_REPLICAS"), "2");
  EXPECT_EQ(e.at("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"), "3");
  EXPECT_EQ(e.at("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"), "2");
  EXPECT_FALSE(e.at("CLUSTER_ID").empty());
  // Node id = ordinal + 1, and the voters are exactly those ids at the pods' stable names.
  const std::string script = c["args"][0].as<std::string>();
  EXPECT_NE(script.find("KAFKA_NODE_ID=$(( ${HOSTNAME##*-} + 1 ))"), std::string::npos) << script;
  std::set<std::string> voters, expected;
  for (const auto& v : split(e.at("KAFKA_CONTROLLER_QUORUM_VOTERS"), ',')) voters.insert(v);
  for (int i = 0; i < replicas; ++i)
    expected.insert(std::to_string(i + 1) + "@kafka-" + std::to_string(i) + "." + service + ":9093");
  EXPECT_EQ(voters, expected);
  EXPECT_FALSE(sts["spec"]["template"]["spec"]["enableServiceLinks"].as<bool>(true))
      << "the image reads every KAFKA_* variable as a setting";
  EXPECT_TRUE(sts["spec"]["volumeClaimTemplates"].IsSequence());
  const YAML::Node pdb = find("PodDisruptionBudget", "kafka");
  ASSERT_TRUE(pdb.IsDefined());
  EXPECT_EQ(pdb["spec"]["maxUnavailable"].as<std::string>(), "1");

  // corridor's bootstrap names every node, and its topics are made before it starts.
  const YAML::Node d = find("Deployment", "corridor");
  const std::string bootstrap = env(container(d, "corridor")).at("KAFKA_BOOTSTRAP");
  for (int i = 0; i < replicas; ++i)
    EXPECT_NE(bootstrap.find("kafka-" + std::to_string(i) + "." + service + ":9092"), std::string::npos) << bootstrap;
  const YAML::Node init = d["spec"]["template"]["spec"]["initContainers"][0];
  ASSERT_TRUE(init.IsDefined());
  const std::string topics = init["args"][0].as<std::string>();
  const YAML::Node config = YAML::LoadFile(copy_->dir() + "/corridor.yaml");
  EXPECT_NE(topics.find("--partitions " + config["kafka"]["partitions"].as<std::string>() + " "), std::string::npos);
  EXPECT_NE(topics.find("--replication-factor 3"), std::string::npos);
  EXPECT_NE(topics.find("min.insync.replicas=2"), std::string::npos);
  for (const char* t : {"corridor.commands", "corridor.inputs", "corridor.events", "corridor.deadletter"})
    EXPECT_NE(topics.find(t), std::string::npos) << t;
  EXPECT_EQ(env(init).at("KAFKA_BOOTSTRAP"), bootstrap);
}

TEST_F(Kubernetes, PostgresIsAStatefulSetWithAVolumeAndTheStoreUrlPointsAtItsService) {
  const YAML::Node sts = find("StatefulSet", "postgres");
  ASSERT_TRUE(sts.IsDefined());
  const YAML::Node c = container(sts, "postgres");
  EXPECT_EQ(c["image"].as<std::string>(), "postgres:15");
  EXPECT_TRUE(sts["spec"]["volumeClaimTemplates"].IsSequence());
  const auto e = env(c);
  const YAML::Node svc = find("Service", "postgres");
  ASSERT_TRUE(svc.IsDefined());
  EXPECT_TRUE(selects(svc["spec"]["selector"], sts));
  const std::string url = env(container(find("Deployment", "corridor"), "corridor")).at("CORRIDOR_STORE_URL");
  EXPECT_EQ(url, "postgresql://" + e.at("POSTGRES_USER") + "@postgres:" + svc["spec"]["ports"][0]["port"].as<std::string>() +
                     "/" + e.at("POSTGRES_DB"));
  // The server's password and corridor's are one Secret's.
  bool shared = false;
  for (const auto& from : c["envFrom"])
    for (const auto& theirs : container(find("Deployment", "corridor"), "corridor")["envFrom"])
      shared = shared || from["secretRef"]["name"].as<std::string>() == theirs["secretRef"]["name"].as<std::string>();
  EXPECT_TRUE(shared);
}

TEST_F(Kubernetes, ServicesReachTheListeners) {
  const YAML::Node d = find("Deployment", "corridor");
  for (const char* name : {"corridor", "corridor-operations"}) {
    const YAML::Node svc = find("Service", name);
    ASSERT_TRUE(svc.IsDefined()) << name;
    EXPECT_TRUE(selects(svc["spec"]["selector"], d)) << name;
  }
  // The operations listener is off loopback in the pods: corridor then requires the operator token.
  const auto e = env(container(d, "corridor"));
  EXPECT_EQ(e.at("CORRIDOR_OPERATIONS_LISTEN"), "0.0.0.0:8081");
}

}  // namespace
}  // namespace corridor::deploy_test
