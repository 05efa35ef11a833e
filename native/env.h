// env.h: async jobs and the per-environment state (see the protocol in
// module.cc): Job, EnvCore (shared with the pool threads), EnvState (the
// JS thread's), and submitting, delivering, settling and tearing down jobs.
#pragma once

#include <napi.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fd.h"
#include "guards.h"
#include "uapi.h"

namespace fwctl {

struct EnvCore;
class Handle;

enum class Kind { Open, Info, Rpc, Close };

struct Attached {  // one attachment of an async RPC
  size_t off = 0, len = 0;  // its private copy in Job::mem
  uint32_t dir = 0;
  napi_ref view = nullptr;  // the caller's view, for copy-out only (never in the kernel)
};

// One async operation. Created on the JS thread; between Submit and
// EnvCore::Finished only the pool thread running it touches it.
struct Job {
  Kind kind;
  std::shared_ptr<EnvCore> core;  // null: fire-and-forget (finaliser close)
  uint32_t id = 0;                // abort id, 0 = not abortable
  bool counted = false;           // JS thread: holds a loop reference
  bool abandoned = false;         // JS thread: aborted, nobody looks at the result
  bool inFlight = false;          // JS thread: counted in handle->inFlight_ (Submit raised it)
  napi_deferred deferred = nullptr;
  napi_ref handleRef = nullptr;   // keeps the Handle object (hence Handle*) alive
  Handle* handle = nullptr;
  FdRef* fd = nullptr;            // one reference, dropped by the pool thread
  int result = 0;
  // Info / Rpc: the ioctl argument and the memory the kernel uses, all owned
  // by this job until the pool thread is done with it.
  FwctlInfo info{};
  FwctlRpc rpc{};
  uint8_t* mem = nullptr;       // request copy + attachment copies (Rpc), device_data (Info)
  uint8_t* response = nullptr;  // Rpc: handed to JS at completion, or freed
  size_t responseLen = 0;
  napi_ref into = nullptr;       // Rpc into the caller's view: copied there at completion
  Attached att[kMaxAttach];
  size_t natt = 0;
  // Open
  std::string path;
  OpenedDevice opened;  // opened.fd: owned by the job until a Handle takes it

  ~Job() {
    free(mem);
    free(response);
    if (opened.fd >= 0) ::close(opened.fd);
  }
};

// Shared between an environment and the pool threads running its jobs.
struct EnvCore {
  std::mutex mu;  // guards everything below
  napi_threadsafe_function tsfn = nullptr;  // wake-up channel; untouched once closing
  bool closing = false;
  bool wakePosted = false;
  std::vector<Job*> done;

  // Pool thread, once the job's syscall returned. False: the env is gone,
  // the caller owns (and frees) the job.
  bool Finished(Job* job);
};

// Per-environment state (JS thread only, but for `core`).
struct EnvState {
  napi_env env = nullptr;
  std::shared_ptr<EnvCore> core = std::make_shared<EnvCore>();
  Napi::FunctionReference ctor;  // Handle class; reset at teardown
  Napi::FunctionReference errorFactory;  // setErrorFactory's; reset at teardown
  size_t counted = 0;            // jobs holding the loop alive (TSFN ref'd while > 0)
  std::unordered_set<Job*> live;             // submitted, not yet released
  std::unordered_map<uint32_t, Job*> byId;   // abortable ones among them
  bool tornDown = false;
};

// A job with its promise (JS thread). Null when the environment is stopping.
Job* NewJob(napi_env env, EnvState* s, Kind kind, uint32_t id, napi_value* promise);

// Hands the job to the pool; on failure settles it with -EAGAIN.
void Submit(napi_env env, EnvState* s, Job* job);

// Settles a job that never reached the pool with `result` (-errno) and
// frees it; returns its promise.
Napi::Value Settle(napi_env env, EnvState* s, Job* job, int result, napi_value promise);

// Drops an fd reference on the pool, fire-and-forget (the last close may
// run a firmware command in the driver, mlx5 DESTROY_UCTX); on this thread
// only when no pool thread can be started.
void CloseOnPool(FdRef* fd);

// The settled value of a finished job (JS thread, env alive). Open jobs
// that ran here (the sync open()) come through it too.
napi_value Result(napi_env env, EnvState* s, Job* job);

// Stops counting the job as holding the event loop (abandon()).
void Uncount(EnvState* s, Job* job);

// TSFN call_js: a wake-up; the jobs travel in EnvCore::done.
void Deliver(napi_env env, napi_value, void* context, void*);

// Env cleanup hook: never waits for the kernel.
void Teardown(void* arg);

// Instance-data finaliser: runs when the napi_env is deleted, after the TSFN.
void FreeEnvState(Napi::Env, EnvState* s);

}  // namespace fwctl
