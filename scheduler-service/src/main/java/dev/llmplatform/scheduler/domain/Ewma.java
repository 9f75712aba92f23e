package dev.llmplatform.scheduler.domain;

/**
 * An exponentially weighted moving average, seeded with a declared value until samples arrive (or unseeded: the
 * first sample becomes the value). Thread-safe.
 */
public final class Ewma {

    private final double weight;
    private double value;
    private long samples;

    /** @param weight of each new sample, in (0, 1] */
    public Ewma(double seed, double weight) {
        if (weight <= 0 || weight > 1) {
            throw new IllegalArgumentException("weight must be in (0, 1]");
        }
        this.value = seed;
        this.weight = weight;
    }

    public static Ewma unseeded(double weight) {
        return new Ewma(Double.NaN, weight);
    }

    /** Non-positive and non-finite samples are no measurement and are ignored. */
    public synchronized void add(double sample) {
        if (Double.isFinite(sample) && sample > 0) {
            value = Double.isNaN(value) ? sample : value + weight * (sample - value);
            samples++;
        }
    }

    /** Whether any sample has arrived (before that the value is the seed). */
    public synchronized boolean sampled() {
        return samples > 0;
    }

    /** The smoothed value; the seed before any sample; NaN for an unseeded one without samples. */
    public synchronized double value() {
        return value;
    }
}
