package dev.llmplatform.worker.core.domain;

/** What became of a LoadModel call. */
public sealed interface LoadOutcome {

    /** The registered artifact was verified and now serves the model. */
    record Loaded(long millis) implements LoadOutcome {
    }

    /**
     * Nothing was loaded. The detail (paths, checksums) is for the worker's log only: callers get one uniform
     * answer, so that LoadModel cannot be used to learn about the host's files.
     */
    record Refused(String detail) implements LoadOutcome {
    }
}
