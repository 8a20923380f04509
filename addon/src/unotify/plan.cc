// The C++ interpreter of native path plans (plan.h); the TypeScript one is src/chain/plan.ts, and
// test/native-plan.test.ts holds the two to the same answers.
#include "unotify/plan.h"

namespace sysvisor {
namespace unotify {

namespace {

// A component of `path` (between slashes) is `name`, or `..` with dots.
bool Mentions(const std::string& path, const std::string& name, bool dots) {
  size_t i = 0, n = path.size();
  while (i <= n) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = n;
    size_t len = j - i;
    if ((len == name.size() && path.compare(i, len, name) == 0) || (dots && len == 2 && path.compare(i, 2, "..") == 0))
      return true;
    i = j + 1;
  }
  return false;
}

// PlanPath, with the number of copies stripped in *levels.
int Plan(const PathPlan& plan, const std::string& path, std::string* out, int* levels, bool walked) {
  const std::string& prefix = plan.prefix;
  if (prefix.size() < 2) return -1;
  size_t pos = 0;
  int k = 0;
  while (k < plan.levels && path.compare(pos, prefix.size(), prefix) == 0 &&
         (path.size() == pos + prefix.size() || path[pos + prefix.size()] == '/')) {
    pos += prefix.size();
    k++;
  }
  std::string name = prefix.substr(1);
  if (k == 0) return Mentions(path, name, false) ? -1 : 0;
  std::string rest = pos == path.size() ? "/" : path.substr(pos);
  if (Mentions(rest, name, !walked)) return -1;
  *out = std::move(rest);
  *levels = k;
  return 1;
}

}  // namespace

int PlanPath(const PathPlan& plan, const std::string& path, std::string* out, bool walked) {
  int k;
  return Plan(plan, path, out, &k, walked);
}

bool ApplyPlans(const std::vector<PathPlan>& chain, const std::string& path, std::string* out, std::vector<int>* levels, bool walked) {
  if (chain.empty()) return false;
  std::string cur = path, next;
  if (levels) levels->clear();
  for (const auto& plan : chain) {
    int k;
    if (Plan(plan, cur, &next, &k, walked) != 1) return false;
    if (levels) levels->push_back(k);
    cur.swap(next);
  }
  *out = std::move(cur);
  return true;
}

}  // namespace unotify
}  // namespace sysvisor
