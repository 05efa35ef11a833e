// request.h: a caller's RPC request and how the kernel gets it: parsing
// the arguments (ParseRpc), sealing the request (SealRequest: the only
// reader of the caller's bytes, see the protocol in module.cc) and the
// room for a sync call's copy (RequestCopy).
#pragma once

#include <napi.h>

#include <stddef.h>
#include <stdint.h>

#include <memory>
#include <new>

#include "guards.h"

namespace fwctl {

struct RpcArgs;

// A caller's request: where its bytes are and how many, as the native view
// said. Only SealRequest() reads the bytes (see the protocol in module.cc).
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

// Parses (scope, request, responseOrLength, [spec, ...buffers]) starting at
// info[first]. `responseIsView`: sync (a view) or async (a length, or a view
// copied into at completion). Reads lengths and addresses from the native
// views, and no byte of the request: SealRequest checks the request itself.
// On bad input throws and returns false; nothing has been written then.
bool ParseRpc(const Napi::CallbackInfo& info, size_t first, bool responseIsView, RpcArgs* a);

// The request as the kernel will read it (a->request.size() bytes). `dst`
// (that many bytes, or null when the request goes as it is) receives the
// addon's copy: the caller's bytes are read once, by one memcpy, and every
// check and patch after it is on the copy. Returns the caller's bytes only
// when dst is null and the addon reads none of them (no pointer fields, no
// attachments). `addr[k]` is where attachment k lives for the kernel (its
// address and length are written into the copy). Throws and returns false
// on a refusal; nothing reached the kernel then.
bool SealRequest(napi_env env, uint32_t devType, bool typed, RpcArgs* a, uint8_t* dst, uint8_t* const* addr,
                 const uint8_t** out);

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

}  // namespace fwctl
