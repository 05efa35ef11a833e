// module.cc: the native layer of the fwctl package (contract: lib/binding.ts):
// its protocol (below), Init and the module functions. The rest, one concern
// a file: uapi.h (the ioctl structs), fd (FdRef, opening a device), guards
// (the pointer-guard table), args (argument errors, views), request
// (ParseRpc, SealRequest), pool (the worker pool), env (jobs, per-env state,
// submit/deliver/teardown), handle (Handle and its entry points), bound
// (bound calls, allocBuffer).
//
// This layer owns memory safety. It knows the two ioctl structs (struct
// fwctl_info, struct fwctl_rpc) and builds them itself: every length the
// kernel uses (in_len, out_len, device_data_len, each nested buffer's length
// field) is taken from the native view of the buffer it describes, never from
// a JavaScript property, and every pointer it writes is paired with its
// length. A request that would let the kernel touch a byte outside a buffer
// is a RangeError before the syscall.
//
// The request the kernel reads. Every decision the addon makes about what
// the kernel may touch (which pointer guards apply, the raw-pointer check,
// every length field an attachment patches, the request length itself) is
// made on the addon's own copy of the request, and that copy is what the
// kernel reads: another thread may write the caller's memory at any time (a
// view over a SharedArrayBuffer, memory shared with a worker), so a check of
// the caller's bytes followed by a copy would let it change what was
// checked. A caller's request is a CallerRequest, whose bytes only
// SealRequest() reads: it copies them once into memory of the addon, then
// checks and patches that copy. A request of which the addon reads no byte
// (a device type without pointer fields, no attachments, a sync call) goes
// to the kernel as it is: the fwctl core copies it once and the driver
// checks its own copy. Sync, async, bound and prepared calls all go through
// SealRequest.
//
// Memory the kernel touches, and who keeps it alive:
// * Sync calls: the caller's views, for the duration of the ioctl; the JS
//   thread is blocked in the call, so nothing can free, move, detach or
//   resize them (a SharedArrayBuffer can only grow).
// * Async calls: only memory the addon owns (Job::mem, Job::response): the
//   request, the response and every attachment are copied in at submit; the
//   response is handed to JavaScript at completion as a copy in memory of
//   the engine's own, attachments are copied back into the caller's views
//   at completion after checking their current length. Nothing JavaScript
//   can transfer, detach, resize or collect is ever in the kernel during an
//   async call.
// * Bound calls (bindRpc/bindInfo): views of allocBuffer() ArrayBuffers,
//   which the bound function holds (strong references), checked at every
//   call to be still attached: an attached ArrayBuffer that the function
//   holds cannot be freed, and its bytes cannot move or change size.
//
// Memory the addon lends to JavaScript: none of its own. allocBuffer()
// returns an ordinary engine-allocated ArrayBuffer, tagged as the addon's
// (napi_type_tag_object), so that it behaves as any ArrayBuffer: transfer()
// and postMessage(..., [ab]) move it, and the receiver's views stay valid
// for as long as it holds them, whatever happens to the sender. The tag
// stays on the sender's (now detached) ArrayBuffer object: the moved memory
// is ordinary memory for the receiver, and never found by the bind lookup.
// Async results are copies (Napi::Buffer::Copy), for the same reason: an
// external buffer is freed by the creating environment at its teardown
// even if its memory was transferred to a thread that still uses it.
//
// Threading and teardown protocol
// -------------------------------
// * Pool: one process-global pool (never freed). Threads are spawned on
//   demand (cap kMaxThreads), idle ones exit after kIdleMs, all block every
//   signal. open(2), close(2) and both ioctls of async calls run there; never
//   on libuv's pool, so a 60-second firmware call cannot starve fs or dns.
// * Fd: a refcounted FdRef. The Handle holds one reference, every job in
//   flight one more; whoever drops the last one closes the fd (the pool for
//   async close, the GC finaliser and in-flight completions; the JS thread
//   only for closeSync). So the fd number is never reused under a running
//   ioctl, and close() with calls in flight never blocks.
// * EnvCore (shared_ptr, held by the env and by every job): the completion
//   list, the wake-up TSFN and `closing`, under `mu`. A pool thread that
//   finishes a job takes mu: unless closing, it queues the job and posts a
//   wake-up; if closing, the env is gone and the thread frees the job itself.
// * Env teardown (worker exit, process exit, env cleanup) never waits for the
//   kernel: jobs still queued are dropped, finished ones freed, and jobs still
//   in the kernel lose their JS references (deleted here, on the JS thread)
//   and are freed by their pool thread when the ioctl returns. Their memory
//   is the addon's, so nothing of the dying env is touched afterwards.
// * Abort: a job submitted with a non-zero id can be abandoned (abandon(id)):
//   it stops holding the event loop; the kernel call finishes in the
//   background and its memory and fd reference are released then.
//
// Errors: syscall failures come back as -errno; bad arguments throw
// TypeError / RangeError (JS exceptions; C++ exceptions are disabled).

#include <napi.h>

#include <errno.h>

#include <string>

#include "args.h"
#include "bound.h"
#include "env.h"
#include "fd.h"
#include "guards.h"
#include "handle.h"
#include "lock.h"
#include "pool.h"
#include "uapi.h"

namespace fwctl {

namespace {

bool GetPath(const Napi::CallbackInfo& info, size_t i, std::string* path) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsString()) return Throw(env, false, "path must be a string"), false;
  *path = info[i].As<Napi::String>();
  if (path->find('\0') != std::string::npos) return Throw(env, false, "path must not contain NUL bytes"), false;
  return true;
}

// open(path): sync. Returns [handle, [mode, major, minor]] or -errno.
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvState* s = env.GetInstanceData<EnvState>();
  Job job;  // runs here, on this thread
  job.kind = Kind::Open;
  if (!GetPath(info, 0, &job.path)) return env.Undefined();
  int r = OpenDevice(job.path.c_str(), &job.opened);
  if (r < 0) return Napi::Number::New(env, r);
  return Napi::Value(env, Result(env, s, &job));
}

// openAsync(id, path): open(2) and the type query on the pool.
Napi::Value OpenAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvState* s = env.GetInstanceData<EnvState>();
  uint32_t id;
  if (info.Length() < 1 || !GetU32(env, info[0], &id)) return Throw(env, false, "id must be a u32");
  std::string path;
  if (!GetPath(info, 1, &path)) return env.Undefined();
  napi_value promise;
  Job* job = NewJob(env, s, Kind::Open, id, &promise);
  if (!job) return env.Undefined();
  job->path = path;
  Submit(env, s, job);
  return Napi::Value(env, promise);
}

// abandon(id): an aborted call. Its promise will never be looked at; it no
// longer keeps the event loop alive. The kernel call finishes in the
// background; its memory and fd reference are released when it returns (an
// abandoned open's fd is closed then).
Napi::Value Abandon(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvState* s = env.GetInstanceData<EnvState>();
  uint32_t id;
  if (info.Length() < 1 || !GetU32(env, info[0], &id) || id == 0) return Throw(env, false, "id must be a non-zero u32");
  auto it = s->byId.find(id);
  if (it == s->byId.end()) return Napi::Boolean::New(env, false);
  it->second->abandoned = true;
  Uncount(s, it->second);
  return Napi::Boolean::New(env, true);
}

// setErrorFactory((kind, message) => Error): per environment, at load
// (lib/binding.ts); Throw builds every argument error with it (kind: see
// ArgError).
Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) return Throw(env, false, "the error factory must be a function");
  env.GetInstanceData<EnvState>()->errorFactory = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

Napi::Value PoolStats(const Napi::CallbackInfo& info) {
  size_t threads, idle, queued;
  Pool::Get().Stats(&threads, &idle, &queued);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("threads", static_cast<double>(threads));
  o.Set("idle", static_cast<double>(idle));
  o.Set("queued", static_cast<double>(queued));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  EnvState* s = new EnvState();
  s->env = env;
  env.SetInstanceData<EnvState, FreeEnvState>(s);
  s->ctor = Napi::Persistent(Handle::Define(env));
  napi_value name = Napi::String::New(env, "fwctl.ioctl");
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, s, Deliver,
                                      &s->core->tsfn) != napi_ok) {
    Throw(env, false, "fwctl: cannot create the completion channel");
    return exports;
  }
  napi_unref_threadsafe_function(env, s->core->tsfn);  // idle: do not keep the loop alive
  // Registered after the TSFN (which registers its own hook on creation), so
  // it runs before the TSFN's hook.
  napi_add_env_cleanup_hook(env, Teardown, s);

  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("openAsync", Napi::Function::New(env, OpenAsync, "openAsync"));
  exports.Set("abandon", Napi::Function::New(env, Abandon, "abandon"));
  exports.Set("setPointerGuards", Napi::Function::New(env, SetPointerGuards, "setPointerGuards"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("poolStats", Napi::Function::New(env, PoolStats, "poolStats"));
  exports.Set("allocBuffer", Napi::Function::New(env, AllocBuffer, "allocBuffer"));
  exports.Set("regionStats", Napi::Function::New(env, RegionStats, "regionStats"));
  DefineLockFunctions(env, exports);
  exports.Set("FWCTL_INFO", Napi::Number::New(env, kFwctlInfo));
  exports.Set("FWCTL_RPC", Napi::Number::New(env, kFwctlRpc));
  return exports;
}


}  // namespace

}  // namespace fwctl

using fwctl::Init;
NODE_API_MODULE(fwctl, Init)
