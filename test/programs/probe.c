// Test tracee for the core suite: small, deterministic behaviours selected by argv[1].
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static long ppid(void) { return syscall(SYS_getppid); }
static void on_alarm(int sig) { (void)sig; }

// open PATH: prints the file's first line, or "errno N"
static int do_open(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("errno %d\n", errno); return 1; }
  char buf[256] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) { printf("read errno %d\n", errno); return 1; }
  char* nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  printf("fd %d content %s\n", fd, buf);
  close(fd);
  return 0;
}

static void* thread_calls(void* arg) {
  long n = (long)arg;
  for (long i = 0; i < n; i++) ppid();
  return NULL;
}

static int child_fn(void* arg) {
  for (int i = 0; i < 10; i++) ppid();
  return 0;
}

// tree: getppid 10 times in each of: the parent, a fork child, a vfork child (exec'd), a clone
// child, a thread, and an exec'd grandchild. Total 10 * 6 = 60.
static int do_tree(const char* self) {
  for (int i = 0; i < 10; i++) ppid();
  pid_t p = fork();
  if (p == 0) {
    for (int i = 0; i < 10; i++) ppid();
    // exec'd grandchild
    pid_t g = fork();
    if (g == 0) { execl(self, self, "calls", "10", (char*)NULL); _exit(127); }
    waitpid(g, NULL, 0);
    _exit(0);
  }
  waitpid(p, NULL, 0);
  p = vfork();
  if (p == 0) { execl(self, self, "calls", "10", (char*)NULL); _exit(127); }
  waitpid(p, NULL, 0);
  static char stack[65536];
  p = clone(child_fn, stack + sizeof stack, SIGCHLD, NULL);
  waitpid(p, NULL, 0);
  pthread_t t;
  pthread_create(&t, NULL, thread_calls, (void*)10L);
  pthread_join(t, NULL);
  printf("tree done\n");
  return 0;
}

// race: thread A makes one getppid (an engine stops it); thread B makes getuid calls until A is
// back. Prints "race ok" when A returned after B made calls.
static volatile int a_done = 0;
static void* race_a(void* arg) { ppid(); a_done = 1; return NULL; }
static int do_race(void) {
  pthread_t a;
  pthread_create(&a, NULL, race_a, NULL);
  long b_calls = 0;
  while (!a_done) { syscall(SYS_getuid); b_calls++; }
  pthread_join(a, NULL);
  printf("race ok b_calls>0=%d\n", b_calls > 0);
  return 0;
}

int main(int argc, char** argv) {
  // PROBE_OUT: write stdout to this file (lets in-process tests capture it without a shell).
  const char* out = getenv("PROBE_OUT");
  if (out && !freopen(out, "w", stdout)) return 3;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc < 2) { fprintf(stderr, "usage: probe CMD\n"); return 2; }
  const char* cmd = argv[1];
  if (!strcmp(cmd, "getppid")) { printf("%ld\n", ppid()); return 0; }
  if (!strcmp(cmd, "getppid-errno")) { long r = ppid(); printf("%ld %d\n", r, r < 0 ? errno : 0); return 0; }
  if (!strcmp(cmd, "calls")) { long n = atol(argv[2]); for (long i = 0; i < n; i++) ppid(); return 0; }
  if (!strcmp(cmd, "open")) return do_open(argv[2]);
  if (!strcmp(cmd, "threads")) {
    int n = atoi(argv[2]); long each = atol(argv[3]);
    pthread_t t[64];
    for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, thread_calls, (void*)each);
    for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
    printf("threads done\n");
    return 0;
  }
  if (!strcmp(cmd, "tree")) return do_tree(argv[0]);
  if (!strcmp(cmd, "race")) return do_race();
  if (!strcmp(cmd, "stat-under-signals")) {
    // stat in a loop while SIGALRM (handler without SA_RESTART) comes every 50 us: natively stat
    // never fails with EINTR. Prints how many did.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 50}, {0, 50}};
    setitimer(ITIMER_REAL, &it, NULL);
    long eintr = 0;
    struct stat st;
    for (int i = 0; i < 50000; i++)
      if (stat("/etc/hostname", &st) < 0 && errno == EINTR) eintr++;
    printf("eintr %ld\n", eintr);
    return 0;
  }
  if (!strcmp(cmd, "sleep-signal")) {
    // Waits for SIGTERM; its handler is exit(), so the status is 15.
    signal(SIGTERM, (void (*)(int))exit);
    printf("ready\n");  // SIGTERM -> exit(15)
    for (;;) pause();
  }
  fprintf(stderr, "probe: unknown command %s\n", cmd);
  return 2;
}
