// fwctl.cc: the native layer of the fwctl package (contract: lib/binding.ts).
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
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

constexpr unsigned long kFwctlInfo = 0x9A00;  // _IO(0x9A, 0)
constexpr unsigned long kFwctlRpc = 0x9A01;   // _IO(0x9A, 1)
constexpr size_t kMaxRpcLen = 2 * 1024 * 1024;  // MAX_RPC_LEN in drivers/fwctl/main.c
constexpr size_t kMaxAttach = 6;
constexpr size_t kSpecWords = 6;   // per attachment: ptr, lenOff, lenFlags, unit, fixed, dir
constexpr size_t kGuardWords = 8;  // per guard: type, key, + the six above
constexpr uint32_t kAnyKey = 0xFFFFFFFFu;
constexpr uint32_t kLenFromTable = 0xFFFFu;  // lenFlags: the driver table's length
constexpr uint32_t kLenBE = 0x100;           // lenFlags: big-endian length field
constexpr uint32_t kPtrLE = 0x200;           // lenFlags: little-endian pointer (else host)
constexpr uint32_t kDirIn = 1, kDirOut = 2;
constexpr size_t kMaxThreads = 256;
constexpr long kIdleMsDefault = 30000;

// The UAPI structs (include/uapi/fwctl/fwctl.h); test/unit/layout.test.ts
// checks these sizes and offsets against the kernel's headers via lib/uapi.
struct FwctlInfo {
  uint32_t size;
  uint32_t flags;
  uint32_t out_device_type;
  uint32_t device_data_len;
  uint64_t out_device_data;
};
struct FwctlRpc {
  uint32_t size;
  uint32_t scope;
  uint32_t in_len;
  uint32_t out_len;
  uint64_t in;
  uint64_t out;
};
static_assert(sizeof(FwctlInfo) == 24, "struct fwctl_info");
static_assert(sizeof(FwctlRpc) == 32, "struct fwctl_rpc");

uint64_t Addr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// ---------------------------------------------------------------------------
// The fd, shared by a handle and its jobs in flight.

struct FdRef {
  explicit FdRef(int f) : fd(f) {}
  int fd;
  std::atomic<int> refs{1};
};

// Drops one reference; the last one closes the fd. Returns close()'s -errno
// or 0 (also when another reference keeps the fd open).
int ReleaseFd(FdRef* f) {
  if (f->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return 0;
  int r = ::close(f->fd);
  int e = errno;
  delete f;
  return r < 0 && e != EINTR ? -e : 0;  // Linux frees the fd even on EINTR
}

// ---------------------------------------------------------------------------
// allocBuffer() ArrayBuffers: engine memory, known by a type tag (see the
// protocol above). Counted for regionStats() while their ArrayBuffer
// objects live in the environment that made them.

constexpr napi_type_tag kAllocTag = {0x8f3c2a61d4b7e905ULL, 0x5e21c9b0a7f4d368ULL};  // this addon's, arbitrary
std::atomic<size_t> gAllocLive{0}, gAllocBytes{0};

// ---------------------------------------------------------------------------
// Pointer guards: which fields of which requests the kernel dereferences.

struct Nested {  // one nested buffer: a pointer field and how its length is given
  uint32_t ptr = 0, lenOff = 0, lenFlags = 0, unit = 1, fixed = 0, dir = 0;
  bool operator==(const Nested& o) const {
    return ptr == o.ptr && lenOff == o.lenOff && (lenFlags & 0x3FF) == (o.lenFlags & 0x3FF) &&
           unit == o.unit && fixed == o.fixed;
  }
};
struct Guard {
  uint32_t type, key;
  Nested n;
};

// Set once (setPointerGuards) before any device is opened; immutable after,
// so readers need no lock: an acquire load of the pointer.
constexpr size_t kMaxGuardsPerRequest = 8;  // checked at setPointerGuards
std::mutex gGuardsMu;                       // serialises the one store
std::atomic<const std::vector<Guard>*> gGuards{nullptr};

const std::vector<Guard>* Guards() { return gGuards.load(std::memory_order_acquire); }

// Whether a device type has pointer fields at all (decided once per handle).
bool TypeHasGuards(uint32_t type) {
  const std::vector<Guard>* g = Guards();
  if (!g) return false;
  for (const Guard& x : *g)
    if (x.type == type) return true;
  return false;
}

// ---------------------------------------------------------------------------
// Jobs and the pool.

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
  int openedFd = -1;
  uint32_t stat[3] = {};
  uint32_t type = 0;

  ~Job() {
    free(mem);
    free(response);
    if (openedFd >= 0) ::close(openedFd);
  }
};

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
  void TakeQueued(const EnvCore* core, std::vector<Job*>* out) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if ((*it)->core.get() == core) {
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

// Shared between an environment and the pool threads running its jobs.
struct EnvCore {
  std::mutex mu;  // guards everything below
  napi_threadsafe_function tsfn = nullptr;  // wake-up channel; untouched once closing
  bool closing = false;
  bool wakePosted = false;
  std::vector<Job*> done;

  // Pool thread, once the job's syscall returned. False: the env is gone,
  // the caller owns (and frees) the job.
  bool Finished(Job* job) {
    std::lock_guard<std::mutex> lock(mu);
    if (closing) return false;
    done.push_back(job);
    if (!wakePosted)
      wakePosted = napi_call_threadsafe_function(tsfn, nullptr, napi_tsfn_nonblocking) == napi_ok;
    return true;
  }
};

void RunJob(Job* job) {
  switch (job->kind) {
    case Kind::Open: {
      int fd = ::open(job->path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
      if (fd < 0) {
        job->result = -errno;
        break;
      }
      struct stat st;
      FwctlInfo info{};
      info.size = sizeof info;
      if (fstat(fd, &st) < 0) {
        job->result = -errno;
      } else if (ioctl(fd, kFwctlInfo, &info) < 0) {
        // device_data_len 0: the core answers the type without the driver.
        job->result = -errno;
      } else {
        job->stat[0] = st.st_mode;
        job->stat[1] = major(st.st_rdev);
        job->stat[2] = minor(st.st_rdev);
        job->type = info.out_device_type;
        job->openedFd = fd;  // owned by the job until a Handle takes it
        fd = -1;
      }
      if (fd >= 0) ::close(fd);
      break;
    }
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

// ---------------------------------------------------------------------------
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

void Uncount(EnvState* s, Job* job) {
  if (!job->counted) return;
  job->counted = false;
  if (--s->counted == 0 && !s->tornDown) napi_unref_threadsafe_function(s->env, s->core->tsfn);
}

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

// ---------------------------------------------------------------------------
// Argument checking, one helper for every entry point. The error is built
// by the factory lib/binding.ts registers at load (setErrorFactory: the
// package's FwctlRangeError / FwctlTypeError, with their ERR_FWCTL_* codes);
// without one, a plain RangeError / TypeError carrying the same code.

// What is wrong with an argument: its type, its range, or a value of the
// right type that the call cannot take (a detached buffer). The factory's
// first argument; the codes are ERR_FWCTL_INVALID_ARG_TYPE,
// ERR_FWCTL_OUT_OF_RANGE and ERR_FWCTL_INVALID_ARG_VALUE.
enum ArgError { kType = 0, kRange = 1, kValue = 2 };

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
Napi::Value Throw(Napi::Env env, bool range, const std::string& msg) { return Throw(env, range ? kRange : kType, msg); }

// The bytes of any ArrayBufferView (TypedArray, Buffer, DataView), over an
// ArrayBuffer or a SharedArrayBuffer, in one N-API call: data address and
// byte length as V8 has them now. A detached view reads as length 0.
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

void PutUint(uint8_t* p, uint64_t v, unsigned width, bool be) {
  for (unsigned i = 0; i < width; i++) {
    unsigned shift = be ? 8 * (width - 1 - i) : 8 * i;
    p[i] = static_cast<uint8_t>(v >> shift);
  }
}

// The pointer's byte order: host (the fwctl convention), or little-endian.
void PutPtr(uint8_t* p, uint64_t addr, uint32_t flags) {
  if (flags & kPtrLE)
    PutUint(p, addr, 8, false);
  else
    memcpy(p, &addr, 8);
}

// The ArrayBuffer (or SharedArrayBuffer) a view lies in. False: no view.
bool BufferOf(napi_env env, napi_value v, napi_value* ab) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is)
    return napi_get_typedarray_info(env, v, nullptr, nullptr, nullptr, ab, nullptr) == napi_ok;
  if (napi_is_dataview(env, v, &is) == napi_ok && is)
    return napi_get_dataview_info(env, v, nullptr, nullptr, ab, nullptr) == napi_ok;
  return false;
}

// A view whose ArrayBuffer was detached (transferred away): it reads as 0 bytes.
bool IsDetachedView(napi_env env, napi_value v) {
  napi_value ab;
  bool detached = false;
  return BufferOf(env, v, &ab) && napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached;
}

// A view argument: its bytes as V8 has them now. Throws (and returns false)
// for a non-view, and for a detached view: a call over memory that was
// moved away is refused, never sent as 0 bytes.
bool GetView(napi_env env, napi_value v, uint8_t** data, size_t* len, const char* what) {
  if (!GetBytes(env, v, data, len)) return Throw(env, kType, std::string(what) + " must be a TypedArray or DataView"), false;
  if (*len == 0 && IsDetachedView(env, v))
    return Throw(env, kValue, std::string(what) + " is detached (its ArrayBuffer was transferred)"), false;
  return true;
}

struct RpcArgs;

// A caller's request: where its bytes are and how many, as the native view
// said. Only SealRequest() reads the bytes (see the protocol at the top).
class CallerRequest {
 public:
  void Set(const uint8_t* p, size_t len) {
    p_ = p;
    len_ = len;
  }
  size_t size() const { return len_; }

 private:
  friend bool SealRequest(napi_env env, uint32_t devType, bool typed, RpcArgs* a, uint8_t* dst, uint8_t* const* addr,
                          const uint8_t** out);
  const uint8_t* p_ = nullptr;
  size_t len_ = 0;
};

// An RPC's arguments, parsed from the native views: where each byte the
// kernel may touch lives and how long it is.
struct RpcArgs {
  uint32_t scope = 0;
  CallerRequest request;
  uint8_t* resp = nullptr;  // sync: the caller's response view
  size_t respLen = 0;
  size_t natt = 0;
  Nested spec[kMaxAttach];
  napi_value views[kMaxAttach];
  uint8_t* data[kMaxAttach];
  size_t len[kMaxAttach];
  uint64_t lenValue[kMaxAttach];
  napi_value into = nullptr;  // async: the caller's response view (copied into at completion)
};

bool Overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen) {
  return a < b + blen && b < a + alen;
}

// The guards of the device type that apply to this request (keyed by its
// first two bytes, the bnxt req_type; kAnyKey for every request). `req` is
// the addon's copy.
size_t GuardsFor(uint32_t devType, const uint8_t* req, size_t reqLen, const Guard** mine) {
  size_t n = 0;
  uint32_t key = reqLen >= 2 ? (req[0] | (req[1] << 8)) : kAnyKey - 1;
  for (const Guard& g : *Guards())
    if (g.type == devType && (g.key == kAnyKey || g.key == key) && n < kMaxGuardsPerRequest) mine[n++] = &g;
  return n;
}

void ThrowRawPointer(napi_env env, int64_t off) {
  Throw(env, kRange, "request holds a raw user pointer at offset " + std::to_string(off) +
                         ", which the driver dereferences: pass that buffer with `attach` (its "
                         "length is then written from the buffer) or use the typed helper");
}

// Parses (scope, request, responseOrLength, [spec, ...buffers]) starting at
// info[first]. `responseIsView`: sync (a view) or async (a length, or a view
// copied into at completion). Reads lengths and addresses from the native
// views, and no byte of the request: SealRequest checks the request itself.
// On bad input throws and returns false; nothing has been written then.
bool ParseRpc(const Napi::CallbackInfo& info, size_t first, bool responseIsView, RpcArgs* a) {
  napi_env env = info.Env();
  size_t argc = info.Length();
  if (argc < first + 3) return Throw(env, false, "expected (scope, request, response[, spec, ...buffers])"), false;
  // The scope is not a length: the kernel validates it (EOPNOTSUPP above 3);
  // napi_get_value_int32 is the cheapest read of a number (negative: refused).
  int32_t scope;
  if (napi_get_value_int32(env, info[first], &scope) != napi_ok || scope < 0)
    return Throw(env, false, "scope must be a u32"), false;
  a->scope = static_cast<uint32_t>(scope);
  uint8_t* req = nullptr;
  size_t reqLen = 0;
  if (!GetView(env, info[first + 1], &req, &reqLen, "request")) return false;
  if (reqLen > kMaxRpcLen) return Throw(env, true, "request exceeds the kernel's 2 MiB limit"), false;
  a->request.Set(req, reqLen);
  if (responseIsView) {
    if (!GetView(env, info[first + 2], &a->resp, &a->respLen, "response")) return false;
  } else if (info[first + 2].IsNumber()) {
    uint32_t n;
    if (!GetU32(env, info[first + 2], &n)) return Throw(env, false, "response length must be a u32"), false;
    a->respLen = n;
  } else {
    // Async into the caller's view: the kernel writes the job's memory; the
    // bytes are copied into this view at completion (length checked then).
    a->into = info[first + 2];
    if (!GetView(env, a->into, &a->resp, &a->respLen, "response")) return false;
    a->resp = nullptr;
  }
  if (a->respLen > kMaxRpcLen) return Throw(env, true, "response exceeds the kernel's 2 MiB limit"), false;

  // Attachments: a Uint32Array of kSpecWords per buffer, then the buffers.
  if (argc > first + 3 && !info[first + 3].IsUndefined()) {
    napi_typedarray_type t;
    size_t n = 0;
    void* p = nullptr;
    bool is = false;
    if (napi_is_typedarray(env, info[first + 3], &is) != napi_ok || !is ||
        napi_get_typedarray_info(env, info[first + 3], &t, &n, &p, nullptr, nullptr) != napi_ok ||
        t != napi_uint32_array || n % kSpecWords != 0)
      return Throw(env, false, "attachment spec must be a Uint32Array of 6-word entries"), false;
    a->natt = n / kSpecWords;
    if (a->natt > kMaxAttach) return Throw(env, true, "at most 6 attachments"), false;
    if (argc - (first + 4) != a->natt)
      return Throw(env, false, "one buffer per attachment spec entry"), false;
    const uint32_t* w = static_cast<const uint32_t*>(p);
    for (size_t k = 0; k < a->natt; k++) {
      Nested& s = a->spec[k];
      s.ptr = w[k * kSpecWords + 0];
      s.lenOff = w[k * kSpecWords + 1];
      s.lenFlags = w[k * kSpecWords + 2];
      s.unit = w[k * kSpecWords + 3];
      s.fixed = w[k * kSpecWords + 4];
      s.dir = w[k * kSpecWords + 5];
      a->views[k] = info[first + 4 + k];
      if (!GetView(env, a->views[k], &a->data[k], &a->len[k], "attachment")) return false;
    }
  } else if (argc > first + 4) {
    return Throw(env, false, "buffers without an attachment spec"), false;
  }
  return true;
}

// The request as the kernel will read it (a->request.size() bytes). `dst`
// (that many bytes, or null when the request goes as it is) receives the
// addon's copy: the caller's bytes are read once, by the memcpy below, and
// every check and patch after it is on the copy. Returns the caller's bytes
// only when dst is null and the addon reads none of them (no pointer
// fields, no attachments). `addr[k]` is where attachment k lives for the
// kernel (its address and length are written into the copy). Throws and
// returns null on a refusal; nothing reached the kernel then.
bool SealRequest(napi_env env, uint32_t devType, bool typed, RpcArgs* a, uint8_t* dst, uint8_t* const* addr,
                 const uint8_t** out) {
  const size_t reqLen = a->request.len_;
  if (!typed && a->natt == 0 && !dst) {
    *out = a->request.p_;
    return true;
  }
  if (!dst) return Throw(env, false, "internal: a checked request needs a copy"), false;
  if (reqLen) memcpy(dst, a->request.p_, reqLen);  // a 0-length view may have no data pointer
  const uint8_t* req = dst;                        // from here on, only the copy
  *out = req;
  if (!typed && a->natt == 0) return true;

  const Guard* mine[kMaxGuardsPerRequest];
  size_t nmine = typed ? GuardsFor(devType, req, reqLen, mine) : 0;
  // A pointer field the request ends inside: the driver would read 8 bytes
  // there, past what the check sees.
  for (size_t m = 0; m < nmine; m++)
    if (mine[m]->n.ptr < reqLen && static_cast<uint64_t>(mine[m]->n.ptr) + 8 > reqLen)
      return Throw(env, kRange, "the request ends inside the pointer field at offset " + std::to_string(mine[m]->n.ptr) +
                                    ", which the driver dereferences"), false;

  // Byte ranges patched into the request: (offset, width, value). Two
  // buffers may share one length field (bnxt's PORT_QSTATS_EXT_PFC_ADV and
  // DBG_PTRACE bounce both with one length) when they need the same value.
  struct Written {
    uint32_t off, width;
    uint64_t value;
    bool length;
  };
  Written written[2 * kMaxAttach];
  size_t nwritten = 0;
  for (size_t k = 0; k < a->natt; k++) {
    Nested& s = a->spec[k];
    const Guard* g = nullptr;
    for (size_t i = 0; i < nmine; i++)
      if (mine[i]->n.ptr == s.ptr) g = mine[i];
    // The message prefix is built only when an error is thrown.
    auto at = [k, &s]() { return "attachment " + std::to_string(k) + " (pointer at offset " + std::to_string(s.ptr) + ")"; };
    if (typed) {
      if (!g)
        return Throw(env, true, at() + ": the driver reads no pointer there for this request"), false;
      if (s.lenFlags == kLenFromTable) {
        uint32_t dir = s.dir;
        s = g->n;
        s.dir = dir;
      } else if (!(s == g->n)) {
        return Throw(env, true, at() + ": its length must be given as the driver reads it (offset " +
                                    std::to_string(g->n.lenOff) + ")"), false;
      }
      if ((s.dir & g->n.dir) != g->n.dir && s.dir != (kDirIn | kDirOut))
        return Throw(env, true, at() + ": direction does not match what the driver does with it"), false;
    } else if (s.lenFlags == kLenFromTable) {
      return Throw(env, true, at() + ": this device type has no known length field: give one"), false;
    }
    unsigned width = s.lenFlags & 0xFF;
    if (s.dir < 1 || s.dir > 3) return Throw(env, true, at() + ": direction must be in, out or inout"), false;
    if (static_cast<uint64_t>(s.ptr) + 8 > reqLen) return Throw(env, true, at() + ": past the end of the request"), false;
    if (width == 0 && s.fixed == 0)
      return Throw(env, true, at() + ": needs its length (a length field or the driver's fixed length)"), false;
    if (width != 0 && width != 2 && width != 4 && width != 8)
      return Throw(env, true, at() + ": length field width must be 2, 4 or 8"), false;
    if (s.unit == 0) return Throw(env, true, at() + ": length unit must be at least 1"), false;
    if (a->len[k] > kMaxRpcLen) return Throw(env, true, at() + ": buffer exceeds 2 MiB"), false;
    if (s.fixed != 0 && a->len[k] < s.fixed)
      return Throw(env, true, at() + ": the driver always transfers " + std::to_string(s.fixed) +
                                  " bytes, the buffer has " + std::to_string(a->len[k])), false;
    written[nwritten++] = {s.ptr, 8, 0, false};
    if (width != 0) {
      if (static_cast<uint64_t>(s.lenOff) + width > reqLen)
        return Throw(env, true, at() + ": its length field is past the end of the request"), false;
      if (a->len[k] % s.unit != 0)
        return Throw(env, true, at() + ": buffer length " + std::to_string(a->len[k]) +
                                    " is not a multiple of the length unit " + std::to_string(s.unit)), false;
      uint64_t v = a->len[k] / s.unit;
      if (width < 8 && v >> (8 * width))
        return Throw(env, true, at() + ": buffer length does not fit its length field"), false;
      a->lenValue[k] = v;
      written[nwritten++] = {s.lenOff, width, v, true};
    }
  }
  for (size_t i = 0; i < nwritten; i++) {
    for (size_t j = i + 1; j < nwritten; j++) {
      const Written &x = written[i], &y = written[j];
      if (!Overlaps(x.off, x.width, y.off, y.width)) continue;
      if (x.length && y.length && x.off == y.off && x.width == y.width) {
        if (x.value == y.value) continue;  // one shared length field, one value
        return Throw(env, true, "two attachments share the length field at offset " + std::to_string(x.off) +
                                    ": the driver transfers the same length for both, so the buffers must be the same size"), false;
      }
      return Throw(env, true, "attachments' pointer and length fields overlap"), false;
    }
  }

  // Raw pointers: a guarded field that no attachment provides must be 0.
  for (size_t m = 0; m < nmine; m++) {
    const Guard* g = mine[m];
    if (static_cast<uint64_t>(g->n.ptr) + 8 > reqLen) continue;  // not in this request (a shorter one ends before it)
    bool provided = false;
    for (size_t k = 0; k < a->natt; k++) provided |= a->spec[k].ptr == g->n.ptr;
    if (provided) continue;
    for (int i = 0; i < 8; i++)
      if (req[g->n.ptr + i] != 0) return ThrowRawPointer(env, g->n.ptr), false;
  }

  // Each attachment's address and length, into the copy.
  for (size_t k = 0; k < a->natt; k++) {
    const Nested& s = a->spec[k];
    PutPtr(dst + s.ptr, a->len[k] == 0 ? 0 : Addr(addr[k]), s.lenFlags);
    unsigned width = s.lenFlags & 0xFF;
    if (width) PutUint(dst + s.lenOff, a->lenValue[k], width, s.lenFlags & kLenBE);
  }
  return true;
}

// Room for a sync call's request copy: on the stack when small.
class RequestCopy {
 public:
  // `n` bytes, or null when out of memory.
  uint8_t* Get(size_t n) {
    if (n <= sizeof small_) return small_;
    big_.reset(new (std::nothrow) uint8_t[n]);
    return big_.get();
  }

 private:
  uint8_t small_[256];
  std::unique_ptr<uint8_t[]> big_;
};

// The FWCTL_RPC argument for a request, a response and a scope.
FwctlRpc RpcStruct(uint32_t scope, const uint8_t* req, size_t reqLen, const uint8_t* resp, size_t respLen) {
  FwctlRpc rpc{};
  rpc.size = sizeof rpc;
  rpc.scope = scope;
  rpc.in_len = static_cast<uint32_t>(reqLen);
  rpc.out_len = static_cast<uint32_t>(respLen);
  rpc.in = reqLen ? Addr(req) : 0;
  rpc.out = respLen ? Addr(resp) : 0;
  return rpc;
}

// ---------------------------------------------------------------------------
// Handle: one open fd.

class Handle : public Napi::ObjectWrap<Handle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FwctlHandle",
                       {InstanceAccessor<&Handle::Fd>("fd"),
                        InstanceAccessor<&Handle::InFlight>("inFlight"),
                        InstanceAccessor<&Handle::Type>("type"),
                        InstanceMethod<&Handle::Fstat>("fstat"),
                        InstanceMethod<&Handle::Close>("close"),
                        InstanceMethod<&Handle::BindRpc>("bindRpc"),
                        InstanceMethod<&Handle::BindInfo>("bindInfo"),
                        InstanceMethod<&Handle::BindNoop>("bindNoop"),
                        InstanceMethod<&Handle::CloseAsync>("closeAsync")});
  }

  // new FwctlHandle(External<EnvState>, fd, type): only open() holds the token.
  explicit Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
    env_ = info.Env().GetInstanceData<EnvState>();
    if (info.Length() != 3 || !info[0].IsExternal() ||
        info[0].As<Napi::External<EnvState>>().Data() != env_ || !info[1].IsNumber() ||
        !info[2].IsNumber()) {
      Throw(info.Env(), false, "FwctlHandle is created by open()");
      return;
    }
    fd_ = new FdRef(info[1].As<Napi::Number>().Int32Value());
    SetType(info[2].As<Napi::Number>().Uint32Value());
  }

  // Finaliser (GC or env teardown): the last close may run a firmware
  // command in the driver (mlx5 DESTROY_UCTX), so it goes to the pool.
  ~Handle() override {
    if (fd_ == nullptr) return;
    Job* job = new Job;
    job->kind = Kind::Close;
    job->fd = fd_;
    fd_ = nullptr;
    if (!Pool::Get().Submit(job)) {
      ReleaseFd(job->fd);
      job->fd = nullptr;
      delete job;
    }
  }

  // Gives the handle object its own call functions, whose napi data is this
  // Handle, so a call needs no napi_unwrap (a private-symbol lookup, the
  // largest single cost of a sync call). Each function holds the handle
  // object in a read-only, non-configurable property, so while user code can
  // reach the function the Handle is alive; the data pointer cannot dangle.
  bool Bind(Napi::Env env, Napi::Object self) {
    Napi::Function fns[] = {
        Napi::Function::New<&Handle::RpcSyncBound>(env, "rpcSync", this),
        Napi::Function::New<&Handle::RpcBound>(env, "rpc", this),
        Napi::Function::New<&Handle::InfoSyncBound>(env, "infoSync", this),
        Napi::Function::New<&Handle::InfoBound>(env, "info", this),
        Napi::Function::New<&Handle::NoopBound>(env, "rpcNoop", this),
    };
    if (env.IsExceptionPending()) return false;
    const char* names[] = {"rpcSync", "rpc", "infoSync", "info", "rpcNoop"};
    std::vector<Napi::PropertyDescriptor> props;
    for (size_t i = 0; i < 5; i++) {
      fns[i].DefineProperty(Napi::PropertyDescriptor::Value("handle", self, napi_default));
      if (env.IsExceptionPending()) return false;
      props.push_back(Napi::PropertyDescriptor::Value(names[i], fns[i], napi_default));
    }
    self.DefineProperties(props);
    return !env.IsExceptionPending();
  }

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
  Napi::Value Fd(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), fd_ ? fd_->fd : -1);
  }
  Napi::Value InFlight(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(inFlight_));
  }
  Napi::Value Type(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), type_); }

  Napi::Value Fstat(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    struct stat st;
    if (!fd_) return Napi::Number::New(env, -EBADF);
    if (fstat(fd_->fd, &st) < 0) return Napi::Number::New(env, -errno);
    Napi::Array a = Napi::Array::New(env, 3);
    a.Set(0u, Napi::Number::New(env, st.st_mode));
    a.Set(1u, Napi::Number::New(env, major(st.st_rdev)));
    a.Set(2u, Napi::Number::New(env, minor(st.st_rdev)));
    return a;
  }

  static Napi::Value RpcSyncBound(const Napi::CallbackInfo& info);
  static Napi::Value RpcBound(const Napi::CallbackInfo& info);
  static Napi::Value InfoSyncBound(const Napi::CallbackInfo& info);
  static Napi::Value InfoBound(const Napi::CallbackInfo& info);
  // The N-API floor for the benchmark: a bound function taking rpcSync's
  // arguments and doing nothing with them.
  static Napi::Value NoopBound(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), 0); }

  // close(): drop the handle's reference now, on this thread. With calls in
  // flight the fd closes when the last one returns (on the pool).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!fd_) return Napi::Number::New(env, -EBADF);
    FdRef* f = fd_;
    fd_ = nullptr;
    return Napi::Number::New(env, ReleaseFd(f));
  }

  Napi::Value CloseAsync(const Napi::CallbackInfo& info);
  Napi::Value BindRpc(const Napi::CallbackInfo& info);
  Napi::Value BindInfo(const Napi::CallbackInfo& info);
  Napi::Value BindNoop(const Napi::CallbackInfo& info);
};

// ---------------------------------------------------------------------------
// Submitting and delivering jobs.

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

void Release(napi_env env, EnvState* s, Job* job, bool deliver);

// Hands the job to the pool; on failure settles it with -EAGAIN.
void Submit(napi_env env, EnvState* s, Job* job) {
  s->live.insert(job);
  if (job->id) s->byId[job->id] = job;
  job->counted = true;
  if (s->counted++ == 0) napi_ref_threadsafe_function(env, s->core->tsfn);
  if (job->handle) {
    job->handle->inFlight_++;
    job->inFlight = true;
  }
  if (!Pool::Get().Submit(job)) {
    if (job->fd) ReleaseFd(job->fd);
    job->fd = nullptr;
    job->result = -EAGAIN;  // no pool thread could be started
    Release(env, s, job, true);
  }
}

napi_value Int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
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

// The settled value of a finished job (JS thread, env alive).
napi_value Result(napi_env env, EnvState* s, Job* job) {
  if (job->result < 0) return Int(env, job->result);
  switch (job->kind) {
    case Kind::Open: {
      if (job->abandoned) {
        // Nobody will take this handle: close the fd on the pool (the close
        // may run a firmware command), not on this thread.
        Job* close = new Job;
        close->kind = Kind::Close;
        close->fd = new FdRef(job->openedFd);
        job->openedFd = -1;
        if (!Pool::Get().Submit(close)) {
          ReleaseFd(close->fd);
          delete close;
        }
        return Int(env, -ECANCELED);
      }
      napi_value argv[3];
      napi_create_external(env, s, nullptr, nullptr, &argv[0]);
      argv[1] = Int(env, job->openedFd);
      argv[2] = Int(env, job->type);
      napi_value h;
      if (napi_new_instance(env, s->ctor.Value(), 3, argv, &h) != napi_ok) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
        return Int(env, -ENOMEM);
      }
      job->openedFd = -1;  // the Handle owns it now
      Handle* handle = Handle::Unwrap(Napi::Object(env, h));
      if (!handle->Bind(Napi::Env(env), Napi::Object(env, h))) {
        napi_value e;
        napi_get_and_clear_last_exception(env, &e);
        return Int(env, -ENOMEM);  // the handle's finaliser closes the fd
      }
      napi_value st = nullptr;
      napi_create_array_with_length(env, 3, &st);
      for (uint32_t i = 0; i < 3; i++) napi_set_element(env, st, i, Int(env, job->stat[i]));
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

// TSFN call_js: a wake-up; the jobs travel in EnvCore::done.
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

// ---------------------------------------------------------------------------
// The call entry points.

// The Handle of a bound call function (its napi data, see Handle::Bind).
Handle* BoundHandle(const Napi::CallbackInfo& info) { return static_cast<Handle*>(info.Data()); }

Napi::Value Handle::RpcSyncBound(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = BoundHandle(info);
  if (!h) return env.Undefined();
  RpcArgs a;
  if (!ParseRpc(info, 0, true, &a)) return env.Undefined();
  if (!h->fd_) return Napi::Number::New(env, -EBADF);
  // The kernel reads the sealed request (the addon's copy when the addon
  // checks or patches it), the caller's response view and the caller's
  // attachments: all alive, and fixed in size, while this thread is blocked
  // in the ioctl.
  RequestCopy copy;
  uint8_t* dst = nullptr;
  const size_t reqLen = a.request.size();
  if (h->typed_ || a.natt) {
    dst = copy.Get(reqLen);
    if (!dst) return Napi::Number::New(env, -ENOMEM);
  }
  const uint8_t* req = nullptr;
  if (!SealRequest(env, h->type_, h->typed_, &a, dst, a.data, &req)) return env.Undefined();
  FwctlRpc rpc = RpcStruct(a.scope, req, reqLen, a.resp, a.respLen);
  int r = ioctl(h->fd_->fd, kFwctlRpc, &rpc);
  napi_value out;
  if (r < 0) {
    napi_create_int32(env, -errno, &out);
    return Napi::Value(env, out);
  }
  VALGRIND_MAKE_MEM_DEFINED(a.resp, rpc.out_len < a.respLen ? rpc.out_len : a.respLen);  // written by the kernel
  napi_create_uint32(env, rpc.out_len, &out);  // a Smi for any length the kernel reports
  return Napi::Value(env, out);
}

// Settles a job that never reached the pool with `result` (-errno).
Napi::Value Settle(napi_env env, EnvState* s, Job* job, int result, napi_value promise) {
  job->result = result;
  s->live.insert(job);
  Release(env, s, job, true);
  return Napi::Value(env, promise);
}

Napi::Value Handle::RpcBound(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = BoundHandle(info);
  if (!h) return env.Undefined();
  uint32_t id;
  if (info.Length() < 1 || !GetU32(env, info[0], &id)) return Throw(env, false, "id must be a u32");
  RpcArgs a;
  if (!ParseRpc(info, 1, false, &a)) return env.Undefined();
  const size_t reqLen = a.request.size();
  // One block for the request copy and every attachment's copy; the
  // response apart. Allocated before the request is sealed: the copy the
  // checks read is the one the kernel reads.
  size_t total = reqLen;
  for (size_t k = 0; k < a.natt; k++) total += a.len[k];
  std::unique_ptr<uint8_t, decltype(&free)> mem(static_cast<uint8_t*>(malloc(total ? total : 1)), &free);
  napi_value promise;
  if (!mem) {
    Job* job = NewJob(env, h->env_, Kind::Rpc, id, &promise);
    return job ? Settle(env, h->env_, job, -ENOMEM, promise) : env.Undefined();
  }
  uint8_t* addr[kMaxAttach];
  size_t off = reqLen;
  for (size_t k = 0; k < a.natt; k++) {
    addr[k] = mem.get() + off;
    off += a.len[k];
  }
  const uint8_t* sealed = nullptr;
  if (!SealRequest(env, h->type_, h->typed_, &a, mem.get(), addr, &sealed)) return env.Undefined();
  Job* job = NewJob(env, h->env_, Kind::Rpc, id, &promise);
  if (!job) return env.Undefined();
  job->mem = mem.release();
  if (!h->fd_) return Settle(env, h->env_, job, -EBADF, promise);
  job->response = static_cast<uint8_t*>(malloc(a.respLen ? a.respLen : 1));
  job->responseLen = a.respLen;
  job->handle = h;
  if (!job->response || napi_create_reference(env, h->Value(), 1, &job->handleRef) != napi_ok ||
      (a.into && napi_create_reference(env, a.into, 1, &job->into) != napi_ok))
    return Settle(env, h->env_, job, -ENOMEM, promise);
  job->natt = a.natt;
  for (size_t k = 0; k < a.natt; k++) {
    Attached& at = job->att[k];
    at.off = addr[k] - job->mem;
    at.len = a.len[k];
    at.dir = a.spec[k].dir;
    if (!a.len[k])
      ;  // nothing to copy (the view may have no data pointer)
    else if (at.dir & kDirIn)
      memcpy(addr[k], a.data[k], a.len[k]);
    else
      memset(addr[k], 0, a.len[k]);
    // The output's way back: without it the output would be lost silently.
    if ((at.dir & kDirOut) && napi_create_reference(env, a.views[k], 1, &at.view) != napi_ok)
      return Settle(env, h->env_, job, -ENOMEM, promise);
  }
  job->rpc = RpcStruct(a.scope, job->mem, reqLen, job->response, a.respLen);
  job->fd = h->fd_;
  h->fd_->refs.fetch_add(1, std::memory_order_relaxed);
  Submit(env, h->env_, job);
  return Napi::Value(env, promise);
}

// infoSync(data): device_data_len is data's native length. Returns the
// driver's device_data length or -errno.
Napi::Value Handle::InfoSyncBound(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = BoundHandle(info);
  if (!h) return env.Undefined();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (info.Length() < 1) return Throw(env, false, "data must be a TypedArray or DataView");
  if (!GetView(env, info[0], &data, &len, "data")) return env.Undefined();
  if (len > kMaxRpcLen) return Throw(env, true, "device_data buffer exceeds 2 MiB");
  if (!h->fd_) return Napi::Number::New(env, -EBADF);
  FwctlInfo in{};
  in.size = sizeof in;
  in.device_data_len = static_cast<uint32_t>(len);
  in.out_device_data = len ? Addr(data) : 0;  // the caller's view, alive while we block
  int r = ioctl(h->fd_->fd, kFwctlInfo, &in);
  if (r < 0) return Napi::Number::New(env, -errno);
  VALGRIND_MAKE_MEM_DEFINED(data, len);  // written and zero-padded by the kernel
  h->SetType(in.out_device_type);  // the same as at open for any real device
  napi_value out;
  napi_create_uint32(env, in.device_data_len, &out);
  return Napi::Value(env, out);
}

// info(id, length): resolves [driver's length, Buffer of min(length, it)] or -errno.
Napi::Value Handle::InfoBound(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Handle* h = BoundHandle(info);
  if (!h) return env.Undefined();
  uint32_t id, len;
  if (info.Length() < 2 || !GetU32(env, info[0], &id) || !GetU32(env, info[1], &len))
    return Throw(env, false, "expected (id, length)");
  if (len > kMaxRpcLen) return Throw(env, true, "device_data length exceeds 2 MiB");
  napi_value promise;
  Job* job = NewJob(env, h->env_, Kind::Info, id, &promise);
  if (!job) return env.Undefined();
  job->handle = h;
  if (!h->fd_) {
    job->result = -EBADF;
    h->env_->live.insert(job);
    Release(env, h->env_, job, true);
    return Napi::Value(env, promise);
  }
  job->mem = static_cast<uint8_t*>(malloc(len ? len : 1));
  job->responseLen = len;
  if (!job->mem || napi_create_reference(env, h->Value(), 1, &job->handleRef) != napi_ok) {
    job->result = -ENOMEM;
    h->env_->live.insert(job);
    Release(env, h->env_, job, true);
    return Napi::Value(env, promise);
  }
  job->info.size = sizeof job->info;
  job->info.device_data_len = len;
  job->info.out_device_data = len ? Addr(job->mem) : 0;
  job->fd = h->fd_;
  h->fd_->refs.fetch_add(1, std::memory_order_relaxed);
  Submit(env, h->env_, job);
  return Napi::Value(env, promise);
}

// closeAsync(): the handle's reference is dropped on the pool (the last
// close may run a firmware command). Resolves 0 or -errno.
Napi::Value Handle::CloseAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_value promise;
  Job* job = NewJob(env, env_, Kind::Close, 0, &promise);
  if (!job) return env.Undefined();
  if (!fd_) {
    job->result = -EBADF;
    env_->live.insert(job);
    Release(env, env_, job, true);
    return Napi::Value(env, promise);
  }
  job->fd = fd_;  // the handle's reference moves to the job
  fd_ = nullptr;
  Submit(env, env_, job);
  return Napi::Value(env, promise);
}

// ---------------------------------------------------------------------------
// Bound calls: a prepared RPC or INFO over allocBuffer() memory, checked
// once, except what can change: whether the ArrayBuffers are still attached
// (checked at every call, from the engine's state), and on devices with
// pointer fields the request's bytes (sealed at every call).

struct Bound {
  Handle* h;           // alive while the function is: it holds the handle object
  napi_ref bufs[2];    // the ArrayBuffers of the two views (strong; null for a 0-length view or the same one)
  uint8_t* req;        // reqLen bytes inside bufs[0]'s memory
  size_t reqLen;
  uint8_t* resp;       // respLen bytes inside bufs[1]'s (INFO: device_data)
  size_t respLen;
  uint32_t scope;
};

void FreeBound(napi_env env, void* data, void*) {
  Bound* b = static_cast<Bound*>(data);
  for (napi_ref r : b->bufs)
    if (r) napi_delete_reference(env, r);
  delete b;
}

napi_value Int32(napi_env env, int32_t v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// The Bound of a bound call: its napi data (no argument is read).
const Bound* BoundOf(napi_env env, napi_callback_info cbi) {
  void* data = nullptr;
  napi_get_cb_info(env, cbi, nullptr, nullptr, nullptr, &data);
  return static_cast<const Bound*>(data);
}

// Whether the bound views' memory is still theirs: an ArrayBuffer the
// function holds and that is not detached cannot be freed, moved or
// resized, so the addresses and lengths taken at bind time are still
// right. A transferred one (transfer(), postMessage) is refused: its memory
// belongs to its new owner. Throws then.
bool BoundLive(napi_env env, const Bound* b) {
  for (napi_ref r : b->bufs) {
    if (!r) continue;
    napi_value ab;
    bool detached = true;
    if (napi_get_reference_value(env, r, &ab) != napi_ok || !ab ||
        napi_is_detached_arraybuffer(env, ab, &detached) != napi_ok || detached) {
      Throw(env, kValue, "a buffer of this prepared call was detached (its ArrayBuffer was transferred): prepare the call again over buffers this thread holds");
      return false;
    }
  }
  return true;
}

// The call itself: raw N-API (no node-addon-api CallbackInfo), no argument,
// no buffer lookup. Returns the driver's response length or -errno.
napi_value BoundRpcCall(napi_env env, napi_callback_info cbi) {
  const Bound* b = BoundOf(env, cbi);
  Handle* h = b->h;
  if (!h->fd_) return Int32(env, -EBADF);
  if (!BoundLive(env, b)) return nullptr;
  // A device whose driver dereferences pointers in requests (pds, bnxt): the
  // request's bytes may have changed since the bind, so it is sealed per
  // call, on a copy another thread cannot change after the check.
  RequestCopy copy;
  const uint8_t* req = b->req;
  if (h->typed_) {
    RpcArgs a;
    a.request.Set(b->req, b->reqLen);
    uint8_t* dst = copy.Get(b->reqLen);
    if (!dst) return Int32(env, -ENOMEM);
    if (!SealRequest(env, h->type_, true, &a, dst, nullptr, &req)) return nullptr;
  }
  // The kernel reads b->req (or the copy) and writes b->resp: memory of
  // ArrayBuffers this function holds and just found attached, so allocated
  // and fixed in size while this thread blocks.
  FwctlRpc rpc = RpcStruct(b->scope, req, b->reqLen, b->resp, b->respLen);
  if (ioctl(h->fd_->fd, kFwctlRpc, &rpc) < 0) return Int32(env, -errno);
  VALGRIND_MAKE_MEM_DEFINED(b->resp, rpc.out_len < b->respLen ? rpc.out_len : b->respLen);  // written by the kernel
  napi_value out;
  napi_create_uint32(env, rpc.out_len, &out);
  return out;
}

napi_value BoundInfoCall(napi_env env, napi_callback_info cbi) {
  const Bound* b = BoundOf(env, cbi);
  Handle* h = b->h;
  if (!h->fd_) return Int32(env, -EBADF);
  if (!BoundLive(env, b)) return nullptr;
  FwctlInfo in{};
  in.size = sizeof in;
  in.device_data_len = static_cast<uint32_t>(b->respLen);
  in.out_device_data = b->respLen ? Addr(b->resp) : 0;  // held and attached, see BoundRpcCall
  if (ioctl(h->fd_->fd, kFwctlInfo, &in) < 0) return Int32(env, -errno);
  VALGRIND_MAKE_MEM_DEFINED(b->resp, b->respLen);  // written and zero-padded by the kernel
  h->SetType(in.out_device_type);
  napi_value out;
  napi_create_uint32(env, in.device_data_len, &out);
  return out;
}

// The floor for the benchmark: a bound function that takes what a bound
// call takes (nothing) and does nothing.
napi_value BoundNoopCall(napi_env, napi_callback_info) { return nullptr; }

// Wraps a Bound in a function holding the handle object (so Bound::h cannot
// dangle while the function can be called) and freeing the Bound with it.
Napi::Value MakeBound(Napi::Env env, Napi::Object handle, Bound* b, napi_callback cb, const char* name) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, b, &fn) != napi_ok ||
      napi_add_finalizer(env, fn, b, FreeBound, nullptr, nullptr) != napi_ok) {
    FreeBound(env, b, nullptr);  // nothing else refers to it (a pending exception reports the failure)
    return env.Undefined();
  }
  Napi::Function f(env, fn);
  f.DefineProperty(Napi::PropertyDescriptor::Value("handle", handle, napi_default));
  return f;
}

// The allocBuffer() ArrayBuffer a view lies in, with a strong reference for
// the caller: *ref stays null for a 0-length view, and for a view of
// `same` (the other view's ArrayBuffer, already held). False when the view
// is not inside one of this environment's attached allocBuffer()
// ArrayBuffers (the tag is on the object allocBuffer() made, which only
// this environment can reach; a moved ArrayBuffer is a new object).
bool HoldAllocBuffer(napi_env env, napi_value view, size_t len, napi_value same, napi_ref* ref, napi_value* ab) {
  *ref = nullptr;
  *ab = nullptr;
  if (len == 0) return true;
  bool tagged = false, detached = true, eq = false;
  if (!BufferOf(env, view, ab) || napi_check_object_type_tag(env, *ab, &kAllocTag, &tagged) != napi_ok || !tagged ||
      napi_is_detached_arraybuffer(env, *ab, &detached) != napi_ok || detached)
    return false;
  if (same && napi_strict_equals(env, same, *ab, &eq) == napi_ok && eq) return true;
  return napi_create_reference(env, *ab, 1, ref) == napi_ok;
}

// bindRpc(scope, request, response): a function issuing this RPC, or null
// when the two views are not both inside allocBuffer() memory (0-length
// views need none). Checked here, once: the sizes are fixed.
Napi::Value Handle::BindRpc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t scope;
  uint8_t *req = nullptr, *resp = nullptr;
  size_t reqLen = 0, respLen = 0;
  if (info.Length() != 3 || napi_get_value_int32(env, info[0], &scope) != napi_ok || scope < 0)
    return Throw(env, false, "expected (scope, request, response)");
  if (!GetView(env, info[1], &req, &reqLen, "request") || !GetView(env, info[2], &resp, &respLen, "response"))
    return env.Undefined();
  if (reqLen > kMaxRpcLen || respLen > kMaxRpcLen) return Throw(env, true, "request or response exceeds 2 MiB");
  napi_ref rq, rs;
  napi_value abq, abs;
  bool ok = HoldAllocBuffer(env, info[1], reqLen, nullptr, &rq, &abq);
  ok = ok && HoldAllocBuffer(env, info[2], respLen, abq, &rs, &abs);
  if (!ok) {
    if (rq) napi_delete_reference(env, rq);
    return env.Null();
  }
  Bound* b = new Bound{this, {rq, rs}, req, reqLen, resp, respLen, static_cast<uint32_t>(scope)};
  return MakeBound(env, Value(), b, BoundRpcCall, "callSync");
}

// bindInfo(data): a function issuing FWCTL_INFO into data, or null (as bindRpc).
Napi::Value Handle::BindInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint8_t* data = nullptr;
  size_t len = 0;
  if (info.Length() != 1) return Throw(env, false, "data must be a TypedArray or DataView");
  if (!GetView(env, info[0], &data, &len, "data")) return env.Undefined();
  if (len > kMaxRpcLen) return Throw(env, true, "device_data buffer exceeds 2 MiB");
  napi_ref r;
  napi_value ab;
  if (!HoldAllocBuffer(env, info[0], len, nullptr, &r, &ab)) return env.Null();
  Bound* b = new Bound{this, {nullptr, r}, nullptr, 0, data, len, 0};
  return MakeBound(env, Value(), b, BoundInfoCall, "callSync");
}

Napi::Value Handle::BindNoop(const Napi::CallbackInfo& info) {
  Bound* b = new Bound{this, {nullptr, nullptr}, nullptr, 0, nullptr, 0, 0};
  return MakeBound(info.Env(), Value(), b, BoundNoopCall, "noop");
}

void FreeAllocBuffer(napi_env, void*, void* hint) {
  gAllocLive.fetch_sub(1, std::memory_order_relaxed);
  gAllocBytes.fetch_sub(reinterpret_cast<uintptr_t>(hint), std::memory_order_relaxed);
}

// allocBuffer(length): a zeroed ArrayBuffer of 1 byte to 2 MiB that
// bindRpc()/bindInfo() accept. Engine memory, tagged (see the protocol at
// the top): it moves between threads as any ArrayBuffer.
Napi::Value AllocBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t len;
  if (info.Length() != 1 || !GetU32(env, info[0], &len)) return Throw(env, false, "length must be a u32");
  if (len == 0 || len > kMaxRpcLen) return Throw(env, true, "length must be 1 byte to 2 MiB");
  void* p = nullptr;
  napi_value ab;
  if (napi_create_arraybuffer(env, len, &p, &ab) != napi_ok) {
    if (napi_is_exception_pending(env, nullptr) == napi_ok) {
      napi_value e;
      napi_get_and_clear_last_exception(env, &e);
    }
    return Napi::Number::New(env, -ENOMEM);
  }
  memset(p, 0, len);  // JavaScript never sees uninitialised bytes
  if (napi_type_tag_object(env, ab, &kAllocTag) != napi_ok ||
      napi_add_finalizer(env, ab, nullptr, FreeAllocBuffer, reinterpret_cast<void*>(static_cast<uintptr_t>(len)), nullptr) != napi_ok)
    return Napi::Number::New(env, -ENOMEM);
  gAllocLive.fetch_add(1, std::memory_order_relaxed);
  gAllocBytes.fetch_add(len, std::memory_order_relaxed);
  return Napi::Value(env, ab);
}

// ---------------------------------------------------------------------------
// Module functions.

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
  {
    int fd = ::open(job.path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Napi::Number::New(env, -errno);
    struct stat st;
    FwctlInfo in{};
    in.size = sizeof in;
    if (fstat(fd, &st) < 0 || ioctl(fd, kFwctlInfo, &in) < 0) {
      int e = errno;
      ::close(fd);
      return Napi::Number::New(env, -e);
    }
    job.openedFd = fd;
    job.stat[0] = st.st_mode;
    job.stat[1] = major(st.st_rdev);
    job.stat[2] = minor(st.st_rdev);
    job.type = in.out_device_type;
  }
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

// setPointerGuards(Uint32Array of 8-word entries): once per process.
Napi::Value SetPointerGuards(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_typedarray_type t;
  size_t n = 0;
  void* p = nullptr;
  bool is = false;
  if (info.Length() < 1 || napi_is_typedarray(env, info[0], &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, info[0], &t, &n, &p, nullptr, nullptr) != napi_ok ||
      t != napi_uint32_array || n % kGuardWords != 0)
    return Throw(env, false, "guards must be a Uint32Array of 8-word entries");
  if (Guards()) return Throw(env, false, "pointer guards are set once per process");
  auto* g = new std::vector<Guard>();
  const uint32_t* w = static_cast<const uint32_t*>(p);
  for (size_t i = 0; i < n / kGuardWords; i++) {
    const uint32_t* e = w + i * kGuardWords;
    Guard x{e[0], e[1], {}};
    x.n.ptr = e[2];
    x.n.lenOff = e[3];
    x.n.lenFlags = e[4];
    x.n.unit = e[5];
    x.n.fixed = e[6];
    x.n.dir = e[7];
    if (x.n.unit == 0 || x.n.dir < 1 || x.n.dir > 3 || ((x.n.lenFlags & 0xFF) == 0 && x.n.fixed == 0)) {
      delete g;
      return Throw(env, true, "guard entry " + std::to_string(i) + " is malformed");
    }
    g->push_back(x);
  }
  for (const Guard& x : *g) {  // ParseRpc keeps the guards of one request on its stack
    size_t n = 0;
    for (const Guard& y : *g) n += y.type == x.type && (y.key == x.key || y.key == kAnyKey || x.key == kAnyKey);
    if (n > kMaxGuardsPerRequest) {
      delete g;
      return Throw(env, true, "more than 8 pointer guards apply to one request");
    }
  }
  std::lock_guard<std::mutex> lock(gGuardsMu);
  if (Guards()) {
    delete g;
    return Throw(env, false, "pointer guards are set once per process");
  }
  gGuards.store(g, std::memory_order_release);
  return env.Undefined();
}

// regionStats(): allocBuffer() ArrayBuffers alive in their environments
// (held by JavaScript or by bound calls) and their bytes. Tests: nothing
// is kept after the buffers and the calls bound to them are collected.
Napi::Value RegionStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("regions", static_cast<double>(gAllocLive.load(std::memory_order_relaxed)));
  o.Set("bytes", static_cast<double>(gAllocBytes.load(std::memory_order_relaxed)));
  return o;
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

// Env cleanup hook; see the protocol at the top of this file. Never waits
// for the kernel.
void Teardown(void* arg) {
  EnvState* s = static_cast<EnvState*>(arg);
  napi_env env = s->env;
  std::vector<Job*> queued;
  Pool::Get().TakeQueued(s->core.get(), &queued);
  std::unordered_set<Job*> notRunning(queued.begin(), queued.end());
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

// Instance-data finaliser: runs when the napi_env is deleted, after the TSFN.
void FreeEnvState(Napi::Env, EnvState* s) {
  s->ctor.SuppressDestruct();  // reset in Teardown, or owned by the dying env
  s->errorFactory.SuppressDestruct();
  delete s;
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
  exports.Set("FWCTL_INFO", Napi::Number::New(env, kFwctlInfo));
  exports.Set("FWCTL_RPC", Napi::Number::New(env, kFwctlRpc));
  return exports;
}

}  // namespace

NODE_API_MODULE(fwctl, Init)
