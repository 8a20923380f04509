// The C++ interpreter of native path plans (plan.h); the TypeScript one is src/chain/plan.ts, and
// test/native-plan.test.ts holds the two to the same answers.
#include "unotify/plan.h"

#include "common.h"

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

bool NativeCallsFrom(Napi::Value v, std::vector<std::unique_ptr<NativeCall>>* out) {
  if (!v.IsArray()) return true;
  Napi::Array arr = v.As<Napi::Array>();
  for (uint32_t i = 0; i < arr.Length(); i++) {
    if (!arr.Get(i).IsObject()) return false;
    Napi::Object o = arr.Get(i).As<Napi::Object>();
    auto c = std::make_unique<NativeCall>();
    int nr = o.Get("nr").ToNumber().Int32Value();
    c->op = Latin1Value(o.Get("op").ToString());
    auto arg = [&](const char* key, bool optional, int8_t* to) {
      int v = o.Get(key).ToNumber().Int32Value();
      *to = (int8_t)v;
      return (optional && v == -1) || (v >= 0 && v <= 5);
    };
    bool ok = nr >= 0 && nr < (int)out->size() && arg("dirfd", true, &c->dirfd) && arg("path", false, &c->path) &&
              arg("out", true, &c->out) && arg("size", true, &c->size) && arg("name", true, &c->name) && arg("flags", true, &c->flags) &&
              arg("mode", true, &c->mode) && arg("mask", true, &c->mask) && arg("uid", true, &c->uid) && arg("gid", true, &c->gid) &&
              arg("input", true, &c->input) && arg("xflags", true, &c->xflags);
    bool known = c->op == "stat" || c->op == "statx" || c->op == "access" || c->op == "readlink" || c->op == "getxattr" ||
                 c->op == "listxattr" || c->op == "setxattr" || c->op == "removexattr" || c->op == "chown" || c->op == "mkdir" || c->op == "utimens" ||
                 c->op == "open";
    bool xattr = c->op == "getxattr" || c->op == "listxattr";
    bool named = c->op == "getxattr" || c->op == "setxattr" || c->op == "removexattr";
    if (!ok || !known || ((c->op == "stat" || c->op == "statx" || c->op == "readlink" || xattr) && c->out < 0) ||
        ((c->op == "readlink" || xattr) && c->size < 0) || (named && c->name < 0) ||
        (c->op == "chown" && (c->uid < 0 || c->gid < 0)) ||
        (c->op == "setxattr" && (c->input < 0 || c->size < 0 || c->xflags < 0)))
      return false;
    c->fixed_flags = o.Get("fixedFlags").ToNumber().Int32Value();
    Napi::Value plain = o.Get("plainFlags");
    c->plain_flags = plain.IsUndefined() ? ~0u : plain.ToNumber().Uint32Value();
    c->cached = o.Get("cached").ToBoolean();
    c->nofollow = o.Get("nofollow").ToBoolean();
    c->record_opens = c->op == "open" ? o.Get("recordOpens").ToNumber().Uint32Value() : 0;
    Napi::Value cv = o.Get("chain");
    if (!cv.IsArray() || cv.As<Napi::Array>().Length() % 2 != 0) return false;
    Napi::Array ca = cv.As<Napi::Array>();
    for (uint32_t j = 0; j + 1 < ca.Length(); j += 2)
      c->chain.push_back({Latin1Value(ca.Get(j).ToString()), ca.Get(j + 1).ToNumber().Int32Value()});
    (*out)[nr] = std::move(c);
  }
  return true;
}

}  // namespace unotify
}  // namespace sysvisor
