package dev.llmplatform.registry.api;

import dev.llmplatform.registry.api.AdminViews.JobView;
import dev.llmplatform.registry.api.AdminViews.QuantizeBody;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.infra.quantize.VariantQuantizer;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The quantize action and its jobs. A job is a resource of its own, {@code /admin/jobs/{id}}: it outlives the
 * request, is kept in the database (a registry restart shows it failed, not lost), and names the variant it makes.
 */
@RestController
@Tag(name = "quantize", description = "Quantize a variant with llama.cpp on a worker; jobs and their progress")
public class AdminQuantizeController {

    private final VariantQuantizer quantizer;

    public AdminQuantizeController(VariantQuantizer quantizer) {
        this.quantizer = quantizer;
    }

    @PostMapping(path = "/admin/models/{modelId}/versions/{version}/variants/{variantId}/quantize", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Quantize an unquantized GGUF variant to a llama.cpp type, as a background job",
            description = "Body {\"type\": \"Q4_K_M\"}. 202 with the job (Location: /admin/jobs/{id}); the new variant is "
                    + "<variant>-<type> (cpu-f16-q4_k_m) of the same version, stored with its SHA-256 and then measured. The same "
                    + "request while its job runs returns that job. 400 for an unknown type or a source that is not F32/F16/BF16 "
                    + "GGUF, 404 for an unknown model, version or variant, 409 when the variant exists, the version is archived "
                    + "or the quantizer is disabled.")
    public ResponseEntity<JobView> quantize(@PathVariable String modelId, @PathVariable String version, @PathVariable String variantId,
                                            @RequestBody QuantizeBody body) {
        JobView job = JobView.of(quantizer.submit(modelId, version, variantId, body.type()));
        return ResponseEntity.accepted().location(URI.create("/admin/jobs/" + job.id())).body(job);
    }

    @GetMapping("/admin/jobs/{jobId}")
    @Operation(summary = "One quantize job: state, stage, progress, and the new variant's SHA-256 or why it failed")
    public JobView job(@PathVariable String jobId) {
        return quantizer.job(jobId).map(JobView::of)
                .orElseThrow(() -> new RegistryException.NotFound("no job '" + jobId + "'", "job_id"));
    }

    @GetMapping("/admin/jobs")
    @Operation(summary = "Every quantize job, newest first")
    public List<JobView> jobs() {
        return quantizer.jobs().stream().map(JobView::of).toList();
    }
}
