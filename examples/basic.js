'use strict';
const createCache = require('fast-sharedmemory-mmap');

// Every process on this machine that opens 'quickstart' sees the same cache.
const cache = createCache({ name: 'quickstart', maxKeys: 10000 });

cache.set('greeting', 'hello');
console.log(cache.get('greeting')); // 'hello'
console.log(cache.get('missing')); // undefined

cache.set('bytes', Buffer.from([1, 2, 3]));
console.log(cache.get('bytes')); // <Buffer 01 02 03>

console.log(cache.incr('visits')); // 1 (atomic across processes)
console.log(cache.incr('visits', 10)); // 11

cache.set('token', 'abc', { ttl: 60000 }); // expires in 60 s
console.log(cache.ttl('token') > 59000); // true (milliseconds left)

console.log(cache.stats().size); // 4
cache.close(); // the last user of a non-persistent cache removes it from /dev/shm
