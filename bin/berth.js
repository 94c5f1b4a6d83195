#!/usr/bin/env node
// Thin launcher so `npx berth` and global installs run the compiled CLI.
import { main } from '../dist/src/cli/main.js';
main(process.argv.slice(2));
