package dev.llmplatform.scheduler.domain;

/**
 * How many replicas a worker pool needs to meet its latency objective at the current arrival rate, from the
 * M/M/c queue (Erlang C): a replica is c = slots servers, each finishing a request in S seconds on average.
 * With m replicas there are N = m·c servers and offered load a = λ·S; the mean response time is
 * R(N) = S + C(N, a) · S / (N − a), where C is the probability that a request waits. The answer is the smallest
 * m with a &lt; N and R(N) ≤ R*. When S alone exceeds R* no replica count meets it; then the answer is the
 * smallest m at which fewer than 5% of requests wait, since adding more cannot make them faster.
 */
public final class ReplicaEstimator {

    static final double WAIT_PROBABILITY_WHEN_UNREACHABLE = 0.05;

    private ReplicaEstimator() {
    }

    /**
     * @param arrivalsPerSecond λ [1/s]
     * @param serviceSeconds    S, the mean time one request holds a slot [s]
     * @param slotsPerReplica   c
     * @param objectiveSeconds  R*, the mean response time to meet [s]
     * @param maxReplicas       the answer never exceeds this
     */
    public static int desiredReplicas(double arrivalsPerSecond, double serviceSeconds, int slotsPerReplica,
                                      double objectiveSeconds, int maxReplicas) {
        if (arrivalsPerSecond <= 0 || serviceSeconds <= 0) {
            return 1;
        }
        int slots = Math.max(1, slotsPerReplica);
        double offered = arrivalsPerSecond * serviceSeconds;
        boolean reachable = serviceSeconds < objectiveSeconds;
        for (int replicas = 1; replicas <= maxReplicas; replicas++) {
            int servers = replicas * slots;
            if (offered >= servers) {
                continue;
            }
            double waitProbability = erlangC(servers, offered);
            if (reachable
                    ? serviceSeconds + waitProbability * serviceSeconds / (servers - offered) <= objectiveSeconds
                    : waitProbability <= WAIT_PROBABILITY_WHEN_UNREACHABLE) {
                return replicas;
            }
        }
        return maxReplicas;
    }

    /** Probability that an arrival waits in an M/M/N queue with offered load a &lt; N (via Erlang B, stable). */
    static double erlangC(int servers, double offered) {
        double erlangB = 1;
        for (int k = 1; k <= servers; k++) {
            erlangB = offered * erlangB / (k + offered * erlangB);
        }
        return servers * erlangB / (servers - offered * (1 - erlangB));
    }
}
