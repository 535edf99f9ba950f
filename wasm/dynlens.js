// dynlens.js - loads the WebAssembly core and composes the per-module JS APIs (wasm/dynlens-<module>.js) into one.
//
//   const dl = await createDynlens();          // or createDynlens({ wasmModule }) with a compiled module
//   dl.point('tanh', 1.5, 0.05)                 // {q_star, c_star, chi1, ..., phase: 'chaotic'}
//   dl.grid({ act, field, sw2: [a, b], sb2: [c, d], nx, ny, rowBegin, rowEnd })  -> Float32Array
//   dl.dispose()
//
// Each core module has one JS file, wasm/dynlens-<module>.js, matching its section of wasm/dynw.c. It default-
// exports a descriptor { name, init(dl), dispose(dl), methods: {name(...args) {...}}, heavy: [names] }: init
// reads the module's name lists from the core into dl, every method becomes dl.<method> (called with this = dl,
// so it can use the helpers below), and every method may run in a worker (REMOTE_METHODS). `heavy` names the
// long-running methods the pool keeps off the page while workers start. To add a module, write its file and add
// it to MODULES below: nothing else in wasm/ changes.
//
// Every C status other than DYN_OK becomes a thrown DynlensError whose message is dyn_status_str's text plus
// the call and its arguments. Views over WASM memory are taken afresh after every call that may grow memory
// (a malloc), because growth detaches the old ArrayBuffer. Every malloc is freed in a finally block.
import createDynlensCore from './dynlens-core.mjs';
import act from './dynlens-act.js';
import colormap from './dynlens-colormap.js';
import meanfield from './dynlens-meanfield.js';
import landscape from './dynlens-landscape.js';
import posterior from './dynlens-posterior.js';
import control from './dynlens-control.js';
import lrcontrol from './dynlens-lrcontrol.js';
import isometry from './dynlens-isometry.js';

/** The core modules this build exposes, one descriptor per wasm/dynlens-<module>.js (one per dynw.c section). */
export const MODULES = [
  act,
  colormap,
  meanfield,
  landscape,
  posterior,
  control,
  lrcontrol,
  isometry,
];

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

export class Dynlens {
  constructor(core, wasmModule) {
    this.core = core;
    this.wasmModule = wasmModule;
    this.disposed = false;
    for (const m of MODULES) {
      for (const [name, fn] of Object.entries(m.methods || {})) {
        if (name in this) throw new Error(`dynlens: module ${m.name} redefines method "${name}"`);
        this[name] = fn.bind(this);
      }
    }
    for (const m of MODULES) if (m.init) m.init(this);
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
  /** A DynlensError to throw, for a module's own argument checks: `throw this.error('bad size', -4)`. */
  error(message, status) {
    return new DynlensError(message, status);
  }
  alive() {
    if (this.disposed) throw new DynlensError('this dynlens instance was disposed', -101);
  }
  /** The C string at ptr. */
  str(ptr) {
    return this.core.UTF8ToString(ptr);
  }
  /** [name(0), ..., name(count() - 1)] from a pair of dynw_*_count / dynw_*_name exports. */
  names(count, name) {
    const out = [];
    const n = count();
    for (let i = 0; i < n; i++) out.push(this.core.UTF8ToString(name(i)));
    return out;
  }
  /** The index of name (or an in-range index) in list; a DynlensError naming every allowed value otherwise. */
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
  i32(ptr, n) { return new Int32Array(this.core.HEAP32.buffer, ptr, n); }
  u32(ptr, n) { return new Uint32Array(this.core.HEAPU32.buffer, ptr, n); }

  /** Frees every buffer this instance malloc'd; the instance cannot be used afterwards. */
  dispose() {
    if (this.disposed) return;
    for (const m of [...MODULES].reverse()) if (m.dispose) m.dispose(this);
    this.disposed = true;
  }
}

/** The methods a worker may be asked to run (wasm/worker.js and the in-page fallback use this list). */
export const REMOTE_METHODS = MODULES.flatMap((m) => Object.keys(m.methods || {}));
/** Long-running methods: the pool runs them in workers only (or in the page once it has fallen back). */
export const HEAVY_METHODS = MODULES.flatMap((m) => m.heavy || []);
