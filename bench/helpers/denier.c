/* denier: joins a pids cgroup, then creates threads until the cap refuses one, and says when.
 *
 *   denier <cgroup-dir> <max-threads>
 *
 * Prints "first_denied_unix_ms=<CLOCK_REALTIME ms just before the refused pthread_create returned>
 * created=<n>" (or "first_denied_unix_ms=none" if the cap never refused), then idles until killed, so the
 * cgroup stays at its cap while LwpWatch notices.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *idle(void *a) { (void)a; for (;;) pause(); return NULL; }

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s <cgroup-dir> <max-threads>\n", argv[0]); return 64; }
    char path[4096], pid[32];
    snprintf(path, sizeof path, "%s/cgroup.procs", argv[1]);
    int fd = open(path, O_WRONLY);
    int len = snprintf(pid, sizeof pid, "%d", (int)getpid());
    if (fd < 0 || write(fd, pid, len) != len) { perror(path); return 1; }
    close(fd);
    pthread_attr_t attr; pthread_attr_init(&attr); pthread_attr_setstacksize(&attr, 64 * 1024);
    int max = atoi(argv[2]), created = 0;
    for (int i = 0; i < max; i++) {
        pthread_t t;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int rc = pthread_create(&t, &attr, idle, NULL);
        if (rc != 0) {
            printf("first_denied_unix_ms=%lld created=%d err=%s\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, created, strerror(rc));
            fflush(stdout);
            for (;;) pause();
        }
        created++;
    }
    printf("first_denied_unix_ms=none created=%d\n", created);
    fflush(stdout);
    for (;;) pause();
}
