'use strict';
// Root hooks: every segment name issued by helpers/names.js is unlinked after
// the run, and no child process outlives the suite.
const names = require('./helpers/names');
const child = require('./helpers/child');

exports.mochaHooks = {
  afterAll() {
    child.killAll();
    names.removeAll();
  },
};
