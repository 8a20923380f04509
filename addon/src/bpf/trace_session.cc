// TraceSession: owns one loaded instance of bpf/trace.bpf.c (through its libbpf skeleton) and
// delivers its ring buffer to JS in batches, polled from the Node event loop.
//
// Lifecycle: constructor = open -> configure .rodata and the ring size -> load -> attach (the
// skeleton's __attach; steps shared with the counter in session_helpers.h); close() (or the destructor, or env teardown) = the single cleanup path.
// Delivery: the ring buffer's epoll fd is watched with a uv_poll_t; each wake-up drains up to
// `batchBytes` of records into one reusable byte vector and makes one JS call
// onBatch(buffer, count) with the packed records (layout in bpf/trace.h; each record starts at
// an 8-byte boundary of the buffer, its `size` field excludes the padding). A level-triggered
// poll fires again on the next loop turn while records remain, so other handles keep running.
// The kernel side wakes the reader only when `wakeupBytes` are waiting (a wake-up per record
// would cost the traced threads more than the tracing itself); a uv_timer_t drains what is below
// that threshold every `flushMs`.
#include <linux/types.h>
#include <sys/types.h>
#include <unistd.h>
#include <uv.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../common.h"
#include "session_helpers.h"
#include "../../../bpf/trace.h"
#include "../../../bpf/build/trace.skel.h"

namespace sysvisor {
namespace {

using bpf::ThrowRange;

// Returned from the sample callback to stop a drain once the batch is full; the record that
// returned it has already been copied (libbpf consumes it before bailing out).
constexpr int kBatchFull = -ENOBUFS;

class TraceSession : public Napi::ObjectWrap<TraceSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TraceSession",
                       {
                           InstanceMethod<&TraceSession::Trace>("trace"),
                           InstanceMethod<&TraceSession::Untrace>("untrace"),
                           InstanceMethod<&TraceSession::IsTraced>("isTraced"),
                           InstanceMethod<&TraceSession::SetSyscallConfig>("setSyscallConfig"),
                           InstanceMethod<&TraceSession::SetSyscallConfigs>("setSyscallConfigs"),
                           InstanceMethod<&TraceSession::Start>("start"),
                           InstanceMethod<&TraceSession::Drain>("drain"),
                           InstanceMethod<&TraceSession::Dropped>("dropped"),
                           InstanceMethod<&TraceSession::Unfollowed>("unfollowed"),
                           InstanceMethod<&TraceSession::Missed>("missed"),
                           InstanceMethod<&TraceSession::Close>("close"),
                           InstanceAccessor<&TraceSession::Closed>("closed"),
                       });
  }

  explicit TraceSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TraceSession>(info) {
    env_ = info.Env();
    napi_add_env_cleanup_hook(env_, EnvCleanup, this);
    hook_added_ = true;
    Setup(info);
  }

  ~TraceSession() override { Cleanup(false); }

 private:
  // Constructor body: validates the options, then open -> configure -> load -> attach. On any
  // failure a JS exception is left pending and whatever was created is released by Cleanup().
  void Setup(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();

    // Options, validated before anything is opened.
    uint32_t ring_bytes = 8u << 20, max_str = 256, max_buf = 32;
    uint32_t wakeup_bytes = UINT32_MAX;  // default: ring_bytes / 16
    bool follow_forks = true;
    std::vector<uint32_t> tgids;
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      if (!info[0].IsObject()) return ThrowType(env, "parameter 'options' must be an object");
      Napi::Object o = info[0].As<Napi::Object>();
      if (!ReadUint(o, "ringBytes", &ring_bytes) || !ReadUint(o, "maxStr", &max_str) ||
          !ReadUint(o, "maxBuf", &max_buf) || !ReadUint(o, "batchBytes", &batch_bytes_) ||
          !ReadUint(o, "wakeupBytes", &wakeup_bytes) || !ReadUint(o, "flushMs", &flush_ms_))
        return;
      long page = sysconf(_SC_PAGESIZE);
      if (ring_bytes < static_cast<uint32_t>(page) || (ring_bytes & (ring_bytes - 1)) != 0)
        return ThrowRange(env, "option 'ringBytes' must be a power of two of at least " +
                                   std::to_string(page));
      if (max_str < 1 || max_str > SV_DATA_CAP)
        return ThrowRange(env, "option 'maxStr' must be in 1.." + std::to_string(SV_DATA_CAP));
      if (max_buf > SV_DATA_CAP)
        return ThrowRange(env, "option 'maxBuf' must be in 0.." + std::to_string(SV_DATA_CAP));
      if (wakeup_bytes != UINT32_MAX && wakeup_bytes >= ring_bytes)
        return ThrowRange(env, "option 'wakeupBytes' must be below 'ringBytes'");
      if (flush_ms_ < 1) return ThrowRange(env, "option 'flushMs' must be at least 1");
      if (batch_bytes_ < SV_MAX_RECORD)
        return ThrowRange(env, "option 'batchBytes' must be at least " + std::to_string(SV_MAX_RECORD));
      Napi::Value ff = o.Get("followForks");
      if (!ff.IsUndefined()) {
        if (!ff.IsBoolean()) return ThrowType(env, "option 'followForks' must be a boolean");
        follow_forks = ff.As<Napi::Boolean>().Value();
      }
      Napi::Value t = o.Get("tgids");
      if (!t.IsUndefined()) {
        if (!t.IsArray()) return ThrowType(env, "option 'tgids' must be an array of numbers");
        Napi::Array a = t.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); i++) {
          Napi::Value v = a.Get(i);
          if (!v.IsNumber()) return ThrowType(env, "option 'tgids' must be an array of numbers");
          tgids.push_back(v.As<Napi::Number>().Uint32Value());
        }
      }
    }

    bpf::QuietLibbpf();

    // open -> configure -> load -> attach; any failure leaves cleanup to Cleanup().
    skel_ = trace_bpf__open();
    if (!skel_) return ThrowSys(env, "open trace.bpf.o", "bpf", errno ? errno : EINVAL);
    skel_->rodata->max_str = max_str;
    skel_->rodata->max_buf = max_buf;
    skel_->rodata->follow_forks = follow_forks;
    skel_->rodata->wakeup_bytes = wakeup_bytes == UINT32_MAX ? ring_bytes / 16 : wakeup_bytes;
    ring_bytes_ = ring_bytes;
    int err = bpf_map__set_max_entries(skel_->maps.events, ring_bytes);
    if (err) return ThrowSys(env, "size ring buffer", "bpf", -err);
    // The execve entry is reached by a tail call from sys_enter: it has no attach point.
    bpf_program__set_autoattach(skel_->progs.sv_enter_exec, false);
    err = bpf::LoadWithoutSignals([this] { return trace_bpf__load(skel_); });
    if (err) return ThrowSys(env, "load trace.bpf.o", "bpf", -err);

    for (uint32_t tgid : tgids)
      if (!bpf::AddTraced(env, skel_->maps.traced_tgids, tgid, "trace")) return;

    std::string failed;
    err = bpf::Attach(skel_->skeleton, [this] { return trace_bpf__attach(skel_); }, &failed);
    if (err) return ThrowSys(env, failed.c_str(), "bpf", err);

    rb_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), OnSample, this, nullptr);
    if (!rb_) return ThrowSys(env, "open ring buffer", "bpf", errno ? errno : EINVAL);
    batch_.reserve(batch_bytes_ + SV_MAX_RECORD);
  }

  // --- helpers -------------------------------------------------------------------------------

  bool ReadUint(Napi::Object o, const char* name, uint32_t* out) {
    Napi::Value v = o.Get(name);
    if (v.IsUndefined()) return true;
    if (!v.IsNumber() || v.As<Napi::Number>().DoubleValue() < 0 ||
        v.As<Napi::Number>().DoubleValue() > 4294967295.0) {
      ThrowType(Env(), std::string("option '") + name + "' must be a non-negative integer");
      return false;
    }
    *out = v.As<Napi::Number>().Uint32Value();
    return true;
  }

  bool CheckOpen(Napi::Env env) {
    if (skel_ && rb_) return true;
    bpf::ThrowClosed(env, "TraceSession");
    return false;
  }

  uint64_t CounterSum(uint32_t key) { return bpf::PercpuSum(skel_->maps.counters, key); }

  // --- JS methods ----------------------------------------------------------------------------

  // trace(tgid): report this process and (with followForks) every process it creates from now.
  Napi::Value Trace(const Napi::CallbackInfo& info) {
    uint32_t tgid;
    if (!bpf::ArgTgid(info, 0, &tgid) || !CheckOpen(info.Env())) return info.Env().Undefined();
    if (!bpf::RefuseSelf(info.Env(), tgid, "trace",
                         "trace the supervisor itself (its ring buffer reads would feed back into the ring buffer)"))
      return info.Env().Undefined();
    bpf::AddTraced(info.Env(), skel_->maps.traced_tgids, tgid, "trace");
    return info.Env().Undefined();
  }

  // untrace(tgid): stop reporting it (its future children are no longer added). Returns
  // whether it was traced.
  Napi::Value Untrace(const Napi::CallbackInfo& info) {
    uint32_t tgid;
    if (!bpf::ArgTgid(info, 0, &tgid) || !CheckOpen(info.Env())) return info.Env().Undefined();
    int err = bpf_map__delete_elem(skel_->maps.traced_tgids, &tgid, sizeof(tgid), 0);
    if (err && err != -ENOENT) {
      ThrowSys(info.Env(), "untrace", "bpf", -err);
      return info.Env().Undefined();
    }
    return Napi::Boolean::New(info.Env(), err == 0);
  }

  Napi::Value IsTraced(const Napi::CallbackInfo& info) {
    uint32_t tgid;
    if (!bpf::ArgTgid(info, 0, &tgid) || !CheckOpen(info.Env())) return info.Env().Undefined();
    __u8 v;
    int err = bpf_map__lookup_elem(skel_->maps.traced_tgids, &tgid, sizeof(tgid), &v, sizeof(v), 0);
    return Napi::Boolean::New(info.Env(), err == 0);
  }

  bool WriteConfig(Napi::Env env, uint32_t nr, uint32_t flags) {
    int err = bpf_map__update_elem(skel_->maps.syscall_cfg, &nr, sizeof(nr), &flags,
                                   sizeof(flags), BPF_ANY);
    if (err) {
      ThrowSys(env, "set syscall config", "bpf", -err);
      return false;
    }
    return true;
  }

  // setSyscallConfig(nr, flags): the SV_CFG_* word of one syscall number.
  Napi::Value SetSyscallConfig(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgNumber(info, 0, "nr") || !ArgNumber(info, 1, "flags") || !CheckOpen(env))
      return env.Undefined();
    int64_t nr = info[0].As<Napi::Number>().Int64Value();
    if (nr < 0 || nr >= SV_MAX_SYSCALLS) {
      ThrowRange(env, "parameter 'nr' must be in 0.." + std::to_string(SV_MAX_SYSCALLS - 1));
      return env.Undefined();
    }
    WriteConfig(env, static_cast<uint32_t>(nr), info[1].As<Napi::Number>().Uint32Value());
    return env.Undefined();
  }

  // setSyscallConfigs(words: Uint32Array): words[nr] for every nr < words.length (others keep
  // their value).
  Napi::Value SetSyscallConfigs(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      ThrowType(env, "parameter 'words' must be a Uint32Array");
      return env.Undefined();
    }
    if (!CheckOpen(env)) return env.Undefined();
    Napi::Uint32Array words = info[0].As<Napi::Uint32Array>();
    if (words.ElementLength() > SV_MAX_SYSCALLS) {
      ThrowRange(env, "parameter 'words' must have at most " + std::to_string(SV_MAX_SYSCALLS) + " entries");
      return env.Undefined();
    }
    for (uint32_t nr = 0; nr < words.ElementLength(); nr++)
      if (!WriteConfig(env, nr, words[nr])) break;
    return env.Undefined();
  }

  // start(onBatch): begin delivering records from the event loop.
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!ArgFunction(info, 0, "onBatch") || !CheckOpen(env)) return env.Undefined();
    if (poll_) {
      Napi::Error::New(env, "TraceSession already started").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) {
      Napi::Error::New(env, "start: no event loop").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto* poll = new uv_poll_t;
    int err = uv_poll_init(loop, poll, ring_buffer__epoll_fd(rb_));
    if (err) {
      delete poll;
      ThrowSys(env, "start: watch ring buffer", "uv_poll_init", -err);
      return env.Undefined();
    }
    poll->data = this;
    err = uv_poll_start(poll, UV_READABLE, OnPoll);
    if (err) {
      poll->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll), FreePoll);
      ThrowSys(env, "start: watch ring buffer", "uv_poll_start", -err);
      return env.Undefined();
    }
    poll_ = poll;
    // The flush timer only adds latency bounds: it does not keep the loop alive by itself.
    auto* timer = new uv_timer_t;
    uv_timer_init(loop, timer);
    timer->data = this;
    uv_timer_start(timer, OnTimer, flush_ms_, flush_ms_);
    uv_unref(reinterpret_cast<uv_handle_t*>(timer));
    timer_ = timer;
    on_batch_ = Napi::Persistent(info[0].As<Napi::Function>());
    async_ = std::make_unique<Napi::AsyncContext>(env, "sysvisor:TraceSession");
    // While polling, the session must outlive its JS handle.
    Ref();
    refd_ = true;
    return env.Undefined();
  }

  // drain(): deliver every pending record now, synchronously, through onBatch (possibly in
  // several calls). Returns the number of records delivered. Used at the end of a trace.
  Napi::Value Drain(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!CheckOpen(env)) return env.Undefined();
    if (on_batch_.IsEmpty()) {
      Napi::Error::New(env, "drain: start() was not called").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    double total = 0;
    for (;;) {
      bool full = false;
      size_t n = Fill(&full);
      if (n == SIZE_MAX) return env.Undefined();  // exception pending
      if (n == 0) break;
      total += static_cast<double>(n);
      Napi::Buffer<uint8_t> buf = Napi::Buffer<uint8_t>::Copy(env, batch_.data(), batch_.size());
      on_batch_.Call({buf, Napi::Number::New(env, static_cast<double>(n))});
      if (env.IsExceptionPending() || !rb_) return env.Undefined();
      if (!full) break;
    }
    return Napi::Number::New(env, total);
  }

  // dropped(): records lost because the ring buffer was full (all CPUs).
  Napi::Value Dropped(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(CounterSum(SV_CNT_DROPPED)));
  }

  // unfollowed(): children of traced processes that could not be added (traced_tgids full).
  Napi::Value Unfollowed(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    return Napi::Number::New(info.Env(), static_cast<double>(CounterSum(SV_CNT_UNFOLLOWED)));
  }

  // missed(): program runs the kernel skipped because the same program was already running on
  // that CPU (recursion protection); each may have been an event of a traced process. Expected 0.
  Napi::Value Missed(const Napi::CallbackInfo& info) {
    if (!CheckOpen(info.Env())) return info.Env().Undefined();
    double sum = 0;
    struct bpf_program* prog;
    bpf_object__for_each_program(prog, skel_->obj) {
      struct bpf_prog_info pinfo = {};
      __u32 len = sizeof(pinfo);
      if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &pinfo, &len) == 0)
        sum += static_cast<double>(pinfo.recursion_misses);
    }
    return Napi::Number::New(info.Env(), sum);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Cleanup(true);
    return info.Env().Undefined();
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), skel_ == nullptr);
  }

  // --- delivery ------------------------------------------------------------------------------

  // Appends one record to the batch, padded to 8 bytes so that every record of a batch starts
  // 8-byte aligned (the JS decoder reads the fixed part through 32-bit views).
  static int OnSample(void* ctx, void* data, size_t size) {
    auto* self = static_cast<TraceSession*>(ctx);
    const uint8_t* p = static_cast<const uint8_t*>(data);
    self->batch_.insert(self->batch_.end(), p, p + size);
    self->batch_.resize((self->batch_.size() + 7) & ~static_cast<size_t>(7), 0);
    self->batch_count_++;
    return self->batch_.size() >= self->batch_bytes_ ? kBatchFull : 0;
  }

  // Consume pending records into batch_ (until empty or batchBytes). Returns the record count,
  // or SIZE_MAX with a JS exception pending when libbpf fails.
  size_t Fill(bool* full) {
    batch_.clear();
    batch_count_ = 0;
    int n = ring_buffer__consume(rb_);
    *full = n == kBatchFull;
    if (n < 0 && n != kBatchFull) {
      ThrowSys(Env(), "read ring buffer", "epoll_wait", -n);
      return SIZE_MAX;
    }
    return batch_count_;
  }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<TraceSession*>(handle->data);
    if (!self || !self->rb_) return;
    if (status < 0) {
      Napi::HandleScope scope(self->env_);
      DeliverError(self->env_, SysError(self->env_, "poll ring buffer", "uv_poll", -status).Value());
      return;
    }
    self->DeliverBatch();
  }

  // The timer catches records that woke nobody (below the threshold, or a threshold crossing
  // missed in a race). Such a backlog does not make the poll handle ready again, so the timer
  // drains it all: at most one ring's worth of batches per tick.
  static void OnTimer(uv_timer_t* handle) {
    auto* self = static_cast<TraceSession*>(handle->data);
    if (!self) return;
    for (uint32_t i = 0; i <= self->ring_bytes_ / self->batch_bytes_; i++)
      if (!self->rb_ || !self->DeliverBatch()) break;
  }

  // One batch from the event loop: one JS call at most. Returns whether the batch was cut at
  // batchBytes (more records are waiting).
  bool DeliverBatch() {
    Napi::Env env = env_;
    Napi::HandleScope scope(env);
    bool full = false;
    size_t n = Fill(&full);
    if (n == SIZE_MAX) {
      DeliverError(env, env.GetAndClearPendingException().Value());
      return false;
    }
    if (n == 0) return false;
    // One JS call per wake-up; if the batch was cut at batchBytes the level-triggered poll
    // fires again on the next loop turn (the ring's epoll entry stays ready while data remains).
    Napi::Buffer<uint8_t> buf =
        Napi::Buffer<uint8_t>::Copy(env, batch_.data(), batch_.size());
    // Keep the wrapper alive across the call even if JS closes the session and drops it.
    Napi::Object keep = Value();
    on_batch_.MakeCallback(keep, {buf, Napi::Number::New(env, static_cast<double>(n))},
                                 *async_);
    if (env.IsExceptionPending()) {
      DeliverError(env, env.GetAndClearPendingException().Value());
      return false;
    }
    return full;
  }

  // An error outside any JS call stack becomes an uncaught exception of the process.
  static void DeliverError(Napi::Env env, napi_value err) { napi_fatal_exception(env, err); }

  static void FreePoll(uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); }
  static void FreeTimer(uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); }

  static void EnvCleanup(void* arg) {
    auto* self = static_cast<TraceSession*>(arg);
    self->hook_added_ = false;  // the hook is being run: nothing to remove
    self->Cleanup(false);
  }

  // The one cleanup path: stop polling, free the ring buffer reader, detach and unload.
  // Idempotent. from_js: called from JS (close()), so the self-reference may be dropped.
  void Cleanup(bool from_js) {
    if (poll_) {
      uv_poll_stop(poll_);
      poll_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), FreePoll);
      poll_ = nullptr;
    }
    if (timer_) {
      uv_timer_stop(timer_);
      timer_->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(timer_), FreeTimer);
      timer_ = nullptr;
    }
    if (rb_) {
      ring_buffer__free(rb_);
      rb_ = nullptr;
    }
    if (skel_) {
      trace_bpf__destroy(skel_);
      skel_ = nullptr;
    }
    if (from_js) {
      on_batch_.Reset();
      async_.reset();
      if (refd_) {
        refd_ = false;
        Unref();
      }
    }
    if (hook_added_) {
      hook_added_ = false;
      napi_remove_env_cleanup_hook(env_, EnvCleanup, this);
    }
    std::vector<uint8_t>().swap(batch_);
  }

  napi_env env_ = nullptr;
  struct trace_bpf* skel_ = nullptr;
  struct ring_buffer* rb_ = nullptr;
  uv_poll_t* poll_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  uint32_t flush_ms_ = 10;
  uint32_t ring_bytes_ = 8u << 20;
  Napi::FunctionReference on_batch_;
  std::unique_ptr<Napi::AsyncContext> async_;
  std::vector<uint8_t> batch_;
  size_t batch_count_ = 0;
  uint32_t batch_bytes_ = 1u << 20;
  bool refd_ = false;
  bool hook_added_ = false;
};

}  // namespace

void InitTraceSession(Napi::Env env, Napi::Object exports) {
  exports.Set("TraceSession", TraceSession::Define(env));
}

}  // namespace sysvisor
