// The contract of the addon boundary as a JS object, `binding.contract`: every number of
// contract.h, and the layout of the eBPF records (bpf/trace.h) with the offsetof() of each field.
// scripts/gen-contract.mjs writes it to src/native/contract.ts at build time; the TypeScript side
// imports that file, and test/contract.test.ts checks it against this object.
#include <linux/types.h>

#include <cstddef>

#include "common.h"
#include "contract.h"
#include "../../bpf/trace.h"
#include "../../bpf/count.h"

namespace sysvisor {
namespace {

// What the comment of bpf/trace.h promises about the record layout.
static_assert(sizeof(struct sv_event) == SV_HDR_BYTES, "sv_event is the fixed header");
static_assert(6 * sizeof(__u64) == SV_ARGS_BYTES, "args[6] follow the header");
static_assert(2 * sizeof(struct sv_data) == SV_DATA_DESC_BYTES, "two data descriptors");
static_assert(SV_PAYLOAD_OFF == SV_HDR_BYTES + SV_ARGS_BYTES + SV_DATA_DESC_BYTES, "payload offset");
static_assert(SV_NOTIF_ARG0 + 6 == SV_NOTIF_FIELDS, "six arguments end a notification");
static_assert(SV_COUNT_NS < SV_COUNT_FIELDS, "count fields");

using Entry = std::pair<const char*, double>;

Napi::Object Group(Napi::Env env, std::initializer_list<Entry> entries) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [name, value] : entries) o.Set(name, Napi::Number::New(env, value));
  return o;
}

#define FIELD(type, field) Entry{#field, static_cast<double>(offsetof(struct type, field))}

Napi::Object Contract(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("MAX_SYSCALLS", Napi::Number::New(env, SV_MAX_SYSCALLS));
  c.Set("CONTROL_MAGIC", Napi::Number::New(env, SV_CONTROL_MAGIC));
  c.Set("NOTIF", Group(env, {{"FIELDS", SV_NOTIF_FIELDS}, {"SLOT", SV_NOTIF_SLOT}, {"PID", SV_NOTIF_PID},
                             {"NR", SV_NOTIF_NR}, {"ARG0", SV_NOTIF_ARG0}}));
  c.Set("REPLY", Group(env, {{"FIELDS", SV_REPLY_FIELDS}, {"NONE", SV_REPLY_NONE}, {"CONTINUE", SV_REPLY_CONTINUE},
                             {"VALUE", SV_REPLY_VALUE}, {"ERRNO", SV_REPLY_ERRNO}}));
  c.Set("PTRACE", Group(env, {{"EXIT_NR", SV_PTRACE_EXIT_NR}}));
  c.Set("COUNT", Group(env, {{"FIELDS", SV_COUNT_FIELDS}, {"CALLS", SV_COUNT_CALLS}, {"ERRORS", SV_COUNT_ERRORS},
                             {"NS", SV_COUNT_NS}}));

  // bpf/trace.h
  c.Set("TRACE_EVENT", Group(env, {{"BYTES", sizeof(struct sv_event)}, FIELD(sv_event, size), FIELD(sv_event, kind),
                                   FIELD(sv_event, flags), FIELD(sv_event, tid), FIELD(sv_event, tgid),
                                   FIELD(sv_event, nr), FIELD(sv_event, ts_ns), FIELD(sv_event, ret)}));
  c.Set("TRACE_DATA", Group(env, {{"BYTES", sizeof(struct sv_data)}, FIELD(sv_data, len), FIELD(sv_data, arg),
                                  FIELD(sv_data, flags)}));
  c.Set("TRACE", Group(env, {{"HDR_BYTES", SV_HDR_BYTES}, {"ARGS_BYTES", SV_ARGS_BYTES},
                             {"DATA_DESC_BYTES", SV_DATA_DESC_BYTES}, {"PAYLOAD_OFF", SV_PAYLOAD_OFF},
                             {"DATA_CAP", SV_DATA_CAP}, {"MAX_RECORD", SV_MAX_RECORD},
                             {"ARG_NONE", SV_ARG_NONE}, {"ARGV_MAX", SV_ARGV_MAX}, {"IOV_MAX", SV_IOV_MAX}, {"ENVP_MAX", SV_ENVP_MAX},
                             {"FDSET_MAX", SV_FDSET_MAX}, {"MSGHDR_BYTES", SV_MSGHDR_BYTES},
                             {"SOCKADDR_CAP", SV_SOCKADDR_CAP}, {"CMSG_CAP", SV_CMSG_CAP}}));
  c.Set("TRACE_KIND", Group(env, {{"ENTER", SV_EV_ENTER}, {"EXIT", SV_EV_EXIT}, {"FORK", SV_EV_FORK},
                                  {"EXEC", SV_EV_EXEC}, {"EXIT_THREAD", SV_EV_EXIT_THREAD},
                                  {"EXIT_PROCESS", SV_EV_EXIT_PROCESS}, {"SIGNAL", SV_EV_SIGNAL}}));
  c.Set("TRACE_EVF", Group(env, {{"NDATA_MASK", SV_EVF_NDATA_MASK}, {"ARGS", SV_EVF_ARGS}}));
  c.Set("TRACE_DF", Group(env, {{"STR", SV_DF_STR}, {"BUF", SV_DF_BUF}, {"TRUNC", SV_DF_TRUNC},
                                {"FAULT", SV_DF_FAULT}, {"ARRAY", SV_DF_ARRAY}}));
  c.Set("TRACE_CFG", Group(env, {{"ENTER", SV_CFG_ENTER}, {"EXIT", SV_CFG_EXIT}, {"EXIT_ARGS", SV_CFG_EXIT_ARGS},
                                 {"EXIT_DATA_SHIFT", SV_CFG_EXIT_DATA_SHIFT}, {"EXIT_MODE_SHIFT", SV_CFG_EXIT_MODE_SHIFT},
                                 {"STR0_SHIFT", SV_CFG_STR0_SHIFT}, {"STR1_SHIFT", SV_CFG_STR1_SHIFT},
                                 {"ENTER_NOARGS", SV_CFG_ENTER_NOARGS}, {"ARGV", SV_CFG_ARGV},
                                 {"ENTER_BUF_SHIFT", SV_CFG_ENTER_BUF_SHIFT},
                                 {"ENTER_BUF_LEN_SHIFT", SV_CFG_ENTER_BUF_LEN_SHIFT},
                                 {"STRUCT_SHIFT", SV_CFG_STRUCT_SHIFT}, {"MODE_BUF", SV_CFG_MODE_BUF},
                                 {"MODE_STR", SV_CFG_MODE_STR}, {"MODE_STRUCT", SV_CFG_MODE_STRUCT},
                                 {"MODE_DIRENTS", SV_CFG_MODE_DIRENTS}, {"MODE_SOCKADDR", SV_CFG_MODE_SOCKADDR},
                                 {"MODE_IOV", SV_CFG_MODE_IOV}, {"MODE_FDSETS", SV_CFG_MODE_FDSETS},
                                 {"MODE_MSGHDR", SV_CFG_MODE_MSGHDR},
                                 {"ENTER_IOV", SV_CFG_ENTER_IOV},
                                 {"EXIT_MODE_HI", SV_CFG_EXIT_MODE_HI}, {"ENTER_BUF_SIGFRAME", SV_CFG_ENTER_BUF_SIGFRAME},
                                 {"LEN_STRUCT", SV_CFG_LEN_STRUCT}, {"STRUCT_MAX", SV_CFG_STRUCT_MAX}}));
  return c;
}

#undef FIELD

}  // namespace

void InitContract(Napi::Env env, Napi::Object exports) { exports.Set("contract", Contract(env)); }

}  // namespace sysvisor
