/* fork + exec of echo, then vfork + exec of sh -c "exit 7". */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  pid_t p = fork();
  if (p == 0) { execl("/bin/echo", "echo", "child", (char *)NULL); _exit(127); }
  int st;
  waitpid(p, &st, 0);
  p = vfork();
  if (p == 0) { execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL); _exit(127); }
  waitpid(p, &st, 0);
  return WEXITSTATUS(st) == 7 ? 0 : 1;
}
