// env.cc: running jobs on the pool, and on the JS thread submitting,
// delivering, settling and releasing them; env teardown (see env.h).
#include "env.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "args.h"
#include "handle.h"
#include "memcheck.h"
#include "pool.h"

namespace fwctl {

namespace {

// Pool thread: the job's syscall, then its delivery (or its end, when no
// env is left to deliver to).
void RunJob(void* arg) {
  Job* job = static_cast<Job*>(arg);
  switch (job->kind) {
    case Kind::Open:
      job->result = OpenDevice(job->path.c_str(), &job->opened);
      break;
    case Kind::Info:
      // info.out_device_data -> job->mem (device_data_len bytes), owned by
      // the job; freed only after this returns.
      job->result = ioctl(job->fd->fd, kFwctlInfo, &job->info) < 0 ? -errno : 0;
      // The kernel wrote (and zero-padded) the whole buffer; memcheck cannot
      // see inside this ioctl (a no-op outside valgrind).
      if (job->result == 0) VALGRIND_MAKE_MEM_DEFINED(job->mem, job->responseLen);
      break;
    case Kind::Rpc:
      // rpc.in/out and every pointer patched into the request copy point
      // into job->mem and job->response, owned by the job until it is
      // delivered (or freed below when the env is gone).
      job->result = ioctl(job->fd->fd, kFwctlRpc, &job->rpc) < 0 ? -errno : 0;
      // The kernel wrote min(out_len, responseLen) bytes of the response.
      if (job->result == 0)
        VALGRIND_MAKE_MEM_DEFINED(job->response, job->rpc.out_len < job->responseLen ? job->rpc.out_len : job->responseLen);
      break;
    case Kind::Close:
      job->result = ReleaseFd(job->fd);
      job->fd = nullptr;
      break;
  }
  if (job->fd) {
    ReleaseFd(job->fd);  // the fd outlives every ioctl issued on it
    job->fd = nullptr;
  }
  if (!job->core || !job->core->Finished(job)) delete job;  // no env to deliver to
}

bool ToPool(Job* job) { return Pool::Get().Submit({RunJob, job, job->core.get()}); }

// Drops the job's JS references (JS thread). With `env` torn down the
// deferred is simply abandoned.
void DropRefs(napi_env env, Job* job) {
  if (job->handleRef) napi_delete_reference(env, job->handleRef);
  job->handleRef = nullptr;
  if (job->into) napi_delete_reference(env, job->into);
  job->into = nullptr;
  for (size_t i = 0; i < job->natt; i++)
    if (job->att[i].view) napi_delete_reference(env, job->att[i].view);
  for (size_t i = 0; i < job->natt; i++) job->att[i].view = nullptr;
}

// A Buffer holding the `len` bytes the kernel wrote at `p`: a copy in
// memory of the engine's own. Never an external buffer over `p`: Node frees
// an external buffer's memory when the creating environment is torn down,
// even after its ArrayBuffer was transferred to a thread that still uses it.
// Every byte of it was written in this call.
napi_value TakeBuffer(napi_env env, const uint8_t* p, size_t len) {
  napi_value out = nullptr;
  void* dst;
  static const uint8_t kNone = 0;  // a 0-length copy still gets a valid source
  if (napi_create_buffer_copy(env, len, len ? p : &kNone, &dst, &out) != napi_ok) out = nullptr;
  return out;
}

}  // namespace

bool EnvCore::Finished(Job* job) {
  std::lock_guard<std::mutex> lock(mu);
  if (closing) return false;
  done.push_back(job);
  if (!wakePosted)
    wakePosted = napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking) == napi_ok;
  return true;
}

void Uncount(EnvState* s, Job* job) {
  if (!job->counted) return;
  job->counted = false;
  if (--s->counted == 0 && !s->tornDown) napi_unref_threadsafe_function(s->env, s->core->tsfn);
}

void CloseOnPool(FdRef* fd) {
  Job* job = new Job;
  job->kind = Kind::Close;
  job->fd = fd;
  if (!ToPool(job)) {
    ReleaseFd(job->fd);
    job->fd = nullptr;
    delete job;
  }
}

Job* NewJob(napi_env env, EnvState* s, Kind kind, uint32_t id, napi_value* promise) {
  Job* job = new Job;
  job->kind = kind;
  job->core = s->core;
  job->id = id;
  if (napi_create_promise(env, &job->deferred, promise) != napi_ok) {
    delete job;  // the environment is stopping (worker.terminate)
    return nullptr;
  }
  return job;
}

napi_value Result(napi_env env, EnvState* s, Job* job) {
  if (job->result < 0) return Int(env, job->result);
  switch (job->kind) {
    case Kind::Open: {
      if (job->abandoned) {
        // Nobody will take this handle: close the fd on the pool (the close
        // may run a firmware command), not on this thread.
        FdRef* fd = new FdRef(job->opened.fd);
        job->opened.fd = -1;
        CloseOnPool(fd);
        return Int(env, -ECANCELED);
      }
      napi_value argv[3];
      napi_create_external(env, s, nullptr, nullptr, &argv[0]);
      argv[1] = Int(env, job->opened.fd);
      argv[2] = Int(env, job->opened.type);
      napi_value h;
      if (napi_new_instance(env, s->ctor.Value(), 3, argv, &h) != napi_ok) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
        return Int(env, -ENOMEM);
      }
      job->opened.fd = -1;  // the Handle owns it now
      Handle* handle = Handle::Unwrap(Napi::Object(env, h));
      if (!handle->Bind(Napi::Env(env), Napi::Object(env, h))) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
        return Int(env, -ENOMEM);  // the handle's finaliser closes the fd
      }
      napi_value st = nullptr;
      napi_create_array_with_length(env, 3, &st);
      for (uint32_t i = 0; i < 3; i++) napi_set_element(env, st, i, Int(env, job->opened.stat[i]));
      napi_value pair;
      napi_create_array_with_length(env, 2, &pair);
      napi_set_element(env, pair, 0, h);
      napi_set_element(env, pair, 1, st);
      return pair;
    }
    case Kind::Info: {
      size_t n = job->info.device_data_len < job->responseLen ? job->info.device_data_len : job->responseLen;
      napi_value pair, buf = TakeBuffer(env, job->mem, n);
      if (!buf) return Int(env, -ENOMEM);
      if (job->handle) job->handle->SetType(job->info.out_device_type);
      napi_create_array_with_length(env, 2, &pair);
      napi_set_element(env, pair, 0, Int(env, job->info.device_data_len));
      napi_set_element(env, pair, 1, buf);
      return pair;
    }
    case Kind::Rpc: {
      // Copy-out, now that the kernel is done with the private copies: into
      // the caller's view as it is now (it may have been detached, shrunk or
      // transferred meanwhile: then the bytes are not written anywhere).
      int lost = -1;
      for (size_t k = 0; k < job->natt; k++) {
        const Attached& at = job->att[k];
        if (!(at.dir & kDirOut) || !at.view) continue;
        napi_value v;
        uint8_t* data = nullptr;
        size_t len = 0;
        if (napi_get_reference_value(env, at.view, &v) != napi_ok || !v ||
            !GetBytes(env, v, &data, &len) || len < at.len) {
          if (lost < 0) lost = static_cast<int>(k);
          continue;
        }
        if (at.len) memcpy(data, job->mem + at.off, at.len);
      }
      size_t n = job->rpc.out_len < job->responseLen ? job->rpc.out_len : job->responseLen;
      napi_value arr, buf = nullptr;
      if (job->into) {
        // Into the caller's view as it is now: detached or shrunk meanwhile,
        // the response is dropped (-2 reports it), never written elsewhere.
        uint8_t* data = nullptr;
        size_t len = 0;
        if (napi_get_reference_value(env, job->into, &buf) != napi_ok || !buf || !GetBytes(env, buf, &data, &len) ||
            len < n) {
          if (lost < 0) lost = -2;
          napi_get_undefined(env, &buf);
        } else if (n) {
          memcpy(data, job->response, n);
        }
      } else {
        buf = TakeBuffer(env, job->response, n);
      }
      if (!buf) return Int(env, -ENOMEM);
      napi_create_array_with_length(env, 3, &arr);
      napi_set_element(env, arr, 0, Int(env, job->rpc.out_len));
      napi_set_element(env, arr, 1, buf);
      napi_set_element(env, arr, 2, Int(env, lost));
      return arr;
    }
    case Kind::Close:
      return Int(env, job->result);
  }
  return Int(env, -EINVAL);
}

namespace {

// Releases a finished (or never started) job on the JS thread; with
// `deliver` its promise is settled.
void Release(napi_env env, EnvState* s, Job* job, bool deliver) {
  s->live.erase(job);
  if (job->id) {
    auto it = s->byId.find(job->id);
    if (it != s->byId.end() && it->second == job) s->byId.erase(it);
  }
  if (job->inFlight) job->handle->inFlight_--;  // only what Submit raised
  job->inFlight = false;
  Uncount(s, job);
  if (deliver && job->deferred) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_value v = Result(env, s, job);
      if (v) napi_resolve_deferred(env, job->deferred, v);
      napi_close_handle_scope(env, scope);
    }
  }
  DropRefs(env, job);
  delete job;
}

}  // namespace

void Submit(napi_env env, EnvState* s, Job* job) {
  s->live.insert(job);
  if (job->id) s->byId[job->id] = job;
  job->counted = true;
  if (s->counted++ == 0) napi_ref_threadsafe_function(env, s->core->tsfn);
  if (job->handle) {
    job->handle->inFlight_++;
    job->inFlight = true;
  }
  if (!ToPool(job)) {
    if (job->fd) ReleaseFd(job->fd);
    job->fd = nullptr;
    job->result = -EAGAIN;  // no pool thread could be started
    Release(env, s, job, true);
  }
}

Napi::Value Settle(napi_env env, EnvState* s, Job* job, int result, napi_value promise) {
  job->result = result;
  s->live.insert(job);
  Release(env, s, job, true);
  return Napi::Value(env, promise);
}

void Deliver(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // TSFN being torn down: our hook already ran
  EnvState* s = static_cast<EnvState*>(context);
  std::vector<Job*> jobs;
  {
    std::lock_guard<std::mutex> lock(s->core->mu);
    jobs.swap(s->core->done);
    s->core->wakePosted = false;
  }
  for (Job* job : jobs) Release(env, s, job, true);
}

void Teardown(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  napi_env env = s->env;
  std::vector<void*> queued;
  Pool::Get().TakeQueued(s->core.get(), &queued);
  std::unordered_set<Job*> notRunning;
  for (void* job : queued) notRunning.insert(static_cast<Job*>(job));
  // Jobs in the kernel (or just finished): drop their JS references now,
  // while they cannot be freed (until `closing`, pool threads only queue them).
  for (Job* job : s->live)
    if (!notRunning.count(job)) DropRefs(env, job);
  std::vector<Job*> done;
  {
    std::lock_guard<std::mutex> lock(s->core->mu);
    s->core->closing = true;  // from now on pool threads free what they finish
    done.swap(s->core->done);
  }
  s->tornDown = true;
  for (Job* job : done) notRunning.insert(job);
  for (Job* job : notRunning) {
    s->live.erase(job);
    DropRefs(env, job);
    if (job->fd) ReleaseFd(job->fd);
    job->fd = nullptr;
    delete job;
  }
  s->live.clear();  // the rest belongs to their pool threads now
  s->byId.clear();
  s->ctor.Reset();
  s->errorFactory.Reset();
}

void FreeEnvState(Napi::Env, EnvState* s) {
  s->ctor.SuppressDestruct();  // reset in Teardown, or owned by the dying env
  s->errorFactory.SuppressDestruct();
  delete s;
}

}  // namespace fwctl
