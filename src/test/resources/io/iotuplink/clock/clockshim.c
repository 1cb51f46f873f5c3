/*
 * A wall clock the test steps: LD_PRELOAD'ed into the bundle's JVM, it adds the milliseconds written in the file
 * $CLOCK_SHIM_OFFSET_FILE (read again at most every 20 ms) to CLOCK_REALTIME, gettimeofday and time; monotonic
 * time (CLOCK_MONOTONIC, System.nanoTime) runs on untouched, as on a gateway whose clock NTP sets.
 * Compiled by SteppedClockTest with gcc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static long long offset_ms;
static long long read_at_ns = -1;

static long long offset(void) {
    struct timespec mono;
    real_clock_gettime(CLOCK_MONOTONIC, &mono);
    long long now = mono.tv_sec * 1000000000LL + mono.tv_nsec;
    long long last = __atomic_load_n(&read_at_ns, __ATOMIC_RELAXED);
    if (last < 0 || now - last > 20000000LL) {
        const char *path = getenv("CLOCK_SHIM_OFFSET_FILE");
        char buf[64];
        int fd = path ? open(path, O_RDONLY) : -1;
        if (fd >= 0) {
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0) {
                buf[n] = 0;
                __atomic_store_n(&offset_ms, strtoll(buf, NULL, 10), __ATOMIC_RELAXED);
            }
        }
        __atomic_store_n(&read_at_ns, now, __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&offset_ms, __ATOMIC_RELAXED);
}

int clock_gettime(clockid_t id, struct timespec *ts) {
    if (!real_clock_gettime) {
        real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    }
    int rc = real_clock_gettime(id, ts);
    if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
        long long ns = ts->tv_sec * 1000000000LL + ts->tv_nsec + offset() * 1000000LL;
        ts->tv_sec = ns / 1000000000LL;
        ts->tv_nsec = ns % 1000000000LL;
        if (ts->tv_nsec < 0) {
            ts->tv_nsec += 1000000000LL;
            ts->tv_sec -= 1;
        }
    }
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (tv) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return 0;
}

time_t time(time_t *t) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t) {
        *t = ts.tv_sec;
    }
    return ts.tv_sec;
}
