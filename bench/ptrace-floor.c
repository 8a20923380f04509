// ptrace-floor: a bare C ptrace supervisor, the floor the ptrace transport is compared against
// (as floor.c is for seccomp user notification).
//
//   ptrace-floor [--seccomp|--syscall-stops] [--syscall getppid|getpid|NR] [--] COMMAND [ARGS...]
//
// Forks; the parent attaches with PTRACE_SEIZE (TRACESYSGOOD, TRACECLONE, TRACEFORK, TRACEVFORK,
// TRACEEXEC, TRACESECCOMP, EXITKILL) before the child does anything but wait on a pipe, then:
// - --seccomp (default): the child installs a filter returning SECCOMP_RET_TRACE for one syscall
//   (getppid by default; architecture check, number compare, everything else allowed) and execs
//   COMMAND; the tracee runs under PTRACE_CONT and stops only at that syscall's seccomp stop, where
//   the parent skips the call (orig_rax = -1: kernel/seccomp.c skips a call whose number the tracer
//   made negative) with rax = the value (the child's real parent pid, i.e. ours).
// - --syscall-stops: no filter; the tracee runs under PTRACE_SYSCALL, so every syscall stops twice
//   (entry and exit, told apart by PTRACE_GET_SYSCALL_INFO); at the entry of the syscall the parent
//   skips it (orig_rax = -1) and at its exit stop sets rax to the value, as strace-style tracers do.
// Signal-delivery stops are re-injected, group-stops and other event stops resumed; the process's
// children are followed (TRACECLONE/FORK/VFORK) and answered alike.
// Exits with COMMAND's status (128+N when killed by signal N). One line on stderr:
//   ptrace-floor: mode=seccomp|syscall-stops stops=COUNT answered=COUNT
// (stops: every syscall stop handled; answered: calls of SYSCALL skipped with the value).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

// <sys/ptrace.h> would clash with <linux/ptrace.h>; the raw request is all this needs.
static long pt(long req, pid_t pid, void *addr, void *data) { return syscall(SYS_ptrace, req, pid, addr, data); }

static void die(const char *what) {
  fprintf(stderr, "ptrace-floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void usage(void) {
  fprintf(stderr, "usage: ptrace-floor [--seccomp|--syscall-stops] [--syscall getppid|getpid|NR] [--] COMMAND [ARGS...]\n");
  exit(2);
}

// Child: wait until seized, install the filter (seccomp mode), exec. Never returns.
static void child(int go, int nr, int use_filter, char **cmd) {
  char byte;
  ssize_t n;
  do n = read(go, &byte, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) _exit(1);  // the parent failed to attach and said why
  close(go);
  if (use_filter) {
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof insns / sizeof insns[0], insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("PR_SET_NO_NEW_PRIVS");
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) die("seccomp(RET_TRACE filter)");
  }
  execvp(cmd[0], cmd);
  int e = errno;
  fprintf(stderr, "ptrace-floor: %s: %s\n", cmd[0], strerror(e));
  _exit(e == ENOENT ? 127 : 126);
}

int main(int argc, char **argv) {
  int use_filter = 1, nr = SYS_getppid;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    } else if (strcmp(a, "--seccomp") == 0) {
      use_filter = 1;
    } else if (strcmp(a, "--syscall-stops") == 0) {
      use_filter = 0;
    } else if (strcmp(a, "--syscall") == 0 && i + 1 < argc) {
      const char *s = argv[++i];
      char *end;
      if (strcmp(s, "getppid") == 0) nr = SYS_getppid;
      else if (strcmp(s, "getpid") == 0) nr = SYS_getpid;
      else {
        long v = strtol(s, &end, 10);
        if (*s == '\0' || *end != '\0' || v < 0 || v > 1023) usage();
        nr = (int)v;
      }
    } else if (a[0] == '-') {
      usage();
    } else {
      break;
    }
  }
  if (i >= argc) usage();
  char **cmd = argv + i;

  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) die("pipe2");
  fflush(stderr);
  pid_t top = fork();
  if (top < 0) die("fork");
  if (top == 0) {
    close(go[1]);
    child(go[0], nr, use_filter, cmd);
  }
  close(go[0]);
  long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
              PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL;
  if (pt(PTRACE_SEIZE, top, 0, (void *)opts) != 0) die("PTRACE_SEIZE");
  if (write(go[1], "g", 1) != 1) die("write");
  close(go[1]);

  const long resume = use_filter ? PTRACE_CONT : PTRACE_SYSCALL;
  const long long value = getpid();  // what getppid really returns in the child
  unsigned long long stops = 0, answered = 0;
  int top_status = 0;
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) break;
      die("waitpid");
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (pid == top) top_status = st;
      continue;
    }
    if (!WIFSTOPPED(st)) continue;
    int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
    long inject = 0;
    if (event == PTRACE_EVENT_SECCOMP) {
      stops++;
      struct user_regs_struct r;
      if (pt(PTRACE_GETREGS, pid, 0, &r) != 0) die("PTRACE_GETREGS");
      if ((long long)r.orig_rax == nr) {
        r.orig_rax = (unsigned long long)-1;  // skip the call
        r.rax = (unsigned long long)value;
        if (pt(PTRACE_SETREGS, pid, 0, &r) != 0) die("PTRACE_SETREGS");
        answered++;
      }
    } else if (sig == (SIGTRAP | 0x80)) {
      // Syscall-entry or -exit stop (--syscall-stops).
      stops++;
      struct ptrace_syscall_info info;
      if (pt(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) <= 0) die("PTRACE_GET_SYSCALL_INFO");
      if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == (unsigned long long)nr) {
        struct user_regs_struct r;
        if (pt(PTRACE_GETREGS, pid, 0, &r) != 0) die("PTRACE_GETREGS");
        r.orig_rax = (unsigned long long)-1;  // skipped: the exit stop gets -ENOSYS, replaced below
        if (pt(PTRACE_SETREGS, pid, 0, &r) != 0) die("PTRACE_SETREGS");
      } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
        // A skipped call is one whose entry set orig_rax to -1: it is still -1 here.
        struct user_regs_struct r;
        if (pt(PTRACE_GETREGS, pid, 0, &r) != 0) die("PTRACE_GETREGS");
        if ((long long)r.orig_rax == -1) {
          r.rax = (unsigned long long)value;
          if (pt(PTRACE_SETREGS, pid, 0, &r) != 0) die("PTRACE_SETREGS");
          answered++;
        }
      }
    } else if (event != 0) {
      // Exec, clone/fork/vfork, group-stop (PTRACE_EVENT_STOP): resume without a signal. A
      // group-stop resumed with PTRACE_CONT is not kept (a real tracer uses PTRACE_LISTEN; the
      // floor's subjects never stop themselves).
    } else {
      inject = sig;  // signal-delivery stop: deliver it
    }
    if (pt(resume, pid, 0, (void *)inject) != 0 && errno != ESRCH) die("resume");
  }
  fprintf(stderr, "ptrace-floor: mode=%s stops=%llu answered=%llu\n", use_filter ? "seccomp" : "syscall-stops", stops, answered);
  if (WIFEXITED(top_status)) return WEXITSTATUS(top_status);
  return 128 + WTERMSIG(top_status);
}
