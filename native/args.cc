// args.cc: argument errors and view access (see args.h).
#include "args.h"

#include "env.h"

namespace fwctl {

Napi::Value Throw(Napi::Env env, ArgError kind, const std::string& msg) {
  EnvState* s = env.GetInstanceData<EnvState>();
  if (s && !s->errorFactory.IsEmpty()) {
    Napi::Value e = s->errorFactory.Call({Napi::Number::New(env, kind), Napi::String::New(env, msg)});
    if (env.IsExceptionPending()) return env.Undefined();  // the factory's own error propagates
    if (e.IsObject()) {
      Napi::Error(env, e).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  Napi::Error e = kind == kRange ? Napi::Error(Napi::RangeError::New(env, msg)) : Napi::Error(Napi::TypeError::New(env, msg));
  e.Set("code", Napi::String::New(env, kind == kRange   ? "ERR_FWCTL_OUT_OF_RANGE"
                                       : kind == kValue ? "ERR_FWCTL_INVALID_ARG_VALUE"
                                                        : "ERR_FWCTL_INVALID_ARG_TYPE"));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool GetBytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  void* p = nullptr;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return false;
  *data = static_cast<uint8_t*>(p);
  return true;
}

bool GetU32(napi_env env, napi_value v, uint32_t* out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

bool BufferOf(napi_env env, napi_value v, napi_value* ab) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is)
    return napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, ab, nullptr) == napi_ok;
  if (napi_is_dataview(env, v, &is) == napi_ok && is)
    return napi_get_dataview_info(env, v, nullptr, nullptr, ab, nullptr) == napi_ok;
  return false;
}

namespace {

// A view whose ArrayBuffer was detached (transferred away): it reads as 0 bytes.
bool IsDetachedView(napi_env env, napi_value v) {
  napi_value ab;
  bool detached = false;
  return BufferOf(env, v, &ab) && napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached;
}

}  // namespace

bool GetView(napi_env env, napi_value v, uint8_t** data, size_t* len, const char* what) {
  if (!GetBytes(env, v, data, len)) return Throw(env, kType, std::string(what) + " must be a TypedArray or DataView"), false;
  if (*len == 0 && IsDetachedView(env, v))
    return Throw(env, kValue, std::string(what) + " is detached (its ArrayBuffer was transferred)"), false;
  return true;
}

}  // namespace fwctl
