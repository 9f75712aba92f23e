package dev.llmplatform.scheduler.domain;

/**
 * What a worker's hardware is declared to do: its power draw and the speed the scheduler assumes until it has
 * measured the worker (the seeds of the smoothed speeds).
 *
 * @param loadWatts              power drawn while generating [W]
 * @param idleWatts              power drawn while idle [W]; the difference is what a request adds
 * @param prefillTokensPerSecond declared prompt-processing speed of one sequence [tokens/s]
 * @param decodeTokensPerSecond  declared generation speed of one sequence [tokens/s]
 */
public record DeviceProfile(double loadWatts, double idleWatts, double prefillTokensPerSecond, double decodeTokensPerSecond) {

    public DeviceProfile {
        if (loadWatts <= idleWatts || idleWatts < 0) {
            throw new IllegalArgumentException("a device profile needs 0 <= idle watts < load watts, got idle "
                    + idleWatts + " and load " + loadWatts);
        }
        if (prefillTokensPerSecond <= 0 || decodeTokensPerSecond <= 0) {
            throw new IllegalArgumentException("declared speeds must be positive");
        }
    }

    /** The power one more request adds while it runs [W]. */
    public double dynamicWatts() {
        return loadWatts - idleWatts;
    }
}
