// Built by node-gyp (scripts/setup.sh points it at Node 24's headers).
module.exports = require('./build/Release/mount.node');
