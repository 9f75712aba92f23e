package dev.llmplatform.worker.core.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/**
 * A llama_batch from llama_batch_init: tokens of any number of sequences that one llama_decode call processes
 * together. Used by one thread only (the engine's decode loop).
 */
public final class LlamaBatch implements AutoCloseable {

    private final LlamaLibrary library;
    private final int capacity;
    private final MemorySegment batch;
    private final MemorySegment tokens;
    private final MemorySegment positions;
    private final MemorySegment seqIdCounts;
    private final MemorySegment seqIds;
    private final MemorySegment logits;
    private int size;

    LlamaBatch(LlamaLibrary library, Arena arena, int capacity) {
        this.library = library;
        this.capacity = capacity;
        try {
            batch = (MemorySegment) library.batchInit.invokeExact((SegmentAllocator) arena, capacity, 0, 1);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_batch_init failed: " + e, e);
        }
        tokens = field("token").reinterpret(JAVA_INT.byteSize() * capacity);
        positions = field("pos").reinterpret(JAVA_INT.byteSize() * capacity);
        seqIdCounts = field("n_seq_id").reinterpret(JAVA_INT.byteSize() * capacity);
        seqIds = field("seq_id").reinterpret(ADDRESS.byteSize() * capacity);
        logits = field("logits").reinterpret(capacity);
    }

    private MemorySegment field(String name) {
        return batch.get(ADDRESS, LlamaStructs.offset(LlamaStructs.BATCH, name));
    }

    /** Adds one token; returns its index in the batch, which is where its logits are when {@code output} is set. */
    public int add(int token, int position, int seqId, boolean output) {
        if (size == capacity) {
            throw new IllegalStateException("batch is full (" + capacity + " tokens)");
        }
        int i = size++;
        tokens.setAtIndex(JAVA_INT, i, token);
        positions.setAtIndex(JAVA_INT, i, position);
        seqIdCounts.setAtIndex(JAVA_INT, i, 1);
        seqIds.getAtIndex(ADDRESS, i).reinterpret(JAVA_INT.byteSize()).set(JAVA_INT, 0, seqId);
        logits.set(JAVA_BYTE, i, (byte) (output ? 1 : 0));
        return i;
    }

    public void clear() {
        size = 0;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    /** The struct, by value, with n_tokens set to what was added. */
    MemorySegment struct() {
        batch.set(JAVA_INT, LlamaStructs.offset(LlamaStructs.BATCH, "n_tokens"), size);
        return batch;
    }

    @Override
    public void close() {
        try {
            library.batchFree.invokeExact(batch);
        } catch (Throwable e) {
            throw new IllegalStateException("llama_batch_free failed: " + e, e);
        }
    }
}
