package dev.llmplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the rendered objects mean: resources, autoscaling targets, selectors, probes, shutdown, RBAC. */
class ChartSemanticsTest {

    private static final String R = ChartFixture.RELEASE + "-";
    private static final List<String> PLATFORM = List.of("gateway", "scheduler-service", "tokenizer-service",
            "model-registry", "inference-cpu-service", "inference-gpu-service");

    static Stream<Path> exampleValues() {
        return ChartFixture.exampleValues().stream();
    }

    // --- GPU and CPU workers -------------------------------------------------------------------------------

    @Test
    void gpuWorkersAskForGpusOnGpuNodes() {
        var rendered = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        var gpu = rendered.only("Deployment", R + "inference-gpu-service");
        var container = Yamls.list(gpu, "spec.template.spec.containers").getFirst();
        assertThat(Yamls.map(container, "resources.limits")).containsEntry("nvidia.com/gpu", 1);
        assertThat(Yamls.map(container, "resources.requests")).containsEntry("nvidia.com/gpu", 1);
        assertThat(Yamls.map(gpu, "spec.template.spec.nodeSelector")).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(Yamls.list(gpu, "spec.template.spec.tolerations"))
                .anySatisfy(t -> assertThat(t).containsEntry("key", "nvidia.com/gpu").containsEntry("effect", "NoSchedule"));
        assertThat(Yamls.string(gpu, "spec.template.spec.runtimeClassName")).isEqualTo("nvidia");
        assertThat(Yamls.map(gpu, "spec.template.metadata.labels"))
                .containsEntry("llm-platform/role", "worker").containsEntry("llm-platform/pool", "gpu");
    }

    @Test
    void cpuOnlyClustersHaveNoGpuWorkerAndNoGpuResources() {
        for (String example : List.of("laptop", "cpu-cluster")) {
            var rendered = ChartFixture.render(ChartFixture.values(example));
            assertThat(rendered.has("Deployment", R + "inference-gpu-service")).as(example).isFalse();
            assertThat(rendered.manifest()).as(example).doesNotContain("nvidia.com/gpu:");
        }
    }

    @Test
    void cpuWorkersAreSizedByValues() {
        var rendered = ChartFixture.render(ChartFixture.values("cpu-cluster"));
        var cpu = rendered.only("Deployment", R + "inference-cpu-service");
        assertThat(Yamls.get(cpu, "spec.replicas")).isEqualTo(4);
        var container = Yamls.list(cpu, "spec.template.spec.containers").getFirst();
        assertThat(Yamls.map(container, "resources.requests")).containsEntry("cpu", "8").containsEntry("memory", "8Gi");
        assertThat(env(container)).containsEntry("WORKER_THREADS", "8").containsEntry("WORKER_PROMPTCACHE", "256MB");
    }

    // --- autoscaling ---------------------------------------------------------------------------------------

    @Test
    void eachWorkerPoolHasAnHpaOnTheSchedulersMetricsAndTheGatewayScalesOnCpu() {
        var rendered = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        for (String pool : List.of("cpu", "gpu")) {
            String deployment = R + "inference-" + pool + "-service";
            var hpa = rendered.only("HorizontalPodAutoscaler", deployment);
            assertThat(hpa.get("apiVersion")).isEqualTo("autoscaling/v2");
            assertThat(Yamls.map(hpa, "spec.scaleTargetRef"))
                    .containsEntry("kind", "Deployment").containsEntry("name", deployment).containsEntry("apiVersion", "apps/v1");
            var target = rendered.only("Deployment", deployment);
            assertThat(Yamls.map(target, "spec.template.metadata.labels")).containsEntry("llm-platform/pool", pool);
            assertThat(Yamls.get(target, "spec.replicas")).as("the HPA owns the replica count").isNull();

            var metrics = Yamls.list(hpa, "spec.metrics");
            assertThat(metrics).allSatisfy(m -> assertThat(m.get("type")).isEqualTo("External"));
            var desired = metrics.stream().filter(m -> "scheduler_desired_replicas".equals(Yamls.string(m, "external.metric.name")))
                    .findFirst().orElseThrow();
            assertThat(Yamls.map(desired, "external.metric.selector.matchLabels")).containsExactly(Map.entry("pool", pool));
            assertThat(Yamls.map(desired, "external.target"))
                    .containsEntry("type", "AverageValue").containsEntry("averageValue", "1");
            assertThat(metrics).anySatisfy(m -> {
                assertThat(Yamls.string(m, "external.metric.name")).isEqualTo("scheduler_queue_depth");
                assertThat(Yamls.string(m, "external.target.averageValue")).isEqualTo("16");
            });
        }
        var gateway = rendered.only("HorizontalPodAutoscaler", R + "gateway");
        assertThat(Yamls.string(gateway, "spec.scaleTargetRef.name")).isEqualTo(R + "gateway");
        assertThat(Yamls.list(gateway, "spec.metrics")).singleElement().satisfies(m -> {
            assertThat(Yamls.string(m, "resource.name")).isEqualTo("cpu");
            assertThat(Yamls.string(m, "resource.target.type")).isEqualTo("Utilization");
        });
        assertThat(rendered.ofKind("ScaledObject")).isEmpty();
    }

    @Test
    void thePrometheusAdapterServesEveryExternalMetricTheHpasRead() {
        var rendered = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        var rules = rendered.only("ConfigMap", R + "prometheus-adapter-rules");
        Map<String, Object> config = ChartFixture.yaml().load(Yamls.map(rules, "data").get("config.yaml").toString());
        List<String> served = Yamls.list(config, "externalRules").stream().map(r -> Yamls.string(r, "name.as")).toList();
        List<String> read = rendered.ofKind("HorizontalPodAutoscaler").stream()
                .flatMap(h -> Yamls.list(h, "spec.metrics").stream())
                .map(m -> Yamls.string(m, "external.metric.name")).filter(Objects::nonNull).distinct().toList();
        assertThat(read).containsExactlyInAnyOrder("scheduler_desired_replicas", "scheduler_queue_depth");
        assertThat(served).containsAll(read);
        assertThat(Yamls.list(config, "externalRules")).allSatisfy(r ->
                assertThat(Yamls.string(r, "resources.overrides.namespace.resource")).isEqualTo("namespace"));
    }

    @Test
    void kedaScaledObjectsReplaceTheHpasWhenChosen() {
        var rendered = ChartFixture.render(ChartFixture.values("keda"));
        assertThat(rendered.ofKind("HorizontalPodAutoscaler")).isEmpty();
        for (String pool : List.of("cpu", "gpu")) {
            String deployment = R + "inference-" + pool + "-service";
            var scaled = rendered.only("ScaledObject", deployment);
            assertThat(Yamls.string(scaled, "spec.scaleTargetRef.name")).isEqualTo(deployment);
            assertThat(rendered.has("Deployment", deployment)).isTrue();
            var triggers = Yamls.list(scaled, "spec.triggers");
            assertThat(triggers).anySatisfy(t -> {
                assertThat(Yamls.string(t, "metadata.query"))
                        .isEqualTo("max(scheduler_desired_replicas{namespace=\"llm\",pool=\"" + pool + "\"})");
                assertThat(Yamls.string(t, "metadata.threshold")).isEqualTo("1");
            });
            assertThat(triggers).anySatisfy(t -> assertThat(Yamls.string(t, "metadata.query")).contains("scheduler_queue_depth"));
        }
    }

    // --- network policies ----------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void networkPolicySelectorsMatchThePodsTheyMean(Path values) {
        var rendered = ChartFixture.render(values);
        List<Map<String, Object>> podLabels = new ArrayList<>(podTemplates(rendered).stream()
                .map(w -> Yamls.map(w, "spec.template.metadata.labels")).toList());
        podLabels.add(Yamls.map(ChartFixture.renderTestHook(values), "metadata.labels"));
        for (var policy : rendered.ofKind("NetworkPolicy")) {
            String name = Yamls.string(policy, "metadata.name");
            var selected = matching(podLabels, Yamls.map(policy, "spec.podSelector.matchLabels"));
            // (the helm test Pod is selected by no policy: it only calls the gateway)
            assertThat(selected).as("pods selected by %s", name).hasSize(1);
            assertThat(selected.getFirst()).containsEntry("app.kubernetes.io/component", name.substring(R.length()));
            for (var rule : Yamls.list(policy, "spec.ingress")) {
                for (var peer : Yamls.list(rule, "from")) {
                    if (peer.containsKey("podSelector") && !peer.containsKey("namespaceSelector")) {
                        // a peer for a pod of this release must select one; the GPU worker's may be absent (disabled)
                        var wanted = Yamls.map(peer, "podSelector.matchLabels");
                        if (!"inference-gpu-service".equals(wanted.get("app.kubernetes.io/component"))) {
                            assertThat(matching(podLabels, wanted)).as("%s: peer %s", name, wanted).hasSize(1);
                        }
                    }
                }
            }
        }
    }

    @Test
    void onlyTheGatewayIsOpenAndEachServiceAdmitsOnlyItsCallers() {
        var rendered = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        assertThat(rendered.ofKind("NetworkPolicy")).extracting(p -> Yamls.string(p, "metadata.name"))
                .containsExactlyInAnyOrder(R + "gateway", R + "scheduler-service", R + "tokenizer-service",
                        R + "inference-cpu-service", R + "inference-gpu-service", R + "model-registry",
                        R + "postgresql", R + "redis");
        assertThat(Yamls.list(rendered.only("NetworkPolicy", R + "gateway"), "spec.ingress"))
                .filteredOn(rule -> Yamls.list(rule, "ports").stream().anyMatch(p -> "http".equals(p.get("port"))))
                .singleElement().satisfies(rule -> assertThat(rule).doesNotContainKey("from"));
        // the registry quantizes and measures variants on the CPU workers (QuantizeArtifact, EvaluateArtifact)
        assertThat(callers(rendered, "inference-cpu-service", "grpc")).containsExactlyInAnyOrder("scheduler-service", "model-registry");
        assertThat(callers(rendered, "inference-gpu-service", "grpc")).containsExactly("scheduler-service");
        assertThat(callers(rendered, "tokenizer-service", "grpc")).containsExactly("scheduler-service");
        assertThat(callers(rendered, "scheduler-service", "grpc")).containsExactly("gateway");
        assertThat(callers(rendered, "model-registry", "grpc")).containsExactlyInAnyOrder("gateway", "scheduler-service",
                "tokenizer-service", "inference-cpu-service", "inference-gpu-service");
        assertThat(callers(rendered, "postgresql", "postgresql")).containsExactly("model-registry");
        assertThat(callers(rendered, "redis", "redis")).containsExactly("gateway");
        // the registry's admin REST: only the gateway (its admin-key check in front)
        assertThat(callers(rendered, "model-registry", "http")).containsExactly("gateway");
        assertThat(callers(rendered, "inference-cpu-service", "http")).isEmpty();
        // every management port admits the monitoring namespace only, no pod of the platform
        for (String component : PLATFORM) {
            var policy = rendered.only("NetworkPolicy", R + component);
            assertThat(callers(rendered, component, "management")).as(component).isEmpty();
            assertThat(Yamls.list(policy, "spec.ingress"))
                    .filteredOn(rule -> Yamls.list(rule, "ports").stream().anyMatch(p -> "management".equals(p.get("port"))))
                    .as("%s: management from metricsFrom", component).singleElement()
                    .satisfies(rule -> assertThat(Yamls.list(rule, "from")).singleElement().satisfies(peer ->
                            assertThat(Yamls.map(peer, "namespaceSelector.matchLabels"))
                                    .containsEntry("kubernetes.io/metadata.name", "monitoring")));
        }
    }

    @Test
    void aNarrowedGatewayStillAdmitsTheHelmTest() {
        var rendered = ChartFixture.render(ChartFixture.values("cpu-cluster"));
        var peers = Yamls.list(Yamls.list(rendered.only("NetworkPolicy", R + "gateway"), "spec.ingress").getFirst(), "from");
        assertThat(peers).anySatisfy(p -> assertThat(Yamls.map(p, "namespaceSelector.matchLabels"))
                .containsEntry("kubernetes.io/metadata.name", "ingress-nginx"));
        var testPod = Yamls.map(ChartFixture.renderTestHook(ChartFixture.values("cpu-cluster")), "metadata.labels");
        assertThat(peers).filteredOn(p -> p.containsKey("podSelector")).singleElement().satisfies(p ->
                assertThat(testPod).containsAllEntriesOf(Yamls.map(p, "podSelector.matchLabels")));
    }

    // --- probes, ports and graceful shutdown ----------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void probesHitTheActuatorHealthGroupsOnTheManagementPortOverHttps(Path values) {
        var rendered = ChartFixture.render(values);
        for (var deployment : platformDeployments(rendered)) {
            String component = Yamls.map(deployment, "metadata.labels").get("app.kubernetes.io/component").toString();
            var appYaml = ChartFixture.readYaml(ChartFixture.REPOSITORY.resolve(component + "/src/main/resources/application.yml"));
            assertThat(Yamls.get(appYaml, "management.endpoint.health.probes.enabled"))
                    .as("%s enables the liveness and readiness groups", component).isEqualTo(true);
            assertThat(Yamls.string(appYaml, "management.endpoints.web.exposure.include")).contains("health").contains("prometheus");

            var container = Yamls.list(deployment, "spec.template.spec.containers").getFirst();
            var ports = Yamls.list(container, "ports");
            assertThat(ports).anySatisfy(p -> {
                assertThat(p.get("name")).isEqualTo("http");
                assertThat(p.get("containerPort")).as("%s server.port", component).isEqualTo(Yamls.get(appYaml, "server.port"));
            });
            Object grpcPort = Yamls.get(appYaml, "spring.grpc.server.port");
            if (grpcPort != null) {
                assertThat(ports).anySatisfy(p -> {
                    assertThat(p.get("name")).isEqualTo("grpc");
                    assertThat(p.get("containerPort")).as("%s spring.grpc.server.port", component).isEqualTo(grpcPort);
                });
            }
            assertThat(ports).anySatisfy(p -> {
                assertThat(p.get("name")).isEqualTo("management");
                assertThat(p.get("containerPort")).as("%s management.server.port", component)
                        .isEqualTo(Yamls.get(appYaml, "management.server.port"));
            });
            assertThat(env(container)).containsEntry("MANAGEMENT_SERVER_PORT", String.valueOf(Yamls.get(appYaml, "management.server.port")));
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                assertThat(Yamls.map(container, probe + ".httpGet")).as("%s %s", component, probe)
                        .containsEntry("path", probe.equals("readinessProbe") ? "/actuator/health/readiness" : "/actuator/health/liveness")
                        .containsEntry("port", "management").containsEntry("scheme", "HTTPS");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void podsDrainInFlightStreamsWithinTheirGracePeriod(Path values) {
        var rendered = ChartFixture.render(values);
        for (var deployment : platformDeployments(rendered)) {
            String name = Yamls.string(deployment, "metadata.name");
            var container = Yamls.list(deployment, "spec.template.spec.containers").getFirst();
            var env = env(container);
            assertThat(env).as(name).containsEntry("SERVER_SHUTDOWN", "graceful").containsEntry("SPRING_PROFILES_ACTIVE", "kubernetes");
            int drain = Integer.parseInt(env.get("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE").replace("s", ""));
            @SuppressWarnings("unchecked")
            List<String> preStop = (List<String>) Yamls.get(container, "lifecycle.preStop.exec.command");
            assertThat(preStop.getFirst()).isEqualTo("sleep");
            int sleep = Integer.parseInt(preStop.get(1));
            int grace = (Integer) Yamls.get(deployment, "spec.template.spec.terminationGracePeriodSeconds");
            assertThat(sleep).as(name).isPositive();
            assertThat(grace).as("%s: grace period covers the preStop sleep and the drain", name).isGreaterThanOrEqualTo(sleep + drain);
            if (name.contains("inference") || name.endsWith("gateway") || name.endsWith("scheduler-service")) {
                assertThat(drain).as("%s streams tokens: it drains for minutes, not seconds", name).isGreaterThanOrEqualTo(60);
            }
        }
    }

    // --- Spring Cloud Kubernetes: profile, ConfigMaps, discovery labels, RBAC -------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void everyServiceReadsItsOwnConfigMapWithAnAccountAllowedToReadIt(Path values) {
        var rendered = ChartFixture.render(values);
        var role = rendered.only("Role", ChartFixture.RELEASE);
        List<String> granted = new ArrayList<>();
        for (var rule : Yamls.list(role, "rules")) {
            assertThat(Yamls.get(rule, "verbs")).isEqualTo(List.of("get", "list", "watch"));
            @SuppressWarnings("unchecked")
            List<String> resources = (List<String>) rule.get("resources");
            granted.addAll(resources);
        }
        assertThat(granted).containsExactlyInAnyOrder("pods", "services", "endpoints", "configmaps", "endpointslices");
        var binding = rendered.only("RoleBinding", ChartFixture.RELEASE);
        assertThat(Yamls.string(binding, "roleRef.name")).isEqualTo(ChartFixture.RELEASE);
        String account = Yamls.list(binding, "subjects").getFirst().get("name").toString();
        assertThat(rendered.has("ServiceAccount", account)).isTrue();

        for (var deployment : platformDeployments(rendered)) {
            assertThat(Yamls.string(deployment, "spec.template.spec.serviceAccountName")).isEqualTo(account);
            assertThat(Yamls.get(deployment, "spec.template.spec.automountServiceAccountToken")).isEqualTo(true);
            var env = env(Yamls.list(deployment, "spec.template.spec.containers").getFirst());
            assertThat(rendered.has("ConfigMap", env.get("SPRING_CLOUD_KUBERNETES_CONFIG_NAME")))
                    .as("ConfigMap %s", env.get("SPRING_CLOUD_KUBERNETES_CONFIG_NAME")).isTrue();
            assertThat(env.get("SPRING_CLOUD_KUBERNETES_CONFIG_NAME")).isEqualTo(Yamls.string(deployment, "metadata.name"));
        }
    }

    @Test
    void theSchedulerDiscoversWorkerServicesByLabelAndWorkersAreIdentifiedByTheirPods() {
        var rendered = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        var scheduler = env(Yamls.list(rendered.only("Deployment", R + "scheduler-service"), "spec.template.spec.containers").getFirst());
        assertThat(scheduler).containsEntry("SCHEDULER_DISCOVERY_KUBERNETES_ENABLED", "true")
                .containsEntry("SCHEDULER_DISCOVERY_KUBERNETES_INSTANCELABEL", ChartFixture.RELEASE)
                .doesNotContainKey("SCHEDULER_WORKERS_0_TARGET");
        for (String pool : List.of("cpu", "gpu")) {
            var service = rendered.only("Service", R + "inference-" + pool + "-service");
            assertThat(Yamls.map(service, "metadata.labels"))
                    .containsEntry("llm-platform/role", "worker").containsEntry("llm-platform/pool", pool);
            assertThat(Yamls.list(service, "spec.ports")).anySatisfy(p -> assertThat(p.get("name")).isEqualTo("grpc"));
            var worker = Yamls.list(rendered.only("Deployment", R + "inference-" + pool + "-service"), "spec.template.spec.containers").getFirst();
            assertThat(Yamls.list(worker, "env")).anySatisfy(e -> {
                assertThat(e.get("name")).isEqualTo("WORKER_WORKERID");
                assertThat(Yamls.string(e, "valueFrom.fieldRef.fieldPath")).isEqualTo("metadata.uid");
            });
        }
        // only the worker Services carry the discovery label
        assertThat(rendered.ofKind("Service")).filteredOn(s -> Yamls.map(s, "metadata.labels").containsKey("llm-platform/role"))
                .hasSize(2);
    }

    @Test
    void staticDiscoveryListsTheWorkerServicesInstead(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path values = java.nio.file.Files.writeString(dir.resolve("static.yaml"), "scheduler:\n  workerDiscovery: static\n");
        var rendered = ChartFixture.render(values);
        var scheduler = env(Yamls.list(rendered.only("Deployment", R + "scheduler-service"), "spec.template.spec.containers").getFirst());
        assertThat(scheduler).containsEntry("SCHEDULER_DISCOVERY_KUBERNETES_ENABLED", "false")
                .containsEntry("SCHEDULER_WORKERS_0_ID", "cpu-0")
                .containsEntry("SCHEDULER_WORKERS_0_TARGET", "static://" + R + "inference-cpu-service:9093");
    }

    // --- registry, Redis, PDBs, Services, ServiceMonitor, helm test ----------------------------------------

    @Test
    void theRegistryStoresArtifactsOnAVolumeOrInS3() {
        var gpu = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        var registry = gpu.only("Deployment", R + "model-registry");
        var container = Yamls.list(registry, "spec.template.spec.containers").getFirst();
        // the names and values the registry binds (registry.artifacts.store local|s3, .local-dir, .s3.path-style)
        assertThat(env(container)).containsEntry("REGISTRY_ARTIFACTS_STORE", "local")
                .containsEntry("REGISTRY_ARTIFACTS_LOCALDIR", "/var/lib/llm-platform/artifacts")
                .containsEntry("REGISTRY_DB_URL", "jdbc:postgresql://" + R + "postgresql:5432/registry");
        assertThat(Yamls.list(container, "volumeMounts")).anySatisfy(m -> assertThat(m).containsEntry("name", "artifacts")
                .containsEntry("mountPath", "/var/lib/llm-platform/artifacts"));
        assertThat(Yamls.list(registry, "spec.template.spec.volumes")).anySatisfy(v ->
                assertThat(Yamls.string(v, "persistentVolumeClaim.claimName")).isEqualTo(R + "model-registry-artifacts"));
        var pvc = gpu.only("PersistentVolumeClaim", R + "model-registry-artifacts");
        assertThat(Yamls.string(pvc, "spec.resources.requests.storage")).isEqualTo("200Gi");
        assertThat(gpu.has("StatefulSet", R + "postgresql")).isTrue();

        var cpu = ChartFixture.render(ChartFixture.values("cpu-cluster"));
        var s3 = Yamls.list(cpu.only("Deployment", R + "model-registry"), "spec.template.spec.containers").getFirst();
        assertThat(env(s3)).containsEntry("REGISTRY_ARTIFACTS_STORE", "s3")
                .containsEntry("REGISTRY_ARTIFACTS_S3_BUCKET", "llm-models")
                .containsEntry("REGISTRY_ARTIFACTS_S3_ENDPOINT", "http://minio.storage.svc:9000")
                .containsEntry("REGISTRY_ARTIFACTS_S3_PATHSTYLE", "true")
                .containsEntry("REGISTRY_DB_URL", "jdbc:postgresql://postgres.databases.svc:5432/registry");
        assertThat(Yamls.list(s3, "env")).anySatisfy(e -> {
            assertThat(e.get("name")).isEqualTo("REGISTRY_ARTIFACTS_S3_SECRETACCESSKEY");
            assertThat(Yamls.string(e, "valueFrom.secretKeyRef.name")).isEqualTo("llm-registry-s3");
        });
        assertThat(cpu.ofKind("PersistentVolumeClaim")).isEmpty();
        assertThat(cpu.ofKind("StatefulSet")).isEmpty();
    }

    @Test
    void workersAndTheTokenizerFetchS3ArtifactsIntoAnEmptyDirOfTheirOwn() {
        var cpu = ChartFixture.render(ChartFixture.values("cpu-cluster"));
        for (String component : List.of("inference-cpu-service", "tokenizer-service")) {
            var deployment = cpu.only("Deployment", R + component);
            var container = Yamls.list(deployment, "spec.template.spec.containers").getFirst();
            assertThat(env(container)).as(component).containsEntry("ARTIFACTCACHE_DIR", "/var/cache/llm-platform/artifacts")
                    .containsEntry("ARTIFACTCACHE_MAXSIZE", "30GB")
                    // the registry's S3 server, as the registry is configured
                    .containsEntry("ARTIFACTCACHE_S3_ENDPOINT", "http://minio.storage.svc:9000")
                    .containsEntry("ARTIFACTCACHE_S3_PATHSTYLE", "true");
            assertThat(Yamls.list(container, "env")).as(component).anySatisfy(e -> {
                assertThat(e.get("name")).isEqualTo("ARTIFACTCACHE_S3_SECRETACCESSKEY");
                assertThat(Yamls.string(e, "valueFrom.secretKeyRef.name")).isEqualTo("llm-registry-s3");
            });
            assertThat(Yamls.list(container, "volumeMounts")).as(component).anySatisfy(m -> assertThat(m)
                    .containsEntry("name", "artifact-cache").containsEntry("mountPath", "/var/cache/llm-platform/artifacts"));
            assertThat(Yamls.list(deployment, "spec.template.spec.volumes")).as(component).anySatisfy(v -> {
                assertThat(v.get("name")).isEqualTo("artifact-cache");
                assertThat(Yamls.string(v, "emptyDir.sizeLimit")).isEqualTo("32Gi");
            });
        }
        assertThat(cpu.ofKind("PersistentVolumeClaim")).as("no volume shared with the registry").isEmpty();
    }

    @Test
    void theGatewaySharesRateLimitsThroughRedis() {
        var bundled = env(Yamls.list(ChartFixture.render(ChartFixture.values("laptop")).only("Deployment", R + "gateway"),
                "spec.template.spec.containers").getFirst());
        assertThat(bundled).containsEntry("SPRING_DATA_REDIS_HOST", R + "redis").containsEntry("SPRING_DATA_REDIS_PORT", "6379");
        var external = ChartFixture.render(ChartFixture.values("cpu-cluster"));
        assertThat(env(Yamls.list(external.only("Deployment", R + "gateway"), "spec.template.spec.containers").getFirst()))
                .containsEntry("SPRING_DATA_REDIS_HOST", "redis.databases.svc");
        assertThat(external.has("Deployment", R + "redis")).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void servicesAndDisruptionBudgetsSelectTheirOwnPods(Path values) {
        var rendered = ChartFixture.render(values);
        List<Map<String, Object>> podLabels = podTemplates(rendered).stream()
                .map(w -> Yamls.map(w, "spec.template.metadata.labels")).toList();
        for (var service : rendered.ofKind("Service")) {
            assertThat(matching(podLabels, Yamls.map(service, "spec.selector")))
                    .as("pods of Service %s", Yamls.string(service, "metadata.name")).hasSize(1);
        }
        for (var pdb : rendered.ofKind("PodDisruptionBudget")) {
            assertThat(matching(podLabels, Yamls.map(pdb, "spec.selector.matchLabels")))
                    .as("pods of PDB %s", Yamls.string(pdb, "metadata.name")).hasSize(1);
        }
        for (var monitor : rendered.ofKind("ServiceMonitor")) {
            var selector = Yamls.map(monitor, "spec.selector.matchLabels");
            var scraped = rendered.ofKind("Service").stream().filter(s -> Yamls.map(s, "metadata.labels").entrySet()
                    .containsAll(selector.entrySet())).toList();
            assertThat(scraped).as("Services the ServiceMonitor %s scrapes", Yamls.string(monitor, "metadata.name")).singleElement()
                    .satisfies(s -> assertThat(Yamls.list(s, "spec.ports")).anySatisfy(p -> assertThat(p).containsEntry("name", "management")));
            assertThat(Yamls.map(scraped.getFirst(), "metadata.labels")).doesNotContainKey("llm-platform/role");
            assertThat(Yamls.list(monitor, "spec.endpoints")).allSatisfy(e ->
                    assertThat(e).containsEntry("port", "management").containsEntry("path", "/actuator/prometheus"));
        }
    }

    @Test
    void theHelmTestSendsAChatCompletionToTheGateway() {
        var pod = ChartFixture.renderTestHook(ChartFixture.values("laptop"));
        var container = Yamls.list(pod, "spec.containers").getFirst();
        assertThat(env(container)).containsEntry("GATEWAY_URL", "http://" + R + "gateway:8080");
        String script = String.join("\n", (List<String>) Yamls.get(container, "args"));
        assertThat(script).contains("/v1/chat/completions").contains("\"object\":\"chat.completion\"").contains("choices");
        assertThat(Yamls.string(pod, "spec.restartPolicy")).isEqualTo("Never");
    }

    // --- the internal plane: certificates, TLS settings, metrics over TLS ----------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void everyDeploymentMountsItsTlsSecretAndPointsTheServiceAtIt(Path values) {
        var rendered = ChartFixture.render(values);
        var secrets = tlsSecretsOf(rendered);
        for (var deployment : platformDeployments(rendered)) {
            String component = Yamls.map(deployment, "metadata.labels").get("app.kubernetes.io/component").toString();
            var container = Yamls.list(deployment, "spec.template.spec.containers").getFirst();
            var mount = Yamls.list(container, "volumeMounts").stream().filter(m -> "tls".equals(m.get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError(component + " mounts no tls volume"));
            assertThat(mount.get("readOnly")).as(component).isEqualTo(true);
            String dir = mount.get("mountPath").toString();
            var volume = Yamls.list(deployment, "spec.template.spec.volumes").stream().filter(v -> "tls".equals(v.get("name")))
                    .findFirst().orElseThrow();
            String secret = Yamls.string(volume, "secret.secretName");
            assertThat(secrets).as("%s: its Secret %s is issued for identity %s", component, secret, component)
                    .containsEntry(secret, component);
            var env = env(container);
            assertThat(env).as(component)
                    .containsEntry("PLATFORM_SECURITY_TLSCERTIFICATE", dir + "/tls.crt")
                    .containsEntry("PLATFORM_SECURITY_TLSPRIVATEKEY", dir + "/tls.key")
                    .containsEntry("PLATFORM_SECURITY_TLSCA", dir + "/ca.crt")
                    .containsEntry("SERVER_ADDRESS", "0.0.0.0")
                    .containsEntry("MANAGEMENT_SERVER_ADDRESS", "0.0.0.0")
                    .containsEntry("MANAGEMENT_SERVER_SSL_ENABLED", "true")
                    .containsEntry("MANAGEMENT_SERVER_SSL_BUNDLE", "platform")
                    .containsEntry("MANAGEMENT_SERVER_SSL_CLIENTAUTH", "want");
            if (!component.equals("gateway")) {
                assertThat(env).as(component).containsEntry("SPRING_GRPC_SERVER_ADDRESS", "0.0.0.0");
            }
            assertThat(env.keySet()).as("%s: no TLS switched off", component).doesNotContain("PLATFORM_SECURITY_ENABLED");
        }
        var gateway = env(Yamls.list(rendered.only("Deployment", R + "gateway"), "spec.template.spec.containers").getFirst());
        assertThat(gateway).containsEntry("GATEWAY_REGISTRYHTTPURL", "https://" + R + "model-registry:8081")
                .containsEntry("GATEWAY_SCHEDULERTARGET", "static://" + R + "scheduler-service:9095")
                .containsEntry("GATEWAY_REGISTRYTARGET", "static://" + R + "model-registry:9091");
        assertThat(secrets).containsValue("prometheus");
    }

    @Test
    void withoutCertManagerTheChartGeneratesACaAndACertificatePerIdentityThatSpringBootReads() throws Exception {
        var rendered = ChartFixture.render();
        assertThat(rendered.ofKind("Certificate")).isEmpty();
        assertThat(rendered.ofKind("Issuer")).isEmpty();
        var ca = certificates(Yamls.map(rendered.only("Secret", R + "tls-ca"), "data").get("tls.crt")).getFirst();
        assertThat(ca.getBasicConstraints()).as("the CA is a CA").isGreaterThanOrEqualTo(0);
        List<String> identities = new ArrayList<>();
        for (var secret : rendered.ofKind("Secret")) {
            String identity = Yamls.map(secret, "metadata.labels").getOrDefault("llm-platform/identity", "").toString();
            if (identity.isEmpty()) {
                continue;
            }
            identities.add(identity);
            assertThat(secret.get("type")).isEqualTo("kubernetes.io/tls");
            var data = Yamls.map(secret, "data");
            var leaf = certificates(data.get("tls.crt")).getFirst();
            assertThat(certificates(data.get("ca.crt")).getFirst()).isEqualTo(ca);
            leaf.verify(ca.getPublicKey());
            assertThat(leaf.getSubjectX500Principal().getName()).as(identity).isEqualTo("CN=" + identity);
            assertThat(leaf.getExtendedKeyUsage()).as(identity).contains("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
            if (PLATFORM.contains(identity)) {
                assertThat(dnsNames(leaf)).as(identity).contains(R + identity, R + identity + "." + ChartFixture.NAMESPACE + ".svc",
                        R + identity + "." + ChartFixture.NAMESPACE + ".svc.cluster.local");
            }
            // what the services' SSL bundle does with the key (spring.ssl.bundle.pem.platform.keystore.private-key)
            var key = org.springframework.boot.ssl.pem.PemContent.of(decode(data.get("tls.key"))).getPrivateKey();
            assertThat(key).as(identity).isNotNull();
            assertThat(key.getAlgorithm()).isEqualTo(leaf.getPublicKey().getAlgorithm());
        }
        assertThat(identities).containsExactlyInAnyOrder("gateway", "model-registry", "tokenizer-service",
                "inference-cpu-service", "scheduler-service", "prometheus");
    }

    @Test
    @SuppressWarnings("unchecked")
    void withCertManagerEachIdentityGetsACertificateFromTheReleasesCa() {
        var rendered = ChartFixture.render(ChartFixture.values("gpu-cluster"));
        assertThat(rendered.ofKind("Secret")).noneMatch(s -> Yamls.map(s, "metadata.labels").containsKey("llm-platform/identity"));
        assertThat(rendered.has("Secret", R + "tls-ca")).isFalse();
        assertThat(Yamls.map(rendered.only("Issuer", R + "selfsigned"), "spec")).containsKey("selfSigned");
        var caCertificate = rendered.only("Certificate", R + "ca");
        assertThat(Yamls.get(caCertificate, "spec.isCA")).isEqualTo(true);
        assertThat(Yamls.string(caCertificate, "spec.issuerRef.name")).isEqualTo(R + "selfsigned");
        assertThat(Yamls.string(rendered.only("Issuer", R + "ca"), "spec.ca.secretName"))
                .isEqualTo(Yamls.string(caCertificate, "spec.secretName"));
        List<String> identities = new ArrayList<>();
        for (var certificate : rendered.ofKind("Certificate")) {
            if (certificate == caCertificate) {
                continue;
            }
            String identity = Yamls.string(certificate, "spec.commonName");
            identities.add(identity);
            assertThat(Yamls.string(certificate, "spec.issuerRef.name")).isEqualTo(R + "ca");
            assertThat(Yamls.string(certificate, "spec.secretName")).isEqualTo(R + "tls-" + identity);
            assertThat((List<Object>) Yamls.get(certificate, "spec.usages")).as(identity).contains("server auth", "client auth");
            assertThat(Yamls.string(certificate, "spec.privateKey.encoding")).isEqualTo("PKCS8");
            if (PLATFORM.contains(identity)) {
                assertThat((List<Object>) Yamls.get(certificate, "spec.dnsNames")).as(identity).contains(R + identity,
                        R + identity + "." + ChartFixture.NAMESPACE + ".svc",
                        R + identity + "." + ChartFixture.NAMESPACE + ".svc.cluster.local");
            }
        }
        assertThat(identities).containsExactlyInAnyOrder("gateway", "model-registry", "tokenizer-service",
                "inference-cpu-service", "inference-gpu-service", "scheduler-service", "prometheus", "admin");
    }

    @Test
    void anOperatorsIssuerOrOwnSecretReplacesTheReleasesCa(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path values = java.nio.file.Files.writeString(dir.resolve("own.yaml"), """
                tls:
                  certManager:
                    enabled: true
                    issuerRef: {kind: ClusterIssuer, name: platform-ca}
                  existingSecrets:
                    gateway: my-gateway-tls
                """);
        var rendered = ChartFixture.render(values);
        assertThat(rendered.ofKind("Issuer")).isEmpty();
        assertThat(rendered.has("Certificate", R + "gateway")).isFalse();
        assertThat(rendered.ofKind("Certificate")).isNotEmpty().allSatisfy(c ->
                assertThat(Yamls.map(c, "spec.issuerRef")).containsEntry("kind", "ClusterIssuer").containsEntry("name", "platform-ca"));
        var gateway = rendered.only("Deployment", R + "gateway");
        assertThat(Yamls.list(gateway, "spec.template.spec.volumes")).anySatisfy(v ->
                assertThat(Yamls.string(v, "secret.secretName")).isEqualTo("my-gateway-tls"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void serviceMonitorsScrapeTheManagementPortOverHttpsWithThePrometheusCertificate(Path values) {
        var rendered = ChartFixture.render(values);
        var secrets = tlsSecretsOf(rendered);
        var monitors = rendered.ofKind("ServiceMonitor");
        if (monitors.isEmpty()) {
            return;
        }
        assertThat(monitors).extracting(m -> Yamls.string(m, "metadata.name"))
                .containsAll(platformDeployments(rendered).stream().map(d -> Yamls.string(d, "metadata.name")).toList());
        for (var monitor : monitors) {
            String component = Yamls.string(monitor, "metadata.name").substring(R.length());
            var endpoint = Yamls.list(monitor, "spec.endpoints").getFirst();
            assertThat(endpoint).containsEntry("scheme", "https").containsEntry("port", "management");
            var tls = Yamls.map(endpoint, "tlsConfig");
            assertThat(tls.get("insecureSkipVerify")).isNotEqualTo(true);
            assertThat(secrets.get(Yamls.string(tls, "cert.secret.name"))).isEqualTo("prometheus");
            assertThat(Yamls.string(tls, "cert.secret.key")).isEqualTo("tls.crt");
            assertThat(Yamls.string(tls, "keySecret.name")).isEqualTo(Yamls.string(tls, "cert.secret.name"));
            assertThat(Yamls.string(tls, "keySecret.key")).isEqualTo("tls.key");
            assertThat(Yamls.string(tls, "ca.secret.key")).isEqualTo("ca.crt");
            assertThat(Yamls.string(tls, "serverName")).isEqualTo(R + component + "." + ChartFixture.NAMESPACE + ".svc");
        }
    }

    /** Secret name -> identity, for the Secrets the chart generates or has cert-manager issue. */
    private static Map<String, String> tlsSecretsOf(ChartFixture.Rendered rendered) {
        Map<String, String> secrets = new java.util.LinkedHashMap<>();
        for (var secret : rendered.ofKind("Secret")) {
            Object identity = Yamls.map(secret, "metadata.labels").get("llm-platform/identity");
            if (identity != null) {
                assertThat(Yamls.map(secret, "data")).containsKeys("tls.crt", "tls.key", "ca.crt");
                secrets.put(Yamls.string(secret, "metadata.name"), identity.toString());
            }
        }
        for (var certificate : rendered.ofKind("Certificate")) {
            if (!Boolean.TRUE.equals(Yamls.get(certificate, "spec.isCA"))) {
                secrets.put(Yamls.string(certificate, "spec.secretName"), Yamls.string(certificate, "spec.commonName"));
            }
        }
        return secrets;
    }

    private static String decode(Object base64) {
        return new String(java.util.Base64.getDecoder().decode(base64.toString()), java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static List<java.security.cert.X509Certificate> certificates(Object base64) throws Exception {
        var factory = java.security.cert.CertificateFactory.getInstance("X.509");
        return factory.generateCertificates(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(base64.toString())))
                .stream().map(java.security.cert.X509Certificate.class::cast).toList();
    }

    private static List<String> dnsNames(java.security.cert.X509Certificate certificate) throws Exception {
        return certificate.getSubjectAlternativeNames().stream().filter(n -> Integer.valueOf(2).equals(n.get(0)))
                .map(n -> n.get(1).toString()).toList();
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private static List<Map<String, Object>> podTemplates(ChartFixture.Rendered rendered) {
        List<Map<String, Object>> workloads = new ArrayList<>(rendered.ofKind("Deployment"));
        workloads.addAll(rendered.ofKind("StatefulSet"));
        return workloads;
    }

    private static List<Map<String, Object>> platformDeployments(ChartFixture.Rendered rendered) {
        return rendered.ofKind("Deployment").stream()
                .filter(d -> PLATFORM.contains(Yamls.map(d, "metadata.labels").get("app.kubernetes.io/component")))
                .toList();
    }

    private static List<Map<String, Object>> matching(List<Map<String, Object>> podLabels, Map<String, Object> selector) {
        assertThat(selector).as("selector").isNotEmpty();
        return podLabels.stream().filter(labels -> labels.entrySet().containsAll(selector.entrySet())).toList();
    }

    /** The components whose pods a NetworkPolicy admits on a port, by the podSelector peers of its rules. */
    private static List<String> callers(ChartFixture.Rendered rendered, String component, String port) {
        var policy = rendered.only("NetworkPolicy", R + component);
        return Yamls.list(policy, "spec.ingress").stream()
                .filter(rule -> Yamls.list(rule, "ports").stream().anyMatch(p -> port.equals(String.valueOf(p.get("port")))))
                .flatMap(rule -> Yamls.list(rule, "from").stream())
                .filter(peer -> peer.containsKey("podSelector") && !peer.containsKey("namespaceSelector"))
                .map(peer -> Yamls.map(peer, "podSelector.matchLabels").get("app.kubernetes.io/component").toString())
                .toList();
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (var e : Yamls.list(container, "env")) {
            if (e.containsKey("value")) {
                env.put(e.get("name").toString(), String.valueOf(e.get("value")));
            }
        }
        return env;
    }
}
