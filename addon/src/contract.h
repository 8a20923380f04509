/* The numbers both sides of the addon boundary use, defined once.
 *
 * Plain #defines only: included by BPF C (bpf/trace.h, bpf/count.h, after vmlinux.h), by the
 * addon's C++ and, through the addon, by TypeScript: addon/src/contract.cc exports every value
 * below (with the offsetof() of each record field of bpf/trace.h) as `binding.contract`, and
 * scripts/gen-contract.mjs writes that object to src/native/contract.ts at build time.
 * test/contract.test.ts fails when the generated file and the compiled addon disagree.
 */
#ifndef SYSVISOR_CONTRACT_H
#define SYSVISOR_CONTRACT_H

/* Syscall numbers the pump routes, the tracer and the counter can be configured for: 0..N-1
 * (every x86_64 number is below it). */
#define SV_MAX_SYSCALLS 512

/* The pump's batch (a Float64Array shared with JS): SV_NOTIF_FIELDS numbers per notification. */
#define SV_NOTIF_FIELDS 9
#define SV_NOTIF_SLOT 0 /* the pump's slot of the notification (the handle JS answers by) */
#define SV_NOTIF_PID 1  /* the thread id that made the call */
#define SV_NOTIF_NR 2   /* the syscall number */
#define SV_NOTIF_ARG0 3 /* args 0..5 follow, each as a signed 64-bit value */

/* The pump's `replies` (a Float64Array shared with JS): SV_REPLY_FIELDS numbers per batch entry,
 * a kind, then its value (the return value, or the errno > 0 of SV_REPLY_ERRNO). */
#define SV_REPLY_FIELDS 2
#define SV_REPLY_NONE 0     /* not answered synchronously (JS answers later, by slot) */
#define SV_REPLY_CONTINUE 1 /* let the kernel run the call */
#define SV_REPLY_VALUE 2    /* return the value */
#define SV_REPLY_ERRNO 3    /* fail with -errno */

/* The ptrace transport's batch has the pump's layout; an entry with this nr is the syscall-exit
 * stop of a call the chain waits for: ARG0 holds its return value, ARG1 is 1 when the thread is
 * gone instead (addon/src/ptrace/tracer.cc). */
#define SV_PTRACE_EXIT_NR (-1)

/* The control call of a nested sysvisor: prctl(SV_CONTROL_MAGIC, op, ...), an option no kernel
 * knows (see src/scopes/protocol.ts). "SVVR". */
#define SV_CONTROL_MAGIC 0x53565652

/* CountSession.read(): SV_COUNT_FIELDS numbers per syscall number, at nr * SV_COUNT_FIELDS. */
#define SV_COUNT_FIELDS 3
#define SV_COUNT_CALLS 0  /* calls the kernel ran */
#define SV_COUNT_ERRORS 1 /* of which returned an error */
#define SV_COUNT_NS 2     /* nanoseconds from sys_enter to sys_exit, summed */

#endif /* SYSVISOR_CONTRACT_H */
