package dev.llmplatform.gateway.batch;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.llmplatform.proto.v1.Batch;
import dev.llmplatform.proto.v1.BatchFile;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The JSON objects of OpenAI's Files and Batch APIs, field for field; times not reached yet are null. */
final class BatchViews {

    private BatchViews() {
    }

    record FileObject(String id, String object, long bytes, @JsonProperty("created_at") long createdAt, String filename,
                      String purpose, String status, @JsonProperty("status_details") String statusDetails,
                      @JsonProperty("expires_at") Long expiresAt) {
    }

    record FileList(String object, List<FileObject> data, @JsonProperty("first_id") String firstId,
                    @JsonProperty("last_id") String lastId, @JsonProperty("has_more") boolean hasMore) {
    }

    record FileDeleted(String id, String object, boolean deleted) {
    }

    record RequestCounts(int total, int completed, int failed) {
    }

    /** OpenAI's batch usage: the tokens of the lines recorded so far. */
    record Usage(@JsonProperty("input_tokens") long inputTokens,
                 @JsonProperty("input_tokens_details") Map<String, Long> inputTokensDetails,
                 @JsonProperty("output_tokens") long outputTokens,
                 @JsonProperty("output_tokens_details") Map<String, Long> outputTokensDetails,
                 @JsonProperty("total_tokens") long totalTokens) {
    }

    record ErrorData(String code, String message, String param, Integer line) {
    }

    record Errors(String object, List<ErrorData> data) {
    }

    record BatchObject(String id, String object, String endpoint, Errors errors,
                       @JsonProperty("input_file_id") String inputFileId,
                       @JsonProperty("completion_window") String completionWindow, String status,
                       @JsonProperty("output_file_id") String outputFileId, @JsonProperty("error_file_id") String errorFileId,
                       @JsonProperty("created_at") long createdAt, @JsonProperty("in_progress_at") Long inProgressAt,
                       @JsonProperty("expires_at") Long expiresAt, @JsonProperty("finalizing_at") Long finalizingAt,
                       @JsonProperty("completed_at") Long completedAt, @JsonProperty("failed_at") Long failedAt,
                       @JsonProperty("expired_at") Long expiredAt, @JsonProperty("cancelling_at") Long cancellingAt,
                       @JsonProperty("cancelled_at") Long cancelledAt, @JsonProperty("request_counts") RequestCounts requestCounts,
                       Usage usage, Map<String, String> metadata) {
    }

    record BatchList(String object, List<BatchObject> data, @JsonProperty("first_id") String firstId,
                     @JsonProperty("last_id") String lastId, @JsonProperty("has_more") boolean hasMore) {
    }

    static FileObject file(BatchFile file) {
        return new FileObject(file.getId(), "file", file.getBytes(), file.getCreatedAt(), file.getFilename(), file.getPurpose(),
                "processed", null, null);
    }

    static FileList files(List<BatchFile> files, boolean hasMore) {
        List<FileObject> data = files.stream().map(BatchViews::file).toList();
        return new FileList("list", data, data.isEmpty() ? null : data.getFirst().id(), data.isEmpty() ? null : data.getLast().id(), hasMore);
    }

    static BatchObject batch(Batch b) {
        Errors errors = b.getErrorsCount() == 0 ? null : new Errors("list", b.getErrorsList().stream()
                .map(e -> new ErrorData(e.getCode(), e.getMessage(), e.getParam().isEmpty() ? null : e.getParam(),
                        e.getLine() == 0 ? null : e.getLine()))
                .toList());
        return new BatchObject(b.getId(), "batch", b.getEndpoint(), errors, b.getInputFileId(), b.getCompletionWindow(),
                status(b), orNull(b.getOutputFileId()), orNull(b.getErrorFileId()), b.getCreatedAt(), time(b.getInProgressAt()),
                time(b.getExpiresAt()), time(b.getFinalizingAt()), time(b.getCompletedAt()), time(b.getFailedAt()),
                time(b.getExpiredAt()), time(b.getCancellingAt()), time(b.getCancelledAt()),
                new RequestCounts(b.getTotal(), b.getCompleted(), b.getFailed()),
                new Usage(b.getInputTokens(), Map.of("cached_tokens", 0L), b.getOutputTokens(), Map.of("reasoning_tokens", 0L),
                        b.getInputTokens() + b.getOutputTokens()),
                metadata(b));
    }

    /** OpenAI's limit on a metadata value. */
    private static final int METADATA_VALUE_LENGTH = 512;

    /**
     * The caller's metadata, and once the batch has run or been planned its energy (issue 17): estimated and measured
     * joules, its tokens and its plan, under {@code energy_*} keys (they replace a caller's keys of the same names).
     * Metadata is where an OpenAI client shows what the platform adds: its values are strings.
     */
    static Map<String, String> metadata(Batch b) {
        boolean ran = b.getInputTokens() + b.getOutputTokens() > 0 || b.getEstimatedJoules() > 0 || b.getMeasuredJoules() > 0;
        if (!ran && b.getPlan().isEmpty()) {
            return b.getMetadataCount() == 0 ? null : b.getMetadataMap();
        }
        Map<String, String> metadata = new java.util.LinkedHashMap<>(b.getMetadataMap());
        metadata.put("energy_estimated_joules", String.format(Locale.ROOT, "%.1f", b.getEstimatedJoules()));
        metadata.put("energy_measured_joules", String.format(Locale.ROOT, "%.1f", b.getMeasuredJoules()));
        metadata.put("energy_tokens", Long.toString(b.getInputTokens() + b.getOutputTokens()));
        if (!b.getPlan().isEmpty()) {
            metadata.put("energy_plan", b.getPlan().length() <= METADATA_VALUE_LENGTH ? b.getPlan()
                    : b.getPlan().substring(0, METADATA_VALUE_LENGTH - 1) + "…");
        }
        return metadata;
    }

    static BatchList batches(List<Batch> batches, boolean hasMore) {
        List<BatchObject> data = batches.stream().map(BatchViews::batch).toList();
        return new BatchList("list", data, data.isEmpty() ? null : data.getFirst().id(), data.isEmpty() ? null : data.getLast().id(), hasMore);
    }

    /** validating, in_progress, ...: the enum's name without its prefix. */
    static String status(Batch b) {
        return b.getStatus().name().substring("BATCH_STATUS_".length()).toLowerCase(Locale.ROOT);
    }

    private static String orNull(String id) {
        return id.isEmpty() ? null : id;
    }

    private static Long time(long seconds) {
        return seconds == 0 ? null : seconds;
    }
}
