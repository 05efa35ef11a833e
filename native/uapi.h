// uapi.h: the fwctl UAPI as the addon uses it (include/uapi/fwctl/fwctl.h):
// the two ioctl numbers, the kernel's RPC size limit, struct fwctl_info and
// struct fwctl_rpc, and the one place each struct is filled.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace fwctl {

constexpr unsigned long kFwctlInfo = 0x9A00;  // _IO(0x9A, 0)
constexpr unsigned long kFwctlRpc = 0x9A01;   // _IO(0x9A, 1)
constexpr size_t kMaxRpcLen = 2 * 1024 * 1024;  // MAX_RPC_LEN in drivers/fwctl/main.c

// test/unit/layout.test.ts checks these sizes and offsets against the
// kernel's headers via lib/uapi.
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

inline uint64_t Addr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// The FWCTL_INFO argument for `len` bytes of device_data at `data` (0: the
// core answers the type without asking the driver).
inline FwctlInfo InfoStruct(const uint8_t* data, size_t len) {
  FwctlInfo in{};
  in.size = sizeof in;
  in.device_data_len = static_cast<uint32_t>(len);
  in.out_device_data = len ? Addr(data) : 0;
  return in;
}

// The FWCTL_RPC argument for a request, a response and a scope.
inline FwctlRpc RpcStruct(uint32_t scope, const uint8_t* req, size_t reqLen, const uint8_t* resp, size_t respLen) {
  FwctlRpc rpc{};
  rpc.size = sizeof rpc;
  rpc.scope = scope;
  rpc.in_len = static_cast<uint32_t>(reqLen);
  rpc.out_len = static_cast<uint32_t>(respLen);
  rpc.in = reqLen ? Addr(req) : 0;
  rpc.out = respLen ? Addr(resp) : 0;
  return rpc;
}

}  // namespace fwctl
