// bound.cc: bound calls and allocBuffer() (see bound.h).
#include "bound.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include <atomic>

#include "args.h"
#include "handle.h"
#include "memcheck.h"
#include "request.h"
#include "uapi.h"

namespace fwctl {

namespace {

// allocBuffer() ArrayBuffers: engine memory, known by a type tag (see the
// protocol in module.cc). Counted for regionStats() while their ArrayBuffer
// objects live in the environment that made them.
constexpr napi_type_tag kAllocTag = {0x8f3c2a61d4b7e905ULL, 0x5e21c9b0a7f4d368ULL};  // this addon's, arbitrary
std::atomic<size_t> gAllocLive{0}, gAllocBytes{0};

void FreeBound(napi_env env, void* data, void*) {
  Bound* b = static_cast<Bound*>(data);
  for (napi_ref r : b->bufs)
    if (r) napi_delete_reference(env, r);
  delete b;
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
  FwctlInfo in = InfoStruct(b->resp, b->respLen);  // held and attached, see BoundRpcCall
  if (ioctl(h->fd_->fd, kFwctlInfo, &in) < 0) return Int32(env, -errno);
  VALGRIND_MAKE_MEM_DEFINED(b->resp, b->respLen);  // written and zero-padded by the kernel
  h->SetType(in.out_device_type);
  napi_value out;
  napi_create_uint32(env, in.device_data_len, &out);
  return out;
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

void FreeAllocBuffer(napi_env, void*, void* hint) {
  gAllocLive.fetch_sub(1, std::memory_order_relaxed);
  gAllocBytes.fetch_sub(reinterpret_cast<uintptr_t>(hint), std::memory_order_relaxed);
}

}  // namespace

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

Napi::Value RegionStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("regions", static_cast<double>(gAllocLive.load(std::memory_order_relaxed)));
  o.Set("bytes", static_cast<double>(gAllocBytes.load(std::memory_order_relaxed)));
  return o;
}

}  // namespace fwctl
