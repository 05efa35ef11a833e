// args.h: argument checking for every entry point: the argument errors
// (built by lib/binding.ts's factory) and the native views' bytes.
#pragma once

#include <napi.h>

#include <stddef.h>
#include <stdint.h>

#include <string>

namespace fwctl {

// What is wrong with an argument: its type, its range, or a value of the
// right type that the call cannot take (a detached buffer). The factory's
// first argument; the codes are ERR_FWCTL_INVALID_ARG_TYPE,
// ERR_FWCTL_OUT_OF_RANGE and ERR_FWCTL_INVALID_ARG_VALUE.
enum ArgError { kType = 0, kRange = 1, kValue = 2 };

// Throws the argument error (the factory lib/binding.ts registers at load,
// setErrorFactory: FwctlRangeError / FwctlTypeError with their ERR_FWCTL_*
// codes; without one, a plain RangeError / TypeError carrying the same
// code). Returns undefined.
Napi::Value Throw(Napi::Env env, ArgError kind, const std::string& msg);
inline Napi::Value Throw(Napi::Env env, bool range, const std::string& msg) {
  return Throw(env, range ? kRange : kType, msg);
}

// The bytes of any ArrayBufferView (TypedArray, Buffer, DataView), over an
// ArrayBuffer or a SharedArrayBuffer, in one N-API call: data address and
// byte length as V8 has them now. A detached view reads as length 0.
bool GetBytes(napi_env env, napi_value v, uint8_t** data, size_t* len);

bool GetU32(napi_env env, napi_value v, uint32_t* out);

// The ArrayBuffer (or SharedArrayBuffer) a view lies in. False: no view.
bool BufferOf(napi_env env, napi_value v, napi_value* ab);

// A view argument: its bytes as V8 has them now. Throws (and returns false)
// for a non-view, and for a detached view: a call over memory that was
// moved away is refused, never sent as 0 bytes.
bool GetView(napi_env env, napi_value v, uint8_t** data, size_t* len, const char* what);

inline napi_value Int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}
inline napi_value Int32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

}  // namespace fwctl
