package dev.llmplatform.worker.core.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * llama.cpp's C API (llama.h and the few ggml-backend.h calls it needs), bound by hand through java.lang.foreign.
 * Loads libllama from one folder, then every ggml back end found there: the CUDA one where the CUDA runtime and a
 * driver are present, and always the best CPU variant for this processor. On a machine without CUDA the CUDA
 * back end fails to load and llama.cpp runs the same code path on the CPU back end, which is how the tests run.
 *
 * <p>ggml keeps its back-end registry in process-wide state, so there is one instance per process and folder.
 */
public final class LlamaLibrary {

    private static final Logger log = LoggerFactory.getLogger(LlamaLibrary.class);
    private static final Linker LINKER = Linker.nativeLinker();

    /** enum ggml_backend_dev_type */
    public static final int DEVICE_TYPE_CPU = 0;
    public static final int DEVICE_TYPE_GPU = 1;

    /** One compute device that ggml registered: its type says whether it is a GPU. */
    public record Device(String name, String description, int type, long memoryFreeBytes, long memoryTotalBytes) {
        public boolean isGpu() {
            return type == DEVICE_TYPE_GPU;
        }
    }

    private static volatile LlamaLibrary loaded;
    /** Hears llama.cpp's log lines written on this thread (the quantizer reports each tensor it converts this way). */
    private static final ThreadLocal<java.util.function.Consumer<String>> LOG_LISTENER = new ThreadLocal<>();

    private final Path directory;
    private final SymbolLookup symbols;

    // llama.h
    final MethodHandle backendInit;
    final MethodHandle modelDefaultParams;
    final MethodHandle contextDefaultParams;
    final MethodHandle samplerChainDefaultParams;
    final MethodHandle modelLoadFromFile;
    final MethodHandle modelFree;
    final MethodHandle modelGetVocab;
    final MethodHandle modelSize;
    final MethodHandle modelNLayer;
    final MethodHandle initFromModel;
    final MethodHandle free;
    final MethodHandle nCtx;
    final MethodHandle getMemory;
    final MethodHandle memorySeqRm;
    final MethodHandle stateSeqGetSize;
    final MethodHandle stateSeqGetData;
    final MethodHandle stateSeqSetData;
    final MethodHandle batchInit;
    final MethodHandle batchFree;
    final MethodHandle decode;
    final MethodHandle getLogitsIth;
    final MethodHandle vocabNTokens;
    final MethodHandle vocabIsEog;
    final MethodHandle vocabEos;
    final MethodHandle tokenToPiece;
    final MethodHandle tokenize;
    final MethodHandle samplerChainInit;
    final MethodHandle samplerChainAdd;
    final MethodHandle samplerInitGreedy;
    final MethodHandle samplerInitDist;
    final MethodHandle samplerInitTopK;
    final MethodHandle samplerInitTopP;
    final MethodHandle samplerInitTemp;
    final MethodHandle samplerInitPenalties;
    final MethodHandle samplerInitMinP;
    final MethodHandle samplerInitLogitBias;
    final MethodHandle samplerInitGrammar;
    final MethodHandle samplerSample;
    final MethodHandle samplerAccept;
    final MethodHandle samplerChainN;
    final MethodHandle samplerChainRemove;
    final MethodHandle samplerFree;
    final MethodHandle logSet;
    final MethodHandle printSystemInfo;
    final MethodHandle modelQuantizeDefaultParams;
    final MethodHandle modelQuantize;
    final MethodHandle modelFtype;
    // ggml-backend.h
    private final MethodHandle loadAllFromPath;
    private final MethodHandle devCount;
    private final MethodHandle devGet;
    private final MethodHandle devName;
    private final MethodHandle devDescription;
    private final MethodHandle devType;
    private final MethodHandle devMemory;
    // libc
    private final MethodHandle mallocTrim;

    /** Loads the library in {@code directory} once per process; later calls must name the same folder. */
    public static synchronized LlamaLibrary load(Path directory) {
        Path dir = directory.toAbsolutePath().normalize();
        if (loaded != null) {
            if (!loaded.directory.equals(dir)) {
                throw new IllegalStateException("llama.cpp is already loaded from " + loaded.directory + ", not " + dir);
            }
            return loaded;
        }
        loaded = new LlamaLibrary(dir);
        return loaded;
    }

    private LlamaLibrary(Path directory) {
        this.directory = directory;
        Path llama = single(directory, "libllama.");
        Path ggml = single(directory, "libggml.");
        Path ggmlBase = directory.resolve("libggml-base.so");
        // RUNPATH $ORIGIN lets libllama find its ggml libraries in the same folder
        symbols = SymbolLookup.libraryLookup(llama, Arena.global())
                .or(SymbolLookup.libraryLookup(ggml, Arena.global()))
                .or(SymbolLookup.libraryLookup(ggmlBase, Arena.global()));

        backendInit = handle("llama_backend_init", FunctionDescriptor.ofVoid());
        modelDefaultParams = handle("llama_model_default_params", FunctionDescriptor.of(LlamaStructs.MODEL_PARAMS));
        contextDefaultParams = handle("llama_context_default_params", FunctionDescriptor.of(LlamaStructs.CONTEXT_PARAMS));
        samplerChainDefaultParams = handle("llama_sampler_chain_default_params", FunctionDescriptor.of(LlamaStructs.SAMPLER_CHAIN_PARAMS));
        modelLoadFromFile = handle("llama_model_load_from_file", FunctionDescriptor.of(ADDRESS, ADDRESS, LlamaStructs.MODEL_PARAMS));
        modelFree = handle("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
        modelGetVocab = handle("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
        modelSize = handle("llama_model_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        modelNLayer = handle("llama_model_n_layer", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        initFromModel = handle("llama_init_from_model", FunctionDescriptor.of(ADDRESS, ADDRESS, LlamaStructs.CONTEXT_PARAMS));
        free = handle("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
        nCtx = handle("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getMemory = handle("llama_get_memory", FunctionDescriptor.of(ADDRESS, ADDRESS));
        memorySeqRm = handle("llama_memory_seq_rm", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
        stateSeqGetSize = handle("llama_state_seq_get_size_ext", FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT));
        stateSeqGetData = handle("llama_state_seq_get_data_ext",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));
        stateSeqSetData = handle("llama_state_seq_set_data_ext",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));
        batchInit = handle("llama_batch_init", FunctionDescriptor.of(LlamaStructs.BATCH, JAVA_INT, JAVA_INT, JAVA_INT));
        batchFree = handle("llama_batch_free", FunctionDescriptor.ofVoid(LlamaStructs.BATCH));
        decode = handle("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, LlamaStructs.BATCH));
        getLogitsIth = handle("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        vocabNTokens = handle("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        vocabIsEog = handle("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT));
        vocabEos = handle("llama_vocab_eos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        tokenToPiece = handle("llama_token_to_piece",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));
        tokenize = handle("llama_tokenize",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_BOOLEAN, JAVA_BOOLEAN));
        samplerChainInit = handle("llama_sampler_chain_init", FunctionDescriptor.of(ADDRESS, LlamaStructs.SAMPLER_CHAIN_PARAMS));
        samplerChainAdd = handle("llama_sampler_chain_add", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        samplerInitGreedy = handle("llama_sampler_init_greedy", FunctionDescriptor.of(ADDRESS));
        samplerInitDist = handle("llama_sampler_init_dist", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        samplerInitTopK = handle("llama_sampler_init_top_k", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        samplerInitTopP = handle("llama_sampler_init_top_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
        samplerInitTemp = handle("llama_sampler_init_temp", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT));
        samplerInitPenalties = handle("llama_sampler_init_penalties",
                FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT));
        samplerInitMinP = handle("llama_sampler_init_min_p", FunctionDescriptor.of(ADDRESS, JAVA_FLOAT, JAVA_LONG));
        samplerInitLogitBias = handle("llama_sampler_init_logit_bias", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        samplerInitGrammar = handle("llama_sampler_init_grammar", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        samplerSample = handle("llama_sampler_sample", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        samplerFree = handle("llama_sampler_free", FunctionDescriptor.ofVoid(ADDRESS));
        samplerAccept = handle("llama_sampler_accept", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        samplerChainN = handle("llama_sampler_chain_n", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        samplerChainRemove = handle("llama_sampler_chain_remove", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        logSet = handle("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
        printSystemInfo = handle("llama_print_system_info", FunctionDescriptor.of(ADDRESS));
        modelQuantizeDefaultParams = handle("llama_model_quantize_default_params", FunctionDescriptor.of(LlamaStructs.QUANTIZE_PARAMS));
        modelQuantize = handle("llama_model_quantize", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        modelFtype = handle("llama_model_ftype", FunctionDescriptor.of(JAVA_INT, ADDRESS));

        loadAllFromPath = handle("ggml_backend_load_all_from_path", FunctionDescriptor.ofVoid(ADDRESS));
        devCount = handle("ggml_backend_dev_count", FunctionDescriptor.of(JAVA_LONG));
        devGet = handle("ggml_backend_dev_get", FunctionDescriptor.of(ADDRESS, JAVA_LONG));
        devName = handle("ggml_backend_dev_name", FunctionDescriptor.of(ADDRESS, ADDRESS));
        devDescription = handle("ggml_backend_dev_description", FunctionDescriptor.of(ADDRESS, ADDRESS));
        devType = handle("ggml_backend_dev_type", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        devMemory = handle("ggml_backend_dev_memory", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, ADDRESS));

        mallocTrim = LINKER.defaultLookup().find("malloc_trim")
                .map(symbol -> LINKER.downcallHandle(symbol, FunctionDescriptor.of(JAVA_INT, JAVA_LONG)))
                .orElse(null);

        try (Arena arena = Arena.ofConfined()) {
            logSet.invokeExact(logCallback(), MemorySegment.NULL);
            loadAllFromPath.invokeExact(arena.allocateFrom(directory.toString()));
            backendInit.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException("cannot initialise llama.cpp from " + directory + ": " + e, e);
        }
        log.info("llama.cpp loaded from {}; devices: {}", directory, devices());
    }

    /**
     * glibc keeps freed heap memory for reuse (its mmap threshold rises to the size of the last large block freed,
     * so a KV cache's next allocation comes from the heap); after an unload the worker hands it back to the system,
     * so that RSS returns to where it was. A no-op where there is no malloc_trim (not glibc).
     */
    void releaseFreedMemory() {
        if (mallocTrim != null) {
            try {
                int ignored = (int) mallocTrim.invokeExact(0L);
            } catch (Throwable e) {
                log.debug("malloc_trim failed: {}", e.toString());
            }
        }
    }

    /** Runs {@code work} with {@code listener} hearing the log lines llama.cpp writes on this thread meanwhile. */
    static void withLogListener(java.util.function.Consumer<String> listener, Runnable work) {
        LOG_LISTENER.set(listener);
        try {
            work.run();
        } finally {
            LOG_LISTENER.remove();
        }
    }

    public Path directory() {
        return directory;
    }

    /** The devices ggml registered, GPUs first when their back end loaded. */
    public List<Device> devices() {
        try (Arena arena = Arena.ofConfined()) {
            List<Device> devices = new ArrayList<>();
            long count = (long) devCount.invokeExact();
            for (long i = 0; i < count; i++) {
                MemorySegment device = (MemorySegment) devGet.invokeExact(i);
                MemorySegment free = arena.allocate(JAVA_LONG);
                MemorySegment total = arena.allocate(JAVA_LONG);
                devMemory.invokeExact(device, free, total);
                devices.add(new Device(string((MemorySegment) devName.invokeExact(device)),
                        string((MemorySegment) devDescription.invokeExact(device)), (int) devType.invokeExact(device),
                        free.get(JAVA_LONG, 0), total.get(JAVA_LONG, 0)));
            }
            return devices;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot list ggml devices: " + e, e);
        }
    }

    public boolean hasGpu() {
        return devices().stream().anyMatch(Device::isGpu);
    }

    public String systemInfo() {
        try {
            return string((MemorySegment) printSystemInfo.invokeExact());
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? "" : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }

    private MethodHandle handle(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = symbols.find(name)
                .orElseThrow(() -> new IllegalStateException("llama.cpp in " + directory + " has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    private static Path single(Path directory, String prefix) {
        try (var files = Files.list(directory)) {
            return files.filter(f -> f.getFileName().toString().startsWith(prefix) && f.getFileName().toString().endsWith(".so"))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("no " + prefix + "*.so in " + directory
                            + " (run tools/llama/fetch-llama.sh with the worker's lock file)"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + directory + ": " + e.getMessage(), e);
        }
    }

    /** llama.cpp and ggml log through this; their messages go to our log (info and above only when they matter). */
    private static MemorySegment logCallback() {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(LlamaLibrary.class, "onLog",
                    MethodType.methodType(void.class, int.class, MemorySegment.class, MemorySegment.class));
            return LINKER.upcallStub(target, FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** enum ggml_log_level: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 cont. Never throws: this runs inside C code. */
    @SuppressWarnings("unused")
    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String message = string(text).strip();
            if (message.isEmpty()) {
                return;
            }
            var listener = LOG_LISTENER.get();
            if (listener != null) {
                listener.accept(message);
            }
            switch (level) {
                case 4 -> log.warn("llama.cpp: {}", message);
                case 3 -> log.info("llama.cpp: {}", message);
                default -> log.debug("llama.cpp: {}", message);
            }
        } catch (Throwable ignored) {
            // a log line is never worth a crash
        }
    }
}
