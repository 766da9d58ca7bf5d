/* cgread: the syscall floor for one LwpWatch Linux poll, in C.
 *
 *   cgread <pids-hierarchy-dir> <proc-root> <iterations> [--abs]
 *   cgread <pids-hierarchy-dir> <proc-root> serve [--abs]
 *
 * serve: for each line "<n>" on stdin, run n timed passes and print one line
 * "zones=Z denials=D holders=H ms=t1,t2,... cpu_ms=<user+sys of the block>" (so a harness can interleave blocks of the C reader with
 * blocks of LwpWatch in one run on a noisy machine).
 *
 * One pass reads exactly what LwpWatch needs and nothing else: one getdents listing per cgroup
 * directory (which also says which pids.* files exist), open+read+close of pids.max, pids.current,
 * pids.events and pids.peak per cgroup, and the three host-limit files. Zones at >= 80 % of their cap
 * also get their holders read like LwpWatch does: cgroup.procs of the subtree, /proc/<pid>/stat and
 * /proc/<pid>/cmdline. Numbers are parsed and denials summed over each subtree (v1 semantics), so the
 * compiler cannot skip work. By default files are opened relative to the directory fd (openat), the
 * cheapest path walk; --abs opens absolute paths like most programs would.
 * Prints per-pass timings (median, min, p90) in ms and the zone count.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int use_abs;
static const char *proc_root;
static long zones, denials_sum, tasks_sum, holders;
static char buf[65536];

typedef struct { long max; long current; long peak; long events; int parent; int hierarchical; } node_t;
static node_t *nodes; static char **paths; static size_t n_nodes, cap_nodes;

static ssize_t read_small(int dirfd, const char *dirpath, const char *name) {
    int fd;
    if (use_abs) { char p[4096]; snprintf(p, sizeof p, "%s/%s", dirpath, name); fd = open(p, O_RDONLY | O_CLOEXEC); }
    else fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n >= 0) buf[n] = 0;
    return n;
}

static long parse_num(const char *s) { return (s[0] == 'm' && s[1] == 'a') ? -1 : strtol(s, NULL, 10); }
static long parse_events_max(const char *s) { const char *p = strstr(s, "max "); return p ? strtol(p + 4, NULL, 10) : 0; }

static void walk(const char *path, int parent) {
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    /* one getdents pass: subdirectories and which optional files exist */
    char dents[32768]; int has_peak = 0, has_local = 0, has_max = 0;
    /* subdirectory names, NUL-separated, in a buffer that grows (a parent can have tens of thousands) */
    size_t cap = 65536, used = 0; int nsub = 0; char *names = malloc(cap);
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, dents, sizeof dents);
        if (n <= 0) break;
        for (long off = 0; off < n; ) {
            struct dirent64 *d = (struct dirent64 *)(dents + off);
            off += d->d_reclen;
            if (d->d_type == DT_DIR && d->d_name[0] != '.') {
                size_t l = strlen(d->d_name) + 1;
                if (used + l > cap) { cap *= 2; names = realloc(names, cap); }
                memcpy(names + used, d->d_name, l); used += l; nsub++;
            } else if (d->d_type == DT_REG) {
                if (!strcmp(d->d_name, "pids.max")) has_max = 1;
                else if (!strcmp(d->d_name, "pids.peak")) has_peak = 1;
                else if (!strcmp(d->d_name, "pids.events.local")) has_local = 1;
            }
        }
    }
    int me = parent == -2 ? -1 : parent; /* below a non-pids directory, children hang off the nearest zone */
    if (parent != -2 && has_max) {
        node_t nd = { .parent = parent, .hierarchical = has_local, .peak = -1 };
        if (read_small(dfd, path, "pids.max") < 0) goto children;
        nd.max = parse_num(buf);
        if (read_small(dfd, path, "pids.current") < 0) goto done;
        nd.current = parse_num(buf);
        if (read_small(dfd, path, "pids.events") < 0) goto done;
        nd.events = parse_events_max(buf);
        if (has_peak && read_small(dfd, path, "pids.peak") >= 0) nd.peak = parse_num(buf);
        if (n_nodes == cap_nodes) { cap_nodes = cap_nodes ? cap_nodes * 2 : 1024; nodes = realloc(nodes, cap_nodes * sizeof *nodes); paths = realloc(paths, cap_nodes * sizeof *paths); }
        me = (int)n_nodes; nodes[n_nodes] = nd; paths[n_nodes] = strdup(path); n_nodes++;
    }
children:
    for (size_t off = 0; nsub > 0 && off < used; off += strlen(names + off) + 1) {
        char child[4096]; snprintf(child, sizeof child, "%s/%s", path, names + off);
        walk(child, me);
    }
done:
    free(names);
    close(dfd);
}

static void holders_of(const char *path, int depth) {
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    if (read_small(dfd, path, "cgroup.procs") > 0) {
        char procs[65536]; memcpy(procs, buf, sizeof procs);
        for (char *s = procs, *e; *s; s = e) {
            long pid = strtol(s, &e, 10);
            if (e == s) break;
            char p[256];
            snprintf(p, sizeof p, "%s/%ld/stat", proc_root, pid);
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            ssize_t n = read(fd, buf, sizeof buf - 1); close(fd);
            if (n <= 0) continue;
            buf[n] = 0;
            char *rp = strrchr(buf, ')');
            long threads = 0; int field = 2;
            for (char *q = rp ? rp + 1 : buf; *q && field < 20; q++) if (*q == ' ') { field++; if (field == 20) threads = strtol(q + 1, NULL, 10); }
            snprintf(p, sizeof p, "%s/%ld/cmdline", proc_root, pid);
            fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) { n = read(fd, buf, sizeof buf - 1); close(fd); }
            tasks_sum += threads; holders++;
        }
    }
    if (depth < 32) {
        char dents[32768];
        for (;;) {
            long n = syscall(SYS_getdents64, dfd, dents, sizeof dents);
            if (n <= 0) break;
            for (long off = 0; off < n; ) {
                struct dirent64 *d = (struct dirent64 *)(dents + off);
                off += d->d_reclen;
                if (d->d_type == DT_DIR && d->d_name[0] != '.') {
                    char child[4096]; snprintf(child, sizeof child, "%s/%s", path, d->d_name);
                    holders_of(child, depth + 1);
                }
            }
        }
    }
    close(dfd);
}

static long host_file(const char *rel) {
    char p[512]; snprintf(p, sizeof p, "%s%s", proc_root, rel);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1); close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return strtol(buf, NULL, 10);
}

static void pass(const char *hier) {
    for (size_t i = 0; i < n_nodes; i++) free(paths[i]);
    n_nodes = 0; zones = 0; denials_sum = 0; tasks_sum = 0; holders = 0;
    walk(hier, -2);
    /* LwpWatch's attribution (CgroupPidsCollector.AttributeDenials): v1 counts a refusal where the task
     * forked, so each is given to the nearest capped cgroup at or above; unlimited ones report their subtree. */
    long *subtree = calloc(n_nodes + 1, sizeof *subtree);
    long *attributed = calloc(n_nodes + 1, sizeof *attributed);
    long *children = calloc(n_nodes + 1, sizeof *children);
    for (size_t i = n_nodes; i-- > 0; ) {
        node_t *nd = &nodes[i];
        subtree[i] += nd->events;
        attributed[i] += nd->events;
        if (nd->parent >= 0) {
            subtree[nd->parent] += subtree[i];
            children[nd->parent] += nd->events;
            if (nd->max < 0) attributed[nd->parent] += attributed[i];
        }
    }
    for (size_t i = 0; i < n_nodes; i++) {
        node_t *nd = &nodes[i];
        long own = nd->events - children[i];
        zones++;
        denials_sum += nd->hierarchical ? (nd->max < 0 ? nd->events : (own > 0 ? own : 0))
                                        : (nd->max < 0 ? subtree[i] : attributed[i]);
        if (nd->max > 0 && (double)nd->current / (double)nd->max >= 0.8) holders_of(paths[i], 0);
    }
    free(attributed); free(children);
    free(subtree);
    host_file("/sys/kernel/threads-max");
    host_file("/sys/kernel/pid_max");
    host_file("/loadavg");
}

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s <pids-hierarchy-dir> <proc-root> <iterations> [--abs]\n", argv[0]); return 64; }
    proc_root = argv[2];
    use_abs = argc > 4 && !strcmp(argv[4], "--abs");
    if (!strcmp(argv[3], "serve")) {
        char line[64];
        pass(argv[1]);
        while (fgets(line, sizeof line, stdin)) {
            int n = atoi(line);
            if (n < 1) n = 1;
            struct rusage r0, r1;
            getrusage(RUSAGE_SELF, &r0);
            printf("zones=%ld denials=%ld holders=%ld ms=", zones, denials_sum, holders);
            for (int i = 0; i < n; i++) {
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                pass(argv[1]);
                clock_gettime(CLOCK_MONOTONIC, &b);
                printf(i ? ",%.4f" : "%.4f", (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
            }
            getrusage(RUSAGE_SELF, &r1);
            printf(" cpu_ms=%.3f\n",
                   (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1e3 +
                   (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e3);
            fflush(stdout);
        }
        return 0;
    }
    int iters = atoi(argv[3]);
    if (iters < 1) iters = 1;
    double *ms = malloc(sizeof(double) * (size_t)iters);
    pass(argv[1]); /* warm the dentry cache like LwpWatch's warm-up does */
    for (int i = 0; i < iters; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        pass(argv[1]);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
    }
    qsort(ms, (size_t)iters, sizeof *ms, cmp);
    printf("c-reader%s zones=%ld denials=%ld holders=%ld iterations=%d median_ms=%.3f min_ms=%.3f p90_ms=%.3f\n",
           use_abs ? "-abs" : "", zones, denials_sum, holders, iters, ms[iters / 2], ms[0], ms[(int)(iters * 0.9)]);
    return 0;
}
