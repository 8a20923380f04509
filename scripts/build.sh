#!/usr/bin/env bash
# Builds what is out of date: BPF objects + skeletons (bpf/Makefile), the addon (node-gyp), the
# contract file of the TypeScript side (from the addon), the TypeScript (tsc, incremental), the CLI bundle and the
# C helpers of the benchmarks and tests. Each step that takes more than a second says so in one
# line (scripts/progress.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/progress.sh

step "eBPF programs (bpf/)" make -s -C bpf

addon=addon/build/Release/sysvisor.node
if [ ! -f "$addon" ] || [ -n "$(find addon/src addon/binding.gyp bpf/build -newer "$addon" -type f 2>/dev/null | head -n 1)" ]; then
  nodedir=$(dirname "$(dirname "$(command -v node)")")
  gyp_args=()
  [ -f "$nodedir/include/node/node_api.h" ] && gyp_args+=("--nodedir=$nodedir")
  (cd addon && step "addon (node-gyp)" ../node_modules/.bin/node-gyp rebuild "${gyp_args[@]}" --loglevel=warn >/dev/null)
fi

# The numbers of the addon boundary, for the TypeScript side (src/native/contract.ts).
step "contract (src/native/contract.ts)" node scripts/gen-contract.mjs

step "TypeScript (tsc)" npx tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo

# The command's bundle and V8's code cache of it (bin/sysvisor.js loads them): scripts/bundle.mjs.
bundle=dist/bundle/sysvisor.cjs
if [ ! -f "$bundle.cache" ] || [ -n "$(find dist/src scripts/bundle.mjs bin/sysvisor.js -name '*.*js' -newer "$bundle.cache" 2>/dev/null | head -n 1)" ]; then
  step "CLI bundle (esbuild)" node scripts/bundle.mjs
fi

step "C helpers (bench/, test/programs/)" sh -c 'make -s -C bench && make -s -C test/programs'
