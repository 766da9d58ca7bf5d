/* Runs argv[1..] with PR_SET_MDWE(PR_MDWE_REFUSE_EXEC_GAIN) (Linux >= 6.3, inherited across execve): the
 * kernel's own form of systemd's MemoryDenyWriteExecute=yes. No mapping may be writable and executable, none
 * may become executable later. Exit 111 when the kernel lacks it. Source of the interface:
 * torvalds/linux include/uapi/linux/prctl.h (PR_SET_MDWE 65) and Documentation/userspace-api (prctl MDWE). */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>
#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif
int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: mdwe PROGRAM [ARG...]\n"); return 64; }
  if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0L, 0L, 0L) != 0) { perror("prctl(PR_SET_MDWE)"); return 111; }
  execv(argv[1], argv + 1);
  perror("execv");
  return 112;
}
