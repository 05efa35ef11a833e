// memcheck.h: VALGRIND_MAKE_MEM_DEFINED for the bytes the kernel wrote
// (memcheck cannot see inside an ioctl); a no-op without valgrind's headers.
#pragma once

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif
