#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine (as root) or an existing checkout: installs the
# Debian packages that are missing, runs `npm ci` when node_modules is missing or stale, then
# builds what is out of date (BPF objects, addon, TypeScript, benchmark helpers). Quick when
# everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need_file() { [ -e "$1" ] || missing+=("$2"); }
need_cmd clang clang
need_cmd llvm-strip llvm
need_cmd bpftool bpftool
need_cmd make make
need_cmd g++ g++
need_cmd cc gcc
need_cmd strace strace
need_cmd proot proot
need_cmd runc runc
need_cmd crun crun
need_cmd busybox busybox-static
need_cmd python3 python3
need_file /usr/include/bpf/libbpf.h libbpf-dev
need_file /usr/include/libelf.h libelf-dev
need_file /usr/include/zlib.h zlib1g-dev
need_file /usr/include/x86_64-linux-gnu/asm/unistd_64.h linux-libc-dev
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/build.sh
