// fuzz_state.mjs - a deterministic mutation fuzzer for the page's URL-state parser (web/state.js), run by node.
//
// usage: node tests/fuzz/fuzz_state.mjs [--corpus DIR] [--runs N | --seconds S] [--seed K] [--dist DIR]
//   Replays every file in the corpus (one URL hash per file), then mutates them for N runs (or S seconds) with a
//   seeded xorshift generator, so a run with the same seed and runs is the same run. libFuzzer is C-only; this is
//   the same idea in a few lines: mutate known-good inputs, check properties, print the failing input.
// Schemas: a synthetic one with every kind of entry (enum, num, int, range with and without auto, open minima),
// plus the real demos' schemas when --dist points at a built site (their modules import the WASM loader).
// Properties, for every hash h:
//   1. parseHash(h) and demoOfHash(h) never throw; every notice is one short line (no control characters);
//   2. every parsed value is allowed by its schema entry (the page never runs with a bad value);
//   3. a link round-trips: parseHash(toHash(state)) loads with no notice, the same state to the link's 8
//      significant digits, and the same link again (a shared link reproduces the view, the page's promise);
//   4. parsePatch accepts the parsed state back (the embed API's check agrees with the link's).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const corpusDir = opt('corpus', join(here, 'corpus', 'state'));
const runs = Number(opt('runs', '20000'));
const seconds = Number(opt('seconds', '0'));
const dist = opt('dist', '');
let seed = BigInt(opt('seed', '1')) || 1n;

const { parseHash, toHash, demoOfHash, linkSchema, parsePatch } = await import(
  pathToFileURL(join(here, '..', '..', 'web', 'state.js')).href
);

const schemas = [
  linkSchema(['a', 'b'], 'a', {
    act: { kind: 'enum', values: ['tanh', 'relu', 'erf'], def: 'tanh', what: 'activation' },
    sw2: { kind: 'num', min: 0, max: 10, minOpen: true, def: 1.5, what: 'weight variance' },
    sb2: { kind: 'num', min: 0, max: 2, def: 0.05, what: 'bias variance' },
    depth: { kind: 'int', min: 1, max: 1000, def: 30, what: 'depth' },
    sw2r: { kind: 'range', min: 0, max: 10, minOpen: true, def: [0.5, 4], what: 'weight variance range' },
    vr: { kind: 'range', min: -1e6, max: 1e6, allowAuto: true, def: null, what: 'colour range' },
    eps: { kind: 'num', min: 1e-12, max: 1, def: 1e-3, what: 'step' },
  }, ['phase', 'corr']),
];
if (dist && existsSync(join(dist, 'demos', 'registry.js'))) {
  // the demo modules fetch their panel.html when imported; node cannot fetch file: URLs, so read it
  globalThis.fetch = async (u) => ({ ok: true, status: 200, text: async () => readFileSync(fileURLToPath(u), 'utf8') });
  const { DEMOS } = await import(pathToFileURL(join(dist, 'demos', 'registry.js')).href);
  for (const d of DEMOS) {
    if (!d.module) continue;
    const m = await import(pathToFileURL(join(dist, 'demos', d.module)).href);
    const mod = m.default || m;
    // schema(engine) reads name lists (activations, fields, ...) from the WASM engine; their entries are enums
    // whatever the names, so two placeholder names stand in (the number, integer and range entries are real)
    // (nested: engine.dl.toys); an enum's default is added to its placeholder names, as the real lists hold it
    const mk = (n) => new Proxy([`${n}1`, `${n}2`], { get: (t, k) => (k in t ? t[k] : typeof k === 'string' ? mk(k) : undefined) });
    if (typeof mod.schema !== 'function') continue;
    const own = mod.schema(mk('names'));
    for (const e of Object.values(own)) if (e.kind === 'enum' && !e.values.includes(e.def)) e.values = [...e.values, e.def];
    schemas.push(linkSchema(DEMOS.map((x) => x.name), d.name, own, d.figures));
  }
}

function rnd() { // xorshift64*
  seed ^= seed >> 12n; seed ^= (seed << 25n) & 0xffffffffffffffffn; seed ^= seed >> 27n;
  return Number(((seed * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn) >> 11n) / 2 ** 53;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const TOKENS = ['=', '&', ':', '#', '%', '%3A', '%26', '%3D', '%00', '%ZZ', '+', ' ', '\u00a0', '-', '.', 'e', 'E',
  'e308', 'e-324', '1e999', 'NaN', 'Infinity', '-Infinity', '0x1f', '0b1', '0o7', '1_000', 'auto', '', '\u2212',
  '\ud800', 'sw2', 'sb2', 'act', 'demo', 'fig', 'depth', 'sw2r', 'vr', 'eps', 'tanh', '0', '-0', '1', '5e-324',
  '0.5', '4', '10', '10.000000001', '1e-7', '999999.99999999', '0.50000000001', '0.5000000000000001', '__proto__',
  'constructor', 'toString'];

function mutate(s) {
  const n = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rnd() * (s.length + 1));
    const r = rnd();
    if (r < 0.3) s = s.slice(0, i) + pick(TOKENS) + s.slice(i);
    else if (r < 0.5) s = s.slice(0, i) + s.slice(i + 1 + Math.floor(rnd() * 4));
    else if (r < 0.65) s = s.slice(0, i) + String.fromCharCode(Math.floor(rnd() * 128)) + s.slice(i);
    else if (r < 0.8) { // a number near a boundary of some entry
      const v = pick([0, 1e-300, 5e-324, 0.5, 4, 10, 1e6, 1000, 1e-12]) * (1 + (rnd() - 0.5) * pick([0, 1e-15, 1e-9, 1e-3]));
      s = s.slice(0, i) + String(v) + s.slice(i);
    } else if (r < 0.9) s = s + '&' + pick(TOKENS) + '=' + pick(TOKENS) + pick(TOKENS);
    else s = s.slice(0, i) + s.slice(Math.floor(rnd() * s.length));
  }
  return s;
}

function allowedValue(v, s) {
  if (s.kind === 'enum') return s.values.includes(v);
  const inR = (x) => Number.isFinite(x) && (s.minOpen ? x > s.min : x >= s.min) && x <= s.max;
  if (s.kind === 'num') return inR(v);
  if (s.kind === 'int') return inR(v) && Number.isInteger(v);
  if (s.kind === 'range') return (v === null && s.allowAuto) || (Array.isArray(v) && v.length === 2 && inR(v[0]) && inR(v[1]) && v[0] < v[1]);
  return false;
}

function check(hash) {
  for (const sch of schemas) {
    const names = sch.demo.values;
    const d = demoOfHash(hash, names, names[0]);
    const r = parseHash(hash, sch, { skip: ['demo'] });
    for (const n of [...d.notices, ...r.notices])
      if (typeof n !== 'string' || /[\u0000-\u001f\u2028\u2029]/.test(n) || n.length > 400) return `a notice is not one short line: ${JSON.stringify(n)}`;
    for (const [k, s] of Object.entries(sch)) {
      if (k === 'demo') continue;
      if (!allowedValue(r.state[k], s)) return `${k} = ${JSON.stringify(r.state[k])} is not allowed by its schema`;
    }
    const link = toHash(r.state, sch);
    const back = parseHash(link, sch);
    if (back.notices.length) return `the link ${link} does not load cleanly: ${back.notices[0]}`;
    // links keep 8 significant digits (formatValue): the loaded state may differ from r.state below that, but
    // the link of the loaded state must be the same link (a fixed point), so sharing it twice changes nothing
    if (toHash(back.state, sch) !== link) return `the link ${link} loads a view whose link is ${toHash(back.state, sch)}`;
    for (const [k, s] of Object.entries(sch)) {
      const a = r.state[k], b = back.state[k];
      const close = (x, y) => x === y || Math.abs(x - y) <= 1e-7 * Math.max(Math.abs(x), Math.abs(y));
      const ok = s.kind === 'range' ? (a === null ? b === null : close(a[0], b[0]) && close(a[1], b[1])) : s.kind === 'num' ? close(a, b) : a === b;
      if (!ok) return `${k}: the link ${link} loads ${JSON.stringify(b)}, not ${JSON.stringify(a)}`;
    }
    const patch = { ...r.state };
    delete patch.demo;
    if (!patch.fig) delete patch.fig;
    try { parsePatch(patch, sch); } catch (e) { return `parsePatch refuses the parsed state: ${e.message}`; }
  }
  return null;
}

const corpus = existsSync(corpusDir) ? readdirSync(corpusDir).sort().map((f) => readFileSync(join(corpusDir, f), 'utf8')) : [];
if (!corpus.length) corpus.push('#demo=a&act=tanh&sw2=1.5');
let failures = 0, executed = 0;
const t0 = Date.now();
function run(h, what) {
  executed++;
  let msg;
  try { msg = check(h); } catch (e) { msg = `threw ${e.stack}`; }
  if (msg) {
    failures++;
    if (failures <= 5) console.log(`FAIL (${what}) ${JSON.stringify(h)}: ${msg}`);
  }
}
for (const h of corpus) run(h, 'corpus');
const replayed = executed;
for (let i = 0; seconds > 0 ? Date.now() - t0 < seconds * 1000 : i < runs; i++) run(mutate(pick(corpus)), `run ${i}`);
const secs = (Date.now() - t0) / 1000;
console.log(`fuzz_state: ${replayed} corpus inputs, ${executed - replayed} mutations on ${schemas.length} schemas in ` +
  `${secs.toFixed(1)} s (${Math.round(executed / secs)} exec/s), ${failures} failures`);
process.exit(failures ? 1 : 0);
