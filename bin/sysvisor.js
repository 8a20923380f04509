#!/usr/bin/env node
// Entry point of the `sysvisor` command (compiled TypeScript lives in dist/).
import { main } from '../dist/src/cli/main.js';

process.exit(await main(process.argv.slice(2)));
