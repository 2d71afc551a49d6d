// Must NOT compile (test/50.types.js expects TS2322): get() can return a Buffer or undefined.
import createCache = require('../../..');

const value: string = createCache({ name: 'typed-negative' }).get('k');

export { value };
