package io.iotuplink.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.Delayed;
import java.util.concurrent.Executors;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A scheduler run by hand in simulated time, with the {@link #clock()} that time shows: tests see every delay
 * asked for and run the schedule in milliseconds. Single-threaded: tasks run on the test's thread.
 */
public final class ManualScheduler extends AbstractExecutorService implements ScheduledExecutorService {

    private final Instant start = Instant.parse("2025-01-01T00:00:00Z");
    private final PriorityQueue<Task> queue = new PriorityQueue<>(
            Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.sequence));
    private final List<Duration> delays = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();
    private long now;
    private long sequence;
    private boolean shutdown;

    /** The simulated time: it moves only in {@link #advance}. */
    public Clock clock() {
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return start.plusMillis(now);
            }
        };
    }

    /** The simulated monotonic time in nanoseconds (a {@code System::nanoTime}): it moves only in {@link #advance}. */
    public long nanos() {
        return now * 1_000_000;
    }

    /** Every delay passed to {@code schedule}, in order (cancelled ones too). */
    public List<Duration> delays() {
        return List.copyOf(delays);
    }

    /** The delay from now to the next task that will run, or null when none is waiting. */
    public Duration nextDelay() {
        queue.removeIf(Task::isCancelled);
        return queue.isEmpty() ? null : Duration.ofMillis(queue.peek().due - now);
    }

    /** Runs what is due now, including what those tasks schedule at no delay. */
    public void runDue() {
        advance(Duration.ZERO);
    }

    /** Moves time forward by {@code step}, running each task at its due time; a task that threw fails the test. */
    public void advance(Duration step) {
        long until = now + step.toMillis();
        while (true) {
            queue.removeIf(Task::isCancelled);
            Task next = queue.peek();
            if (next == null || next.due > until) {
                break;
            }
            queue.poll();
            now = Math.max(now, next.due);
            next.run();
            if (!failures.isEmpty()) {
                throw new AssertionError("a scheduled task failed", failures.get(0));
            }
        }
        now = until;
    }

    /** Runs the next waiting task, however far ahead it is. */
    public void runNext() {
        Duration next = nextDelay();
        if (next == null) {
            throw new AssertionError("nothing is scheduled");
        }
        advance(next);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
        return schedule(Executors.callable(command), delay, unit);
    }

    @Override
    public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
        if (shutdown) {
            throw new RejectedExecutionException("the scheduler has been shut down");
        }
        long millis = unit.toMillis(delay);
        delays.add(Duration.ofMillis(millis));
        Task task = new Task(callable, now + Math.max(0, millis), sequence++);
        queue.add(task);
        @SuppressWarnings("unchecked")
        ScheduledFuture<V> future = (ScheduledFuture<V>) task;
        return future;
    }

    @Override
    public void execute(Runnable command) {
        if (shutdown) {
            throw new RejectedExecutionException("the scheduler has been shut down");
        }
        queue.add(new Task(Executors.callable(command), now, sequence++));
    }

    @Override
    public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
        throw new UnsupportedOperationException("not needed by the code under test");
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
        throw new UnsupportedOperationException("not needed by the code under test");
    }

    @Override
    public void shutdown() {
        shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
        shutdown = true;
        List<Runnable> waiting = new ArrayList<>(queue);
        queue.clear();
        return waiting;
    }

    @Override
    public boolean isShutdown() {
        return shutdown;
    }

    @Override
    public boolean isTerminated() {
        return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
        return true;
    }

    private final class Task extends FutureTask<Object> implements ScheduledFuture<Object> {
        final long due;
        final long sequence;

        @SuppressWarnings("unchecked")
        Task(Callable<?> callable, long due, long sequence) {
            super((Callable<Object>) callable);
            this.due = due;
            this.sequence = sequence;
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(due - now, TimeUnit.MILLISECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return Long.compare(getDelay(TimeUnit.MILLISECONDS), other.getDelay(TimeUnit.MILLISECONDS));
        }

        @Override
        protected void setException(Throwable failure) {
            super.setException(failure);
            failures.add(failure);
        }
    }
}
