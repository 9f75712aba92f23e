package dev.llmplatform.scheduler.domain;

import java.util.Map;

/** Constructed workers for policy tests: an idle, available worker serving model "m" unless told otherwise. */
record Workers(String id, boolean available, double prefill, double decode, DeviceProfile profile, int slots, int maxWaiting,
               int running, int outstanding, long prefillLeft, long decodeLeft, String model) {

    static final DeviceProfile CPU = new DeviceProfile(65, 15, 1000, 100);    // 50 W dynamic
    static final DeviceProfile GPU = new DeviceProfile(350, 50, 10000, 1000); // 300 W dynamic

    static Workers worker(String id) {
        return new Workers(id, true, 1000, 100, CPU, 4, 1, 0, 0, 0, 0, "m");
    }

    Workers speed(double prefillTokensPerSecond, double decodeTokensPerSecond) {
        return new Workers(id, available, prefillTokensPerSecond, decodeTokensPerSecond, profile, slots, maxWaiting, running, outstanding, prefillLeft, decodeLeft, model);
    }

    Workers profile(DeviceProfile p) {
        return new Workers(id, available, prefill, decode, p, slots, maxWaiting, running, outstanding, prefillLeft, decodeLeft, model);
    }

    Workers slots(int s, int waiting) {
        return new Workers(id, available, prefill, decode, profile, s, waiting, running, outstanding, prefillLeft, decodeLeft, model);
    }

    /** This scheduler placed {@code requests} there, with that much prompt and output work left. */
    Workers busy(int requests, long promptTokensLeft, long outputTokensLeft) {
        return new Workers(id, available, prefill, decode, profile, slots, maxWaiting, Math.min(requests, slots), requests, promptTokensLeft, outputTokensLeft, model);
    }

    Workers down() {
        return new Workers(id, false, prefill, decode, profile, slots, maxWaiting, running, outstanding, prefillLeft, decodeLeft, model);
    }

    Workers serving(String otherModel) {
        return new Workers(id, available, prefill, decode, profile, slots, maxWaiting, running, outstanding, prefillLeft, decodeLeft, otherModel);
    }

    WorkerSnapshot snapshot() {
        return new WorkerSnapshot(id, "pool", available, Map.of(model, 512), running, Math.max(0, outstanding - slots), slots,
                maxWaiting, prefill, decode, 0, profile, outstanding, prefillLeft, decodeLeft);
    }
}
