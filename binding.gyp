{
  "variables": {
    # Robust mutexes (crash recovery) are a Linux/glibc feature; see src/core/robust_mutex.h.
    "use_robust%": "<!(node -p \"process.platform === 'linux' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "fsmm",
      "sources": [
        "src/core/robust_mutex.cc",
        "src/core/segment.cc",
        "src/core/table.cc",
        "src/node/errors.cc",
        "src/node/cache_wrap.cc",
        "src/node/addon.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "FSMM_HAVE_ROBUST=<(use_robust)"
      ],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden", "-O3"],
      "conditions": [
        ["OS=='linux'", { "libraries": ["-lrt", "-pthread"], "cflags": ["-pthread"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra"]
          }
        }]
      ]
    },
    {
      # Benchmark-only: the bare N-API call floor examples/benchmark.js compares
      # against (src/bench/floor.cc). Never loaded by the package itself.
      "target_name": "fsmm_floor",
      "sources": ["src/bench/floor.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-fvisibility=hidden", "-O3"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra"]
          }
        }]
      ]
    }
  ]
}
