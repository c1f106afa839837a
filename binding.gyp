# Native parts of mcr, built by `npm install` (node-gyp rebuild):
#   mcr_native       the packet engine addon (native/engine/core + native/engine/addon)
#   mcr-gen/mcr-sink the lab's traffic generator and sink (native/traffic)
#   mcr-member       the lab's join/leave receiver (RFC 3918 join and leave delay, native/traffic)
#   mcr-engine-test  plain C++ tests of the engine core (native/test), run from vitest
# Core sources never include napi.h, so they also build into the test binary and the fuzz target.
{
  "target_defaults": {
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=c++17"],
    "cflags": ["-Wall", "-Wextra", "-O2", "-g"],
    "cflags_cc": ["-std=c++20", "-Wall", "-Wextra", "-Wno-missing-field-initializers", "-O2", "-g", "-fexceptions"],
    "include_dirs": ["native/engine/core", "native/traffic"],
  },
  "targets": [
    {
      "target_name": "mcr_native",
      "sources": ["<!@(ls -1 native/engine/core/*.cc native/engine/addon/*.cc)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "mcr-gen",
      "type": "executable",
      "sources": ["<!@(ls -1 native/traffic/gen.cc native/traffic/lib/*.cc)"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "mcr-sink",
      "type": "executable",
      "sources": ["<!@(ls -1 native/traffic/sink.cc native/traffic/lib/*.cc)"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "mcr-member",
      "type": "executable",
      "sources": ["<!@(ls -1 native/traffic/member.cc native/traffic/lib/*.cc)"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "mcr-engine-test",
      "type": "executable",
      "sources": ["<!@(ls -1 native/test/*.cc native/engine/core/*.cc native/traffic/lib/membership_frame.cc)"],
      "libraries": ["-lpthread"]
    }
  ]
}
