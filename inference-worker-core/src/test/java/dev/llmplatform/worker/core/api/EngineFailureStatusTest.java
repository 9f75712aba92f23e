package dev.llmplatform.worker.core.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmplatform.worker.core.domain.GenerationOutcome;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/**
 * One status for an engine failure on every device. The scheduler fails a request over to another worker on
 * UNAVAILABLE (and RESOURCE_EXHAUSTED) before the first token, and never on INTERNAL: the CPU worker used to answer
 * INTERNAL and the GPU worker UNAVAILABLE, so the same fault failed over on one kind and not on the other.
 */
class EngineFailureStatusTest {

    @Test
    void anEngineFailureIsUnavailableSoTheSchedulerFailsOver() {
        var status = InferenceWorkerService.failure(new GenerationOutcome.Failed(0, "llama_decode returned -3")).getStatus();

        assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(status.getDescription()).contains("llama_decode returned -3");
    }
}
