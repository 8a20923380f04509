// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* sysvisor's eBPF observation layer: reports the syscalls and the fork/exec/exit of the
 * traced process trees through one ring buffer, without ever stopping a thread.
 *
 * - traced_tgids decides who is traced; forks of a traced process are added here, in the
 *   kernel, before the child first runs; a process is removed when its last task exits.
 * - syscall_cfg (written by user space) decides, per syscall number, which events are emitted
 *   and which arguments are read as strings or buffers (encoding in trace.h).
 * - Records that could not be written (ring buffer full) are counted in `counters`.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm/unistd_64.h> /* __NR_* */
#include "trace.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Read-only configuration, set by the loader between open and load. */
const volatile __u32 max_str = 256;     /* bytes read per C string, NUL included */
const volatile __u32 max_buf = 32;      /* bytes read per byte buffer (read/write data) */
const volatile bool follow_forks = true; /* add children of traced processes in the kernel */
/* Wake the reader only once this many bytes wait in the ring (0: on every record, libbpf's
 * default). Waking per record costs the traced thread an irq_work each time; with a threshold
 * the reader also drains on a timer, so records below it are late by at most that period. */
const volatile __u32 wakeup_bytes = 0;

/* tgid -> 1 for every traced process. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u8);
} traced_tgids SEC(".maps");

/* syscall number -> SV_CFG_* word; 0 = not reported. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SV_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} syscall_cfg SEC(".maps");

/* The event stream; its size is set by the loader before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

/* tid -> mask of the arguments (C strings, the entry buffer) whose read at entry faulted (the
 * page was not resident: BPF cannot fault it in). The exit reads them again, once the kernel
 * itself has faulted the page in to copy them. LRU: a thread that dies inside its call leaves
 * no garbage. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} faulted_strs SEC(".maps");

/* Per-CPU counters, indexed by enum sv_counter (trace.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SV_CNT_N);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Per-CPU scratch where records with strings are assembled before being copied out with
 * their exact size (the ring buffer's reserve needs a constant size). */
struct scratch {
	/* A record, plus room for the verifier: an item may start anywhere in the first two data
	 * slots' worth of payload and run for SV_DATA_CAP bytes. */
	__u8 buf[SV_PAYLOAD_OFF + 3 * SV_DATA_CAP];
	/* read_iov_one's progress, kept here rather than in its context: map memory is not tracked
	 * value by value, so the verifier sees one callback state, not one per iteration. */
	__u64 iov_used, iov_left;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);
	if (c)
		*c += 1;
}

/* Ring buffer commit flags for a syscall record of `size` bytes (see wakeup_bytes): wake the
 * reader only when this record makes the backlog cross the threshold. Waking on every record
 * above it would cost an irq_work per record while the reader lags (10x slower tracees); a
 * crossing missed in a race between CPUs is caught by the reader's flush timer. */
static __always_inline __u64 wakeup_flags(__u32 size)
{
	if (!wakeup_bytes)
		return 0;
	/* What the record occupies: its 8-byte ring header, rounded up to 8. */
	__u32 footprint = (size + 8 + 7) & ~7u;
	__u64 before = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	return before < wakeup_bytes && before + footprint >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									    : BPF_RB_NO_WAKEUP;
}

static __always_inline bool is_traced(__u32 tgid)
{
	return bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
}

static __always_inline __u32 syscall_config(long nr)
{
	if (nr < 0 || nr >= SV_MAX_SYSCALLS)
		return 0;
	__u32 key = (__u32)nr;
	__u32 *cfg = bpf_map_lookup_elem(&syscall_cfg, &key);
	return cfg ? *cfg : 0;
}

static __always_inline void fill_header(struct sv_event *e, __u8 kind, __u8 flags, __u16 size,
					__s32 nr, __s64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->size = size;
	e->kind = kind;
	e->flags = flags;
	e->tid = (__u32)pid_tgid;
	e->tgid = pid_tgid >> 32;
	e->nr = nr;
	e->ts_ns = bpf_ktime_get_ns();
	e->ret = ret;
}

/* The six syscall arguments of x86_64 as saved in pt_regs (the 4th is in r10, not rcx). */
static __always_inline void read_args(struct pt_regs *regs, __u64 *args)
{
	struct pt_regs r;
	bpf_probe_read_kernel(&r, sizeof(r), regs);
	args[0] = r.di;
	args[1] = r.si;
	args[2] = r.dx;
	args[3] = r.r10;
	args[4] = r.r8;
	args[5] = r.r9;
}

/* args[i] for a configured index 1..6 (index + 1 encoding); a form the verifier can bound. */
static __always_inline __u64 arg_at(const __u64 *args, __u32 idx1)
{
	switch (idx1) {
	case 1: return args[0];
	case 2: return args[1];
	case 3: return args[2];
	case 4: return args[3];
	case 5: return args[4];
	case 6: return args[5];
	default: return 0;
	}
}

/* Bytes of the entry buffer to read: its length argument (capped at max_buf), or a fixed-size
 * struct (length argument 7: the struct size of the config word, e.g. rt_sigaction's act). */
static __always_inline __u32 enter_buf_len(__u32 cfg, const __u64 *args)
{
	__u32 lenarg = SV_CFG_ENTER_BUF_LEN_ARG_GET(cfg);
	if (lenarg == SV_CFG_LEN_STRUCT)
		return SV_CFG_STRUCT_SIZE_GET(cfg);
	__u64 len = arg_at(args, lenarg);
	return len < max_buf ? (__u32)len : max_buf;
}

/* Clamp helper the verifier can follow: v in [0, hi]. */
static __always_inline __u32 clamp_u32(__u32 v, __u32 hi)
{
	if (v > hi)
		v = hi;
	asm volatile("" : "+r"(v));
	return v;
}

/* Append one item read from user memory to the scratch record at payload offset `used`.
 * kind: SV_DF_STR (C string of at most `n` bytes with its NUL) or SV_DF_BUF (exactly `n` bytes).
 * Returns the payload bytes added. */
static __always_inline __u32 put_user_item(struct scratch *s, struct sv_data *d, __u32 used,
					   __u8 arg, __u8 kind, const void *uptr, __u32 n)
{
	used = clamp_u32(used, SV_DATA_CAP);
	n = clamp_u32(n, SV_DATA_CAP);
	__u8 *dst = &s->buf[SV_PAYLOAD_OFF + used];
	long got;

	d->arg = arg;
	d->len = 0;
	if (n == 0) {
		d->flags = kind;
		return 0;
	}
	if (kind == SV_DF_STR) {
		got = bpf_probe_read_user_str(dst, n, uptr);
		if (got <= 0) {
			d->flags = kind | SV_DF_FAULT;
			return 0;
		}
		/* got counts the NUL; a full buffer means the string may go on. */
		d->flags = kind | (got == n ? SV_DF_TRUNC : 0);
		d->len = got - 1;
		return got - 1;
	}
	if (bpf_probe_read_user(dst, n, uptr) < 0) {
		d->flags = kind | SV_DF_FAULT;
		return 0;
	}
	d->flags = kind;
	d->len = n;
	return n;
}

/* Append a 4-byte value (not user memory) as an item at payload offset `used`. */
static __always_inline __u32 put_u32_item(struct scratch *s, struct sv_data *d, __u32 used, __u8 arg, __u32 v)
{
	used = clamp_u32(used, SV_DATA_CAP);
	*(__u32 *)&s->buf[SV_PAYLOAD_OFF + used] = v;
	d->arg = arg;
	d->flags = SV_DF_BUF;
	d->len = 4;
	return 4;
}

/* getdents64's entries, counted by their d_reclen (bpf_loop callback). */
struct dirents_ctx {
	const __u8 *base;
	__u64 off;
	__u64 end;
	__u32 n;
};

static long count_dirent_one(__u32 k, struct dirents_ctx *c)
{
	__u16 reclen = 0;
	/* struct linux_dirent64: d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name */
	if (c->off + 19 > c->end || bpf_probe_read_user(&reclen, sizeof(reclen), c->base + c->off + 16) < 0 || !reclen)
		return 1;
	c->off += reclen;
	c->n++;
	return 0;
}

/* Copy an assembled scratch record of `used` payload bytes into the ring buffer; `wake`:
 * wake the reader at once (lifecycle records) rather than by the backlog threshold. */
static __always_inline void output_scratch(struct scratch *s, __u32 used, bool wake)
{
	struct sv_event *e = (struct sv_event *)s->buf;
	/* 64-bit all the way: the verifier checks the helper's size register whole. */
	__u64 size = used;
	if (size > 2 * SV_DATA_CAP)
		size = 2 * SV_DATA_CAP;
	size += SV_PAYLOAD_OFF;
	e->size = size;
	__u64 flags = wake ? BPF_RB_FORCE_WAKEUP : wakeup_flags(size);
	if (bpf_ringbuf_output(&events, s->buf, size, flags) < 0)
		count(SV_CNT_DROPPED);
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_map, &zero);
}

/* An iovec array (readv, writev), read element by element into the scratch record (bpf_loop
 * callbacks): per iovec its iov_len (8 bytes), the number of its bytes that follow (4), and those
 * bytes, at most max_buf of each and `left` in all (a read's return value). */
struct iov_ctx {
	__u64 uiov;
	__u64 cnt;
	__u32 start; /* payload offset of the item */
	__u8 flags;
};

static long read_iov_one(__u32 k, struct iov_ctx *c)
{
	struct scratch *s = get_scratch();
	__u64 iov[2] = {};
	if (!s || k >= c->cnt)
		return 1;
	if (bpf_probe_read_user(iov, sizeof(iov), (const void *)(c->uiov + 16 * (__u64)k)) < 0) {
		c->flags |= SV_DF_FAULT;
		return 1;
	}
	__u64 used = s->iov_used, left = s->iov_left;
	__u64 n = iov[1] < left ? iov[1] : left;
	if (n > max_buf)
		n = max_buf;
	if (used < c->start || used > (__u64)c->start + SV_DATA_CAP || (__u64)c->start + SV_DATA_CAP - used < 12 + n) {
		c->flags |= SV_DF_TRUNC;
		return 1;
	}
	__u64 pos = used & (2 * SV_DATA_CAP - 1);
	__u32 got = 0;
	n &= SV_DATA_CAP - 1;
	if (n && bpf_probe_read_user(&s->buf[SV_PAYLOAD_OFF + pos + 12], n, (const void *)iov[0]) == 0)
		got = n;
	*(__u64 *)&s->buf[SV_PAYLOAD_OFF + pos] = iov[1];
	*(__u32 *)&s->buf[SV_PAYLOAD_OFF + pos + 8] = got;
	s->iov_used = used + 12 + got;
	s->iov_left = left - n;
	return 0;
}

/* Append an iovec array item (see read_iov_one): `cnt` iovecs at `uiov`, at most `left` bytes. */
static __always_inline __u32 put_iov_item(struct scratch *s, struct sv_data *d, __u32 used, __u8 arg,
					  __u64 uiov, __u64 cnt, __u64 left)
{
	used = clamp_u32(used, SV_DATA_CAP);
	struct iov_ctx c = { .uiov = uiov, .cnt = cnt, .start = used, .flags = SV_DF_BUF };
	s->iov_used = used;
	s->iov_left = left;
	long n = bpf_loop(SV_IOV_MAX, read_iov_one, &c, 0);
	if (n == SV_IOV_MAX && cnt > SV_IOV_MAX)
		c.flags |= SV_DF_TRUNC;
	/* Bounded for the verifier (the callback kept it within the item). */
	__u64 len = s->iov_used - used;
	if (len > SV_DATA_CAP)
		len = 0;
	asm volatile("" : "+r"(len));
	len &= 2 * SV_DATA_CAP - 1;
	if (len > SV_DATA_CAP)
		len = SV_DATA_CAP;
	d->arg = arg;
	d->flags = (c.flags & SV_DF_FAULT) && len ? (c.flags & ~SV_DF_FAULT) | SV_DF_TRUNC : c.flags;
	d->len = len;
	return (__u32)len;
}

/* select's fd sets and timeout (SV_CFG_MODE_FDSETS, trace.h): a mask of the parts read, then the
 * fd_sets at arguments 1-3 that are not NULL (ceil(nfds / 64) words each), then the timeout at
 * argument 4 when it is not NULL. */
static __always_inline __u32 put_fdsets_item(struct scratch *s, struct sv_data *d, __u32 used, __u8 arg,
					     const __u64 *args, bool sigmask)
{
	used = clamp_u32(used, SV_DATA_CAP);
	__s64 nfds = (__s64)(__s32)args[0];
	__u64 setb = nfds > 0 ? (((__u64)nfds + 63) / 64) * 8 : 0;
	if (setb > SV_FDSET_MAX)
		setb = SV_FDSET_MAX;
	asm volatile("" : "+r"(setb));
	setb &= 2 * SV_FDSET_MAX - 1;
	if (setb > SV_FDSET_MAX)
		setb = SV_FDSET_MAX;
	__u32 ok = 0, off = 4;
	for (int i = 0; i < 4; i++) {
		const void *p = (const void *)args[i + 1];
		if (!p)
			continue;
		__u64 n = i < 3 ? setb : 16;
		__u32 pos = clamp_u32(used + off, SV_DATA_CAP + 4 * SV_FDSET_MAX);
		__u8 *dst = &s->buf[SV_PAYLOAD_OFF + pos];
		/* (a read that fails leaves zeros: bpf_probe_read_user clears dst) */
		if (n && bpf_probe_read_user(dst, n, p) == 0)
			ok |= 1u << i;
		off += n;
	}
	if (sigmask && args[5]) {
		/* pselect6's sixth argument: { const sigset_t *ss; size_t ss_len; }, then the set. */
		__u32 pos = clamp_u32(used + off, SV_DATA_CAP + 4 * SV_FDSET_MAX);
		__u64 sm[2] = {};
		if (bpf_probe_read_user(sm, sizeof(sm), (const void *)args[5]) == 0)
			ok |= 1u << 4;
		*(__u64 *)&s->buf[SV_PAYLOAD_OFF + pos] = sm[0];
		*(__u64 *)&s->buf[SV_PAYLOAD_OFF + pos + 8] = sm[1];
		__u64 set = 0;
		if (sm[0] && bpf_probe_read_user(&set, sizeof(set), (const void *)sm[0]) == 0)
			ok |= 1u << 5;
		*(__u64 *)&s->buf[SV_PAYLOAD_OFF + pos + 16] = set;
		off += 24;
	}
	*(__u32 *)&s->buf[SV_PAYLOAD_OFF + used] = ok;
	d->arg = arg;
	d->flags = SV_DF_BUF;
	d->len = off;
	return off;
}

/* A struct msghdr with what it points to (SV_CFG_MODE_MSGHDR, trace.h): the sizes of its name and
 * control data as read, the msghdr, the name, the control data, then its iovecs (see put_iov_item),
 * at most `left` bytes of their data. */
static __always_inline __u32 put_msghdr_item(struct scratch *s, struct sv_data *d, __u32 used, __u8 arg,
					     __u64 umsg, __u64 left)
{
	/* msg_name 0, msg_namelen 8, msg_iov 16, msg_iovlen 24, msg_control 32, msg_controllen 40,
	 * msg_flags 48 */
	__u64 mh[SV_MSGHDR_BYTES / 8] = {};
	used = clamp_u32(used, SV_DATA_CAP);
	d->arg = arg;
	if (bpf_probe_read_user(mh, sizeof(mh), (const void *)umsg) < 0) {
		d->flags = SV_DF_BUF | SV_DF_FAULT;
		d->len = 0;
		return 0;
	}
	__u32 pos = used;
	for (int i = 0; i < SV_MSGHDR_BYTES / 8; i++)
		*(__u64 *)&s->buf[SV_PAYLOAD_OFF + pos + 4 + 8 * i] = mh[i];
	__u32 off = 4 + SV_MSGHDR_BYTES;

	__u64 nb = mh[0] ? (__u32)mh[1] : 0;
	if (nb > SV_SOCKADDR_CAP)
		nb = SV_SOCKADDR_CAP;
	asm volatile("" : "+r"(nb));
	nb &= 2 * SV_SOCKADDR_CAP - 1;
	if (nb > SV_SOCKADDR_CAP)
		nb = SV_SOCKADDR_CAP;
	if (nb && bpf_probe_read_user(&s->buf[SV_PAYLOAD_OFF + pos + off], nb, (const void *)mh[0]) < 0)
		nb = 0;
	off += nb;

	__u64 cb = mh[4] ? mh[5] : 0;
	if (cb > SV_CMSG_CAP)
		cb = SV_CMSG_CAP;
	asm volatile("" : "+r"(cb));
	cb &= 2 * SV_CMSG_CAP - 1;
	if (cb > SV_CMSG_CAP)
		cb = SV_CMSG_CAP;
	__u32 at = clamp_u32(pos + off, SV_DATA_CAP + 4 + SV_MSGHDR_BYTES + SV_SOCKADDR_CAP);
	if (cb && bpf_probe_read_user(&s->buf[SV_PAYLOAD_OFF + at], cb, (const void *)mh[4]) < 0)
		cb = 0;
	off += cb;
	*(__u16 *)&s->buf[SV_PAYLOAD_OFF + pos] = nb;
	*(__u16 *)&s->buf[SV_PAYLOAD_OFF + pos + 2] = cb;

	struct sv_data iov = { .flags = SV_DF_TRUNC };
	__u32 n = 0;
	if (pos + off <= SV_DATA_CAP)
		n = put_iov_item(s, &iov, pos + off, arg, mh[2], mh[3], left);
	/* Iovecs that could not be read are left out (TRUNC); the msghdr stands. */
	d->flags = SV_DF_BUF | (iov.flags & (SV_DF_TRUNC | SV_DF_FAULT) ? SV_DF_TRUNC : 0);
	d->len = off + n;
	return off + n;
}

/* execve's argv, read element by element into the scratch record (bpf_loop callbacks: verified
 * once, whatever the number of elements). */
struct argv_ctx {
	const __u64 *uargv;
	__u32 start; /* payload offset of the array item */
	__u32 used;  /* payload offset after what was read */
	__u8 flags;
};

static long read_argv_one(__u32 k, struct argv_ctx *c)
{
	struct scratch *s = get_scratch();
	__u64 p = 0;
	if (!s || bpf_probe_read_user(&p, sizeof(p), &c->uargv[k]) < 0) {
		c->flags |= SV_DF_FAULT;
		return 1;
	}
	if (!p)
		return 1;
	/* 64-bit on purpose: the helper's size register is checked whole by the verifier. */
	__u64 room = (__u64)c->start + SV_DATA_CAP - c->used;
	if (room < 2 || room > SV_DATA_CAP) {
		c->flags |= SV_DF_TRUNC;
		return 1;
	}
	__u32 pos = clamp_u32(c->used, 2 * SV_DATA_CAP);
	long got = bpf_probe_read_user_str(&s->buf[SV_PAYLOAD_OFF + pos], room, (const void *)p);
	if (got <= 0) {
		c->flags |= SV_DF_FAULT;
		return 1;
	}
	c->used += got; /* the NUL stays: it separates the elements */
	if (got == room) {
		c->flags |= SV_DF_TRUNC;
		return 1;
	}
	return 0;
}

struct envc_ctx {
	const __u64 *uenvp;
	__s64 n;
};

static long count_env_one(__u32 k, struct envc_ctx *c)
{
	__u64 p = 0;
	if (bpf_probe_read_user(&p, sizeof(p), &c->uenvp[k]) < 0) {
		c->n = -1;
		return 1;
	}
	if (!p)
		return 1;
	c->n++;
	return 0;
}

/* Entry of execve/execveat (SV_CFG_ARGV), reached by a tail call from sv_sys_enter: the file
 * name, argv (SV_DF_ARRAY) and the number of envp entries (in ret). */
SEC("raw_tp")
int BPF_PROG(sv_enter_exec, struct pt_regs *regs, long id)
{
	__u32 cfg = syscall_config(id);
	__u32 str0 = SV_CFG_STR0_GET(cfg);
	struct scratch *s = get_scratch();
	if (!s || !str0)
		return 0;
	struct sv_event *e = (struct sv_event *)s->buf;
	__u64 *args = (__u64 *)&s->buf[SV_HDR_BYTES];
	struct sv_data *d = (struct sv_data *)&s->buf[SV_HDR_BYTES + SV_ARGS_BYTES];
	read_args(regs, args);

	__u64 p = arg_at(args, str0);
	__u32 used = put_user_item(s, &d[0], 0, str0 - 1, SV_DF_STR, (const void *)p, max_str);
	if ((d[0].flags & SV_DF_FAULT) && p) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u8 faults = 1u << (str0 - 1);
		bpf_map_update_elem(&faulted_strs, &tid, &faults, BPF_ANY);
	}

	/* argv follows the file name (execve: 1, execveat: 2), envp follows argv. */
	__u32 ai = str0;
	struct argv_ctx ac = {
		.uargv = (const __u64 *)arg_at(args, ai + 1),
		.start = clamp_u32(used, SV_DATA_CAP),
		.used = clamp_u32(used, SV_DATA_CAP),
		.flags = SV_DF_STR | SV_DF_ARRAY,
	};
	long n = bpf_loop(SV_ARGV_MAX, read_argv_one, &ac, 0);
	if (n == SV_ARGV_MAX && !(ac.flags & (SV_DF_TRUNC | SV_DF_FAULT))) {
		__u64 more = 0;
		bpf_probe_read_user(&more, sizeof(more), &ac.uargv[SV_ARGV_MAX]);
		if (more)
			ac.flags |= SV_DF_TRUNC;
	}
	__u32 len = ac.used - ac.start;
	__u8 fl = ac.flags;
	/* A fault after some elements: what was read stands, the rest is cut. */
	if ((fl & SV_DF_FAULT) && len)
		fl = (fl & ~SV_DF_FAULT) | SV_DF_TRUNC;
	d[1].arg = ai;
	d[1].flags = fl;
	d[1].len = len;

	struct envc_ctx ec = { .uenvp = (const __u64 *)arg_at(args, ai + 2), .n = 0 };
	if (ec.uenvp)
		bpf_loop(SV_ENVP_MAX, count_env_one, &ec, 0);

	fill_header(e, SV_EV_ENTER, SV_EVF_ARGS | 2, 0, id, ec.n);
	output_scratch(s, ac.used, false);
	return 0;
}

/* Programs sv_sys_enter hands over to: [0] execve entry. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, int(void *));
} enter_progs SEC(".maps") = {
	.values = { [0] = (void *)&sv_enter_exec },
};

/* Syscall entry: header + args, plus the configured strings and buffer. */
SEC("raw_tp/sys_enter")
int BPF_PROG(sv_sys_enter, struct pt_regs *regs, long id)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	__u32 cfg = syscall_config(id);
	if (!(cfg & SV_CFG_ENTER))
		return 0;

	if (cfg & SV_CFG_ARGV) {
		/* execve: a program of its own (verified apart, which keeps this one simple). */
		bpf_tail_call(ctx, &enter_progs, 0);
		return 0;
	}
	__u32 str0 = SV_CFG_STR0_GET(cfg), str1 = SV_CFG_STR1_GET(cfg);
	__u32 bufarg = SV_CFG_ENTER_BUF_ARG_GET(cfg);

	if (cfg & SV_CFG_ENTER_NOARGS) {
		/* A call without arguments: the header says it all. */
		__u64 wf = wakeup_flags(SV_HDR_BYTES);
		struct sv_event *e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES, 0);
		if (!e) {
			count(SV_CNT_DROPPED);
			return 0;
		}
		fill_header(e, SV_EV_ENTER, 0, SV_HDR_BYTES, id, 0);
		bpf_ringbuf_submit(e, wf);
		return 0;
	}

	__u32 sockaddr_len = SV_CFG_EXIT_MODE_GET(cfg) == SV_CFG_MODE_SOCKADDR ? SV_CFG_EXIT_DATA_ARG_GET(cfg) + 1 : 0;
	if (!str0 && !bufarg && !sockaddr_len) {
		/* Common case: fixed size, written in place. */
		__u64 wf = wakeup_flags(SV_HDR_BYTES + SV_ARGS_BYTES);
		struct sv_event *e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES + SV_ARGS_BYTES, 0);
		if (!e) {
			count(SV_CNT_DROPPED);
			return 0;
		}
		fill_header(e, SV_EV_ENTER, SV_EVF_ARGS, SV_HDR_BYTES + SV_ARGS_BYTES, id, 0);
		read_args(regs, (__u64 *)(e + 1));
		bpf_ringbuf_submit(e, wf);
		return 0;
	}

	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct sv_event *e = (struct sv_event *)s->buf;
	__u64 *args = (__u64 *)&s->buf[SV_HDR_BYTES];
	struct sv_data *d = (struct sv_data *)&s->buf[SV_HDR_BYTES + SV_ARGS_BYTES];
	read_args(regs, args);

	__u32 used = 0, nd = 0;
	__u8 faults = 0;
	/* C strings first (at most two), then the buffer. */
	if (str0) {
		__u64 p = arg_at(args, str0);
		used += put_user_item(s, &d[0], used, str0 - 1, SV_DF_STR, (const void *)p, max_str);
		if ((d[0].flags & SV_DF_FAULT) && p)
			faults |= 1u << (str0 - 1);
		nd = 1;
		if (str1) {
			p = arg_at(args, str1);
			used += put_user_item(s, &d[1], used, str1 - 1, SV_DF_STR, (const void *)p,
					      max_str);
			if ((d[1].flags & SV_DF_FAULT) && p)
				faults |= 1u << (str1 - 1);
			nd = 2;
		}
	}
	if (bufarg == SV_CFG_ENTER_BUF_SIGFRAME && nd < 2) {
		/* rt_sigreturn: the mask the frame restores. */
		__u64 sp = BPF_CORE_READ(regs, sp);
		used += put_user_item(s, &d[nd & 1], used, 0, SV_DF_BUF, (const void *)(sp + SV_SIGFRAME_MASK_OFF), 8);
		nd++;
	} else if (bufarg && SV_CFG_EXIT_MODE_GET(cfg) == SV_CFG_MODE_FDSETS && nd < 2) {
		/* select: the fd sets and the timeout as the call gets them. */
		used += put_fdsets_item(s, &d[nd & 1], used, bufarg - 1, args, id == __NR_pselect6);
		nd++;
	} else if (bufarg && (cfg & SV_CFG_ENTER_IOV) && SV_CFG_ENTER_BUF_LEN_ARG_GET(cfg) == SV_CFG_LEN_STRUCT && nd < 2) {
		/* sendmsg: the msghdr, its name, control data, iovecs and the data they hold. */
		used += put_msghdr_item(s, &d[nd & 1], used, bufarg - 1, arg_at(args, bufarg), ~0ULL);
		nd++;
	} else if (bufarg && (cfg & SV_CFG_ENTER_IOV) && nd < 2) {
		/* writev: the iovecs and the data they hold. */
		used += put_iov_item(s, &d[nd & 1], used, bufarg - 1, arg_at(args, bufarg),
				     arg_at(args, SV_CFG_ENTER_BUF_LEN_ARG_GET(cfg)), ~0ULL);
		nd++;
	} else if (bufarg && nd < 2) {
		__u32 n = enter_buf_len(cfg, args);
		__u64 p = arg_at(args, bufarg);
		used += put_user_item(s, &d[nd & 1], used, bufarg - 1, SV_DF_BUF, (const void *)p, n);
		if ((d[nd & 1].flags & SV_DF_FAULT) && p)
			faults |= 1u << (bufarg - 1);
		nd++;
	}
	if (sockaddr_len && nd < 2) {
		/* The room for a socket address the call may write (its length argument points to it). */
		used += put_user_item(s, &d[nd & 1], used, sockaddr_len - 1, SV_DF_BUF,
				      (const void *)arg_at(args, sockaddr_len), 4);
		nd++;
	}
	if (faults) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		bpf_map_update_elem(&faulted_strs, &tid, &faults, BPF_ANY);
	}
	if (nd < 2) {
		d[1].len = 0;
		d[1].arg = SV_ARG_NONE;
		d[1].flags = 0;
	}
	fill_header(e, SV_EV_ENTER, SV_EVF_ARGS | nd, 0, id, 0);
	output_scratch(s, used, false);
	return 0;
}

/* Syscall exit: header with the return value; args and the configured output data on request.
 * Also fires for calls answered by seccomp (whose sys_enter did not fire). */
SEC("raw_tp/sys_exit")
int BPF_PROG(sv_sys_exit, struct pt_regs *regs, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	long nr = BPF_CORE_READ(regs, orig_ax);
	/* rt_sigreturn restores the registers of the interrupted context and sets orig_ax to -1
	 * (so that the interrupted call is not restarted): its exit is the only one seen so. */
	if (nr == -1)
		nr = __NR_rt_sigreturn;
	__u32 cfg = syscall_config(nr);
	if (!(cfg & SV_CFG_EXIT))
		return 0;

	__u32 dataarg = SV_CFG_EXIT_DATA_ARG_GET(cfg);
	if (ret < 0)
		dataarg = 0; /* failed calls wrote nothing worth reading */
	/* Strings whose read faulted at entry: read them again now (see faulted_strs). Not after a
	 * successful exec: the memory is the new program's (the exec record has the file name). */
	__u32 refetch = 0;
	__u32 str0 = SV_CFG_STR0_GET(cfg), str1 = SV_CFG_STR1_GET(cfg);
	__u32 bufarg = SV_CFG_ENTER_BUF_ARG_GET(cfg);
	if (str0 || bufarg) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u8 *m = bpf_map_lookup_elem(&faulted_strs, &tid);
		if (m) {
			refetch = *m;
			bpf_map_delete_elem(&faulted_strs, &tid);
			if ((nr == __NR_execve || nr == __NR_execveat) && ret == 0)
				refetch = 0;
		}
	}

	if (!dataarg && !refetch) {
		__u32 size = SV_HDR_BYTES + ((cfg & SV_CFG_EXIT_ARGS) ? SV_ARGS_BYTES : 0);
		__u64 wf = wakeup_flags(size);
		struct sv_event *e;
		if (cfg & SV_CFG_EXIT_ARGS) {
			e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES + SV_ARGS_BYTES, 0);
			if (e)
				read_args(regs, (__u64 *)(e + 1));
		} else {
			e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES, 0);
		}
		if (!e) {
			count(SV_CNT_DROPPED);
			return 0;
		}
		fill_header(e, SV_EV_EXIT, (cfg & SV_CFG_EXIT_ARGS) ? SV_EVF_ARGS : 0, size, nr, ret);
		bpf_ringbuf_submit(e, wf);
		return 0;
	}

	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct sv_event *e = (struct sv_event *)s->buf;
	__u64 *args = (__u64 *)&s->buf[SV_HDR_BYTES];
	struct sv_data *d = (struct sv_data *)&s->buf[SV_HDR_BYTES + SV_ARGS_BYTES];
	read_args(regs, args);

	__u32 used = 0, nd = 0;
	if (str0 && (refetch & (1u << (str0 - 1)))) {
		used += put_user_item(s, &d[0], used, str0 - 1, SV_DF_STR,
				      (const void *)arg_at(args, str0), max_str);
		nd = 1;
	}
	if (str1 && (refetch & (1u << (str1 - 1)))) {
		used += put_user_item(s, &d[nd & 1], used, str1 - 1, SV_DF_STR,
				      (const void *)arg_at(args, str1), max_str);
		nd++;
	}
	if (bufarg && bufarg != SV_CFG_ENTER_BUF_SIGFRAME && !(cfg & SV_CFG_ENTER_IOV) &&
	    SV_CFG_EXIT_MODE_GET(cfg) != SV_CFG_MODE_FDSETS && (refetch & (1u << (bufarg - 1))) && nd < 2) {
		__u32 n = enter_buf_len(cfg, args);
		used += put_user_item(s, &d[nd & 1], used, bufarg - 1, SV_DF_BUF,
				      (const void *)arg_at(args, bufarg), n);
		nd++;
	}
	if (dataarg && nd < 2) {
		const void *uptr = (const void *)arg_at(args, dataarg);
		__u32 mode = SV_CFG_EXIT_MODE_GET(cfg);
		if (mode == SV_CFG_MODE_STR) {
			used += put_user_item(s, &d[nd & 1], used, dataarg - 1, SV_DF_STR, uptr,
					      max_str);
		} else if (mode == SV_CFG_MODE_STRUCT) {
			used += put_user_item(s, &d[nd & 1], used, dataarg - 1, SV_DF_BUF, uptr,
					      SV_CFG_STRUCT_SIZE_GET(cfg));
		} else if (mode == SV_CFG_MODE_DIRENTS) {
			struct dirents_ctx dc = { .base = uptr, .off = 0, .end = (__u64)ret, .n = 0 };
			bpf_loop(SV_DIRENTS_MAX, count_dirent_one, &dc, 0);
			used += put_u32_item(s, &d[nd & 1], used, dataarg - 1, dc.n);
		} else if (mode == SV_CFG_MODE_FDSETS) {
			/* select: what the kernel left in the sets (the ready ones) and the timeout. */
			used += put_fdsets_item(s, &d[nd & 1], used, dataarg - 1, args, false);
		} else if (mode == SV_CFG_MODE_MSGHDR) {
			/* recvmsg: the msghdr as the kernel left it, the ret bytes it received. */
			used += put_msghdr_item(s, &d[nd & 1], used, dataarg - 1, args[1], (__u64)ret);
		} else if (mode == SV_CFG_MODE_IOV) {
			/* readv: the iovecs and the ret bytes read into them. */
			used += put_iov_item(s, &d[nd & 1], used, dataarg - 1, (__u64)uptr,
					     arg_at(args, dataarg + 1), (__u64)ret);
		} else if (mode == SV_CFG_MODE_SOCKADDR) {
			/* One item: the length the kernel wrote back, then the address (at most the
			 * struct size of it). */
			__s32 len = 0;
			struct sv_data *di = &d[nd & 1];
			if (bpf_probe_read_user(&len, sizeof(len), (const void *)arg_at(args, dataarg + 1)) < 0) {
				di->arg = dataarg - 1;
				di->flags = SV_DF_BUF | SV_DF_FAULT;
				di->len = 0;
			} else {
				__u64 n = len < 0 ? 0 : (__u64)len;
				__u64 cap = SV_CFG_STRUCT_SIZE_GET(cfg);
				if (n > cap)
					n = cap;
				/* 64-bit, behind a barrier: a bound the verifier sees on the register
				 * the helper gets (the compiler knows n <= cap <= 2040 already). */
				asm volatile("" : "+r"(n));
				n &= 2047;
				__u32 at = put_u32_item(s, di, used, dataarg - 1, (__u32)len);
				__u32 pos = clamp_u32(used + at, SV_DATA_CAP);
				if (n && bpf_probe_read_user(&s->buf[SV_PAYLOAD_OFF + pos], n, uptr) < 0) {
					di->flags = SV_DF_BUF | SV_DF_FAULT;
					di->len = 0;
				} else {
					di->len = at + n;
					used += at + n;
				}
			}
		} else {
			__u32 n = (__u64)ret < max_buf ? (__u32)ret : max_buf;
			used += put_user_item(s, &d[nd & 1], used, dataarg - 1, SV_DF_BUF, uptr, n);
		}
		nd++;
	}
	if (nd < 2) {
		d[1].len = 0;
		d[1].arg = SV_ARG_NONE;
		d[1].flags = 0;
	}
	fill_header(e, SV_EV_EXIT, SV_EVF_ARGS | nd, 0, nr, ret);
	output_scratch(s, used, false);
	return 0;
}

/* A traced task created a task (process or thread): follow a new process in the kernel. */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(sv_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	if (!is_traced(ptgid))
		return 0;
	__u32 ctid = BPF_CORE_READ(child, pid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	if (follow_forks && ctgid != ptgid) {
		__u8 one = 1;
		if (bpf_map_update_elem(&traced_tgids, &ctgid, &one, BPF_ANY) < 0)
			count(SV_CNT_UNFOLLOWED);
	}
	struct sv_event *e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES + SV_ARGS_BYTES, 0);
	if (!e) {
		count(SV_CNT_DROPPED);
		return 0;
	}
	fill_header(e, SV_EV_FORK, SV_EVF_ARGS, SV_HDR_BYTES + SV_ARGS_BYTES, -1, 0);
	__u64 *args = (__u64 *)(e + 1);
	args[0] = ctid;
	args[1] = ctgid;
	args[2] = args[3] = args[4] = args[5] = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* A traced task finished an exec: report the file it runs and its tid before the exec
 * (which differs when a non-leader thread exec'd). */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(sv_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	struct scratch *s = get_scratch();
	if (!s)
		return 0;
	struct sv_event *e = (struct sv_event *)s->buf;
	__u64 *args = (__u64 *)&s->buf[SV_HDR_BYTES];
	struct sv_data *d = (struct sv_data *)&s->buf[SV_HDR_BYTES + SV_ARGS_BYTES];
	__u32 n = clamp_u32(max_str, SV_DATA_CAP);
	const char *fn = BPF_CORE_READ(bprm, filename);
	long got = n ? bpf_probe_read_kernel_str(&s->buf[SV_PAYLOAD_OFF], n, fn) : 0;

	__builtin_memset(args, 0, SV_ARGS_BYTES);
	d[0].arg = SV_ARG_NONE;
	d[1].arg = SV_ARG_NONE;
	d[1].len = 0;
	d[1].flags = 0;
	__u32 used = 0;
	if (got > 0) {
		used = got - 1;
		d[0].len = used;
		d[0].flags = SV_DF_STR | (got == n ? SV_DF_TRUNC : 0);
	} else {
		d[0].len = 0;
		d[0].flags = SV_DF_STR | SV_DF_FAULT;
	}
	/* The new program's argv as the kernel copied it onto its stack (mm->arg_start..arg_end,
	 * just written: resident), as item 1 (execve's argv argument): the execve's entry could not
	 * read strings that were not resident (the string literals of a child just forked). Not when
	 * an interpreter runs the file (#!, binfmt_misc: bprm->interp is another string), whose argv
	 * the kernel rewrote. */
	__u32 nd = 1;
	if (got > 0 && BPF_CORE_READ(bprm, interp) == fn) {
		struct mm_struct *mm = BPF_CORE_READ(task, mm);
		__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
		__u64 len = end > start ? end - start : 0;
		__u8 fl = SV_DF_STR | SV_DF_ARRAY;
		if (len > SV_DATA_CAP) {
			len = SV_DATA_CAP;
			fl |= SV_DF_TRUNC;
		}
		asm volatile("" : "+r"(len));
		len &= SV_DATA_CAP * 2 - 1;
		__u32 pos = clamp_u32(used, SV_DATA_CAP);
		d[1].arg = 1;
		if (len && bpf_probe_read_user(&s->buf[SV_PAYLOAD_OFF + pos], len, (const void *)start) == 0) {
			d[1].flags = fl;
			d[1].len = len;
			used += len;
			nd = 2;
		} else {
			d[1].arg = SV_ARG_NONE;
		}
	}
	fill_header(e, SV_EV_EXEC, SV_EVF_ARGS | nd, 0, -1, old_pid);
	output_scratch(s, used, true);
	return 0;
}

/* A task exits. When it was the last one of its process (signal->live dropped to 0 before
 * this tracepoint), the process is reported gone and forgotten. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(sv_exit, struct task_struct *task)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	int live = BPF_CORE_READ(task, signal, live.counter);
	__s64 code = BPF_CORE_READ(task, exit_code);
	__u8 kind = live == 0 ? SV_EV_EXIT_PROCESS : SV_EV_EXIT_THREAD;

	struct sv_event *e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES, 0);
	if (e) {
		fill_header(e, kind, 0, SV_HDR_BYTES, -1, code);
		bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	} else {
		count(SV_CNT_DROPPED);
	}
	if (kind == SV_EV_EXIT_PROCESS)
		bpf_map_delete_elem(&traced_tgids, &tgid);
	return 0;
}

/* A signal is delivered to a traced task (get_signal dequeued it; the tracepoint fires before the
 * disposition is applied, so default actions and handlers alike). SIGKILL of a dying group comes
 * without siginfo (SEND_SIG_NOINFO): its args are left zero. */
SEC("raw_tp/signal_deliver")
int BPF_PROG(sv_signal, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	if (!is_traced(tgid))
		return 0;
	struct sv_event *e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES + SV_ARGS_BYTES, 0);
	if (!e) {
		count(SV_CNT_DROPPED);
		return 0;
	}
	fill_header(e, SV_EV_SIGNAL, SV_EVF_ARGS, SV_HDR_BYTES + SV_ARGS_BYTES, 0, sig);
	__u64 *args = (__u64 *)(e + 1);
	/* Special values of the pointer (SEND_SIG_NOINFO 0, SEND_SIG_PRIV 1) carry no siginfo. */
	if ((unsigned long)info < 4096 || bpf_probe_read_kernel(args, SV_ARGS_BYTES, info) < 0)
		__builtin_memset(args, 0, SV_ARGS_BYTES);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}

/* A signal sent to a traced task (runs in the sender: the record is about the target task).
 * nr = 1: the kernel discards it at once because it is ignored (an explicit SIG_IGN, or a
 *         default action of "ignore": SIGCHLD, SIGWINCH, SIGURG); it never reaches
 *         signal_deliver, but a ptrace-based tracer sees it (a ptraced task ignores nothing).
 * nr = 2: queued. A fatal signal with the default action kills the whole group at once (turned
 *         into SIGKILL), so it never reaches signal_deliver either: user space shows it when the
 *         task dies of it, and forgets it when it is delivered. */
SEC("raw_tp/signal_generate")
int BPF_PROG(sv_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	if ((result != TRACE_SIGNAL_IGNORED && result != TRACE_SIGNAL_DELIVERED) || sig == 9)
		return 0;
	__u32 tgid = BPF_CORE_READ(task, tgid);
	if (!is_traced(tgid))
		return 0;
	struct sv_event *e = bpf_ringbuf_reserve(&events, SV_HDR_BYTES + SV_ARGS_BYTES, 0);
	if (!e) {
		count(SV_CNT_DROPPED);
		return 0;
	}
	fill_header(e, SV_EV_SIGNAL, SV_EVF_ARGS, SV_HDR_BYTES + SV_ARGS_BYTES,
		    result == TRACE_SIGNAL_IGNORED ? 1 : 2, sig);
	e->tid = BPF_CORE_READ(task, pid);
	e->tgid = tgid;
	__u64 *args = (__u64 *)(e + 1);
	if ((unsigned long)info < 4096 || bpf_probe_read_kernel(args, SV_ARGS_BYTES, info) < 0)
		__builtin_memset(args, 0, SV_ARGS_BYTES);
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
	return 0;
}
