// lock.h: advisory file locks for cross-process exclusion (lock.cc).
#pragma once

#include <napi.h>

namespace fwctl {

// Adds lockFile(path) and unlockFile(fd) to the module's exports.
void DefineLockFunctions(Napi::Env env, Napi::Object exports);

}  // namespace fwctl
