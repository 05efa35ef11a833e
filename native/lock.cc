// lock.cc: advisory whole-file locks (flock(2)) that exclude other processes
// from one job, a firmware update of an adapter (lib/lockfile.ts). The kernel
// drops the lock when its fd is closed, also when the holder is killed with
// SIGKILL, so "the lock is free" means exactly "no live holder": no pid file
// to go stale, no pid to be reused.
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <string>

#include "lock.h"

namespace fwctl {

namespace {

// lockFile(path): open (creating it, 0644) and flock(LOCK_EX | LOCK_NB).
// The fd (>= 0) on success, else -errno (-EWOULDBLOCK: another open file
// description holds it). Non-blocking, so it runs on the JS thread.
Napi::Value LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "lockFile(path): path must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (path.empty() || path.find('\0') != std::string::npos) {
    Napi::TypeError::New(env, "lockFile(path): path must be a non-empty string without NUL").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
  if (fd < 0) return Napi::Number::New(env, -errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    ::close(fd);
    return Napi::Number::New(env, -e);
  }
  return Napi::Number::New(env, fd);
}

// unlockFile(fd): close(2) a fd lockFile returned (which drops the lock).
// 0 or -errno.
Napi::Value UnlockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "unlockFile(fd): fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double d = info[0].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 0x7fffffff) || d != static_cast<int>(d)) {
    Napi::RangeError::New(env, "unlockFile(fd): fd must be a non-negative int").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, ::close(static_cast<int>(d)) == 0 ? 0 : -errno);
}

}  // namespace

void DefineLockFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile, "unlockFile"));
}

}  // namespace fwctl
