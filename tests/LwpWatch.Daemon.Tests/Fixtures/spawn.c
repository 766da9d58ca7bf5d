/* Test helper: tries to create N threads, prints how many it got, then idles until killed.
   Used to put a real cgroup at its pids.max so the kernel refuses thread creation (EAGAIN). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100, ok = 0;
  for (int i = 0; i < n; i++) { pthread_t t; if (pthread_create(&t, 0, idle, 0) == 0) ok++; }
  printf("threads_created=%d of %d\n", ok, n);
  fflush(stdout);
  for (;;) pause();
}
