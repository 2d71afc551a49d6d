'use strict';
// The only place that loads the compiled addon. A Release build comes from
// `npm install` (node-gyp rebuild); a Debug build is accepted for development.
const path = require('node:path');

function load() {
  const root = path.join(__dirname, '..', 'build');
  const errors = [];
  for (const flavour of ['Release', 'Debug']) {
    try {
      return require(path.join(root, flavour, 'fsmm.node'));
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
      errors.push(err.message);
    }
  }
  const err = new Error(
    'fast-sharedmemory-mmap: the native addon is not built. Run `npm rebuild fast-sharedmemory-mmap` ' +
      '(needs python3, make and a C++17 compiler). Tried:\n  ' + errors.join('\n  '),
  );
  err.code = 'ERR_SHM_NOT_BUILT';
  throw err;
}

module.exports = load();
