package dev.llmplatform.registry.api;

import dev.llmplatform.registry.api.AdminViews.ModelView;
import dev.llmplatform.registry.api.AdminViews.RegisterModelBody;
import dev.llmplatform.registry.api.AdminViews.RegisterVersionBody;
import dev.llmplatform.registry.api.AdminViews.SetStageBody;
import dev.llmplatform.registry.api.AdminViews.VersionView;
import dev.llmplatform.registry.domain.DeviceClass;
import dev.llmplatform.registry.domain.Format;
import dev.llmplatform.registry.domain.RegisteredModel;
import dev.llmplatform.registry.domain.RegistryException;
import dev.llmplatform.registry.domain.Stage;
import dev.llmplatform.registry.domain.Task;
import dev.llmplatform.registry.domain.Variant;
import dev.llmplatform.registry.infra.ModelStore;
import dev.llmplatform.registry.infra.RegistryOperations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/**
 * The registry's admin API. The gateway routes /admin/** here (and checks the admin key in front of it);
 * OpenAPI at /admin/openapi, Swagger UI at /admin/docs.
 */
@RestController
@RequestMapping("/admin/models")
@Tag(name = "models", description = "Models, versions, variants and the production alias")
public class AdminModelsController {

    private final ModelStore store;
    private final RegistryOperations operations;
    private final Counter bytesServed;

    public AdminModelsController(ModelStore store, RegistryOperations operations, MeterRegistry meters) {
        this.store = store;
        this.operations = operations;
        this.bytesServed = Counter.builder("registry.artifact.bytes.served")
                .description("Artifact bytes sent to downloaders").register(meters);
    }

    @GetMapping
    @Operation(summary = "List every model with its versions")
    public List<ModelView> list() {
        return store.findAll().stream().map(ModelView::of).toList();
    }

    @GetMapping("/{modelId}")
    @Operation(summary = "One model with its versions and variants")
    public ModelView get(@PathVariable String modelId) {
        return ModelView.of(require(modelId));
    }

    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Register a model", description = "409 when the id is taken; task is chat (default) or embedding")
    public ModelView registerModel(@RequestBody RegisterModelBody body) {
        return ModelView.of(operations.registerModel(body.id(), orEmpty(body.ownedBy()), orEmpty(body.description()),
                Task.parse(body.task(), "task")));
    }

    @DeleteMapping("/{modelId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Delete a model, all its versions and the artifacts the store holds for them")
    public void deleteModel(@PathVariable String modelId) {
        operations.deleteModel(modelId);
    }

    @PostMapping(path = "/{modelId}/versions", consumes = MediaType.APPLICATION_JSON_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Register a version (stage: registered)", description = "404 for an unknown model, 409 for a duplicate version")
    public VersionView registerVersion(@PathVariable String modelId, @RequestBody RegisterVersionBody body) {
        return VersionView.of(operations.registerVersion(modelId, body.version(), orEmpty(body.description())));
    }

    @DeleteMapping("/{modelId}/versions/{version}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @Operation(summary = "Delete a version that is not in production, with its artifacts")
    public void deleteVersion(@PathVariable String modelId, @PathVariable String version) {
        operations.deleteVersion(modelId, version);
    }

    @PutMapping(path = "/{modelId}/versions/{version}/variants/{variantId}", consumes = MediaType.APPLICATION_OCTET_STREAM_VALUE)
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(summary = "Upload an artifact as a variant of a registered or staging version",
            description = "The body is the artifact's bytes, streamed to the artifact store and checked against sha256: a mismatch "
                    + "is 422 and nothing is kept; more than registry.artifacts.max-upload-size is 413. Context length and chat "
                    + "template are read from GGUF metadata unless given.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    content = @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM_VALUE, schema = @Schema(type = "string", format = "binary"))))
    public VersionView uploadVariant(@PathVariable String modelId, @PathVariable String version, @PathVariable String variantId,
                                     @RequestParam String sha256,
                                     @RequestParam String format,
                                     @RequestParam(name = "device_class") String deviceClass,
                                     @RequestParam(defaultValue = "") String quantization,
                                     @RequestParam(name = "tokenizer_uri", defaultValue = "") String tokenizerUri,
                                     @RequestParam(name = "context_length", defaultValue = "0") int contextLength,
                                     @RequestParam(defaultValue = "") String licence,
                                     HttpServletRequest request) throws IOException {
        if (contextLength < 0) {
            throw new RegistryException.InvalidArgument("context_length must not be negative", "context_length");
        }
        var spec = new RegistryOperations.VariantSpec(variantId, Format.parse(format, "format"), quantization,
                DeviceClass.parse(deviceClass, "device_class"), sha256, tokenizerUri, contextLength, "", licence);
        try (InputStream body = request.getInputStream()) {
            return VersionView.of(operations.uploadVariant(modelId, version, spec, body, request.getContentLengthLong()));
        }
    }

    @GetMapping("/{modelId}/versions/{version}/variants/{variantId}/artifact")
    @Operation(summary = "Download a variant's artifact")
    public ResponseEntity<StreamingResponseBody> download(@PathVariable String modelId, @PathVariable String version,
                                                          @PathVariable String variantId) {
        Variant variant = require(modelId).version(version)
                .flatMap(v -> v.variant(variantId))
                .orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' has no variant '" + variantId
                        + "' in version '" + version + "'", "variant_id"));
        StreamingResponseBody body = out -> {
            try (InputStream in = operations.openArtifact(variant)) {
                copyCounting(in, out);
            }
        };
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM).contentLength(variant.sizeBytes())
                .header("X-Artifact-Sha256", variant.sha256()).body(body);
    }

    @PostMapping("/{modelId}/versions/{version}/promote")
    @Operation(summary = "Promote a version to production",
            description = "Atomic: the production alias moves and the previous production version is archived in one transaction. "
                    + "409 when the version has no variants.")
    public VersionView promote(@PathVariable String modelId, @PathVariable String version) {
        return VersionView.of(operations.setStage(modelId, version, Stage.PRODUCTION));
    }

    @PostMapping("/{modelId}/versions/{version}/archive")
    @Operation(summary = "Archive a version", description = "409 for the production version: promote another one first")
    public VersionView archive(@PathVariable String modelId, @PathVariable String version) {
        return VersionView.of(operations.setStage(modelId, version, Stage.ARCHIVED));
    }

    @PostMapping(path = "/{modelId}/versions/{version}/stage", consumes = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Move a version to a stage: staging, production or archived")
    public VersionView setStage(@PathVariable String modelId, @PathVariable String version, @RequestBody SetStageBody body) {
        return VersionView.of(operations.setStage(modelId, version, Stage.parse(body.stage(), "stage")));
    }

    private RegisteredModel require(String modelId) {
        return store.findById(modelId).orElseThrow(() -> new RegistryException.NotFound("model '" + modelId + "' is not registered", "model"));
    }

    private void copyCounting(InputStream in, OutputStream out) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
            bytesServed.increment(n);
        }
    }

    private static String orEmpty(String value) {
        return value == null ? "" : value;
    }
}
