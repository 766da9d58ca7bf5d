/* spawner: puts one real process with a few real threads into each of N pids cgroups.
 *
 *   spawner <base-dir> <n> <threads-per-process>
 *
 * For i in 1..n a child joins <base-dir>/z<i> (by writing its pid to cgroup.procs), then tries to
 * create threads-per-process - 1 extra threads (small stacks) and idles. A refused pthread_create
 * (EAGAIN from a pids cap) is expected in capped zones and counted. The parent prints
 * "ready processes=<n> threads=<ok> refused=<refused>" once every child has reported, then waits;
 * on SIGTERM/SIGINT (or any exit) it SIGKILLs its children by pid and reaps them. Children also carry
 * PR_SET_PDEATHSIG so nothing outlives a SIGKILLed parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static void child(const char *base, int i, int threads, int ready_fd, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    char path[4096], pid[32];
    snprintf(path, sizeof path, "%s/z%d/cgroup.procs", base, i);
    int fd = open(path, O_WRONLY);
    int len = snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (fd < 0 || write(fd, pid, len) != len) { perror(path); _exit(2); }
    close(fd);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    unsigned char ok = 0, refused = 0;
    for (int t = 1; t < threads; t++) {
        pthread_t th;
        if (pthread_create(&th, &attr, idle, NULL) == 0) ok++; else refused++;
    }
    unsigned char msg[2] = { ok, refused };
    if (write(ready_fd, msg, 2) != 2) _exit(3);
    close(ready_fd);
    for (;;) pause();
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s <base-dir> <n> <threads-per-process>\n", argv[0]); return 64; }
    const char *base = argv[1];
    int n = atoi(argv[2]), threads = atoi(argv[3]);
    if (n <= 0 || threads <= 0 || threads > 200) { fprintf(stderr, "bad n or threads\n"); return 64; }
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL); sigaction(SIGINT, &sa, NULL); sigaction(SIGHUP, &sa, NULL);
    int p[2];
    if (pipe(p) != 0) { perror("pipe"); return 1; }
    pid_t *kids = calloc((size_t)n, sizeof *kids);
    pid_t self = getpid();
    int started = 0, rc = 0;
    for (int i = 1; i <= n && !stop; i++) {
        pid_t c = fork();
        if (c < 0) { perror("fork"); rc = 1; break; }
        if (c == 0) { close(p[0]); child(base, i, threads, p[1], self); }
        kids[started++] = c;
    }
    close(p[1]);
    long ok = started, refused = 0; /* each process is itself one task */
    for (int got = 0; rc == 0 && got < started && !stop; ) {
        unsigned char msg[2];
        ssize_t r = read(p[0], msg, 2);
        if (r == 2) { ok += msg[0]; refused += msg[1]; got++; }
        else if (r == 0) { fprintf(stderr, "a child died before reporting\n"); rc = 1; }
        else if (errno != EINTR) { perror("read"); rc = 1; }
    }
    if (rc == 0 && !stop) {
        printf("ready processes=%d tasks=%ld refused=%ld\n", started, ok, refused);
        fflush(stdout);
        while (!stop) pause();
    }
    for (int i = 0; i < started; i++) kill(kids[i], SIGKILL);
    for (int i = 0; i < started; i++) while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR) {}
    return rc;
}
