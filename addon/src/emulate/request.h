// The request object of an emulation entry (openAs, pathAs, rewriteContinue, forgetTracee): its
// fields are read by name, the first missing or mistyped one throws a TypeError that names the
// entry and the field. The request types are declared once, in src/native/binding.ts. Once a
// field failed, nothing more is read (N-API calls with an exception pending would abort Node).
#pragma once
#include <napi.h>

#include <string>

#include "common.h"
#include "emulate/tracee.h"

namespace sysvisor {
namespace emulate {

class Request {
 public:
  // `entry` names the function in its errors ("pathAs"); it must outlive the request.
  Request(Napi::Env env, Napi::Object o, const char* entry) : env_(env), o_(o), entry_(entry) {}
  // True when the first argument of `info` is an object; else throws the entry's TypeError.
  static bool From(const Napi::CallbackInfo& info, const char* entry) {
    if (info.Length() >= 1 && info[0].IsObject()) return true;
    ThrowType(info.Env(), std::string(entry) + ": the request must be an object");
    return false;
  }
  bool ok() const { return ok_; }
  double Num(const char* key) {
    Napi::Value v = Get(key);
    if (v.IsNumber()) return v.As<Napi::Number>().DoubleValue();
    return Fail(key, "a number"), 0;
  }
  // A number when present, else `absent`.
  double OptionalNum(const char* key, double absent) {
    Napi::Value v = Get(key);
    if (v.IsUndefined()) return absent;
    return Num(key);
  }
  std::string Str(const char* key) {
    Napi::Value v = Get(key);
    if (v.IsString()) return Latin1Value(v);  // paths, targets, names: byte strings
    return Fail(key, "a string"), std::string();
  }
  bool Bool(const char* key) {
    Napi::Value v = Get(key);
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value();
    return Fail(key, "a boolean"), false;
  }
  bool OptionalBool(const char* key) { return ok_ && Get(key).ToBoolean(); }
  // The call's identity (`identity`, from traceeIdentity(): see IdentityValue), or nullptr when absent.
  const Tracee* OptionalIdentity() {
    if (!ok_) return nullptr;
    bool good = true;
    const Tracee* t = IdentityOf(env_, Get("identity"), entry_, &good);
    if (!good) ok_ = false;
    return t;
  }
  // A Buffer, or (NULLABLE) null: then *data stays nullptr.
  void Buf(const char* key, bool nullable, uint8_t** data, size_t* len) {
    Napi::Value v = Get(key);
    if (v.IsBuffer()) {
      auto b = v.As<Napi::Buffer<uint8_t>>();
      *data = b.Data(), *len = b.Length();
    } else if (!(nullable && v.IsNull())) {
      Fail(key, nullable ? "a Buffer or null" : "a Buffer");
    }
  }
  // The field, or undefined once a field failed (or a getter threw).
  Napi::Value Get(const char* key) {
    if (!ok_) return env_.Undefined();
    Napi::Value v = o_.Get(key);
    if (env_.IsExceptionPending()) ok_ = false;
    return ok_ ? v : env_.Undefined();
  }
  // Throws the TypeError of field `key` (the first failure only).
  void Fail(const char* key, const char* what) {
    if (ok_) ThrowType(env_, std::string(entry_) + ": field '" + key + "' must be " + what);
    ok_ = false;
  }

 private:
  Napi::Env env_;
  Napi::Object o_;
  const char* entry_;
  bool ok_ = true;
};

}  // namespace emulate
}  // namespace sysvisor
