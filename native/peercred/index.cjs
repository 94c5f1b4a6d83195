// Built by node-gyp when npm installs this package (setup.sh points it at Node 24's headers).
module.exports = require('./build/Release/peercred.node');
