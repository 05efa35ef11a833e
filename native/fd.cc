// fd.cc: FdRef release and OpenDevice (see fd.h).
#include "fd.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "uapi.h"

namespace fwctl {

int ReleaseFd(FdRef* f) {
  if (f->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return 0;
  int r = ::close(f->fd);
  int e = errno;
  delete f;
  return r < 0 && e != EINTR ? -e : 0;  // Linux frees the fd even on EINTR
}

int OpenDevice(const char* path, OpenedDevice* out) {
  int fd = ::open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -errno;
  struct stat st;
  FwctlInfo info = InfoStruct(nullptr, 0);  // device_data_len 0: the core answers the type without the driver
  if (fstat(fd, &st) < 0 || ioctl(fd, kFwctlInfo, &info) < 0) {
    int e = errno;
    ::close(fd);
    return -e;
  }
  out->fd = fd;
  out->stat[0] = st.st_mode;
  out->stat[1] = major(st.st_rdev);
  out->stat[2] = minor(st.st_rdev);
  out->type = info.out_device_type;
  return 0;
}

}  // namespace fwctl
