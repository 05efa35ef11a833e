// request.cc: ParseRpc and SealRequest (see request.h).
#include "request.h"

#include <string.h>

#include <string>

#include "args.h"
#include "uapi.h"

namespace fwctl {

namespace {

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

bool Overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen) {
  return a < b + blen && b < a + alen;
}

void ThrowRawPointer(napi_env env, int64_t off) {
  Throw(env, kRange, "request holds a raw user pointer at offset " + std::to_string(off) +
                         ", which the driver dereferences: pass that buffer with `attach` (its "
                         "length is then written from the buffer) or use the typed helper");
}

}  // namespace

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

}  // namespace fwctl
