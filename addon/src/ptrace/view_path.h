// The ptrace transport's path resolution in the engines' views (view_path.cc), for JS (viewPath)
// and for the tracer thread's native plans (plans.h).
#pragma once
#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace sysvisor {
namespace ptrace {

// Resolves PATH (from DIRFD) as thread TID in the views VIEW ([prefix, levels], innermost first):
// 0 when the kernel may resolve it as it is (no symlink naming a view on the way, or the walk
// cannot tell), 1 with *out the real path the walk reached (from the tracee's root; its last
// component followed when FOLLOW), -errno when the walk failed after following such a link.
// CACHED: the identity cache may serve the tracee's ids (see GetTracee).
int ViewPathOf(pid_t tid, int dirfd, const std::string& path, bool follow, const std::vector<std::pair<std::string, int>>& view, bool cached, std::string* out);

}  // namespace ptrace
}  // namespace sysvisor
