// state.js - the page's whole state as URL-hash text and back, for any demo: demo=<name> picks the demo, whose
// schema (web/demos/<name>/index.js) checks its own keys; a bad value is replaced by its default with a message
// saying what was wrong (the page shows these as a notice). Nothing here knows a particular demo.

/**
 * The schema of one demo's links: demo= first, then the demo's own keys (from its module's schema()), then the
 * generic fig= (the iframe option that shows one of the demo's figures alone). Key order is the hash's order.
 * A schema entry is {kind: 'enum'|'num'|'int'|'range', what (the words a notice uses), def, and values (enum),
 * min, max, minOpen (num, int, range) or allowAuto (range: "auto" means null)}.
 */
export function linkSchema(demoNames, demo, own = {}, figures = []) {
  return {
    demo: { kind: 'enum', values: demoNames, def: demo, what: 'demo' },
    ...own,
    fig: { kind: 'enum', values: ['', ...figures], def: '', what: 'single-figure option' },
  };
}

/** Which demo a link asks for: {demo, notices}. No demo= means def; an unknown one means def with a notice. */
export function demoOfHash(hash, demoNames, def) {
  const raw = new URLSearchParams((hash || '').replace(/^#/, '')).get('demo');
  if (raw === null) return { demo: def, notices: [] };
  if (demoNames.includes(raw)) return { demo: raw, notices: [] };
  return { demo: def, notices: [`The link's demo “demo=${shown(raw)}” is not valid (one of ${demoNames.join(', ')}); using the default ${def}.`] };
}

// A key or value from a link, as a notice quotes it: control characters (a %0A decodes to a newline) shown as
// \u escapes and long text cut, so a notice stays one short line whatever the link holds.
function shown(raw) {
  const t = String(raw).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

function describe(s) {
  if (s.kind === 'enum') return `one of ${s.values.filter((v) => v).join(', ')}`;
  if (s.kind === 'range') return `two numbers a:b with a < b${s.allowAuto ? ', or auto' : ''}`;
  const lo = s.minOpen ? `> ${s.min}` : `≥ ${s.min}`;
  return `${s.kind === 'int' ? 'a whole number' : 'a number'} ${lo} and ≤ ${s.max}`;
}

function inRange(v, s) {
  return Number.isFinite(v) && (s.minOpen ? v > s.min : v >= s.min) && v <= s.max;
}

function parseValue(raw, s) {
  if (s.kind === 'enum') return s.values.includes(raw) ? { ok: true, v: raw } : { ok: false };
  if (s.kind === 'num' || s.kind === 'int') {
    if (raw.trim() === '') return { ok: false };
    const v = Number(raw);
    if (!inRange(v, s) || (s.kind === 'int' && !Number.isInteger(v))) return { ok: false };
    return { ok: true, v };
  }
  if (s.kind === 'range') {
    if (s.allowAuto && (raw === 'auto' || raw === '')) return { ok: true, v: null };
    const parts = raw.split(':');
    if (parts.length !== 2 || parts.some((p) => p.trim() === '')) return { ok: false };
    const a = Number(parts[0]);
    const b = Number(parts[1]);
    if (!inRange(a, s) || !inRange(b, s) || !(a < b)) return { ok: false };
    return { ok: true, v: [a, b] };
  }
  return { ok: false };
}

export function defaults(sch) {
  const out = {};
  for (const [k, s] of Object.entries(sch)) out[k] = Array.isArray(s.def) ? [...s.def] : s.def;
  return out;
}

/**
 * Parses "#a=1&b=2". Returns {state, notices: [string]}; unknown keys and bad values produce notices.
 * opts.skip: keys read elsewhere (demo, by demoOfHash); opts.quiet: no notice for unknown keys (a placeholder).
 */
export function parseHash(hash, sch, opts = {}) {
  const state = defaults(sch);
  const notices = [];
  const text = (hash || '').replace(/^#/, '');
  if (!text) return { state, notices };
  const params = new URLSearchParams(text);
  for (const [k, raw] of params) {
    if (opts.skip && opts.skip.includes(k)) continue;
    const s = sch[k];
    if (!s) {
      if (!opts.quiet) notices.push(`Ignored unknown setting “${shown(k)}” in the link.`);
      continue;
    }
    const r = parseValue(raw, s);
    if (r.ok) state[k] = r.v;
    else {
      const def = s.def === null ? 'auto' : Array.isArray(s.def) ? s.def.join(':') : s.def || '(none)';
      notices.push(`The link's ${s.what} “${k}=${shown(raw)}” is not valid (${describe(s)}); using the default ${def}.`);
    }
  }
  return { state, notices };
}

export function formatValue(v, s) {
  if (s.kind === 'range') {
    if (v === null) return 'auto';
    const a = num(v[0], s), b = num(v[1], s);
    // 8 digits can merge two close ends (0.5:0.500000001 -> 0.5:0.5, an invalid link): then all digits
    return Number(a) < Number(b) ? `${a}:${b}` : `${String(Number(v[0]))}:${String(Number(v[1]))}`;
  }
  if (s.kind === 'num') return num(v, s);
  return String(v);
}

// 8 significant digits hide float noise (0.30000000000000004 -> 0.3) in links; a value that rounding would push
// out of its allowed range (a bound at 1e-12 with minOpen, a max of 0.99999999) keeps all its digits instead
function num(v, s) {
  const short = String(Number(Number(v).toPrecision(8)));
  return s && s.min !== undefined && !inRange(Number(short), s) ? String(Number(v)) : short;
}

/** Every key in a fixed order, so a link always reproduces the view even if defaults change later. */
export function toHash(state, sch) {
  const parts = [];
  for (const [k, s] of Object.entries(sch)) {
    if (k === 'fig' && !state.fig) continue;
    parts.push(`${k}=${encodeURIComponent(formatValue(state[k], s)).replace(/%3A/g, ':')}`);
  }
  return `#${parts.join('&')}`;
}

/** True when number v is allowed by a num/int schema entry (for a demo's number inputs). */
export function allowed(v, s) {
  return inRange(v, s) && (s.kind !== 'int' || Number.isInteger(v));
}

/** "≥ 0 and ≤ 1000"-style words for a schema entry, for a status line next to the controls. */
export const allowedText = describe;

/**
 * A patch of JS values ({sw2: 2, sw2r: [0.5, 4], vr: null}) checked by the same code that checks links: the
 * parsed values, or an Error that names each bad key and what is allowed (the embed API throws it).
 */
export function parsePatch(patch, sch) {
  const text = Object.entries(patch).map(([k, v]) => {
    if (!sch[k]) throw new Error(`dynlens: unknown parameter "${k}"; known: ${Object.keys(sch).join(', ')}`);
    return `${encodeURIComponent(k)}=${encodeURIComponent(v === null ? 'auto' : Array.isArray(v) ? v.join(':') : String(v))}`;
  }).join('&');
  const r = parseHash(text, sch);
  if (r.notices.length) throw new Error(`dynlens: ${r.notices.join(' ')}`);
  const out = {};
  for (const k of Object.keys(patch)) out[k] = r.state[k];
  return out;
}
