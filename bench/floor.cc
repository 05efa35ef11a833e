// bench/floor.cc: the benchmark's N-API floor, compiled only into the bench
// build of the addon (build-bench/, FWCTL_BENCH_FLOOR; see bench/run.sh and
// bench/addon.ts), never into the addon the package ships: rpcNoop on every
// handle (a bound function taking rpcSync's arguments and doing nothing) and
// bindNoop() (a bound call taking nothing and doing nothing).
#ifndef FWCTL_BENCH_FLOOR
#error "bench/floor.cc belongs to the bench build (FWCTL_BENCH_FLOOR)"
#endif

#include "../native/bound.h"
#include "../native/handle.h"

namespace fwctl {

namespace {
napi_value BoundNoopCall(napi_env, napi_callback_info) { return nullptr; }
}  // namespace

Napi::Value Handle::NoopBound(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), 0); }

Napi::Value Handle::BindNoop(const Napi::CallbackInfo& info) {
  Bound* b = new Bound{this, {nullptr, nullptr}, nullptr, 0, nullptr, 0, 0};
  return MakeBound(info.Env(), Value(), b, BoundNoopCall, "noop");
}

}  // namespace fwctl
