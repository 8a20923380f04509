#!/usr/bin/env node
// Entry point of the `sysvisor` command: the CLI as bundled by scripts/build.sh (dist/bundle/, a
// few files instead of a hundred modules: start-up time; the compiled modules are in dist/src/).
import { main } from '../dist/bundle/cli/main.js';

process.exit(await main(process.argv.slice(2)));
