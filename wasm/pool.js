// pool.js - a pool of Web Workers (one dynlens module instance each) that splits grids into row tiles,
// refines progressively (coarse 64x64 first, computed in the page while the workers start) and cancels
// superseded requests; computes in the page if Workers are unavailable.
//
//   const pool = await createPool();                         // size: navigator.hardwareConcurrency
//   const frame = await pool.grid({act, field, sw2, sb2, nx, ny}, (f) => draw(f));   // f.stage 'coarse'|'full'
//   const pt = await pool.call('point', ['tanh', 1.5, 0.05]);
//   pool.call('simulate', [desc], {channel: 'sim'})          // a newer call on 'sim' cancels this one
//   pool.grid(req, onFrame, {method: 'slice'})               // any row-tiled grid method (see grid() below)
//
// The pool knows no core module: pool.call runs any method in REMOTE_METHODS (every method of every
// wasm/dynlens-<module>.js), and the module's `heavy` list decides which ones wait for the workers.
//
// A cancelled request rejects with a CancelledError (check with isCancelled(err)); the page ignores those.
import { compileDynlensWasm, createDynlens, DynlensError, HEAVY_METHODS, REMOTE_METHODS } from './dynlens.js';

export const COARSE = 64;

export class CancelledError extends Error {
  constructor() {
    super('superseded by a newer request');
    this.name = 'CancelledError';
    this.cancelled = true;
  }
}
export const isCancelled = (e) => !!(e && e.cancelled);

class WorkerExecutor {
  constructor(worker) {
    this.worker = worker;
    this.busy = false;
    this.pending = null;
    this.nextId = 1;
    worker.onmessage = (e) => {
      const m = e.data;
      const p = this.pending;
      if (!p || m.id !== p.id) return;
      this.pending = null;
      if (m.error !== undefined) p.reject(new DynlensError(m.error, m.status));
      else p.resolve(m.result);
    };
    worker.onerror = (e) => {
      const p = this.pending;
      this.pending = null;
      if (p) p.reject(new Error(`worker failed: ${e.message || 'unknown error'}`));
    };
  }
  static async start(wasmModule) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('worker did not start within 10 s')), 10000);
      worker.onmessage = (e) => {
        clearTimeout(timer);
        if (e.data.type === 'ready') resolve();
        else reject(new Error(e.data.error || 'worker failed to start'));
      };
      worker.onerror = (e) => {
        clearTimeout(timer);
        e.preventDefault && e.preventDefault();
        reject(new Error(`worker failed to start: ${e.message || 'module workers unsupported?'}`));
      };
      worker.postMessage({ type: 'init', wasmModule });
    }).catch((err) => {
      worker.terminate();
      throw err;
    });
    return new WorkerExecutor(worker);
  }
  run(method, args) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending = { id, resolve, reject };
      this.worker.postMessage({ id, method, args });
    });
  }
  dispose() {
    this.worker.postMessage({ type: 'dispose' });
  }
}

// Computes in the page, yielding to the event loop before every task so input and painting go on between tiles.
class InlineExecutor {
  constructor(dl) {
    this.dl = dl;
    this.busy = false;
  }
  async run(method, args) {
    await new Promise((r) => setTimeout(r, 0));
    if (!REMOTE_METHODS.includes(method)) throw new Error(`unknown method ${method}`);
    return this.dl[method](...args);
  }
  dispose() {
    this.dl.dispose();
  }
}

/**
 * The pool is usable as soon as the module is compiled: until the workers have started, an in-page instance
 * (pool.local) takes the light tasks (the coarse grid, points, maps) so a first picture appears at once; the
 * heavy ones (full-resolution tiles, simulations) wait for the workers. pool.ready resolves when the workers
 * are up or the pool has fallen back to computing everything in the page (pool.mode 'workers' or 'inline').
 */
export async function createPool(opts = {}) {
  const hc = (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 2;
  const size = Math.max(1, Math.min(opts.size || hc, 16));
  const wasmModule = await compileDynlensWasm(opts.wasmUrl);
  const canUseWorkers = opts.workers !== false && typeof Worker === 'function';
  const starting = canUseWorkers ? Promise.allSettled(Array.from({ length: size }, () => WorkerExecutor.start(wasmModule))) : null;
  const local = await createDynlens({ wasmModule });
  const pool = new Pool(new InlineExecutor(local), starting ? 'starting' : 'inline',
    starting ? '' : opts.workers === false ? 'workers disabled' : 'Web Workers unavailable');
  pool.wasmModule = wasmModule; // compiled once; reuse it for more instances in the page
  pool.local = local; // the in-page instance, also for light synchronous calls (colormaps)
  pool.ready = starting ? starting.then((results) => {
    const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    const bad = results.find((r) => r.status === 'rejected');
    if (bad) {
      ok.forEach((x) => x.dispose());
      pool.settle([], String(bad.reason && bad.reason.message || bad.reason));
    } else pool.settle(ok, '');
  }) : Promise.resolve();
  return pool;
}

class Pool {
  constructor(inline, mode, fallbackReason) {
    this.inline = inline;
    this.executors = [inline];
    this.mode = mode;
    this.fallbackReason = fallbackReason;
    this.size = 1;
    this.queue = [];
    this.generation = new Map(); // channel -> latest request number
  }

  // The workers have started (or failed to: an empty list): hand the queue to them, or keep computing in the page.
  settle(workers, reason) {
    if (this.disposed) {
      workers.forEach((x) => x.dispose());
      return;
    }
    if (workers.length) {
      this.executors = workers;
      this.mode = 'workers';
    } else {
      this.mode = 'inline';
      this.fallbackReason = reason;
    }
    this.size = this.executors.length;
    this.pump();
  }

  // Starts a new request on a channel: every queued task of older requests there is cancelled.
  open(channel) {
    const g = (this.generation.get(channel) || 0) + 1;
    this.generation.set(channel, g);
    this.queue = this.queue.filter((t) => {
      if (t.channel === channel) {
        t.reject(new CancelledError());
        return false;
      }
      return true;
    });
    return g;
  }
  current(channel, g) {
    return this.generation.get(channel) === g;
  }

  // Lower priority numbers run first (grid tiles 0, ordinary calls 1, long simulations 2); FIFO within one.
  task(method, args, channel, g, priority = 1, heavy = false) {
    return new Promise((resolve, reject) => {
      const t = { method, args, channel, g, resolve, reject, priority, heavy };
      let k = this.queue.length;
      while (k > 0 && this.queue[k - 1].priority > priority) k--;
      this.queue.splice(k, 0, t);
      this.pump();
    });
  }

  pump() {
    for (const ex of this.executors) {
      if (ex.busy || !this.queue.length) continue;
      // While the workers start, the page takes only light work, so it never freezes.
      const k = this.mode === 'starting' ? this.queue.findIndex((x) => !x.heavy) : 0;
      if (k < 0) continue;
      const t = this.queue.splice(k, 1)[0];
      ex.busy = true;
      ex.run(t.method, t.args).then(
        (r) => (this.current(t.channel, t.g) ? t.resolve(r) : t.reject(new CancelledError())),
        (e) => (this.current(t.channel, t.g) ? t.reject(e) : t.reject(new CancelledError())),
      ).finally(() => {
        ex.busy = false;
        this.pump();
      });
    }
  }

  /** Runs one core method in a worker. With a channel, a later call on the same channel cancels this one. */
  call(method, args, { channel, priority } = {}) {
    if (!REMOTE_METHODS.includes(method)) {
      return Promise.reject(new Error(`unknown method ${method}; known: ${REMOTE_METHODS.join(', ')}`));
    }
    const ch = channel || `once:${Math.random()}`;
    const g = channel ? this.open(ch) : 1;
    if (!channel) this.generation.set(ch, 1);
    const heavy = HEAVY_METHODS.includes(method);
    return this.task(method, args, ch, g, priority ?? (heavy ? 2 : 1), heavy).finally(() => {
      if (!channel) this.generation.delete(ch);
    });
  }

  async tiles(method, req, g, channel, heavy) {
    const { nx, ny } = req;
    // About four tiles per worker balances the load without paying much per-message overhead.
    const nTiles = Math.min(ny, Math.max(1, this.size * 4));
    const rowsPer = Math.ceil(ny / nTiles);
    const jobs = [];
    for (let r = 0; r < ny; r += rowsPer) {
      const rowEnd = Math.min(ny, r + rowsPer);
      jobs.push(this.task(method, [{ ...req, rowBegin: r, rowEnd }], channel, g, 0, heavy)
        .then((v) => ({ r, v })));
    }
    const parts = await Promise.all(jobs);
    const values = new Float32Array(nx * ny);
    for (const { r, v } of parts) values.set(v, r * nx);
    return values;
  }

  /**
   * A grid, progressively: onFrame gets the 64x64 coarse grid first (when the request is finer), then the full
   * one. Resolves with the full frame; rejects with CancelledError if a newer request came. `method` (default
   * the mean-field 'grid') is any remote method taking {...req, nx, ny, rowBegin, rowEnd} and returning the
   * Float32Array of rows [rowBegin, rowEnd), top row first: the pool splits it into row tiles over the workers.
   */
  async grid(req, onFrame, { channel = 'grid', progressive = true, method = 'grid' } = {}) {
    const g = this.open(channel);
    const t0 = now();
    const stages = [];
    if (progressive && (req.nx > COARSE || req.ny > COARSE)) stages.push({ nx: COARSE, ny: COARSE, stage: 'coarse' });
    stages.push({ nx: req.nx, ny: req.ny, stage: 'full' });
    let frame = null;
    let first = null;
    for (const s of stages) {
      const r = { ...req, nx: s.nx, ny: s.ny };
      const values = await this.tiles(method, r, g, channel, s.stage === 'full' && s.nx * s.ny > COARSE * COARSE);
      if (!this.current(channel, g)) throw new CancelledError();
      frame = { ...r, values, stage: s.stage, ms: now() - t0, mode: this.mode, workers: this.size };
      if (!first) first = frame.ms;
      frame.firstMs = first;
      if (onFrame) onFrame(frame);
    }
    return frame;
  }

  dispose() {
    this.disposed = true;
    for (const t of this.queue) t.reject(new CancelledError());
    this.queue = [];
    this.executors.forEach((x) => x !== this.inline && x.dispose());
    this.inline.dispose();
    this.executors = [];
  }
}

function now() {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}
