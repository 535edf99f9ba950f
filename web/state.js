// state.js - the page's whole state as URL-hash text and back; every value is checked, and a bad one is
// replaced by its default with a message saying what was wrong (the page shows these as a notice).

export const DEMOS = ['signal', 'landscape', 'sgd', 'control'];
export const FIGURES = ['phase', 'length', 'corr', 'depth'];

/** The schema; names is {activations, fields, colormaps} from the core, so no list is duplicated here. */
export function schema(names) {
  return {
    demo: { kind: 'enum', values: DEMOS, def: 'signal', what: 'demo' },
    act: { kind: 'enum', values: names.activations, def: 'tanh', what: 'activation' },
    field: { kind: 'enum', values: names.fields, def: 'xi_c', what: 'field' },
    sw2: { kind: 'num', min: 0, minOpen: true, max: 1000, def: 1.5, what: 'weight variance σw²' },
    sb2: { kind: 'num', min: 0, max: 1000, def: 0.05, what: 'bias variance σb²' },
    sw2r: { kind: 'range', min: 0, minOpen: true, max: 1000, def: [0.5, 4], what: 'σw² axis range' },
    sb2r: { kind: 'range', min: 0, max: 1000, def: [0, 0.3], what: 'σb² axis range' },
    res: { kind: 'enum', values: ['64', '128', '256', '512'], def: '256', what: 'resolution' },
    scale: { kind: 'enum', values: ['auto', 'linear', 'log'], def: 'auto', what: 'colour scale' },
    cmap: { kind: 'enum', values: ['auto', ...names.colormaps], def: 'auto', what: 'colormap' },
    vr: { kind: 'range', min: -1e30, max: 1e30, def: null, allowAuto: true, what: 'colour range' },
    width: { kind: 'int', min: 8, max: 2048, def: 128, what: 'simulated width N' },
    seeds: { kind: 'int', min: 2, max: 64, def: 8, what: 'number of random networks' },
    depth: { kind: 'int', min: 5, max: 1000, def: 100, what: 'depth L' },
    q0: { kind: 'num', min: 0, minOpen: true, max: 100, def: 1, what: 'input length q⁰' },
    c0: { kind: 'num', min: -1, max: 1, def: 0.5, what: 'input correlation c⁰' },
    seed: { kind: 'int', min: 1, max: 4294967295, def: 1, what: 'random seed' },
    dlog: { kind: 'enum', values: ['0', '1'], def: '0', what: 'log view of 1 − c in the depth panel' },
    fig: { kind: 'enum', values: ['', ...FIGURES], def: '', what: 'single-figure option' },
  };
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

/** Parses "#a=1&b=2". Returns {state, notices: [string]}; unknown keys and bad values produce notices. */
export function parseHash(hash, sch) {
  const state = defaults(sch);
  const notices = [];
  const text = (hash || '').replace(/^#/, '');
  if (!text) return { state, notices };
  const params = new URLSearchParams(text);
  for (const [k, raw] of params) {
    const s = sch[k];
    if (!s) {
      notices.push(`Ignored unknown setting “${k}” in the link.`);
      continue;
    }
    const r = parseValue(raw, s);
    if (r.ok) state[k] = r.v;
    else {
      const def = s.def === null ? 'auto' : Array.isArray(s.def) ? s.def.join(':') : s.def || '(none)';
      notices.push(`The link's ${s.what} “${k}=${raw}” is not valid (${describe(s)}); using the default ${def}.`);
    }
  }
  return { state, notices };
}

export function formatValue(v, s) {
  if (s.kind === 'range') return v === null ? 'auto' : `${num(v[0])}:${num(v[1])}`;
  if (s.kind === 'num') return num(v);
  return String(v);
}

function num(v) {
  return String(Number(Number(v).toPrecision(8)));
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
