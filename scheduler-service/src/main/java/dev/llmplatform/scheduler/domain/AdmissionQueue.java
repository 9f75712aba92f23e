package dev.llmplatform.scheduler.domain;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The requests waiting for a worker slot: bounded, highest priority first, first come first served within a
 * priority. When full, a request of higher priority than the lowest waiting one takes that one's place (which is
 * handed back so that the caller can refuse it); otherwise the newcomer is refused. Never unbounded.
 */
public final class AdmissionQueue<T> {

    /** What became of an offered request. */
    public sealed interface Offer<T> {
        record Queued<T>() implements Offer<T> {
        }

        /** Queued, and {@code displaced}, of lower priority, was dropped to make room. */
        record QueuedDisplacing<T>(T displaced) implements Offer<T> {
        }

        record Full<T>() implements Offer<T> {
        }
    }

    private record Entry<T>(T item, int priority, long sequence) {
    }

    private final int capacity;
    private final TreeSet<Entry<T>> entries = new TreeSet<>(Comparator.<Entry<T>>comparingInt(e -> -e.priority())
            .thenComparingLong(Entry::sequence));
    private final Map<T, Entry<T>> byItem = new HashMap<>();
    private long sequence;

    public AdmissionQueue(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative");
        }
        this.capacity = capacity;
    }

    public synchronized Offer<T> offer(T item, int priority) {
        var entry = new Entry<>(item, priority, sequence++);
        if (entries.size() < capacity) {
            add(entry);
            return new Offer.Queued<>();
        }
        if (!entries.isEmpty() && entries.last().priority() < priority) {
            Entry<T> lowest = entries.pollLast();
            byItem.remove(lowest.item());
            add(entry);
            return new Offer.QueuedDisplacing<>(lowest.item());
        }
        return new Offer.Full<>();
    }

    /** The next request to place: highest priority, then oldest. */
    public synchronized Optional<T> poll() {
        Entry<T> first = entries.pollFirst();
        if (first == null) {
            return Optional.empty();
        }
        byItem.remove(first.item());
        return Optional.of(first.item());
    }

    /** The request {@link #poll()} would return, left in the queue. */
    public synchronized Optional<T> peek() {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.first().item());
    }

    /** Takes a request out (it gave up or timed out); false when it was no longer waiting. */
    public synchronized boolean remove(T item) {
        Entry<T> entry = byItem.remove(item);
        return entry != null && entries.remove(entry);
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized int size(int priority) {
        int n = 0;
        for (Entry<T> e : entries) {
            n += e.priority() == priority ? 1 : 0;
        }
        return n;
    }

    public int capacity() {
        return capacity;
    }

    private void add(Entry<T> entry) {
        entries.add(entry);
        byItem.put(entry.item(), entry);
    }
}
