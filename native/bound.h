// bound.h: bound calls (bindRpc/bindInfo: a prepared RPC or INFO over
// allocBuffer() memory, checked once, except what can change: whether the
// ArrayBuffers are still attached, checked at every call from the engine's
// state, and on devices with pointer fields the request's bytes, sealed at
// every call) and allocBuffer() itself, with its accounting.
#pragma once

#include <napi.h>

#include <stddef.h>
#include <stdint.h>

namespace fwctl {

class Handle;

struct Bound {
  Handle* h;           // alive while the function is: it holds the handle object
  napi_ref bufs[2];    // the ArrayBuffers of the two views (strong; null for a 0-length view or the same one)
  uint8_t* req;        // reqLen bytes inside bufs[0]'s memory
  size_t reqLen;
  uint8_t* resp;       // respLen bytes inside bufs[1]'s (INFO: device_data)
  size_t respLen;
  uint32_t scope;
};

// Wraps a Bound in a function holding the handle object (so Bound::h cannot
// dangle while the function can be called) and freeing the Bound with it.
Napi::Value MakeBound(Napi::Env env, Napi::Object handle, Bound* b, napi_callback cb, const char* name);

// allocBuffer(length): a zeroed ArrayBuffer of 1 byte to 2 MiB that
// bindRpc()/bindInfo() accept. Engine memory, tagged (see the protocol in
// module.cc): it moves between threads as any ArrayBuffer.
Napi::Value AllocBuffer(const Napi::CallbackInfo& info);

// regionStats(): allocBuffer() ArrayBuffers alive in their environments
// (held by JavaScript or by bound calls) and their bytes. Tests: nothing
// is kept after the buffers and the calls bound to them are collected.
Napi::Value RegionStats(const Napi::CallbackInfo& info);

}  // namespace fwctl
