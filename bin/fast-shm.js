#!/usr/bin/env node
'use strict';
// fast-shm: inspect the shared caches of this package on this machine.
//
// Contract: every command except `unlink` leaves segments as it found them. It
// opens them with { observe: true } (src/core/segment.h OpenOptions::observe):
// never creates or reinitialises a segment, counts no hits/misses, sets no
// LRU bits, and never removes a segment that had no live user when it looked
// (a "stale" segment stays stale). Exit codes: 0 ok, 1 usage, 2 segment or key
// not found, 3 any other failure (permissions, foreign file, layout).
const fs = require('node:fs');
const path = require('node:path');

const SHM_DIR = '/dev/shm';
const PREFIX = 'fsmm.';
const EXIT = { OK: 0, USAGE: 1, NOT_FOUND: 2, FAILED: 3 };

const HELP = `Usage: fast-shm <command> [arguments] [--json]

Inspect the fast-sharedmemory-mmap caches on this machine (${SHM_DIR}/${PREFIX}<name>).
Every command but "unlink" only reads: it never creates a segment, never counts
hits, and never removes a segment.

Commands:
  list                              every segment: capacity, size, key/value sizes,
                                    mode, owner, persist, attached processes
  stats <name>                      counters and geometry of one segment
  keys <name> [--prefix p] [--limit n]
                                    keys, one per line
  get <name> <key>                  the value of one key (exit 2 if absent)
  dump <name> [--prefix p] [--limit n]
                                    key, ttl and value of each entry
  unlink <name>                     remove the segment (processes attached keep
                                    their mapping until they close)

Options:
  --json        machine-readable output on stdout (errors: one JSON object on stderr)
  --help, -h    this text

Exit codes: 0 ok, 1 usage error, 2 segment or key not found, 3 other failure.
`;

class CliError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

function usage(message) {
  return new CliError(`${message}\nRun "fast-shm --help" for usage.`, EXIT.USAGE);
}

function parseArgs(argv) {
  const out = { positional: [], json: false, help: false, prefix: undefined, limit: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if (a === '--help' || a === '-h') out.help = true;
    else if (a === '--prefix' || a === '--limit') {
      if (i + 1 >= argv.length) throw usage(`${a} needs a value`);
      const v = argv[++i];
      if (a === '--prefix') out.prefix = v;
      else {
        if (!/^\d+$/.test(v)) throw usage(`--limit must be a non-negative integer (got ${JSON.stringify(v)})`);
        out.limit = Number(v);
      }
    } else if (a.startsWith('--prefix=')) out.prefix = a.slice(9);
    else if (a.startsWith('--limit=')) {
      const v = a.slice(8);
      if (!/^\d+$/.test(v)) throw usage(`--limit must be a non-negative integer (got ${JSON.stringify(v)})`);
      out.limit = Number(v);
    } else if (a.startsWith('-') && a !== '-') throw usage(`unknown option ${a}`);
    else out.positional.push(a);
  }
  return out;
}

// Lazily: `--help` and usage errors work even where the addon is not built.
function pkg() {
  return require('..');
}

function segmentPath(name) {
  return path.join(SHM_DIR, PREFIX + name);
}

// Names of every segment under our prefix (lock files skipped).
function segmentNames() {
  let files;
  try {
    files = fs.readdirSync(SHM_DIR);
  } catch (err) {
    throw new CliError(`cannot read ${SHM_DIR}: ${err.message}`, EXIT.FAILED);
  }
  return files
    .filter((f) => f.startsWith(PREFIX) && !f.endsWith('.lock') && f.length > PREFIX.length)
    .map((f) => f.slice(PREFIX.length))
    .sort();
}

// pid -> set of mapped segment paths, from /proc/*/maps. Processes whose maps
// we may not read (other users, when not root) are counted in `unreadable`.
function attachedProcesses() {
  const byPath = new Map();
  let unreadable = 0;
  let pids;
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return { byPath, unreadable: -1 };
  }
  const needle = path.join(SHM_DIR, PREFIX);
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let maps;
    try {
      maps = fs.readFileSync(`/proc/${pid}/maps`, 'latin1');
    } catch (err) {
      if (err.code !== 'ENOENT' && err.code !== 'ESRCH') unreadable++; // EACCES: another user's process
      continue;
    }
    let at = maps.indexOf(needle);
    const seen = new Set();
    while (at !== -1) {
      const eol = maps.indexOf('\n', at);
      let p = maps.slice(at, eol === -1 ? undefined : eol);
      if (p.endsWith(' (deleted)')) p = null; // an unlinked inode: not the current segment
      if (p && !seen.has(p)) {
        seen.add(p);
        if (!byPath.has(p)) byPath.set(p, []);
        byPath.get(p).push(Number(pid));
      }
      at = maps.indexOf(needle, at + needle.length);
    }
  }
  return { byPath, unreadable };
}

// Identity fields read straight from the header (src/core/layout.h, Header),
// without attaching: magic, format, sizes, evict mode and the persist flag.
function peekHeader(name) {
  let fd;
  try {
    fd = fs.openSync(segmentPath(name), 'r');
  } catch (err) {
    return { error: err.code };
  }
  try {
    const b = Buffer.alloc(72);
    const n = fs.readSync(fd, b, 0, b.length, 0);
    if (n < 72 || b.readBigUInt64LE(0) !== 0x31304d4d53464146n) return { error: 'not an initialised fast-sharedmemory-mmap segment' };
    return {
      formatVersion: b.readUInt32LE(8),
      keySize: b.readUInt32LE(16),
      valueSize: b.readUInt32LE(20),
      evict: b.readUInt32LE(36) === 1 ? 'lru' : 'none',
      maxKeys: Number(b.readBigUInt64LE(40)),
      persist: (b.readUInt32LE(64) & 1) === 1,
    };
  } finally {
    fs.closeSync(fd);
  }
}

// Opens an existing segment as an observer; maps failures to exit codes.
function observe(name) {
  const createCache = pkg();
  try {
    return createCache({ name, observe: true });
  } catch (err) {
    if (err.code === 'ENOENT') throw new CliError(`no segment named "${name}" (${segmentPath(name)})`, EXIT.NOT_FOUND);
    if (err.code === 'ERR_INVALID_ARG_VALUE') throw usage(err.message);
    throw new CliError(`cannot open "${name}": ${err.message}${err.code ? ` [${err.code}]` : ''}`, EXIT.FAILED);
  }
}

function describeSegment(name, attached) {
  const row = { name, path: segmentPath(name) };
  try {
    const st = fs.statSync(row.path);
    row.mode = '0' + (st.mode & 0o777).toString(8);
    row.uid = st.uid;
    row.bytes = st.size;
  } catch (err) {
    row.error = err.code;
    return row;
  }
  const h = peekHeader(name);
  if (h.error) {
    row.error = h.error;
    return row;
  }
  row.capacity = h.maxKeys;
  row.keySize = h.keySize;
  row.valueSize = h.valueSize;
  row.evict = h.evict;
  row.persist = h.persist;
  row.attached = attached.byPath.get(row.path) || [];
  if (attached.unreadable > 0) row.attachedIncomplete = true;
  // Stale: no process maps it and it is not persistent: the next opener
  // reinitialises it (segment.h P4), so its contents are already gone in effect.
  // Processes whose maps are unreadable (other users' when not root) are not
  // seen: attachedIncomplete says so.
  row.stale = row.attached.length === 0 && !row.persist;
  try {
    const c = observe(name);
    try {
      row.size = c.stats().size;
    } finally {
      c.close();
    }
  } catch (err) {
    row.error = err.message;
  }
  return row;
}

function table(rows, columns) {
  const cells = rows.map((r) => columns.map(([, get]) => String(get(r))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (vals) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}

function showValue(v) {
  if (typeof v === 'string') return v;
  return `<binary ${v.length} bytes> ${Buffer.from(v.buffer, v.byteOffset, v.length).toString('hex')}`;
}

function jsonValue(v) {
  return typeof v === 'string' ? { type: 'string', value: v } : { type: 'binary', base64: Buffer.from(v).toString('base64') };
}

function needName(args, command) {
  const name = args.positional[1];
  if (name === undefined) throw usage(`"${command}" needs a segment name`);
  return name;
}

function run(argv, out) {
  const args = parseArgs(argv);
  const command = args.positional[0];
  if (args.help || command === 'help') {
    out(HELP.trimEnd());
    return EXIT.OK;
  }
  if (command === undefined) throw usage('missing command');
  const print = (obj, text) => out(args.json ? JSON.stringify(obj, null, 2) : text());
  const maxArgs = { list: 1, stats: 2, keys: 2, get: 3, dump: 2, unlink: 2 }[command];
  if (maxArgs === undefined) throw usage(`unknown command "${command}"`);
  if (args.positional.length > maxArgs) throw usage(`too many arguments for "${command}"`);
  if ((args.prefix !== undefined || args.limit !== undefined) && command !== 'keys' && command !== 'dump') {
    throw usage(`--prefix and --limit apply to "keys" and "dump" only`);
  }

  switch (command) {
    case 'list': {
      const attached = attachedProcesses();
      const rows = segmentNames().map((n) => describeSegment(n, attached));
      print(rows, () => {
        if (rows.length === 0) return `no segments in ${SHM_DIR}`;
        return table(rows, [
          ['NAME', (r) => r.name],
          ['SIZE', (r) => r.size ?? '-'],
          ['CAPACITY', (r) => r.capacity ?? '-'],
          ['KEY', (r) => r.keySize ?? '-'],
          ['VALUE', (r) => r.valueSize ?? '-'],
          ['EVICT', (r) => r.evict ?? '-'],
          ['PERSIST', (r) => (r.persist === undefined ? '-' : r.persist ? 'yes' : 'no')],
          ['MODE', (r) => r.mode ?? '-'],
          ['UID', (r) => r.uid ?? '-'],
          ['ATTACHED', (r) => (r.attached ? (r.attached.length ? r.attached.join(',') : r.stale ? 'none (stale)' : 'none') : '-')],
          ['ERROR', (r) => r.error ?? ''],
        ]);
      });
      return EXIT.OK;
    }
    case 'stats': {
      const name = needName(args, command);
      const c = observe(name);
      let s;
      try {
        s = c.stats();
      } finally {
        c.close();
      }
      const h = peekHeader(name);
      const attached = attachedProcesses().byPath.get(segmentPath(name)) || [];
      const obj = { name, ...s, evict: h.evict, persist: h.persist, attached };
      print(obj, () => Object.entries(obj).map(([k, v]) => `${k.padEnd(12)} ${Array.isArray(v) ? v.join(',') || 'none' : v}`).join('\n'));
      return EXIT.OK;
    }
    case 'keys': {
      const name = needName(args, command);
      const c = observe(name);
      let keys;
      try {
        keys = c.keys({ prefix: args.prefix, limit: args.limit });
      } finally {
        c.close();
      }
      print(keys, () => keys.join('\n'));
      return EXIT.OK;
    }
    case 'get': {
      const name = needName(args, command);
      const key = args.positional[2];
      if (key === undefined) throw usage('"get" needs a segment name and a key');
      const c = observe(name);
      let v;
      let ttl;
      try {
        v = c.get(key);
        ttl = c.ttl(key);
      } catch (err) {
        if (err.code === 'ERR_SHM_KEY_TOO_LONG') throw usage(err.message);
        throw err;
      } finally {
        c.close();
      }
      if (v === undefined) throw new CliError(`key ${JSON.stringify(key)} not found in "${name}"`, EXIT.NOT_FOUND);
      print({ key, ...jsonValue(v), ttl: ttl ?? null }, () => showValue(v));
      return EXIT.OK;
    }
    case 'dump': {
      const name = needName(args, command);
      const c = observe(name);
      let rows;
      try {
        rows = c.entries({ prefix: args.prefix, limit: args.limit }).map(([k, v]) => ({ key: k, v, ttl: c.ttl(k) }));
      } finally {
        c.close();
      }
      print(
        rows.map((r) => ({ key: r.key, ...jsonValue(r.v), ttl: r.ttl ?? null })),
        () => rows.map((r) => `${JSON.stringify(r.key)}\t${r.ttl === undefined || r.ttl === -1 ? '-' : r.ttl + 'ms'}\t${typeof r.v === 'string' ? JSON.stringify(r.v) : showValue(r.v)}`).join('\n'),
      );
      return EXIT.OK;
    }
    case 'unlink': {
      const name = needName(args, command);
      let existed;
      try {
        existed = pkg().unlink(name);
      } catch (err) {
        if (err.code === 'ERR_INVALID_ARG_VALUE') throw usage(err.message);
        throw new CliError(`cannot unlink "${name}": ${err.message}`, EXIT.FAILED);
      }
      if (!existed) throw new CliError(`no segment named "${name}" (${segmentPath(name)})`, EXIT.NOT_FOUND);
      print({ name, unlinked: true }, () => `unlinked ${name}`);
      return EXIT.OK;
    }
    default:
      throw usage(`unknown command "${command}"`);
  }
}

// Errors go to stderr: a line of text, or with --json one JSON object
// { error, exitCode } (stdout then stays empty or valid JSON).
function main() {
  const argv = process.argv.slice(2);
  let code;
  try {
    code = run(argv, (s) => process.stdout.write(s.length ? s + '\n' : ''));
  } catch (err) {
    const known = err instanceof CliError;
    code = known ? err.exitCode : EXIT.FAILED;
    const message = known ? err.message : String(err.stack || err);
    if (argv.includes('--json')) process.stderr.write(JSON.stringify({ error: message.split('\n')[0], exitCode: code }) + '\n');
    else process.stderr.write(`fast-shm: ${message}\n`);
  }
  process.exitCode = code;
}

if (require.main === module) main();

module.exports = { run, EXIT };
