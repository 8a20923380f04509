// Attaching a skeleton's programs, shared by the BPF sessions: each link is stored in the
// skeleton, so that <name>_bpf__destroy() detaches it (one cleanup path).
#pragma once
#include <bpf/libbpf.h>

#include <cerrno>
#include <initializer_list>

namespace sysvisor {

struct ProgramLink {
  struct bpf_program* prog;
  struct bpf_link** link;
  const char* what;  // "attach sys_enter": the operation named in an error
};

// Attaches every program; on failure returns the errno and sets *failed to the operation.
inline int AttachAll(std::initializer_list<ProgramLink> progs, const char** failed) {
  for (const auto& p : progs) {
    struct bpf_link* link = bpf_program__attach(p.prog);
    if (!link) {
      *failed = p.what;
      return errno ? errno : EINVAL;
    }
    *p.link = link;
  }
  return 0;
}

}  // namespace sysvisor
