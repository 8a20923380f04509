#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *dir = argv[1];
  char p[512], q[512], buf[256];
  if (chdir(dir) != 0) return 10;
  int fd = open("data.bin", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  static const char bin[] = "caf\303\251\0\1\0021\t\"\\zrest of the line that is long\n";
  write(fd, bin, sizeof bin - 1);
  close(fd);
  fd = openat(AT_FDCWD, "data.bin", O_RDONLY | O_NOFOLLOW);
  struct stat st;
  fstatat(fd, "", &st, AT_EMPTY_PATH);
  pread(fd, buf, 8, 2);
  lseek(fd, 3, SEEK_SET);
  read(fd, buf, sizeof buf);
  read(fd, buf, sizeof buf);
  close(fd);
  close(999);
  access("missing", F_OK);
  access(".", R_OK | W_OK);
  open("missing/x", O_RDONLY);
  mkdir("sub", 0750);
  symlink("data.bin", "link");
  readlink("link", buf, sizeof buf);
  rename("link", "link2");
  unlink("link2");
  rmdir("sub");
  getcwd(buf, sizeof buf);
  umask(027);
  int pfd[2];
  pipe2(pfd, O_CLOEXEC);
  dup3(pfd[1], 20, O_CLOEXEC);
  close(20);
  void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(m, 4096, PROT_READ);
  munmap(m, 8192);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, &old);
  kill(getpid(), 0);
  snprintf(p, sizeof p, "%s/data.bin", dir);
  snprintf(q, sizeof q, "%s/data2.bin", dir);
  renameat2(AT_FDCWD, p, AT_FDCWD, q, 0);
  unlinkat(AT_FDCWD, "data2.bin", 0);
  pid_t child = fork();
  if (child == 0) {
    write(1, "child\n", 6);
    _exit(3);
  }
  int status;
  wait4(child, &status, 0, NULL);
  return 0;
}
