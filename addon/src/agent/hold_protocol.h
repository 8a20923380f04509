/* The fd holder of `sysvisor agent --hold PATH` (holder.c) and the agent (hold.cc): one
 * AF_UNIX SOCK_SEQPACKET connection, one message per packet, fds as SCM_RIGHTS.
 *
 * A packet is a hold_msg header followed by `len` bytes the holder keeps without reading them
 * (the agent's record of the container: its process state and profile).
 *
 *   agent -> holder   HOLD_PUT key, record; fds [seccomp listener, received-ids page]
 *                     the holder keeps the fds until HOLD_DROP or until the listener hangs up
 *                     (every process of the container is gone); answers HOLD_OK or HOLD_NO key,
 *                     reason (text)
 *                     HOLD_DROP key: the container is done, close its fds
 *   holder -> agent   on connect, one HOLD_ENTRY key, record, fds [listener, page] per container
 *                     held, then HOLD_END; or HOLD_BUSY (another agent is connected) and a close.
 *
 * The holder accepts connections from its own user only (SO_PEERCRED), one agent at a time, at
 * most HOLD_MAX_ENTRIES containers, records of at most HOLD_MAX_RECORD bytes; a listener that is
 * not a seccomp listener or a page that is not a memfd is refused. */
#ifndef SYSVISOR_HOLD_PROTOCOL_H
#define SYSVISOR_HOLD_PROTOCOL_H

#include <stdint.h>

enum hold_op {
  HOLD_PUT = 1,
  HOLD_DROP = 2,
  HOLD_OK = 3,
  HOLD_NO = 4,
  HOLD_ENTRY = 5,
  HOLD_END = 6,
  HOLD_BUSY = 7,
};

struct hold_msg {
  uint32_t op;
  uint32_t len; /* bytes after the header */
  uint64_t key; /* chosen by the agent; unique among the entries held */
};

#define HOLD_MAX_RECORD 16384
#define HOLD_MAX_ENTRIES 1024
#define HOLD_FDS 2

#endif
