// handle.cc: the Handle class and its call entry points: sync calls run
// the ioctl here on the JS thread, async ones build a Job for the pool.
#include "handle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <memory>
#include <vector>

#include "args.h"
#include "memcheck.h"
#include "request.h"
#include "uapi.h"

namespace fwctl {

Napi::Function Handle::Define(Napi::Env env) {
  return DefineClass(env, "FwctlHandle",
                     {InstanceAccessor<&Handle::Fd>("fd"),
                      InstanceAccessor<&Handle::InFlight>("inFlight"),
                      InstanceAccessor<&Handle::Type>("type"),
                      InstanceMethod<&Handle::Fstat>("fstat"),
                      InstanceMethod<&Handle::Close>("close"),
                      InstanceMethod<&Handle::BindRpc>("bindRpc"),
                      InstanceMethod<&Handle::BindInfo>("bindInfo"),
                      FWCTL_BENCH_ONLY(InstanceMethod<&Handle::BindNoop>("bindNoop"),)
                      InstanceMethod<&Handle::CloseAsync>("closeAsync")});
}

Handle::Handle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Handle>(info) {
  env_ = info.Env().GetInstanceData<EnvState>();
  if (info.Length() != 3 || !info[0].IsExternal() || info[0].As<Napi::External<EnvState>>().Data() != env_ ||
      !info[1].IsNumber() || !info[2].IsNumber()) {
    Throw(info.Env(), false, "FwctlHandle is created by open()");
    return;
  }
  fd_ = new FdRef(info[1].As<Napi::Number>().Int32Value());
  SetType(info[2].As<Napi::Number>().Uint32Value());
}

Handle::~Handle() {
  if (fd_ == nullptr) return;
  CloseOnPool(fd_);
  fd_ = nullptr;
}

bool Handle::Bind(Napi::Env env, Napi::Object self) {
  Napi::Function fns[] = {
      Napi::Function::New<&Handle::RpcSyncBound>(env, "rpcSync", this),
      Napi::Function::New<&Handle::RpcBound>(env, "rpc", this),
      Napi::Function::New<&Handle::InfoSyncBound>(env, "infoSync", this),
      Napi::Function::New<&Handle::InfoBound>(env, "info", this),
      FWCTL_BENCH_ONLY(Napi::Function::New<&Handle::NoopBound>(env, "rpcNoop", this),)
  };
  if (env.IsExceptionPending()) return false;
  const char* names[] = {"rpcSync", "rpc", "infoSync", "info", FWCTL_BENCH_ONLY("rpcNoop")};
  static_assert(sizeof names / sizeof names[0] == sizeof fns / sizeof fns[0], "one name per call function");
  std::vector<Napi::PropertyDescriptor> props;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    fns[i].DefineProperty(Napi::PropertyDescriptor::Value("handle", self, napi_default));
    if (env.IsExceptionPending()) return false;
    props.push_back(Napi::PropertyDescriptor::Value(names[i], fns[i], napi_default));
  }
  self.DefineProperties(props);
  return !env.IsExceptionPending();
}

Napi::Value Handle::Fstat(const Napi::CallbackInfo& info) {
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

// close(): drop the handle's reference now, on this thread. With calls in
// flight the fd closes when the last one returns (on the pool).
Napi::Value Handle::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!fd_) return Napi::Number::New(env, -EBADF);
  FdRef* f = fd_;
  fd_ = nullptr;
  return Napi::Number::New(env, ReleaseFd(f));
}


namespace {

// The Handle of a bound call function (its napi data, see Handle::Bind).
Handle* BoundHandle(const Napi::CallbackInfo& info) { return static_cast<Handle*>(info.Data()); }

}  // namespace

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
  FwctlInfo in = InfoStruct(data, len);  // the caller's view, alive while we block
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
  if (!h->fd_) return Settle(env, h->env_, job, -EBADF, promise);
  job->mem = static_cast<uint8_t*>(malloc(len ? len : 1));
  job->responseLen = len;
  if (!job->mem || napi_create_reference(env, h->Value(), 1, &job->handleRef) != napi_ok)
    return Settle(env, h->env_, job, -ENOMEM, promise);
  job->info = InfoStruct(job->mem, len);
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
  if (!fd_) return Settle(env, env_, job, -EBADF, promise);
  job->fd = fd_;  // the handle's reference moves to the job
  fd_ = nullptr;
  Submit(env, env_, job);
  return Napi::Value(env, promise);
}

}  // namespace fwctl
