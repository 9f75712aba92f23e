package dev.llmplatform.scheduler.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Plans a batch of divisible work (tokens) over heterogeneous platforms, as in the design documents: platform i
 * processes P_i units per second and E_i units per joule; a task's work may be split across platforms, whose
 * parts run at the same time.
 *
 * <p>Makespan: no plan can finish before T* = ΣC / ΣP (all platforms busy until the end), and filling the
 * platforms fastest first up to P_i·T* each reaches it. Energy: every unit costs 1/E_i joules wherever it runs, so
 * the least energy within a deadline D fills the most efficient platforms first, each up to P_i·D.
 */
public final class BatchPlanner {

    /** A compute platform: a worker with its measured speed and efficiency. */
    public record Platform(String id, double unitsPerSecond, double unitsPerJoule) {
        public Platform {
            if (unitsPerSecond <= 0 || unitsPerJoule <= 0) {
                throw new IllegalArgumentException("speed and efficiency must be positive: " + id);
            }
        }
    }

    public record Task(String id, double units) {
        public Task {
            if (units < 0) {
                throw new IllegalArgumentException("negative work: " + id);
            }
        }
    }

    /** {@code units} of task {@code taskId} run on platform {@code platformId}. */
    public record Allocation(String taskId, String platformId, double units) {
    }

    /** A plan, its finish time (the busiest platform's) and its energy. */
    public record Plan(List<Allocation> allocations, double makespanSeconds, double joules) {
        public Plan {
            allocations = List.copyOf(allocations);
        }
    }

    /** The plan with the earliest finish of the last task. */
    public Plan minimiseMakespan(List<Task> tasks, List<Platform> platforms) {
        requirePlatforms(platforms);
        double total = tasks.stream().mapToDouble(Task::units).sum();
        double speed = platforms.stream().mapToDouble(Platform::unitsPerSecond).sum();
        double makespan = total / speed;
        return fill(tasks, platforms.stream().sorted(Comparator.comparingDouble(Platform::unitsPerSecond).reversed()).toList(),
                makespan);
    }

    /**
     * The plan with the least energy that still finishes by {@code deadlineSeconds}.
     *
     * @throws IllegalArgumentException when no plan can meet the deadline
     */
    public Plan minimiseEnergy(List<Task> tasks, List<Platform> platforms, double deadlineSeconds) {
        requirePlatforms(platforms);
        double total = tasks.stream().mapToDouble(Task::units).sum();
        double capacity = platforms.stream().mapToDouble(Platform::unitsPerSecond).sum() * deadlineSeconds;
        if (total > capacity * (1 + 1e-12)) {
            throw new IllegalArgumentException("%.1f units cannot finish within %.1f s; the earliest finish is %.1f s"
                    .formatted(total, deadlineSeconds, total / (capacity / deadlineSeconds)));
        }
        return fill(tasks, platforms.stream().sorted(Comparator.comparingDouble(Platform::unitsPerJoule).reversed()).toList(),
                deadlineSeconds);
    }

    /** Tasks largest first, poured into the platforms in the given order, each up to speed·horizon units. */
    private static Plan fill(List<Task> tasks, List<Platform> order, double horizonSeconds) {
        List<Allocation> allocations = new ArrayList<>();
        double[] used = new double[order.size()];
        int platform = 0;
        for (Task task : tasks.stream().sorted(Comparator.comparingDouble(Task::units).reversed()).toList()) {
            double left = task.units();
            while (left > 1e-9) {
                if (platform == order.size()) {
                    throw new IllegalStateException("capacity exhausted; the horizon is too short");
                }
                double room = order.get(platform).unitsPerSecond() * horizonSeconds - used[platform];
                if (room <= 1e-9) {
                    platform++;
                    continue;
                }
                double part = Math.min(left, room);
                allocations.add(new Allocation(task.id(), order.get(platform).id(), part));
                used[platform] += part;
                left -= part;
            }
        }
        double makespan = 0;
        double joules = 0;
        for (int i = 0; i < order.size(); i++) {
            makespan = Math.max(makespan, used[i] / order.get(i).unitsPerSecond());
            joules += used[i] / order.get(i).unitsPerJoule();
        }
        return new Plan(allocations, makespan, joules);
    }

    private static void requirePlatforms(List<Platform> platforms) {
        if (platforms.isEmpty()) {
            throw new IllegalArgumentException("no platforms to plan on");
        }
    }
}
