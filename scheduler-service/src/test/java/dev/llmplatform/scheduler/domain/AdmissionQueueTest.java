package dev.llmplatform.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdmissionQueueTest {

    private final AdmissionQueue<String> queue = new AdmissionQueue<>(3);

    @Test
    void higherPriorityLeavesFirstAndEqualPriorityInArrivalOrder() {
        queue.offer("low-1", 0);
        queue.offer("high", 5);
        queue.offer("low-2", 0);

        assertThat(queue.poll()).hasValue("high");
        assertThat(queue.poll()).hasValue("low-1");
        assertThat(queue.poll()).hasValue("low-2");
        assertThat(queue.poll()).isEmpty();
    }

    @Test
    void aFullQueueRefusesANewcomerOfNoHigherPriority() {
        queue.offer("a", 1);
        queue.offer("b", 1);
        queue.offer("c", 0);

        assertThat(queue.offer("d", 0)).isInstanceOf(AdmissionQueue.Offer.Full.class);
        assertThat(queue.size()).isEqualTo(3);
    }

    @Test
    void aFullQueueLetsAHigherPriorityNewcomerDisplaceTheLowestNewestWaiter() {
        queue.offer("a", 0);
        queue.offer("b", 0);
        queue.offer("c", 1);

        assertThat(queue.offer("urgent", 9)).isEqualTo(new AdmissionQueue.Offer.QueuedDisplacing<>("b"));
        assertThat(queue.size(0)).isEqualTo(1);
        assertThat(queue.peek()).hasValue("urgent");
    }

    @Test
    void aRequestThatGivesUpLeavesTheQueue() {
        queue.offer("a", 0);

        assertThat(queue.remove("a")).isTrue();
        assertThat(queue.remove("a")).isFalse();
        assertThat(queue.size()).isZero();
    }

    @Test
    void aZeroCapacityQueueAdmitsNothing() {
        assertThat(new AdmissionQueue<String>(0).offer("a", 100)).isInstanceOf(AdmissionQueue.Offer.Full.class);
    }
}
