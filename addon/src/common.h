// Shared helpers for the sysvisor addon: argument validation and errors shaped like Node's own
// (message "op: strerror", with .code, .errno, .syscall).
#pragma once
#include <napi.h>
#include <cerrno>
#include <cstring>
#include <string>

namespace sysvisor {

// Name of an errno value as Node spells it (EBUSY, ENOENT, ...), or "E<n>" when unknown.
inline std::string ErrnoName(int err) {
  const char* n = strerrorname_np(err);
  return n ? std::string(n) : "E" + std::to_string(err);
}

// An Error for a failed system call: "<op>: <strerror>" with code/errno/syscall properties.
inline Napi::Error SysError(Napi::Env env, const char* op, const char* syscall, int err) {
  std::string msg = std::string(op) + ": " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

inline void ThrowSys(Napi::Env env, const char* op, const char* syscall, int err) {
  SysError(env, op, syscall, err).ThrowAsJavaScriptException();
}

inline void ThrowType(Napi::Env env, const std::string& msg) {
  Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
}

// Argument checks: each throws a TypeError naming the parameter and returns false on failure.
inline bool ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() > i && info[i].IsNumber()) return true;
  ThrowType(info.Env(), std::string("parameter '") + name + "' must be a number");
  return false;
}
inline bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() > i && info[i].IsString()) return true;
  ThrowType(info.Env(), std::string("parameter '") + name + "' must be a string");
  return false;
}
inline bool ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() > i && info[i].IsBuffer()) return true;
  ThrowType(info.Env(), std::string("parameter '") + name + "' must be a Buffer");
  return false;
}
inline bool ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() > i && info[i].IsFunction()) return true;
  ThrowType(info.Env(), std::string("parameter '") + name + "' must be a function");
  return false;
}
inline bool ArgArray(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() > i && info[i].IsArray()) return true;
  ThrowType(info.Env(), std::string("parameter '") + name + "' must be an array");
  return false;
}

// Paths are bytes. Between the addon and JS they travel as "byte strings" (Node's 'latin1': one
// char per byte, 0..255), which V8 keeps one byte per char: exact for any bytes, and cheap.
inline Napi::String NewLatin1(Napi::Env env, const std::string& bytes) {
  napi_value v;
  napi_status st = napi_create_string_latin1(env, bytes.data(), bytes.size(), &v);
  NAPI_THROW_IF_FAILED(env, st, Napi::String());
  return Napi::String(env, v);
}

// The bytes of a byte string (chars above 255 cannot occur in one: they are cut to their low byte).
inline std::string Latin1Value(Napi::Value value) {
  napi_env env = value.Env();
  size_t len = 0;
  if (napi_get_value_string_latin1(env, value, nullptr, 0, &len) != napi_ok) return std::string();
  std::string out(len, '\0');
  if (len > 0 && napi_get_value_string_latin1(env, value, out.data(), len + 1, &len) != napi_ok) return std::string();
  out.resize(len);
  return out;
}

// Exact bytes from a Buffer, or a JS string's UTF-8 encoding (arguments given by people).
inline std::string BytesValue(Napi::Value value) {
  if (value.IsBuffer()) {
    Napi::Buffer<char> b = value.As<Napi::Buffer<char>>();
    return std::string(b.Data(), b.Length());
  }
  return value.ToString().Utf8Value();
}

// Module parts register their exports through these.
void InitLauncher(Napi::Env env, Napi::Object exports);
void InitProcess(Napi::Env env, Napi::Object exports);
void InitControl(Napi::Env env, Napi::Object exports);
void InitSignalOrigin(Napi::Env env, Napi::Object exports);
void InitPump(Napi::Env env, Napi::Object exports);
void InitTracer(Napi::Env env, Napi::Object exports);
void InitTraceeMem(Napi::Env env, Napi::Object exports);
void InitEmulate(Napi::Env env, Napi::Object exports);
void InitTraceSession(Napi::Env env, Napi::Object exports);
void InitCountSession(Napi::Env env, Napi::Object exports);
void InitAgent(Napi::Env env, Napi::Object exports);
void InitContract(Napi::Env env, Napi::Object exports);

}  // namespace sysvisor
