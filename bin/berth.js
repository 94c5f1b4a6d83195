#!/usr/bin/env node
// Thin launcher so `npx berth` and global installs run the bundled CLI (built by `npm run build`).
import { main } from '../dist/bundle/main.js';
main(process.argv.slice(2));
