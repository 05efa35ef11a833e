// handle.h: Handle, one open fd as a JavaScript object (FwctlHandle), and
// its call entry points: rpcSync/rpc/infoSync/info bound on each handle,
// close/closeAsync, bindRpc/bindInfo (defined in bound.cc).
#pragma once

#include <napi.h>

#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "fd.h"

// The benchmark's N-API floor (bench/floor.cc) exists only in the bench
// build (FWCTL_BENCH_FLOOR, bench/run.sh): never in the shipped addon.
#ifdef FWCTL_BENCH_FLOOR
#define FWCTL_BENCH_ONLY(...) __VA_ARGS__
#else
#define FWCTL_BENCH_ONLY(...)
#endif

namespace fwctl {

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new FwctlHandle(External<EnvState>, fd, type): only open() holds the token.
  explicit Handle(const Napi::CallbackInfo& info);

  // Finaliser (GC or env teardown): the last close may run a firmware
  // command in the driver (mlx5 DESTROY_UCTX), so it goes to the pool.
  ~Handle() override;

  // Gives the handle object its own call functions, whose napi data is this
  // Handle, so a call needs no napi_unwrap (a private-symbol lookup, the
  // largest single cost of a sync call). Each function holds the handle
  // object in a read-only, non-configurable property, so while user code can
  // reach the function the Handle is alive; the data pointer cannot dangle.
  bool Bind(Napi::Env env, Napi::Object self);

  void SetType(uint32_t t) {
    if (t == type_ && typeKnown_) return;
    type_ = t;
    typed_ = TypeHasGuards(t);
    typeKnown_ = true;
  }

  EnvState* env_ = nullptr;
  FdRef* fd_ = nullptr;  // the handle's reference; null once closed
  uint32_t type_ = 0;
  bool typed_ = false;   // its requests carry pointers the driver dereferences
  bool typeKnown_ = false;
  size_t inFlight_ = 0;

 private:
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_ ? fd_->fd : -1); }
  Napi::Value InFlight(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(inFlight_));
  }
  Napi::Value Type(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), type_); }
  Napi::Value Fstat(const Napi::CallbackInfo& info);

  static Napi::Value RpcSyncBound(const Napi::CallbackInfo& info);
  static Napi::Value RpcBound(const Napi::CallbackInfo& info);
  static Napi::Value InfoSyncBound(const Napi::CallbackInfo& info);
  static Napi::Value InfoBound(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CloseAsync(const Napi::CallbackInfo& info);
  Napi::Value BindRpc(const Napi::CallbackInfo& info);   // bound.cc
  Napi::Value BindInfo(const Napi::CallbackInfo& info);  // bound.cc

#ifdef FWCTL_BENCH_FLOOR
  // bench/floor.cc: a bound function taking rpcSync's arguments and doing
  // nothing (rpcNoop), and bindNoop() making a bound call that does nothing.
  static Napi::Value NoopBound(const Napi::CallbackInfo& info);
  Napi::Value BindNoop(const Napi::CallbackInfo& info);
#endif
};

}  // namespace fwctl
