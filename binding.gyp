{
  "targets": [
    {
      "target_name": "fwctl",
      "sources": [
        "native/module.cc", "native/args.cc", "native/bound.cc", "native/env.cc", "native/fd.cc",
        "native/guards.cc", "native/handle.cc", "native/lock.cc", "native/pool.cc", "native/request.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "defines": ["NAPI_VERSION=8", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-fvisibility=hidden", "-Wall", "-Wextra", "-pthread"],
      # -z nodelete: a worker that loaded the addon dlclose()s it when it
      # exits; pool threads may still be in the kernel (or idle) in its code,
      # so the object must never be unmapped.
      "ldflags": ["-pthread", "-Wl,-z,nodelete"]
    }
  ]
}
