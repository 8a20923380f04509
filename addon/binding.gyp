{
  "targets": [
    {
      "target_name": "sysvisor",
      "sources": [
        "src/module.cc",
        "src/contract.cc",
        "src/launcher/launch.cc",
        "src/launcher/process.cc",
        "src/launcher/control.cc",
        "src/launcher/signal_origin.cc",
        "src/unotify/pump.cc",
        "src/unotify/replier.cc",
        "src/unotify/receiver.cc",
        "src/unotify/plan.cc",
        "src/unotify/opened.cc",
        "src/ptrace/tracer.cc",
        "src/ptrace/view_path.cc",
        "src/ptrace/plans.cc",
        "src/memory/tracee_mem.cc",
        "src/emulate/open_as.cc",
        "src/emulate/tracee.cc",
        "src/emulate/path_as.cc",
        "src/emulate/task.cc",
        "src/emulate/rewrite.cc",
        "src/bpf/trace_session.cc",
        "src/bpf/count_session.cc",
        "src/bpf/session_helpers.cc",
        "src/agent/recv_fds.cc",
        "src/agent/hold.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "libraries": ["-lbpf", "-lelf", "-lz"]
    },
    {
      "target_name": "sysvisor-launcher",
      "type": "executable",
      "sources": ["src/launcher/launcher.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    },
    {
      "target_name": "sysvisor-holder",
      "type": "executable",
      "sources": ["src/agent/holder.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
