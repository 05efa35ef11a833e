// fwctl.cc: the native layer of the fwctl package (contract: lib/binding.ts).
//
// It opens device nodes, writes buffer addresses into argument buffers
// ("patches"), and issues ioctl(FWCTL_INFO / FWCTL_RPC) either on the calling
// thread or on this addon's own thread pool. It knows no fwctl struct layout,
// only the generic ioctl convention that the argument's first u32 is its size.
//
// Threading and teardown protocol
// -------------------------------
// * Pool: one process-global pool (never freed, so detached threads never see
//   it destroyed). A thread is spawned when a job is queued and fewer threads
//   are idle than jobs are queued (cap kMaxThreads, beyond that jobs queue).
//   Idle threads exit after kIdleMs. Pool threads block all signals, so an
//   ioctl is not cut short by EINTR because a signal landed on that thread.
// * EnvState (one per napi_env, i.e. per main thread / worker): a
//   threadsafe function (TSFN) used only as a wake-up, a mutex-guarded list of
//   finished jobs and `inKernel` = jobs submitted whose ioctl has not returned.
// * JS thread submits: patch, take napi refs (handle + every buffer), inKernel++,
//   ref the TSFN on 0 -> 1 in-flight (keeps the loop alive), queue the job.
// * Pool thread: ioctl(); then under EnvState::mu: inKernel--, push the job to
//   `done`, and, unless `closing`, post one wake-up to the TSFN. Because the
//   TSFN is touched only under mu while !closing, and the teardown hook sets
//   closing under mu, no pool thread touches the TSFN after the hook ran.
// * JS thread wake-up (Deliver): take `done`, per job drop the refs, close a
//   close()-pending fd on its last completion, unref the TSFN on 1 -> 0,
//   resolve the promise.
// * Env teardown: our cleanup hook is registered right AFTER the TSFN is
//   created; hooks run in reverse order, so ours runs first, while the TSFN
//   and the env are fully alive. It removes this env's jobs still queued in
//   the pool (they never reach the kernel), sets closing, waits until
//   inKernel == 0 (every ioctl of this env has left the kernel, so the memory
//   it uses may now be freed), then releases those jobs without touching JS
//   (refs deleted; promises are never settled, their napi_deferred leaks).
//   Then the TSFN's own hook closes it; queued wake-ups reach Deliver with
//   env == nullptr and are ignored. EnvState is freed by the instance-data
//   finalizer, which runs when the napi_env itself is deleted (after the TSFN,
//   which holds a reference on the env). Handle finalizers never touch
//   EnvState.
// * Process exit (process.exit on the main thread) runs no env cleanup hook:
//   pool threads still in the kernel are killed by exit_group; the kernel
//   holds its own file and mm references, so nothing is freed under it.
//
// Errors: syscall failures are returned as -errno; bad arguments throw
// TypeError / RangeError (JS exceptions; C++ exceptions are disabled).

#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kFwctlInfo = 0x9A00;  // _IO(0x9A, 0)
constexpr uint32_t kFwctlRpc = 0x9A01;   // _IO(0x9A, 1)
constexpr size_t kMaxBuffers = 8;        // extra buffers per call
constexpr size_t kMaxViews = 1 + kMaxBuffers;
constexpr size_t kMaxPatches = 64;
constexpr size_t kMaxThreads = 256;
constexpr long kIdleMsDefault = 30000;

struct EnvState;
class Handle;

// One async ioctl. Created and destroyed on the JS thread; between Submit and
// EnvState::Finished only the pool thread running it touches it.
struct Job {
  EnvState* env;
  Handle* handle;  // alive: refs[0] holds its JS object
  int fd;
  unsigned long request;
  void* arg;
  int result = 0;
  napi_deferred deferred = nullptr;
  napi_ref refs[1 + kMaxViews] = {};
  size_t nrefs = 0;
};

// ---------------------------------------------------------------------------
// The process-global thread pool.

void RunJob(Job* job);

class Pool {
 public:
  static Pool& Get() {
    static Pool* pool = new Pool();  // never destroyed: detached threads use it
    return *pool;
  }

  // Queues the job. False if no thread exists and none could be started.
  bool Submit(Job* job) {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job);
    if (queue_.size() > idle_ && threads_ < kMaxThreads) {
      if (Spawn()) {
        threads_++;
      } else if (threads_ == 0) {
        queue_.pop_back();
        return false;
      }
    }
    cv_.notify_one();
    return true;
  }

  // Removes the env's jobs that no thread has picked up yet.
  void TakeQueued(EnvState* env, std::vector<Job*>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if ((*it)->env == env) {
        out->push_back(*it);
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void Stats(size_t* threads, size_t* idle, size_t* queued) {
    std::lock_guard<std::mutex> lock(mu_);
    *threads = threads_;
    *idle = idle_;
    *queued = queue_.size();
  }

 private:
  Pool() {
    // FWCTL_POOL_IDLE_MS: idle thread lifetime, a knob for tests.
    const char* s = getenv("FWCTL_POOL_IDLE_MS");
    long ms = s ? strtol(s, nullptr, 10) : kIdleMsDefault;
    idle_timeout_ = std::chrono::milliseconds(ms > 0 ? ms : kIdleMsDefault);
  }

  bool Spawn() {  // called with mu_ held
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return false;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);  // the new thread inherits it
    pthread_t tid;
    int rc = pthread_create(&tid, &attr, &Pool::Main, this);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&attr);
    return rc == 0;
  }

  static void* Main(void* arg) {
    Pool* self = static_cast<Pool*>(arg);
    pthread_setname_np(pthread_self(), "fwctl-pool");
    std::unique_lock<std::mutex> lock(self->mu_);
    for (;;) {
      if (self->queue_.empty()) {
        self->idle_++;
        bool woke = self->cv_.wait_for(lock, self->idle_timeout_,
                                       [self] { return !self->queue_.empty(); });
        self->idle_--;
        if (!woke) {
          self->threads_--;
          return nullptr;
        }
      }
      Job* job = self->queue_.front();
      self->queue_.pop_front();
      lock.unlock();
      RunJob(job);
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  std::chrono::milliseconds idle_timeout_;
};

// ---------------------------------------------------------------------------
// Per-environment state.

struct EnvState {
  napi_env env = nullptr;
  napi_threadsafe_function tsfn = nullptr;  // wake-up channel to the JS thread
  Napi::FunctionReference ctor;             // Handle class; reset at teardown
  size_t inFlight = 0;                      // JS thread only: TSFN ref/unref

  std::mutex mu;  // guards the fields below
  std::condition_variable cv;
  size_t inKernel = 0;  // submitted, ioctl not yet returned
  bool closing = false;
  bool wakePosted = false;
  std::vector<Job*> done;

  // Pool thread, right after the ioctl returned.
  void Finished(Job* job) {
    std::lock_guard<std::mutex> lock(mu);
    inKernel--;
    done.push_back(job);
    if (closing) {
      cv.notify_all();
    } else if (!wakePosted) {
      wakePosted = napi_call_threadsafe_function(tsfn, nullptr,
                                                 napi_tsfn_nonblocking) == napi_ok;
    }
  }
};

void RunJob(Job* job) {
  // The kernel reads and writes job->arg and the buffers patched into it:
  // job->refs hold their JS views (and so their backing stores) until the
  // completion runs on the JS thread, after this ioctl returned. job->fd stays
  // open: close() defers to the last completion while inFlight > 0.
  int r = ioctl(job->fd, job->request, job->arg);
  job->result = r < 0 ? -errno : r;
  job->env->Finished(job);
}

// ---------------------------------------------------------------------------
// Argument checking, shared by every entry point.

Napi::Value Throw(Napi::Env env, bool range, const char* msg) {
  if (range)
    Napi::RangeError::New(env, msg).ThrowAsJavaScriptException();
  else
    Napi::TypeError::New(env, msg).ThrowAsJavaScriptException();
  return env.Undefined();
}

size_t ElementSize(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array: case napi_uint16_array:
      return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array:
      return 4;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array:
      return 8;
    default:
      return 0;
  }
}

// Any TypedArray, Buffer or DataView, over an ArrayBuffer or a
// SharedArrayBuffer. For a SAB-backed view napi_get_typedarray_info /
// napi_get_dataview_info return the shared backing store's address (the
// `arraybuffer` out-value is then the SharedArrayBuffer, which
// napi_get_arraybuffer_info would reject, so it is never used). Getting the
// data pointer also moves small on-heap typed arrays off the V8 heap, so the
// address stays valid while the view is referenced.
bool GetTypedView(napi_env env, napi_value v, uint8_t** data, size_t* len,
                  napi_typedarray_type* type) {
  bool is = false;
  void* p = nullptr;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    size_t n = 0;
    if (napi_get_typedarray_info(env, v, type, &n, &p, nullptr, nullptr) != napi_ok)
      return false;
    size_t es = ElementSize(*type);
    if (es == 0) return false;
    *len = n * es;
  } else if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    if (napi_get_dataview_info(env, v, len, &p, nullptr, nullptr) != napi_ok)
      return false;
    *type = napi_uint8_array;
  } else {
    return false;
  }
  *data = static_cast<uint8_t*>(p);
  return true;
}

// The bytes of any ArrayBufferView (TypedArray of any type, Buffer, DataView)
// in one N-API call: napi_get_buffer_info accepts every ArrayBufferView
// (node::Buffer::HasInstance is IsArrayBufferView) and gives its byte length
// and data address, SAB-backed views included (the same backing-store lookup
// as napi_get_typedarray_info, without probing the element type). Anything
// else (an ArrayBuffer, a plain object) is napi_invalid_arg.
bool GetBytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  void* p = nullptr;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return false;
  *data = static_cast<uint8_t*>(p);
  return true;
}

struct Call {
  unsigned long request = 0;
  size_t nviews = 0;  // arg + extra buffers
  napi_value views[kMaxViews];
  uint8_t* data[kMaxViews];
  size_t len[kMaxViews];
  size_t npatches = 0;
  uint32_t patches[kMaxPatches][3];

  // Writes the patches; Parse() validated them all, so this cannot fail.
  // The addresses written are dereferenced by the kernel during the ioctl;
  // the views behind them are kept alive by the blocked JS thread (sync) or
  // by the job's napi references (async).
  void ApplyPatches() const {
    for (size_t i = 0; i < npatches; i++) {
      uint32_t target = patches[i][0], offset = patches[i][1], source = patches[i][2];
      uint64_t addr = len[source] == 0 ? 0 : reinterpret_cast<uintptr_t>(data[source]);
      memcpy(data[target] + offset, &addr, sizeof addr);
    }
  }
};

// (request, patches, arg, ...buffers) of ioctlSync() and ioctl(). On bad input
// throws a TypeError or RangeError and returns false; nothing is written then.
bool Parse(const Napi::CallbackInfo& info, Call* c) {
  napi_env env = info.Env();
  if (info.Length() < 3) return Throw(env, false, "expected (request, patches, arg, ...buffers)"), false;
  if (!info[0].IsNumber()) return Throw(env, false, "request must be a number"), false;
  double req = info[0].As<Napi::Number>().DoubleValue();
  if (req != kFwctlInfo && req != kFwctlRpc)
    return Throw(env, true, "request must be FWCTL_INFO or FWCTL_RPC"), false;
  c->request = static_cast<unsigned long>(req);

  if (info.Length() - 3 > kMaxBuffers) return Throw(env, true, "at most 8 extra buffers"), false;
  c->nviews = info.Length() - 2;
  for (size_t i = 0; i < c->nviews; i++) {
    c->views[i] = info[i + 2];
    if (!GetBytes(env, c->views[i], &c->data[i], &c->len[i]))
      return Throw(env, false, i == 0 ? "arg must be a TypedArray or DataView"
                                      : "buffers must be TypedArrays or DataViews"), false;
  }
  // The kernel reads and writes back `size` (first u32) bytes of arg.
  uint32_t size = 0;
  if (c->len[0] < 4) return Throw(env, true, "arg is shorter than 4 bytes"), false;
  memcpy(&size, c->data[0], 4);
  if (size > c->len[0]) return Throw(env, true, "arg's size field exceeds its byteLength"), false;

  uint8_t* pdata = nullptr;
  size_t plen = 0;
  napi_typedarray_type ptype;
  if (!GetTypedView(env, info[1], &pdata, &plen, &ptype) || ptype != napi_uint32_array)
    return Throw(env, false, "patches must be a Uint32Array"), false;
  if (plen % 12 != 0) return Throw(env, true, "patches must hold (target, offset, source) triples"), false;
  if (plen / 12 > kMaxPatches) return Throw(env, true, "too many patches"), false;
  c->npatches = plen / 12;
  memcpy(c->patches, pdata, plen);  // a copy: a patch may land on the patch list itself
  for (size_t i = 0; i < c->npatches; i++) {
    uint64_t target = c->patches[i][0], offset = c->patches[i][1], source = c->patches[i][2];
    if (target >= c->nviews || source >= c->nviews)
      return Throw(env, true, "patch buffer index out of range"), false;
    if (offset + 8 > c->len[target]) return Throw(env, true, "patch offset out of range"), false;
    if (target == 0 && offset < 4) return Throw(env, true, "patch overlaps arg's size field"), false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Handle: one open fd.

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FwctlHandle",
                       {InstanceAccessor<&Handle::Fd>("fd"),
                        InstanceAccessor<&Handle::InFlight>("inFlight"),
                        InstanceMethod<&Handle::Fstat>("fstat"),
                        InstanceMethod<&Handle::IoctlSync>("ioctlSync"),
                        InstanceMethod<&Handle::Ioctl>("ioctl"),
                        InstanceMethod<&Handle::Close>("close")});
  }

  // new FwctlHandle(External<EnvState>, fd): only open() holds the token.
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
    env_ = info.Env().GetInstanceData<EnvState>();
    if (info.Length() != 2 || !info[0].IsExternal() ||
        info[0].As<Napi::External<EnvState>>().Data() != env_ || !info[1].IsNumber()) {
      Throw(info.Env(), false, "FwctlHandle is created by open()");
      return;
    }
    fd_ = info[1].As<Napi::Number>().Int32Value();
  }

  // Finalizer (GC, or env teardown after our cleanup hook released all jobs).
  ~Handle() override {
    if (fd_ >= 0 && inFlight_ == 0) ::close(fd_);
  }

  // Gives the handle object its own `ioctlSync` and `ioctl`: functions whose
  // napi data is this Handle, so a call needs no napi_unwrap (a private-symbol
  // property lookup, ~800 instructions, the largest single cost of a sync
  // call). Each function holds the handle object in a read-only,
  // non-configurable property, so while user code can reach the function
  // (even detached from the handle: `const f = h.ioctlSync`) the handle object,
  // hence this Handle, is alive; the data pointer can never dangle. The own
  // properties are read-only and non-configurable too (they shadow the
  // prototype's methods, which stay as the fallback and behave the same).
  bool Bind(Napi::Env env, Napi::Object self) {
    Napi::Function sync = Napi::Function::New<&Handle::IoctlSyncBound>(env, "ioctlSync", this);
    if (env.IsExceptionPending()) return false;
    Napi::Function async = Napi::Function::New<&Handle::IoctlBound>(env, "ioctl", this);
    if (env.IsExceptionPending()) return false;
    for (Napi::Function f : {sync, async}) {
      f.DefineProperty(Napi::PropertyDescriptor::Value("handle", self, napi_default));
      if (env.IsExceptionPending()) return false;
    }
    self.DefineProperties({Napi::PropertyDescriptor::Value("ioctlSync", sync, napi_default),
                           Napi::PropertyDescriptor::Value("ioctl", async, napi_default)});
    return !env.IsExceptionPending();
  }

  // Called on the JS thread when a job of this handle is released.
  void JobDone() {
    if (--inFlight_ == 0 && closed_) CloseFd();
  }

 private:
  int CloseFd() {
    int r = ::close(fd_);
    int e = errno;
    fd_ = -1;
    return r < 0 && e != EINTR ? -e : 0;  // Linux frees the fd even on EINTR
  }

  Napi::Value Fd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), closed_ ? -1 : fd_);
  }

  Napi::Value InFlight(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(inFlight_));
  }

  Napi::Value Fstat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct stat st;
    if (closed_) return Napi::Number::New(env, -EBADF);
    if (fstat(fd_, &st) < 0) return Napi::Number::New(env, -errno);
    Napi::Array a = Napi::Array::New(env, 3);
    a.Set(0u, Napi::Number::New(env, st.st_mode));
    a.Set(1u, Napi::Number::New(env, major(st.st_rdev)));
    a.Set(2u, Napi::Number::New(env, minor(st.st_rdev)));
    return a;
  }

  Napi::Value IoctlSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Call c;
    if (!Parse(info, &c)) return env.Undefined();
    if (closed_) return Napi::Number::New(env, -EBADF);
    c.ApplyPatches();
    // The kernel uses the views' memory: the JS thread is blocked in this
    // call, so nothing can run that would free, move or detach it.
    int r = ioctl(fd_, c.request, c.data[0]);
    return Napi::Number::New(env, r < 0 ? -errno : r);
  }

  Napi::Value Ioctl(const Napi::CallbackInfo& info);

  static Napi::Value IoctlSyncBound(const Napi::CallbackInfo& info) {
    return static_cast<Handle*>(info.Data())->IoctlSync(info);
  }
  static Napi::Value IoctlBound(const Napi::CallbackInfo& info) {
    return static_cast<Handle*>(info.Data())->Ioctl(info);
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closed_) return Napi::Number::New(env, -EBADF);
    closed_ = true;
    if (inFlight_ > 0) return Napi::Number::New(env, 0);  // the last completion closes fd_
    return Napi::Number::New(env, CloseFd());
  }

  EnvState* env_ = nullptr;
  int fd_ = -1;
  bool closed_ = false;  // close() was called; fd_ may stay open for in-flight jobs
  size_t inFlight_ = 0;
};

// Releases a finished (or never started) job on the JS thread. With `deliver`
// the promise is resolved; without (env teardown) no JS is touched.
void Release(napi_env env, Job* job, bool deliver) {
  EnvState* s = job->env;
  job->handle->JobDone();
  for (size_t i = 0; i < job->nrefs; i++) napi_delete_reference(env, job->refs[i]);
  if (--s->inFlight == 0 && deliver) napi_unref_threadsafe_function(env, s->tsfn);
  if (deliver) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_value v;
      if (napi_create_int32(env, job->result, &v) == napi_ok)
        napi_resolve_deferred(env, job->deferred, v);
      napi_close_handle_scope(env, scope);
    }
  }
  delete job;
}

Napi::Value Handle::Ioctl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Call c;
  if (!Parse(info, &c)) return env.Undefined();
  napi_deferred deferred;
  napi_value promise;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok)
    return env.Undefined();  // the environment is stopping (worker.terminate)
  if (closed_) {
    napi_resolve_deferred(env, deferred, Napi::Number::New(env, -EBADF));
    return Napi::Value(env, promise);
  }
  c.ApplyPatches();

  Job* job = new Job;
  job->env = env_;
  job->handle = this;
  job->fd = fd_;
  job->request = c.request;
  job->arg = c.data[0];
  job->deferred = deferred;
  // Keep the handle and every view (hence its backing store) alive until the
  // job is released on this thread, after its ioctl has returned.
  bool pinned = true;
  for (size_t i = 0; i <= c.nviews; i++) {
    napi_value v = i == 0 ? Value() : c.views[i - 1];
    if (napi_create_reference(env, v, 1, &job->refs[job->nrefs]) == napi_ok)
      job->nrefs++;
    else
      pinned = false;
  }
  inFlight_++;
  if (env_->inFlight++ == 0) napi_ref_threadsafe_function(env, env_->tsfn);
  if (!pinned) {
    job->result = -ENOMEM;  // never handed to the kernel
    Release(env, job, true);
    return Napi::Value(env, promise);
  }
  {
    std::lock_guard<std::mutex> lock(env_->mu);
    env_->inKernel++;
  }
  if (!Pool::Get().Submit(job)) {
    {
      std::lock_guard<std::mutex> lock(env_->mu);
      env_->inKernel--;
    }
    job->result = -EAGAIN;  // no pool thread could be started
    Release(env, job, true);
  }
  return Napi::Value(env, promise);
}

// ---------------------------------------------------------------------------
// Environment wiring.

// TSFN call_js: a wake-up; the data travels in EnvState::done.
void Deliver(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // TSFN being torn down: our hook already ran
  EnvState* s = static_cast<EnvState*>(context);
  std::vector<Job*> jobs;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    jobs.swap(s->done);
    s->wakePosted = false;
  }
  for (Job* job : jobs) Release(env, job, true);
}

// Env cleanup hook; see the protocol at the top of this file.
void Teardown(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  std::vector<Job*> jobs;
  Pool::Get().TakeQueued(s, &jobs);
  {
    std::unique_lock<std::mutex> lock(s->mu);
    s->closing = true;
    s->inKernel -= jobs.size();
    s->cv.wait(lock, [s] { return s->inKernel == 0; });
    jobs.insert(jobs.end(), s->done.begin(), s->done.end());
    s->done.clear();
  }
  for (Job* job : jobs) Release(s->env, job, false);
  s->ctor.Reset();
}

// Instance-data finalizer: runs when the napi_env is deleted, after the TSFN.
void FreeEnvState(Napi::Env, EnvState* s) {
  s->ctor.SuppressDestruct();  // reset in Teardown, or owned by the dying env
  delete s;
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return Throw(env, false, "path must be a string");
  std::string path = info[0].As<Napi::String>();
  if (path.find('\0') != std::string::npos) return Throw(env, false, "path must not contain NUL bytes");
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Napi::Number::New(env, -errno);
  EnvState* s = env.GetInstanceData<EnvState>();
  Napi::Object h = s->ctor.New({Napi::External<EnvState>::New(env, s), Napi::Number::New(env, fd)});
  if (env.IsExceptionPending() || h.IsEmpty()) {
    ::close(fd);
    return env.Undefined();
  }
  // On failure the handle object is dropped; its finalizer closes the fd.
  if (!Handle::Unwrap(h)->Bind(env, h)) return env.Undefined();
  return h;
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
  if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, s,
                                      Deliver, &s->tsfn) != napi_ok) {
    Throw(env, false, "fwctl: cannot create the completion channel");
    return exports;
  }
  napi_unref_threadsafe_function(env, s->tsfn);  // idle: do not keep the loop alive
  // Registered after the TSFN (which registers its own hook on creation), so
  // it runs before the TSFN's hook.
  napi_add_env_cleanup_hook(env, Teardown, s);

  exports.Set("open", Napi::Function::New(env, Open, "open"));
  exports.Set("poolStats", Napi::Function::New(env, PoolStats, "poolStats"));
  exports.Set("FWCTL_INFO", Napi::Number::New(env, kFwctlInfo));
  exports.Set("FWCTL_RPC", Napi::Number::New(env, kFwctlRpc));
  return exports;
}

}  // namespace

NODE_API_MODULE(fwctl, Init)
