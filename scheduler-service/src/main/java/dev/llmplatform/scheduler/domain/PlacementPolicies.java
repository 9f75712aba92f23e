package dev.llmplatform.scheduler.domain;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The policies a deployment offers, by name, with the one used when a request names none. */
public final class PlacementPolicies {

    private final Map<String, PlacementPolicy> byName = new LinkedHashMap<>();
    private final PlacementPolicy defaultPolicy;

    public PlacementPolicies(List<PlacementPolicy> policies, String defaultName) {
        policies.forEach(p -> byName.put(p.name(), p));
        this.defaultPolicy = Optional.ofNullable(byName.get(defaultName)).orElseThrow(() -> new IllegalArgumentException(
                "unknown default placement policy '" + defaultName + "'; known: " + byName.keySet()));
    }

    /** The standard set: latency-first, energy-first, balanced, round-robin, least-loaded. */
    public static PlacementPolicies standard(String defaultName, double balancedTimeWeight) {
        return new PlacementPolicies(List.of(new LatencyFirstPolicy(), new EnergyFirstPolicy(),
                new BalancedPolicy(balancedTimeWeight), new RoundRobinPolicy(), new LeastLoadedPolicy()), defaultName);
    }

    /** The policy a request asks for, the default when it asks for none, empty when it names an unknown one. */
    public Optional<PlacementPolicy> resolve(String requested) {
        if (requested == null || requested.isBlank()) {
            return Optional.of(defaultPolicy);
        }
        return Optional.ofNullable(byName.get(requested.strip().toLowerCase(java.util.Locale.ROOT)));
    }

    public Set<String> names() {
        return byName.keySet();
    }
}
