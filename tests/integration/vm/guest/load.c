/* lwpvm-load: the workloads of the VM scenarios. Built static on the host (gcc -static -pthread), so the
 * same binary runs in the guest and in a container image holding nothing else.
 *
 *   lwpvm-load threads N [--once]   wants N threads besides the main one (N+1 tasks). Each round asks for
 *                                   every missing thread at once, as a worker pool does, so a round under a
 *                                   cap of C refuses N+1-C creations (pids.events counts each one). Without
 *                                   --once it retries the missing ones every second; with --once it makes
 *                                   one round and then waits (like a program that gave up), trying again
 *                                   only on SIGUSR1. When all N exist it sends READY=1 to $NOTIFY_SOCKET
 *                                   (Type=notify units; the main pid itself, as systemd requires).
 *   lwpvm-load forks N              wants N child processes (N+1 tasks), same rounds, retried every second.
 *
 * Prints one line per round that changed something, and "ready N" once everything exists. Never exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t again;
static void on_usr1(int s) { (void)s; again = 1; }
static void *idle(void *a) { (void)a; for (;;) pause(); return NULL; }

static void notify_ready(void) {
  const char *p = getenv("NOTIFY_SOCKET");
  if (!p || !*p) return;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  size_t n = strlen(p);
  if (n >= sizeof sa.sun_path) return;
  memcpy(sa.sun_path, p, n);
  if (sa.sun_path[0] == '@') sa.sun_path[0] = 0;   /* abstract socket */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  const char msg[] = "READY=1\nSTATUS=all threads up";
  if (sendto(fd, msg, sizeof msg - 1, 0, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
    perror("lwpvm-load: sd_notify");
  close(fd);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: lwpvm-load threads|forks N [--once]\n"); return 64; }
  int forks = strcmp(argv[1], "forks") == 0;
  long want = strtol(argv[2], NULL, 10), have = 0, refused = 0;
  int once = argc > 3 && strcmp(argv[3], "--once") == 0;
  sigset_t usr1, waitmask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  sigprocmask(SIG_BLOCK, &usr1, &waitmask);       /* delivered only inside sigsuspend: no lost wake-up */
  sigdelset(&waitmask, SIGUSR1);
  signal(SIGUSR1, on_usr1);
  signal(SIGCHLD, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);       /* memory is not what is being tested */
  for (int round = 1;; round++) {
    long got = 0, no = 0;
    int err = 0;
    while (have < want) {    /* one round: every missing task asked for, each refusal counted */
      int rc;
      if (forks) {
        pid_t c = fork();
        if (c == 0) { for (;;) pause(); }
        rc = c < 0 ? errno : 0;
      } else {
        pthread_t t;
        rc = pthread_create(&t, &attr, idle, NULL);
      }
      if (rc == 0) { have++; got++; }
      else { no++; err = rc; if (no >= want - have) break; }
    }
    refused += no;
    if (got || no)
      printf("round %d: %ld of %ld %s, %ld refused this round (%s), %ld refused in all\n", round, have, want,
             forks ? "children" : "threads", no, no ? strerror(err) : "-", refused);
    if (have >= want) break;
    if (once) { while (!again) sigsuspend(&waitmask); again = 0; }
    else sleep(1);
  }
  printf("ready %ld\n", want);
  notify_ready();
  for (;;) pause();
}
