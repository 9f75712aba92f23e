package dev.llmplatform.scheduler.domain;

/** Where a request goes, or why it cannot go anywhere. */
public sealed interface Placement {

    record Placed(WorkerSnapshot worker, CostModel.Estimate estimate) implements Placement {
    }

    /** No worker knows the model at all. */
    record UnknownModel(String model) implements Placement {
    }

    /** Workers know the model but none is ready (down, not loaded, or its breaker is open). */
    record NoCapacity(String reason) implements Placement {
    }

    /** Ready workers serve the model but every one of them is full: the request may wait for a slot. */
    record Saturated(String reason) implements Placement {
    }
}
