/* Maps shared by the in-kernel syscall counter (count.bpf.c) and the addon
 * (addon/src/bpf/count_session.cc). Plain fixed-width types only: this header is included both
 * by BPF C (after vmlinux.h) and by user-space C++ (after <linux/types.h>).
 *
 * Maps:
 *   traced_tgids  hash   tgid -> SVC_*      processes counted (children added in the kernel)
 *   wanted        array  nr -> 1            syscall numbers counted (0: ignored)
 *   inflight      lru    tid -> svc_entry   the counted call a thread is in (set at sys_enter;
 *                                           nr -1 once it exited)
 *   stats         percpu array nr -> svc_stat   sums, one slot per CPU (user space adds them)
 */
#ifndef SYSVISOR_BPF_COUNT_H
#define SYSVISOR_BPF_COUNT_H

#include "../addon/src/contract.h" /* SV_MAX_SYSCALLS */

/* traced_tgids values. */
#define SVC_COUNTED 1   /* counted */
#define SVC_FROM_EXEC 2 /* held before exec: counted from its execve on (as strace sees a command) */

/* The call a thread is in, recorded at sys_enter. */
struct svc_entry {
	__s64 nr;    /* syscall number; -1: the call has exited */
	__u64 ts_ns; /* bpf_ktime_get_ns at sys_enter */
};

/* Sums for one syscall number on one CPU: calls the kernel ran (entered and exited), those that
 * returned an error (ret in [-4095, -1]) and the nanoseconds from sys_enter to sys_exit. */
struct svc_stat {
	__u64 calls;
	__u64 errors;
	__u64 ns;
};

#endif /* SYSVISOR_BPF_COUNT_H */
