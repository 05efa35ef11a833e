// guards.h: pointer guards (which fields of which requests a driver
// dereferences, registered once from lib/guards.ts) and the word layout of
// the attachment specs and guard entries that lib/binding-flags.ts shares.
#pragma once

#include <napi.h>

#include <stddef.h>
#include <stdint.h>

#include <vector>

namespace fwctl {

constexpr size_t kMaxAttach = 6;
constexpr size_t kSpecWords = 6;   // per attachment: ptr, lenOff, lenFlags, unit, fixed, dir
constexpr size_t kGuardWords = 8;  // per guard: type, key, + the six above
constexpr uint32_t kAnyKey = 0xFFFFFFFFu;
constexpr uint32_t kLenFromTable = 0xFFFFu;  // lenFlags: the driver table's length
constexpr uint32_t kLenBE = 0x100;           // lenFlags: big-endian length field
constexpr uint32_t kPtrLE = 0x200;           // lenFlags: little-endian pointer (else host)
constexpr uint32_t kDirIn = 1, kDirOut = 2;
constexpr size_t kMaxGuardsPerRequest = 8;  // checked at setPointerGuards

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

// The table: set once (setPointerGuards) before any device is opened and
// immutable after, so readers need no lock. Null until set.
const std::vector<Guard>* Guards();

// Whether a device type has pointer fields at all (decided once per handle).
bool TypeHasGuards(uint32_t type);

// The guards of the device type that apply to this request (keyed by its
// first two bytes, the bnxt req_type; kAnyKey for every request). `req` is
// the addon's copy. At most kMaxGuardsPerRequest, into `mine`.
size_t GuardsFor(uint32_t devType, const uint8_t* req, size_t reqLen, const Guard** mine);

// setPointerGuards(Uint32Array of 8-word entries): once per process.
Napi::Value SetPointerGuards(const Napi::CallbackInfo& info);

}  // namespace fwctl
