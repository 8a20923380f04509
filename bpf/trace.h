/* Records and configuration shared by the eBPF tracer (trace.bpf.c), the addon
 * (addon/src/bpf/trace_session.cc) and, by layout, the TypeScript decoder
 * (src/observe/bpf-trace.ts). Plain fixed-width types only: this header is included both
 * by BPF C (after vmlinux.h) and by user-space C++ (after <linux/types.h>).
 *
 * Record layout in the ring buffer (little-endian, variable size):
 *
 *   struct sv_event              32 bytes, always
 *   __u64 args[6]                48 bytes, when flags & SV_EVF_ARGS
 *   struct sv_data data[2]        8 bytes, when SV_EVF_NDATA(flags) > 0 (always two slots)
 *   payload                      data[0].len bytes, then data[1].len bytes (no NUL, no padding)
 *
 * So a plain exit is 32 bytes, an enter without strings 80, an enter with strings 88 + lengths.
 */
#ifndef SYSVISOR_BPF_TRACE_H
#define SYSVISOR_BPF_TRACE_H

#include "../addon/src/contract.h" /* SV_MAX_SYSCALLS */

/* Event kinds (sv_event.kind). */
enum sv_kind {
	SV_EV_ENTER = 1,        /* syscall entry: nr, args, strings/buffers read at entry */
	SV_EV_EXIT = 2,         /* syscall exit: nr, ret (+ args and data when configured) */
	SV_EV_FORK = 3,         /* a traced task created a task: args[0] child tid, args[1] child tgid */
	SV_EV_EXEC = 4,         /* successful exec: ret = tid before exec, data[0] = filename */
	SV_EV_EXIT_THREAD = 5,  /* a task of a traced process died, others remain: ret = exit code */
	SV_EV_EXIT_PROCESS = 6, /* the last task of a traced process died: ret = exit code */
	SV_EV_SIGNAL = 7,       /* a signal for a task: ret = signal number, args = the first 48
				 * bytes of its siginfo (all 0 when the kernel passed none);
				 * nr 0: delivered (dequeued by the task, whatever its disposition),
				 * nr 1: discarded when sent because the task ignores it,
				 * nr 2: queued for the task (sent; see sv_signal_generate) */
};

/* sv_event.flags */
#define SV_EVF_NDATA_MASK 0x3          /* number of data items (0..2) */
#define SV_EVF_NDATA(f) ((f) & SV_EVF_NDATA_MASK)
#define SV_EVF_ARGS 0x4                /* args[6] follow the header */

/* Fixed header of every record. exit code (EXIT_*) is the kernel's task exit_code, i.e. a
 * wait status: (status << 8) for exit(status), or the signal number (| 0x80 on core dump). */
struct sv_event {
	__u16 size;   /* bytes of the whole record, header included */
	__u8 kind;    /* enum sv_kind */
	__u8 flags;   /* SV_EVF_* */
	__u32 tid;    /* kernel pid of the task */
	__u32 tgid;   /* kernel tgid (process id) */
	__s32 nr;     /* syscall number for ENTER/EXIT; SIGNAL: 0 delivered, 1 ignored, 2 queued;
		       * else -1 */
	__u64 ts_ns;  /* bpf_ktime_get_ns (CLOCK_MONOTONIC) */
	__s64 ret;    /* EXIT: return value; EXEC: old tid; EXIT_*: exit code; SIGNAL: signal
		       * number; else 0 */
};

/* sv_data.flags */
#define SV_DF_STR 0x1    /* a C string (len excludes the NUL) */
#define SV_DF_BUF 0x2    /* raw bytes of a buffer or struct */
#define SV_DF_TRUNC 0x4  /* C string did not fit: it is longer than len */
#define SV_DF_FAULT 0x8  /* reading user memory failed (bad pointer): len is 0 */
#define SV_DF_ARRAY 0x10 /* an array of C strings, each with its NUL (TRUNC: more follow) */

#define SV_ARG_NONE 0xff /* sv_data.arg for data that is no syscall argument (exec filename) */

struct sv_data {
	__u16 len;   /* payload bytes of this item */
	__u8 arg;    /* syscall argument index 0..5, or SV_ARG_NONE */
	__u8 flags;  /* SV_DF_* */
};

#define SV_HDR_BYTES 32
#define SV_ARGS_BYTES 48
#define SV_DATA_DESC_BYTES 8
#define SV_PAYLOAD_OFF (SV_HDR_BYTES + SV_ARGS_BYTES + SV_DATA_DESC_BYTES) /* 88 */

/* Largest single string/buffer item; the configurable limits (max_str, max_buf) are clamped to it. */
#define SV_DATA_CAP 4096
#define SV_MAX_RECORD (SV_PAYLOAD_OFF + 2 * SV_DATA_CAP)

/* Per-CPU counters of the program (the `counters` array map), summed by the addon. */
enum sv_counter {
	SV_CNT_DROPPED = 0,    /* records lost to a full ring buffer */
	SV_CNT_UNFOLLOWED = 1, /* children that could not be added to traced_tgids (map full) */
	SV_CNT_N = 2,
};

/* Per-syscall configuration word (value of the syscall_cfg array map, index = syscall number).
 * 0 means the syscall is not reported at all.
 *
 *   bit  0       emit ENTER
 *   bit  1       emit EXIT
 *   bit  2       EXIT carries args[6] (read back from the registers at exit)
 *   bits 3-5     exit data: argument index + 1 (0 = none), read only when ret >= 0
 *   bits 6-7     exit data mode: 0 bytes, length = ret (read-like, capped at max_buf)
 *                                1 C string (getcwd-like)
 *                                2 fixed-size struct, size = bits 24-31 * 8 bytes (fstat-like)
 *   bits 8-10    first argument that is a C string, read at ENTER: index + 1 (0 = none)
 *   bits 11-13   second one, likewise (a call with more C strings has its first two read)
 *   bit  14      ENTER carries no args (a syscall without arguments: getpid, getppid...)
 *   bit  15      execve-like: the argument after the first string argument is an array of C
 *                strings (argv), read at ENTER as one data item (SV_DF_ARRAY: the strings with
 *                their NULs, at most SV_ARGV_MAX of them), and the one after it (envp) is
 *                counted: the ENTER record's ret is its number of entries (-1: unreadable)
 *   bits 16-18   enter buffer: argument index + 1 (0 = none), e.g. write's buf
 *   bits 19-21   enter buffer length: argument index + 1 holding the length (capped at max_buf),
 *                or 7: a fixed-size struct of the size in bits 24-31 (shared with mode 2)
 *   bits 24-31   struct size / 8 (exit data modes 2 and 4, and/or an enter buffer of length 7)
 *   bit  22      high bit of the exit data mode (bits 6-7), for modes 4..7:
 *                3 directory entries: the number of struct linux_dirent64 in the ret bytes at
 *                  the argument, as one 4-byte item (getdents64)
 *                4 socket address with its length: at ENTER the int at the next argument (the
 *                  room given, as a 4-byte item of that argument); at EXIT the int there again
 *                  (the length the kernel wrote back), then at most the struct size of that
 *                  many bytes of the address, as one item: the 4-byte length, then the bytes
 *                5 an iovec array (readv): its count at the next argument; the item as for
 *                  SV_CFG_ENTER_IOV, the data cut at the return value (the bytes read)
 *                6 select's fd sets (select, pselect6; argument 0 is nfds), at ENTER as the enter
 *                  buffer too (bits 16-18 name the item's argument, bits 19-21 are 0): one item of a
 *                  4-byte mask (bit i: part i was read), then, for each of arguments 1-3 that is
 *                  not NULL, ceil(nfds / 64) * 8 bytes of its fd_set (at most SV_FDSET_MAX; zeros
 *                  where unread), then 16 bytes of the timeout at argument 4 when it is not NULL
 *                  (a timeval or a timespec); at ENTER of pselect6 with a sixth argument, then
 *                  its 16 bytes ({sigset pointer, size}, part 4) and the 8 bytes of the set it
 *                  points to (part 5); at EXIT the sets and timeout as the kernel left them
 *                7 a struct msghdr (recvmsg; the one at argument 1, whatever the item's argument),
 *                  as the kernel left it, its iovecs' data cut at the return value: one item of
 *                  the bytes of its name (2 bytes: n, at most SV_SOCKADDR_CAP), of its control
 *                  data (2 bytes: c, at most SV_CMSG_CAP), the 56 bytes of the msghdr, n bytes
 *                  of the name, c bytes of control data, then its iovecs as an iovec item (below)
 *   bit  23      the enter buffer is an iovec array (writev), its count at the length argument:
 *                one item of, per iovec (at most SV_IOV_MAX, while there is room), its iov_len
 *                (8 bytes), the number of its bytes that follow (4 bytes), and those bytes (at
 *                most max_buf); TRUNC: iovecs were left out
 *                With the length field at 7 (a struct): the enter buffer is a struct msghdr
 *                (sendmsg), one item as for exit mode 7 with all its data
 *   enter buffer argument 7 (bits 16-18): the signal mask of the rt_sigframe at the user stack
 *                pointer (rt_sigreturn), 8 bytes, as the item of argument 0
 *
 * At most two data items are recorded per event (strings first, then the buffer). An EXIT
 * carries the string arguments and the entry buffer again when their read at ENTER faulted (a
 * page not resident yet), then the exit data if there is room.
 */
#define SV_CFG_ENTER (1u << 0)
#define SV_CFG_EXIT (1u << 1)
#define SV_CFG_EXIT_ARGS (1u << 2)
#define SV_CFG_EXIT_DATA_SHIFT 3
#define SV_CFG_EXIT_MODE_SHIFT 6
#define SV_CFG_STR0_SHIFT 8
#define SV_CFG_STR1_SHIFT 11
#define SV_CFG_ENTER_NOARGS (1u << 14)
#define SV_CFG_ARGV (1u << 15)
#define SV_CFG_ENTER_BUF_SHIFT 16
#define SV_CFG_ENTER_BUF_LEN_SHIFT 19
#define SV_CFG_STRUCT_SHIFT 24
#define SV_CFG_MODE_BUF 0u    /* exit data modes (bits 6-7) */
#define SV_CFG_MODE_STR 1u
#define SV_CFG_MODE_STRUCT 2u
#define SV_CFG_MODE_DIRENTS 3u
#define SV_CFG_MODE_SOCKADDR 4u
#define SV_CFG_MODE_IOV 5u
#define SV_CFG_MODE_FDSETS 6u
#define SV_CFG_MODE_MSGHDR 7u
#define SV_MSGHDR_BYTES 56    /* struct msghdr (x86_64) */
#define SV_SOCKADDR_CAP 128   /* bytes of a msghdr's name read */
#define SV_CMSG_CAP 256       /* bytes of a msghdr's control data read */
#define SV_FDSET_MAX 128 /* bytes of an fd_set read (FD_SETSIZE: 1024 descriptors) */
#define SV_CFG_ENTER_IOV (1u << 23)
#define SV_IOV_MAX 32 /* iovecs read per call (strace prints as many, then ...) */
#define SV_CFG_EXIT_MODE_HI (1u << 22) /* bit 2 of the exit data mode */
#define SV_CFG_ENTER_BUF_SIGFRAME 7u   /* enter buffer "argument": the rt_sigframe's mask */
/* Offset of uc_sigmask in the rt_sigframe at the user stack pointer when rt_sigreturn enters
 * (x86_64: the frame's pretcode was popped by the return, so struct ucontext starts at sp;
 * uc_flags 8, uc_link 8, uc_stack 24, uc_mcontext 256). */
#define SV_SIGFRAME_MASK_OFF 296
#define SV_DIRENTS_MAX 65536 /* entries counted at most per getdents64 */
#define SV_CFG_LEN_STRUCT 7u  /* enter buffer length field: a fixed-size struct */
#define SV_CFG_STRUCT_MAX (0xff * 8) /* largest struct size (bits 24-31, in 8-byte words) */
#define SV_CFG_EXIT_DATA_ARG(i) ((((__u32)(i)) + 1) << SV_CFG_EXIT_DATA_SHIFT)
#define SV_CFG_EXIT_DATA_ARG_GET(c) ((((c) >> SV_CFG_EXIT_DATA_SHIFT) & 7))
#define SV_CFG_EXIT_MODE_BUF (SV_CFG_MODE_BUF << SV_CFG_EXIT_MODE_SHIFT)
#define SV_CFG_EXIT_MODE_STR (SV_CFG_MODE_STR << SV_CFG_EXIT_MODE_SHIFT)
#define SV_CFG_EXIT_MODE_STRUCT (SV_CFG_MODE_STRUCT << SV_CFG_EXIT_MODE_SHIFT)
#define SV_CFG_EXIT_MODE_GET(c) ((((c) >> SV_CFG_EXIT_MODE_SHIFT) & 3) | (((c) >> 20) & 4))
#define SV_CFG_STR0_ARG(i) ((((__u32)(i)) + 1) << SV_CFG_STR0_SHIFT)
#define SV_CFG_STR1_ARG(i) ((((__u32)(i)) + 1) << SV_CFG_STR1_SHIFT)
#define SV_CFG_STR0_GET(c) (((c) >> SV_CFG_STR0_SHIFT) & 7)
#define SV_CFG_STR1_GET(c) (((c) >> SV_CFG_STR1_SHIFT) & 7)
#define SV_ARGV_MAX 32
#define SV_ENVP_MAX 4096
#define SV_CFG_ENTER_BUF_ARG(i) ((((__u32)(i)) + 1) << SV_CFG_ENTER_BUF_SHIFT)
#define SV_CFG_ENTER_BUF_ARG_GET(c) (((c) >> SV_CFG_ENTER_BUF_SHIFT) & 7)
#define SV_CFG_ENTER_BUF_LEN_ARG(i) ((((__u32)(i)) + 1) << SV_CFG_ENTER_BUF_LEN_SHIFT)
#define SV_CFG_ENTER_BUF_LEN_ARG_GET(c) (((c) >> SV_CFG_ENTER_BUF_LEN_SHIFT) & 7)
#define SV_CFG_STRUCT_SIZE(bytes) ((((__u32)(bytes) + 7) / 8) << SV_CFG_STRUCT_SHIFT)
#define SV_CFG_STRUCT_SIZE_GET(c) ((((c) >> SV_CFG_STRUCT_SHIFT) & 0xff) * 8)

#endif /* SYSVISOR_BPF_TRACE_H */
