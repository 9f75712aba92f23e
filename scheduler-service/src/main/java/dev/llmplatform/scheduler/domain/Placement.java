package dev.llmplatform.scheduler.domain;

/** Where a request goes, or why it cannot go anywhere. */
public sealed interface Placement {

    record Placed(WorkerSnapshot worker) implements Placement {
    }

    /** No worker knows the model at all. */
    record UnknownModel(String model) implements Placement {
    }

    /** Workers know the model but none can take the request now. */
    record NoCapacity(String reason) implements Placement {
    }
}
