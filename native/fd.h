// fd.h: the device fd, refcounted and shared by a handle and its jobs in
// flight (FdRef), and opening a fwctl node, one helper for sync and async open.
#pragma once

#include <stdint.h>

#include <atomic>

namespace fwctl {

struct FdRef {
  explicit FdRef(int f) : fd(f) {}
  int fd;
  std::atomic<int> refs{1};
};

// Drops one reference; the last one closes the fd. Returns close()'s -errno
// or 0 (also when another reference keeps the fd open).
int ReleaseFd(FdRef* f);

// An opened fwctl node: its fd (the owner's to close), fstat's
// [st_mode, major(st_rdev), minor(st_rdev)] and the device type.
struct OpenedDevice {
  int fd = -1;
  uint32_t stat[3] = {};
  uint32_t type = 0;
};

// open(2) (O_RDWR | O_CLOEXEC | O_NOCTTY), fstat and FWCTL_INFO for the
// type. 0 with *out filled, or -errno with nothing left open. Blocks: the
// sync open() runs it on the JS thread, openAsync() on the pool.
int OpenDevice(const char* path, OpenedDevice* out);

}  // namespace fwctl
