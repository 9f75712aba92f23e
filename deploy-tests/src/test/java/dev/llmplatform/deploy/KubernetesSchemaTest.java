package dev.llmplatform.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rendered object is a valid Kubernetes object of its kind: it deserializes into the fabric8 8.0.0 model of
 * that kind (the Kubernetes OpenAPI schema as Java types), and nothing lands in additionalProperties, where fabric8
 * puts fields the schema does not know and values of the wrong type. Custom resources (ServiceMonitor, ScaledObject)
 * have no model here: their required fields are checked by hand.
 */
class KubernetesSchemaTest {

    private static final Set<String> CUSTOM_KINDS = Set.of("ServiceMonitor", "ScaledObject", "Certificate", "Issuer");
    private final KubernetesSerialization serialization = new KubernetesSerialization();

    static Stream<Path> exampleValues() {
        return ChartFixture.exampleValues().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void everyRenderedObjectMatchesTheSchemaOfItsKind(Path values) {
        var rendered = ChartFixture.render(values);
        assertThat(rendered.objects()).hasSizeGreaterThan(15);
        List<Map<String, Object>> objects = new ArrayList<>(rendered.objects());
        objects.add(ChartFixture.renderTestHook(values));
        for (Map<String, Object> object : objects) {
            String kind = (String) object.get("kind");
            String where = kind + " " + Yamls.string(object, "metadata.name");
            HasMetadata typed = serialization.unmarshal(serialization.asJson(object));
            if (CUSTOM_KINDS.contains(kind)) {
                assertThat(typed).as(where).isInstanceOf(GenericKubernetesResource.class);
                checkCustomResource(object);
                continue;
            }
            assertThat(typed).as(where + " has a typed model").isNotInstanceOf(GenericKubernetesResource.class);
            assertThat(unknownFields(typed, kind)).as(where + ": fields outside the schema").isEmpty();
            assertThat(typed.getMetadata().getName()).as(where).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").hasSizeLessThanOrEqualTo(63);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("exampleValues")
    void theWalkFindsAFieldOutsideTheSchema(Path values) {
        // The check above must be able to fail: a misspelt field in a real rendered Deployment is reported.
        var deployment = new java.util.LinkedHashMap<>(ChartFixture.render(values).ofKind("Deployment").getFirst());
        @SuppressWarnings("unchecked")
        var spec = new java.util.LinkedHashMap<>((Map<String, Object>) deployment.get("spec"));
        spec.put("replica", 3);
        deployment.put("spec", spec);
        HasMetadata typed = serialization.unmarshal(serialization.asJson(deployment));
        assertThat(unknownFields(typed, "Deployment")).containsExactly("Deployment.spec.replica");
    }

    private static void checkCustomResource(Map<String, Object> object) {
        String kind = (String) object.get("kind");
        String where = kind + " " + Yamls.string(object, "metadata.name");
        switch (kind) {
            case "ServiceMonitor" -> {
                assertThat(object.get("apiVersion")).as(where).isEqualTo("monitoring.coreos.com/v1");
                assertThat(Yamls.map(object, "spec.selector")).as(where + " spec.selector").isNotEmpty();
                assertThat(Yamls.list(object, "spec.endpoints")).as(where + " spec.endpoints").isNotEmpty()
                        .allSatisfy(e -> assertThat(e.get("port")).as("endpoint port").isNotNull());
            }
            case "ScaledObject" -> {
                assertThat(object.get("apiVersion")).as(where).isEqualTo("keda.sh/v1alpha1");
                assertThat(Yamls.string(object, "spec.scaleTargetRef.name")).as(where + " scaleTargetRef.name").isNotBlank();
                assertThat(Yamls.list(object, "spec.triggers")).as(where + " triggers").isNotEmpty().allSatisfy(t -> {
                    assertThat(t.get("type")).isEqualTo("prometheus");
                    assertThat(Yamls.string(t, "metadata.serverAddress")).startsWith("http");
                    assertThat(Yamls.string(t, "metadata.query")).isNotBlank();
                    assertThat(Yamls.string(t, "metadata.threshold")).matches("[0-9]+(\\.[0-9]+)?");
                });
                assertThat(Yamls.get(object, "spec.minReplicaCount")).isInstanceOf(Integer.class);
                assertThat(Yamls.get(object, "spec.maxReplicaCount")).isInstanceOf(Integer.class);
            }
            case "Certificate" -> {
                assertThat(object.get("apiVersion")).as(where).isEqualTo("cert-manager.io/v1");
                assertThat(Yamls.string(object, "spec.secretName")).as(where + " secretName").matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
                assertThat(Yamls.string(object, "spec.issuerRef.name")).as(where + " issuerRef.name").isNotBlank();
                assertThat(Yamls.string(object, "spec.commonName")).as(where + " commonName").isNotBlank().hasSizeLessThanOrEqualTo(64);
                for (String duration : List.of("duration", "renewBefore")) {
                    String value = Yamls.string(object, "spec." + duration);
                    if (value != null) {
                        assertThat(value).as(where + " " + duration).matches("([0-9]+(\\.[0-9]+)?(h|m|s))+");
                    }
                }
                if (Yamls.get(object, "spec.usages") instanceof List<?> usages) {
                    @SuppressWarnings("unchecked") List<Object> typedUsages = (List<Object>) usages;
                    assertThat(typedUsages).as(where + " usages").isSubsetOf("digital signature", "key encipherment",
                            "server auth", "client auth", "cert sign", "crl sign");
                }
            }
            case "Issuer" -> {
                assertThat(object.get("apiVersion")).as(where).isEqualTo("cert-manager.io/v1");
                assertThat(Yamls.map(object, "spec")).as(where + " spec").hasSize(1).containsAnyOf(
                        Map.entry("selfSigned", Map.of()), Map.entry("ca", Yamls.map(object, "spec.ca")));
            }
            default -> throw new AssertionError("no check for " + kind);
        }
    }

    /** Paths of every non-empty additionalProperties in the object graph of a fabric8 model object. */
    static List<String> unknownFields(Object model, String path) {
        List<String> found = new ArrayList<>();
        walk(model, path, found);
        return found;
    }

    private static void walk(Object node, String path, List<String> found) {
        if (node == null) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "[" + k + "]", found));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || getter.getDeclaringClass() == Object.class || !getter.getName().startsWith("get")) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(node);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> found.add(path + "." + k));
                }
            } else {
                String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
                walk(value, path + "." + field, found);
            }
        }
    }
}
