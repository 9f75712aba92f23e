package dev.llmplatform.worker.gpu.infra;

import dev.llmplatform.worker.gpu.config.GpuWorkerProperties;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/** Finds the NVIDIA GPUs of this machine through nvidia-smi (name, memory, utilisation, power draw). */
@Component
public class GpuProbe {

    /** One GPU as nvidia-smi reports it. */
    public record Gpu(int index, String name, long memoryTotalMib, long memoryUsedMib, double utilisationPercent, double powerWatts) {
    }

    /** The devices found, or why none could be found. */
    public sealed interface Discovery {
        record Found(List<Gpu> gpus) implements Discovery {
        }

        record NotFound(String reason) implements Discovery {
        }
    }

    private static final String QUERY = "--query-gpu=index,name,memory.total,memory.used,utilization.gpu,power.draw";

    private final GpuWorkerProperties properties;

    public GpuProbe(GpuWorkerProperties properties) {
        this.properties = properties;
    }

    public Discovery discover() {
        try {
            Process process = new ProcessBuilder(properties.nvidiaSmi(), QUERY, "--format=csv,noheader,nounits")
                    .redirectErrorStream(true).start();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Discovery.NotFound("nvidia-smi did not answer within 10 s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                return new Discovery.NotFound("nvidia-smi failed: " + output.strip());
            }
            List<Gpu> gpus = parse(output);
            return gpus.isEmpty() ? new Discovery.NotFound("nvidia-smi lists no GPU") : new Discovery.Found(gpus);
        } catch (IOException e) {
            return new Discovery.NotFound("no NVIDIA driver on this machine (worker.nvidia-smi not found)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Discovery.NotFound("interrupted while asking nvidia-smi");
        }
    }

    static List<Gpu> parse(String csv) {
        List<Gpu> gpus = new ArrayList<>();
        for (String line : csv.strip().split("\\R")) {
            String[] f = line.split(",\\s*");
            if (f.length < 6) {
                continue;
            }
            gpus.add(new Gpu(Integer.parseInt(f[0].strip()), f[1].strip(), number(f[2]), number(f[3]), decimal(f[4]), decimal(f[5])));
        }
        return gpus;
    }

    private static long number(String field) {
        return (long) decimal(field);
    }

    /** nvidia-smi prints "[N/A]" for what a device does not report. */
    private static double decimal(String field) {
        try {
            return Double.parseDouble(field.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
