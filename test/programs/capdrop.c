/* Opens argv[1], drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its effective set (capset,
 * no exec), opens argv[2]: prints what it read or the error, for each. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static void try_open(const char* p) {
  int fd = open(p, O_RDONLY);
  if (fd < 0) { printf("%s: %s\n", p, strerror(errno)); return; }
  char b[64];
  ssize_t n = read(fd, b, sizeof b - 1);
  b[n > 0 ? n : 0] = 0;
  printf("%s: %s", p, b);
  close(fd);
}
int main(int argc, char** argv) {
  if (argc != 3) return 2;
  try_open(argv[1]);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d) != 0) return 1;
  d[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
  if (syscall(SYS_capset, &h, d) != 0) return 1;
  try_open(argv[2]);
  return 0;
}
