package dev.llmplatform.scheduler.infra;

import dev.llmplatform.proto.v1.LoadReport;
import dev.llmplatform.proto.v1.LoadedModel;
import dev.llmplatform.scheduler.domain.DeviceProfile;
import dev.llmplatform.scheduler.domain.Ewma;
import dev.llmplatform.scheduler.domain.WorkerSnapshot;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.grpc.Channel;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One worker of the pool: its channel and breaker, its last load report and health, the speeds measured on its
 * streams, and the work placed on it that has not finished.
 */
public final class PooledWorker {

    private final String id;
    private final String pool;
    private final DeviceProfile profile;
    private final Channel channel;
    private final CircuitBreaker breaker;
    private final int queueAllowance;
    private final Ewma prefillTokensPerSecond;
    private final Ewma decodeTokensPerSecond;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicLong outstandingPrefillTokens = new AtomicLong();
    private final AtomicLong outstandingDecodeTokens = new AtomicLong();
    private volatile LoadReport report;
    private volatile int othersInFlight;
    private volatile Set<Long> cachedPrefixKeys = Set.of();
    private volatile Map<String, Integer> contextLengths = Map.of();
    private volatile boolean healthy;

    PooledWorker(String id, String pool, DeviceProfile profile, Channel channel, CircuitBreaker breaker,
                 int queueAllowance, double speedSmoothing) {
        this.id = id;
        this.pool = pool;
        this.profile = profile;
        this.channel = channel;
        this.breaker = breaker;
        this.queueAllowance = queueAllowance;
        this.prefillTokensPerSecond = new Ewma(profile.prefillTokensPerSecond(), speedSmoothing);
        this.decodeTokensPerSecond = new Ewma(profile.decodeTokensPerSecond(), speedSmoothing);
        this.report = LoadReport.newBuilder().setWorkerId(id).setNotReadyReason("no load report yet").build();
    }

    public String id() {
        return id;
    }

    public String pool() {
        return pool;
    }

    public DeviceProfile profile() {
        return profile;
    }

    public Channel channel() {
        return channel;
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    public LoadReport report() {
        return report;
    }

    void report(LoadReport latest) {
        this.othersInFlight = Math.max(0, latest.getRunning() + latest.getWaiting() - outstanding.get());
        if (!latest.getReady() && latest.getModelsCount() == 0 && report.getModelsCount() > 0) {
            // restarted and still loading, it lists no model yet: keep what it served, so that its models read as
            // "unavailable" (503, retry) rather than "unknown" (404) until it reports them again
            this.report = latest.toBuilder().addAllModels(report.getModelsList()).build();
            return;
        }
        Map<String, Integer> contexts = new HashMap<>();
        for (LoadedModel model : latest.getModelsList()) {
            contexts.putIfAbsent(model.getId(), model.getContextLength());
        }
        this.contextLengths = Map.copyOf(contexts);
        this.cachedPrefixKeys = new HashSet<>(latest.getCachedPrefixKeysList());
        this.report = latest;
    }

    /**
     * How many leading tokens of a prompt (given by its prefix keys) the worker's last report says its KV cache
     * holds: real data, where the affinity index only remembers where requests went. 0 when the worker reports
     * no keys or keys of another block size.
     */
    public int reportedCachedTokens(long[] promptKeys, int blockTokens) {
        if (report.getPrefixBlockTokens() != blockTokens) {
            return 0;
        }
        Set<Long> keys = cachedPrefixKeys;
        int blocks = 0;
        while (blocks < promptKeys.length && keys.contains(promptKeys[blocks])) {
            blocks++;
        }
        return blocks * blockTokens;
    }

    void lost(String reason) {
        // keep what it served, so that its models read as "unavailable", not "unknown"
        this.report = report.toBuilder().setReady(false).setRunning(0).setWaiting(0).setNotReadyReason(reason).build();
    }

    void healthy(boolean healthy) {
        this.healthy = healthy;
    }

    boolean healthy() {
        return healthy;
    }

    /** Ready by its load stream and its health check, and its breaker lets requests through. */
    public boolean available() {
        return report.getReady() && healthy && breaker.getState() == CircuitBreaker.State.CLOSED;
    }

    /**
     * Speeds, best source first: what this scheduler measured on the worker's streams; until it has, what the
     * worker measured itself (its load report); until then, the declared profile.
     */
    public double prefillTokensPerSecond() {
        return speed(prefillTokensPerSecond, report.getPrefillTokensPerSecond());
    }

    public double decodeTokensPerSecond() {
        return speed(decodeTokensPerSecond, report.getDecodeTokensPerSecond());
    }

    private static double speed(Ewma measuredHere, double reportedByWorker) {
        return !measuredHere.sampled() && reportedByWorker > 0 ? reportedByWorker : measuredHere.value();
    }

    /** A request's prompt took {@code nanos} from sending to its first token, with a slot free for it. */
    public void measuredPrefill(int promptTokens, long nanos) {
        if (promptTokens > 0 && nanos > 0) {
            prefillTokensPerSecond.add(promptTokens * 1e9 / nanos);
        }
    }

    /** A request streamed {@code tokens} tokens after its first in {@code nanos}. */
    public void measuredDecode(int tokens, long nanos) {
        if (tokens > 0 && nanos > 0) {
            decodeTokensPerSecond.add(tokens * 1e9 / nanos);
        }
    }

    void placed(int promptTokens, int expectedOutputTokens) {
        outstanding.incrementAndGet();
        outstandingPrefillTokens.addAndGet(promptTokens);
        outstandingDecodeTokens.addAndGet(expectedOutputTokens);
    }

    void prefilled(int promptTokens) {
        outstandingPrefillTokens.addAndGet(-promptTokens);
    }

    void decoded(int tokens) {
        outstandingDecodeTokens.addAndGet(-tokens);
    }

    void finished(int prefillLeft, int decodeLeft) {
        outstanding.decrementAndGet();
        outstandingPrefillTokens.addAndGet(-prefillLeft);
        outstandingDecodeTokens.addAndGet(-decodeLeft);
    }

    /**
     * The worker's sequences now: those this scheduler placed and has not seen finish, plus those its last report
     * showed beyond them (another scheduler's, a batch's or a direct caller's). Not the report as it stands: it is up
     * to a report interval old, and a slot this scheduler saw free would stay taken until the next one.
     */
    public WorkerSnapshot snapshot() {
        LoadReport r = report;
        int slots = Math.max(1, r.getSlots());
        int placedHere = outstanding.get();
        int sequences = placedHere + othersInFlight;
        int running = Math.min(slots, sequences);
        return new WorkerSnapshot(id, pool, available(), contextLengths, running, sequences - running, slots,
                Math.min(queueAllowance, r.getMaxWaiting() > 0 ? r.getMaxWaiting() : queueAllowance),
                prefillTokensPerSecond(), decodeTokensPerSecond(), r.getKvCacheUsage(), profile,
                placedHere, Math.max(0, outstandingPrefillTokens.get()), Math.max(0, outstandingDecodeTokens.get()));
    }
}
