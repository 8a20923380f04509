// Opens PATH through io_uring (IORING_OP_OPENAT) when io_uring_setup works, else falls back to
// openat(2), as libuv and other io_uring users do; prints how, and the file's first line or the
// errno's name.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int uring_open(int ring, const struct io_uring_params* p, const char* path) {
  size_t sq_len = p->sq_off.array + p->sq_entries * sizeof(unsigned);
  size_t cq_len = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
  char* sq = mmap(0, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
  char* cq = mmap(0, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
  struct io_uring_sqe* sqes = mmap(0, p->sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) return -errno;
  unsigned tail = *(unsigned*)(sq + p->sq_off.tail);
  unsigned idx = tail & *(unsigned*)(sq + p->sq_off.ring_mask);
  memset(&sqes[idx], 0, sizeof sqes[idx]);
  sqes[idx].opcode = IORING_OP_OPENAT;
  sqes[idx].fd = AT_FDCWD;
  sqes[idx].addr = (unsigned long)path;
  sqes[idx].open_flags = O_RDONLY;
  ((unsigned*)(sq + p->sq_off.array))[idx] = idx;
  __atomic_store_n((unsigned*)(sq + p->sq_off.tail), tail + 1, __ATOMIC_RELEASE);
  if (syscall(SYS_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -errno;
  unsigned head = __atomic_load_n((unsigned*)(cq + p->cq_off.head), __ATOMIC_ACQUIRE);
  struct io_uring_cqe* cqe = (struct io_uring_cqe*)(cq + p->cq_off.cqes) + (head & *(unsigned*)(cq + p->cq_off.ring_mask));
  return cqe->res;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  int ring = (int)syscall(SYS_io_uring_setup, 4, &p);
  int fd;
  if (ring >= 0) {
    printf("io_uring_setup: OK\n");
    fd = uring_open(ring, &p, argv[1]);
  } else {
    printf("io_uring_setup: %s, falling back\n", strerrorname_np(errno));
    fd = openat(AT_FDCWD, argv[1], O_RDONLY);
    if (fd < 0) fd = -errno;
  }
  if (fd < 0) {
    printf("open %s: %s\n", argv[1], strerrorname_np(-fd));
    return 1;
  }
  char buf[256] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  char* nl = n > 0 ? strchr(buf, '\n') : NULL;
  if (nl) *nl = 0;
  printf("open %s: %s\n", argv[1], n >= 0 ? buf : strerrorname_np(errno));
  return 0;
}
