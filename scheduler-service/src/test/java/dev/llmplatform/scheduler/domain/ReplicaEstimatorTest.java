package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ReplicaEstimatorTest {

    @Test
    void erlangCMatchesTheTextbookValue() {
        // M/M/2 with an offered load of 1 erlang: a request waits with probability 1/3
        assertThat(ReplicaEstimator.erlangC(2, 1.0)).isCloseTo(1.0 / 3, within(1e-12));
    }

    @Test
    void enoughSingleSlotReplicasToBringTheMeanResponseUnderTheObjective() {
        // λ = 2/s, S = 1 s: 2 replicas are saturated; 3 give R = 1 + C(3,2)·1/(3−2) ≈ 1.44 s ≤ 1.5 s
        assertThat(ReplicaEstimator.desiredReplicas(2, 1, 1, 1.5, 64)).isEqualTo(3);
        assertThat(ReplicaEstimator.desiredReplicas(2, 1, 1, 1.4, 64)).isEqualTo(4);
    }

    @Test
    void slotsPerReplicaCountAsServers() {
        assertThat(ReplicaEstimator.desiredReplicas(2, 1, 4, 1.5, 64)).isEqualTo(1);
        assertThat(ReplicaEstimator.desiredReplicas(20, 1, 4, 1.5, 64)).isEqualTo(6);
    }

    @Test
    void anIdlePoolKeepsOneReplicaAndTheAnswerIsCapped() {
        assertThat(ReplicaEstimator.desiredReplicas(0, 1, 4, 10, 64)).isEqualTo(1);
        assertThat(ReplicaEstimator.desiredReplicas(1000, 1, 1, 10, 64)).isEqualTo(64);
    }

    @Test
    void whenOneRequestAloneExceedsTheObjectiveFewerThanOneInTwentyMayWait() {
        int replicas = ReplicaEstimator.desiredReplicas(1, 20, 4, 10, 64);

        assertThat(ReplicaEstimator.erlangC(replicas * 4, 20)).isLessThanOrEqualTo(0.05);
        assertThat(ReplicaEstimator.erlangC((replicas - 1) * 4, 20)).isGreaterThan(0.05);
    }
}
