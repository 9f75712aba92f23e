package dev.llmplatform.gateway.batch;

import com.google.protobuf.UnsafeByteOperations;
import dev.llmplatform.gateway.errors.ApiException;
import dev.llmplatform.gateway.infra.RegistryBatchClient;
import dev.llmplatform.gateway.security.ApiKeyFilter;
import dev.llmplatform.proto.v1.BatchFile;
import dev.llmplatform.proto.v1.DeleteFileRequest;
import dev.llmplatform.proto.v1.GetFileRequest;
import dev.llmplatform.proto.v1.ListFilesRequest;
import dev.llmplatform.proto.v1.ReadFileContentRequest;
import dev.llmplatform.proto.v1.UploadFileHeader;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.FilePartEvent;
import org.springframework.http.codec.multipart.FormPartEvent;
import org.springframework.http.codec.multipart.PartEvent;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * /v1/files: OpenAI's Files API for batch input. An upload (multipart/form-data, fields {@code file} and
 * {@code purpose}) is streamed part by part to the registry, which stores it and checks it line by line; the gateway
 * never holds the file. Every file belongs to the API key that uploaded it: another key gets a 404.
 */
@Component
public class FilesHandler {

    private final RegistryBatchClient registry;

    public FilesHandler(RegistryBatchClient registry) {
        this.registry = registry;
    }

    public Mono<ServerResponse> upload(ServerRequest request) {
        String owner = owner(request);
        boolean multipart = request.headers().contentType().map(MediaType.MULTIPART_FORM_DATA::isCompatibleWith).orElse(false);
        if (!multipart) {
            return Mono.error(ApiException.invalid(null, "Upload a file as multipart/form-data with the fields 'file' and 'purpose'."));
        }
        var upload = new MultipartUpload(owner);
        return request.bodyToFlux(PartEvent.class)
                .windowUntil(PartEvent::isLast)
                .concatMap(part -> part.switchOnFirst((first, events) -> {
                    PartEvent event = first.get();
                    if (event instanceof FilePartEvent file && "file".equals(file.name())) {
                        return upload.streamFile(file.filename(), events);
                    }
                    if (event instanceof FormPartEvent form && "purpose".equals(form.name())) {
                        upload.purpose(form.value());
                    }
                    return drain(events);
                }), 1)
                .then(Mono.defer(upload::finish))
                .doOnError(e -> upload.abort())
                .onErrorMap(e -> RegistryErrors.translate(e, "file"))
                .flatMap(file -> json(BatchViews.file(file)));
    }

    public Mono<ServerResponse> list(ServerRequest request) {
        var query = ListFilesRequest.newBuilder().setOwner(owner(request))
                .setPurpose(request.queryParam("purpose").orElse(""))
                .setAfter(request.queryParam("after").orElse(""))
                .setLimit(intParam(request, "limit"));
        return registry.listFiles(query.build())
                .onErrorMap(e -> RegistryErrors.translate(e, null))
                .flatMap(page -> json(BatchViews.files(page.getFilesList(), page.getHasMore())));
    }

    public Mono<ServerResponse> get(ServerRequest request) {
        return registry.getFile(GetFileRequest.newBuilder().setOwner(owner(request)).setFileId(request.pathVariable("id")).build())
                .onErrorMap(e -> RegistryErrors.translate(e, "file_id"))
                .flatMap(file -> json(BatchViews.file(file)));
    }

    public Mono<ServerResponse> delete(ServerRequest request) {
        return registry.deleteFile(DeleteFileRequest.newBuilder().setOwner(owner(request)).setFileId(request.pathVariable("id")).build())
                .onErrorMap(e -> RegistryErrors.translate(e, "file_id"))
                .flatMap(deleted -> json(new BatchViews.FileDeleted(deleted.getFileId(), "file", deleted.getDeleted())));
    }

    /** The file's bytes as they come from the registry; the file is looked up first, so an unknown one is a clean 404. */
    public Mono<ServerResponse> content(ServerRequest request) {
        String owner = owner(request);
        String id = request.pathVariable("id");
        Flux<DataBuffer> chunks = registry.readFileContent(ReadFileContentRequest.newBuilder().setOwner(owner).setFileId(id).build())
                .map(data -> (DataBuffer) DefaultDataBufferFactory.sharedInstance.wrap(data.toByteArray()));
        return registry.getFile(GetFileRequest.newBuilder().setOwner(owner).setFileId(id).build())
                .onErrorMap(e -> RegistryErrors.translate(e, "file_id"))
                .flatMap(file -> ServerResponse.ok().contentType(MediaType.APPLICATION_OCTET_STREAM)
                        .contentLength(file.getBytes()).body(chunks, DataBuffer.class));
    }

    private static Mono<Void> drain(Flux<PartEvent> events) {
        return events.doOnNext(e -> DataBufferUtils.release(e.content())).then();
    }

    private static Mono<ServerResponse> json(Object body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }

    static String owner(ServerRequest request) {
        return ApiKeyFilter.requiredKey(request.exchange()).name();
    }

    static int intParam(ServerRequest request, String name) {
        String value = request.queryParam(name).orElse("");
        if (value.isEmpty()) {
            return 0;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.invalid(name, "'" + name + "' must be a positive integer; got '" + value + "'.");
        }
    }

    /** The state of one multipart upload: the purpose field may come before or after the file. */
    private final class MultipartUpload {

        private final String owner;
        private volatile String purpose;
        private volatile RegistryBatchClient.Upload upload;

        MultipartUpload(String owner) {
            this.owner = owner;
        }

        void purpose(String value) {
            purpose = value;
        }

        Mono<Void> streamFile(String filename, Flux<PartEvent> events) {
            if (upload != null) {
                return drain(events).then(Mono.error(ApiException.invalid("file", "Upload one file per request.")));
            }
            // a purpose that comes after the file is checked at the end, before the upload is committed
            upload = registry.startUpload(UploadFileHeader.newBuilder().setOwner(owner).setFilename(filename)
                    .setPurpose(purpose == null ? "batch" : purpose).build());
            RegistryBatchClient.Upload current = upload;
            return events.concatMap(event -> {
                DataBuffer buffer = event.content();
                byte[] bytes = new byte[buffer.readableByteCount()];
                buffer.read(bytes);
                DataBufferUtils.release(buffer);
                return current.send(UnsafeByteOperations.unsafeWrap(bytes));
            }, 1).then();
        }

        Mono<BatchFile> finish() {
            if (upload == null) {
                return Mono.error(ApiException.invalid("file", "The 'file' field is required."));
            }
            if (purpose == null) {
                abort();
                return Mono.error(ApiException.invalid("purpose", "The 'purpose' field is required; use 'batch'."));
            }
            if (!"batch".equals(purpose)) {
                abort();
                return Mono.error(ApiException.invalid("purpose", "purpose must be 'batch'; got '" + purpose + "'."));
            }
            return upload.finish();
        }

        void abort() {
            if (upload != null) {
                upload.abort("the upload was refused");
            }
        }
    }
}
