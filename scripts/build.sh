#!/usr/bin/env bash
# Builds what is out of date: BPF objects + skeletons (bpf/Makefile), the addon (node-gyp), the
# contract file of the TypeScript side (from the addon), the TypeScript (tsc, incremental) and the
# C helpers of the benchmarks and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

make -s -C bpf

addon=addon/build/Release/sysvisor.node
if [ ! -f "$addon" ] || [ -n "$(find addon/src addon/binding.gyp bpf/build -newer "$addon" -type f 2>/dev/null | head -n 1)" ]; then
  echo "build: addon" >&2
  nodedir=$(dirname "$(dirname "$(command -v node)")")
  gyp_args=()
  [ -f "$nodedir/include/node/node_api.h" ] && gyp_args+=("--nodedir=$nodedir")
  (cd addon && ../node_modules/.bin/node-gyp rebuild "${gyp_args[@]}" --loglevel=warn >/dev/null)
fi

# The numbers of the addon boundary, for the TypeScript side (src/native/contract.ts).
node scripts/gen-contract.mjs

npx tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo

make -s -C bench
make -s -C test/programs
