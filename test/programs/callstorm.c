/* callstorm THREADS SAMPLES: THREADS threads make getppid calls without pause (the agent always has
 * one waiting) while the main thread, after a warm-up of 2000 of them, makes SAMPLES getpgid(0)
 * calls one after the other and prints what each returned (a test engine answers it with a count),
 * one per line, then "calls N" (the getppid calls made). Static: it runs in a container's rootfs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int stop;
static long calls;

static void *storm(void *arg) {
  (void)arg;
  while (!stop) {
    syscall(SYS_getppid);
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int threads = atoi(argv[1]), samples = atoi(argv[2]);
  if (threads < 1 || threads > 256 || samples < 1) return 2;
  pthread_t t[256];
  for (int i = 0; i < threads; i++)
    if (pthread_create(&t[i], NULL, storm, NULL) != 0) return 3;
  while (__atomic_load_n(&calls, __ATOMIC_RELAXED) < 2000) sched_yield();
  for (int i = 0; i < samples; i++) printf("%ld\n", syscall(SYS_getpgid, 0));
  stop = 1;
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  printf("calls %ld\n", calls);
  return 0;
}
