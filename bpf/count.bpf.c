// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* sysvisor's in-kernel syscall counter (the `count` engine's kernel side): for the calls the
 * kernel runs in the counted process trees, sums per syscall number the calls, the errors and
 * the time from sys_enter to sys_exit. Nothing goes to user space per call: it reads the sums.
 *
 * - traced_tgids decides who is counted; forks of a counted process are added here, in the
 *   kernel, before the child first runs; a process is removed when its last task exits. A
 *   command held before its exec is counted from its execve on, as strace counts it.
 * - wanted (written by user space) says which syscall numbers are counted.
 * - A call answered by seccomp (the supervisor's value or errno) never reaches sys_enter (seccomp
 *   runs first): its exit finds no entry of the same number and is not summed here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm/unistd_64.h> /* __NR_* */
#include "count.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* tgid -> 1 for every counted process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/* syscall number -> 1 when counted. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SV_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} wanted SEC(".maps");

/* tid -> the counted call it is in (nr -1: none, the last one has exited). Removed when the thread
 * dies; LRU, so that a thread lost some other way leaves no garbage. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct svc_entry);
} inflight SEC(".maps");

/* syscall number -> sums of this CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SV_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, struct svc_stat);
} stats SEC(".maps");

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
}

/* Counted now: SVC_COUNTED, or SVC_FROM_EXEC entering execve (then counted from here on). */
static __always_inline bool counted_at_enter(__u32 tgid, long id)
{
	__u8 *t = bpf_map_lookup_elem(&traced_tgids, &tgid);
	if (!t)
		return false;
	if (*t == SVC_FROM_EXEC) {
		if (id != __NR_execve && id != __NR_execveat)
			return false;
		*t = SVC_COUNTED;
	}
	return true;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(svc_sys_enter, struct pt_regs *regs, long id)
{
	if (id < 0 || id >= SV_MAX_SYSCALLS)
		return 0;
	__u32 key = (__u32)id;
	__u32 *w = bpf_map_lookup_elem(&wanted, &key);
	if (!w || !*w)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	/* A thread that has an entry is counted (only counted threads get one, and it goes when the
	 * thread dies): from its second counted call on, one lookup and a write in place (cheaper
	 * than the traced test and an update, which allocates an LRU element). */
	struct svc_entry *cur = bpf_map_lookup_elem(&inflight, &tid);
	if (cur) {
		cur->nr = id;
		cur->ts_ns = bpf_ktime_get_ns();
		return 0;
	}
	if (!counted_at_enter(pid_tgid >> 32, id))
		return 0;
	struct svc_entry e = { .nr = id, .ts_ns = bpf_ktime_get_ns() };
	bpf_map_update_elem(&inflight, &tid, &e, BPF_ANY);
	return 0;
}

/* tp_btf (the raw tracepoint with BTF types): orig_ax is a plain load, not a probe_read call;
 * this runs for every syscall of the system, so that is measurable (~50 ns a call here). */
SEC("tp_btf/sys_exit")
int BPF_PROG(svc_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;
	/* rt_sigreturn sets orig_ax to -1 (the interrupted call is not restarted). */
	if (nr == -1)
		nr = __NR_rt_sigreturn;
	/* The cheap test first (an array lookup): every syscall of the system comes here. */
	if (nr < 0 || nr >= SV_MAX_SYSCALLS)
		return 0;
	__u32 key = (__u32)nr;
	__u32 *w = bpf_map_lookup_elem(&wanted, &key);
	if (!w || !*w)
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct svc_entry *e = bpf_map_lookup_elem(&inflight, &tid);
	if (!e || e->nr == -1)
		return 0;
	if (e->nr == nr) {
		__u64 now = bpf_ktime_get_ns();
		struct svc_stat *s = bpf_map_lookup_elem(&stats, &key);
		if (s) {
			s->calls++;
			if (ret >= -4095 && ret <= -1)
				s->errors++;
			s->ns += now - e->ts_ns;
		}
	}
	/* Consumed: a later exit without entry (a call answered by seccomp) finds no match. */
	e->nr = -1;
	return 0;
}

/* A counted task created a task: count a new process too, before it first runs. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(svc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u8 *t = bpf_map_lookup_elem(&traced_tgids, &ptgid);
	if (!t || *t != SVC_COUNTED)
		return 0;
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (ctgid != ptgid) {
		__u8 one = 1;
		bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY);
	}
	return 0;
}

/* A process held before exec that execs (its execve not counted, so sys_enter did not see it):
 * counted from now on. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(svc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 *t = bpf_map_lookup_elem(&traced_tgids, &tgid);
	if (t && *t == SVC_FROM_EXEC)
		*t = SVC_COUNTED;
	return 0;
}

/* A task exits (inside exit or exit_group: no sys_exit follows): forget its call, and its
 * process once it was the last task (signal->live already dropped to 0). */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(svc_exit, struct task_struct *task)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if (!is_traced(tgid))
		return 0;
	__u32 tid = (__u32)pid_tgid;
	bpf_map_delete_elem(&inflight, &tid);
	if (BPF_CORE_READ(task, signal, live.counter) == 0)
		bpf_map_delete_elem(&traced_tgids, &tgid);
	return 0;
}
