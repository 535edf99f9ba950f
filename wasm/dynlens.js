// dynlens.js - loads the WebAssembly core and wraps its dynw_* exports in a small JS API (browser, worker, node).
//
//   const dl = await createDynlens();          // or createDynlens({ wasmModule }) with a compiled module
//   dl.point('tanh', 1.5, 0.05)                 // {q_star, c_star, chi1, ..., phase: 'chaotic'}
//   dl.grid({ act, field, sw2: [a, b], sb2: [c, d], nx, ny, rowBegin, rowEnd })  -> Float32Array
//   dl.dispose()
//
// Every C status other than DYN_OK becomes a thrown DynlensError whose message is dyn_status_str's text plus
// the call and its arguments. Views over WASM memory are taken afresh after every call that may grow memory
// (a malloc), because growth detaches the old ArrayBuffer. Every malloc is freed in a finally block.
import createDynlensCore from './dynlens-core.mjs';

export class DynlensError extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'DynlensError';
    this.status = status;
  }
}

const isNode = typeof process === 'object' && !!(process.versions && process.versions.node) &&
  typeof window === 'undefined';

/** Fetches and compiles dynlens-core.wasm once; the result can be posted to workers and reused. */
export async function compileDynlensWasm(url = new URL('./dynlens-core.wasm', import.meta.url)) {
  if (isNode && String(url).startsWith('file:')) {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(new URL(url)));
  }
  // Some static hosts send .wasm with a generic MIME type, which compileStreaming refuses: fall back.
  if (WebAssembly.compileStreaming) {
    try {
      return await WebAssembly.compileStreaming(fetch(url));
    } catch (e) {
      /* fall through to the byte path */
    }
  }
  const r = await fetch(url);
  if (!r.ok) throw new DynlensError(`could not load ${url}: HTTP ${r.status}`, -100);
  return WebAssembly.compile(await r.arrayBuffer());
}

/** Creates one module instance (one WASM memory). opts.wasmModule: a compiled WebAssembly.Module to reuse. */
export async function createDynlens(opts = {}) {
  const wasmModule = opts.wasmModule || (await compileDynlensWasm(opts.wasmUrl));
  const core = await createDynlensCore({
    // The glue's own loader guesses the environment and fails in module workers and node; we hand it the module.
    instantiateWasm(imports, done) {
      WebAssembly.instantiate(wasmModule, imports).then((inst) => done(inst, wasmModule));
      return {};
    },
    print: () => {},
    printErr: () => {},
  });
  return new Dynlens(core, wasmModule);
}

const POINT_KEYS = ['sw2', 'sb2', 'q_star', 'c_star', 'chi1', 'chi_c', 'chi_q', 'xi_q', 'xi_c', 'xi_grad',
  'depth_trainable', 'phase'];

function nameList(core, count, name) {
  const out = [];
  const n = count();
  for (let i = 0; i < n; i++) out.push(core.UTF8ToString(name(i)));
  return out;
}

export class Dynlens {
  constructor(core, wasmModule) {
    this.core = core;
    this.wasmModule = wasmModule;
    this.handles = new Map(); // activation index -> dynw_mf*; initialised once, kept for the instance's life
    this.activations = nameList(core, core._dynw_act_count, core._dynw_act_name);
    this.fields = nameList(core, core._dynw_field_count, core._dynw_field_name);
    this.colormaps = nameList(core, core._dynw_cmap_count, core._dynw_cmap_name);
    this.phases = [0, 1, 2].map((p) => core.UTF8ToString(core._dynw_phase_name(p)));
    this.disposed = false;
  }

  // --- helpers -------------------------------------------------------------------------------------------
  check(status, context) {
    if (status !== 0) {
      const msg = this.core.UTF8ToString(this.core._dynw_status_str(status));
      throw new DynlensError(`${msg} (${context})`, status);
    }
  }
  statusString(status) {
    return this.core.UTF8ToString(this.core._dynw_status_str(status));
  }
  alive() {
    if (this.disposed) throw new DynlensError('this dynlens instance was disposed', -101);
  }
  index(list, name, what) {
    if (typeof name === 'number' && Number.isInteger(name) && name >= 0 && name < list.length) return name;
    const i = list.indexOf(String(name));
    if (i < 0) throw new DynlensError(`unknown ${what} "${name}"; known: ${list.join(', ')}`, -8);
    return i;
  }
  /** Runs fn(ptrs) with malloc'd buffers of the given byte sizes, freeing every one afterwards. */
  withBuffers(sizes, fn) {
    const ptrs = [];
    try {
      for (const bytes of sizes) {
        const p = this.core._malloc(Math.max(8, bytes));
        if (!p) throw new DynlensError(`out of memory allocating ${bytes} bytes`, -5);
        ptrs.push(p);
      }
      return fn(ptrs);
    } finally {
      for (const p of ptrs) this.core._free(p);
    }
  }
  // Fresh views every time: a malloc may have grown (and so replaced) the memory buffer.
  f64(ptr, n) { return new Float64Array(this.core.HEAPF64.buffer, ptr, n); }
  f32(ptr, n) { return new Float32Array(this.core.HEAPF32.buffer, ptr, n); }
  u8(ptr, n) { return new Uint8Array(this.core.HEAPU8.buffer, ptr, n); }

  mf(act) {
    this.alive();
    const a = this.index(this.activations, act, 'activation');
    let h = this.handles.get(a);
    if (h) return h;
    h = this.withBuffers([4], ([out]) => {
      this.check(this.core._dynw_mf_create(a, 0, out), `initialising mean field for ${this.activations[a]}`);
      return this.core.HEAPU32[out >> 2];
    });
    this.handles.set(a, h);
    return h;
  }

  // --- the API ---------------------------------------------------------------------------------------------
  /** Everything dyn_mf_point computes, by name; phase as its name ("ordered", "chaotic", "unbounded"). */
  point(act, sw2, sb2) {
    const h = this.mf(act);
    return this.withBuffers([8 * POINT_KEYS.length], ([out]) => {
      this.check(this.core._dynw_point(h, sw2, sb2, out), `point act=${act} sw2=${sw2} sb2=${sb2}`);
      const v = this.f64(out, POINT_KEYS.length);
      const r = {};
      POINT_KEYS.forEach((k, i) => { r[k] = v[i]; });
      r.phase = this.phases[r.phase];
      r.act = this.activations[this.index(this.activations, act, 'activation')];
      return r;
    });
  }

  /** {sw2, q_star} on the critical line at bias variance sb2. */
  critical(act, sb2) {
    const h = this.mf(act);
    return this.withBuffers([16], ([out]) => {
      this.check(this.core._dynw_critical(h, sb2, out), `critical act=${act} sb2=${sb2}`);
      const v = this.f64(out, 2);
      return { sw2: v[0], q_star: v[1] };
    });
  }

  /** Float64Array of n critical sw2 values at sb2 evenly spaced over [sb2Min, sb2Max] (NaN where none). */
  criticalLine(act, sb2Min, sb2Max, n) {
    const h = this.mf(act);
    return this.withBuffers([8 * n], ([out]) => {
      this.check(this.core._dynw_critical_line(h, sb2Min, sb2Max, n, out),
        `critical line act=${act} sb2=${sb2Min}:${sb2Max} n=${n}`);
      return Float64Array.from(this.f64(out, n));
    });
  }

  /** Rows [rowBegin, rowEnd) of the nx x ny grid of one field; top row = sb2 max. */
  grid({ act, field, sw2, sb2, nx, ny, rowBegin = 0, rowEnd = ny }) {
    const h = this.mf(act);
    const f = this.index(this.fields, field, 'field');
    const rows = rowEnd - rowBegin;
    if (!(Number.isInteger(nx) && Number.isInteger(ny) && rows > 0 && nx > 0)) {
      throw new DynlensError(`bad grid size nx=${nx} ny=${ny} rows ${rowBegin}..${rowEnd}`, -4);
    }
    const n = nx * rows;
    return this.withBuffers([4 * n], ([out]) => {
      this.check(this.core._dynw_grid(h, f, sw2[0], sw2[1], sb2[0], sb2[1], nx, ny, rowBegin, rowEnd, out, n),
        `grid act=${act} field=${field} sw2=${sw2[0]}:${sw2[1]} sb2=${sb2[0]}:${sb2[1]} size=${nx}x${ny} ` +
        `rows=${rowBegin}:${rowEnd}`);
      return Float32Array.from(this.f32(out, n));
    });
  }

  /** {q, c, e}: Float64Arrays of depth + 1 values from q0, c0; e = 1 - c at full relative precision. */
  trajectory(act, sw2, sb2, q0, c0, depth) {
    const h = this.mf(act);
    const n = depth + 1;
    return this.withBuffers([8 * n, 8 * n, 8 * n], ([q, c, e]) => {
      this.check(this.core._dynw_trajectory(h, sw2, sb2, q0, c0, depth, q, c, e),
        `trajectory act=${act} sw2=${sw2} sb2=${sb2} q0=${q0} c0=${c0} depth=${depth}`);
      return { q: Float64Array.from(this.f64(q, n)), c: Float64Array.from(this.f64(c, n)),
        e: Float64Array.from(this.f64(e, n)) };
    });
  }

  /** One step of the length map at each of qIn and of the correlation map (inputs of length qC) at each cIn. */
  maps(act, sw2, sb2, qIn, qC, cIn) {
    const h = this.mf(act);
    const nq = qIn.length;
    const nc = cIn.length;
    return this.withBuffers([8 * nq, 8 * nq, 8 * nc, 8 * nc], ([qi, qo, ci, co]) => {
      this.f64(qi, nq).set(qIn);
      this.f64(ci, nc).set(cIn);
      this.check(this.core._dynw_maps(h, sw2, sb2, qi, nq, qo, qC, ci, nc, co),
        `maps act=${act} sw2=${sw2} sb2=${sb2} q=${qC}`);
      return { q: Float64Array.from(this.f64(qo, nq)), c: Float64Array.from(this.f64(co, nc)) };
    });
  }

  /** Finite-width random networks: per-layer mean and standard error of q and c, and c per network. */
  simulate({ act, width, depth, seeds, seed = 1, sw2, sb2, q0 = 1, c0 = 0.5, each = true }) {
    this.alive();
    const a = this.index(this.activations, act, 'activation');
    const n = depth + 1;
    const scratchLen = this.core._dynw_sim_scratch_doubles(width);
    if (scratchLen <= 0) throw new DynlensError(`a size or count was zero, negative or over its limit (width=${width})`, -4);
    const eachLen = each ? seeds * n : 0;
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    return this.withBuffers([8 * scratchLen, 8 * n, 8 * n, 8 * n, 8 * n, 8 * eachLen],
      ([scr, qm, qs, cm, cs, ce]) => {
        this.check(this.core._dynw_simulate(a, width, depth, seeds, lo, hi, sw2, sb2, q0, c0, scr, scratchLen,
          qm, qs, cm, cs, each ? ce : 0),
        `simulate act=${act} width=${width} depth=${depth} seeds=${seeds} sw2=${sw2} sb2=${sb2} q0=${q0} c0=${c0}`);
        return {
          qMean: Float64Array.from(this.f64(qm, n)), qSe: Float64Array.from(this.f64(qs, n)),
          cMean: Float64Array.from(this.f64(cm, n)), cSe: Float64Array.from(this.f64(cs, n)),
          cEach: each ? Float64Array.from(this.f64(ce, eachLen)) : null,
        };
      });
  }

  /** RGBA bytes (Uint8ClampedArray, ready for ImageData) of values through a core colormap. */
  colormap(cmap, values, vmin, vmax, logScale = false) {
    this.alive();
    const c = this.index(this.colormaps, cmap, 'colormap');
    const n = values.length;
    return this.withBuffers([4 * n, 4 * n], ([v, rgba]) => {
      this.f32(v, n).set(values);
      this.check(this.core._dynw_cmap_apply(c, v, n, vmin, vmax, logScale ? 1 : 0, rgba),
        `colormap ${this.colormaps[c]} range=${vmin}:${vmax}${logScale ? ' log' : ''}`);
      return new Uint8ClampedArray(this.u8(rgba, 4 * n));
    });
  }

  /** {vmin, vmax, ok}: the core's robust colour range (1st..99th percentile); ok false when no value is usable. */
  autoRange(values, logScale = false) {
    this.alive();
    const n = values.length;
    return this.withBuffers([4 * n, 4 * n, 16], ([v, scr, out]) => {
      this.f32(v, n).set(values);
      const s = this.core._dynw_cmap_auto_range(v, n, logScale ? 1 : 0, out, scr);
      const r = this.f64(out, 2);
      if (s !== 0 && s !== -2) this.check(s, `auto range of ${n} values`);
      return { vmin: r[0], vmax: r[1], ok: s === 0 };
    });
  }

  /** Frees every buffer this instance malloc'd; the instance cannot be used afterwards. */
  dispose() {
    if (this.disposed) return;
    for (const h of this.handles.values()) this.core._dynw_mf_destroy(h);
    this.handles.clear();
    this.disposed = true;
  }
}

/** The methods a worker may be asked to run (wasm/worker.js and the in-page fallback use this list). */
export const REMOTE_METHODS = ['point', 'critical', 'criticalLine', 'grid', 'trajectory', 'maps', 'simulate',
  'colormap', 'autoRange'];
