// guards.cc: the pointer-guard table, its one store and its lookups (see guards.h).
#include "guards.h"

#include <atomic>
#include <mutex>
#include <string>

#include "args.h"

namespace fwctl {

namespace {
std::mutex gGuardsMu;  // serialises the one store
std::atomic<const std::vector<Guard>*> gGuards{nullptr};
}  // namespace

const std::vector<Guard>* Guards() { return gGuards.load(std::memory_order_acquire); }

bool TypeHasGuards(uint32_t type) {
  const std::vector<Guard>* g = Guards();
  if (!g) return false;
  for (const Guard& x : *g)
    if (x.type == type) return true;
  return false;
}

size_t GuardsFor(uint32_t devType, const uint8_t* req, size_t reqLen, const Guard** mine) {
  size_t n = 0;
  uint32_t key = reqLen >= 2 ? (req[0] | (req[1] << 8)) : kAnyKey - 1;
  for (const Guard& g : *Guards())
    if (g.type == devType && (g.key == kAnyKey || g.key == key) && n < kMaxGuardsPerRequest) mine[n++] = &g;
  return n;
}

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
  for (const Guard& x : *g) {  // SealRequest keeps the guards of one request on its stack
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


}  // namespace fwctl
