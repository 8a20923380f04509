/* The messages between the supervisor (addon + src/transports/unotify/launcher.ts) and its launcher
 * process (launcher.c), one per SOCK_SEQPACKET record: a header of four little-endian int32, then
 * (SETUP only) the seccomp filter. Fds travel as SCM_RIGHTS with PID and LISTENER. */
#ifndef SYSVISOR_LAUNCHER_PROTOCOL_H
#define SYSVISOR_LAUNCHER_PROTOCOL_H

#include <stdint.h>

struct launcher_msg {
  int32_t type;
  int32_t a;
  int32_t b;
  int32_t c;
};

enum launcher_msg_type {
  /* supervisor -> launcher */
  LAUNCHER_SETUP = 1,   /* a = seccomp flags, b = LAUNCHER_OPT_*; filter bytes follow (none: no filter) */
  LAUNCHER_GO = 2,      /* let the command install its filter and exec */
  LAUNCHER_KILL = 3,    /* SIGKILL every process of the tree (the command and its descendants) */
  LAUNCHER_BYE = 4,     /* the supervisor is done: exit once the tree is gone */
  /* launcher -> supervisor */
  LAUNCHER_PID = 10,      /* a = pid of the command (held before exec); SCM_RIGHTS: its pidfd */
  LAUNCHER_LISTENER = 11, /* the command runs; SCM_RIGHTS: the listener and the received-ids page
                           * (none without a filter) */
  LAUNCHER_FAILED = 12,   /* a = LAUNCHER_STEP_*, b = errno: the command was not started */
  LAUNCHER_EXIT = 13,     /* the command exited: a = code (-1 when killed), b = signal */
  LAUNCHER_EMPTY = 14,    /* the command exited and every process of its tree was reaped */
};

enum launcher_opt {
  LAUNCHER_OPT_NO_NEW_PRIVS = 1,   /* PR_SET_NO_NEW_PRIVS in the command before exec */
  LAUNCHER_OPT_CONTINUE = 2,       /* supervisor gone: answer CONTINUE instead of killing the tree */
  LAUNCHER_OPT_NO_LISTENER = 4,    /* install the filter without a listener (the ptrace transport's
                                    * SECCOMP_RET_TRACE filter): LISTENER then carries no fd */
};

enum launcher_step {
  LAUNCHER_STEP_SECCOMP = 1,  /* seccomp(SECCOMP_SET_MODE_FILTER) in the command */
  LAUNCHER_STEP_GETFD = 2,    /* pidfd_getfd of the listener */
  LAUNCHER_STEP_FORK = 3,     /* fork of the command */
  LAUNCHER_STEP_SETUP = 4,    /* a malformed or missing SETUP */
};

/* The received-ids page (a memfd of LAUNCHER_IDS_BYTES the launcher creates and sends with the
 * listener): the supervisor stores there the id of every notification it receives. A launcher
 * left alone in continue mode answers the calls the supervisor had received and not answered
 * (they are in the SENT state: nobody else can receive them) by probing ids up to it, without
 * waiting for a new call to learn where the ids are. */
struct launcher_ids {
  uint64_t last; /* the id last received, 0 before the first */
};
#define LAUNCHER_IDS_BYTES 4096

#endif
