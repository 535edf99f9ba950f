// figures.js - the loss-landscape figures (training curve, decision boundary, 2-D slice with contours and path,
// 1-D interpolation, 3-D surface) and the trained runs they share. A run (one network trained in chunks in the
// workers) is cached per engine and slot, so figures shown together, or one figure embedded alone, train once.
import { drawRich, fmt, font, INK, logTicks, MUTED, niceTicks, richWidth, sizeCanvas } from '../../draw.js';
import { colourGrid, explainBox, joinPNG, linspace, setupFigure, showError } from '../../figure.js';
import { Heatmap } from '../../heatmap.js';
import { Plot } from '../../plot.js';
import { DEFAULT_CAP_SECONDS, fmtDuration, markStale, RunBar } from '../../runbar.js';

export const MAX_PATH_DOUBLES = 4e6; // snapshots x P kept for PCA (32 MB)
const COLORS = ['#1f4e9c', '#d1495b'];
const PATH_COLOR = '#ff503c';
const SURFACE_BAR = 62; // px on the right of a 3-D surface for its height scale
const CLASS_FILL = ['#173f8a', '#9c1414', '#1e7a1e', '#b35900', '#5b3c8c', '#6b4a3a', '#a0407a', '#555555'];

// ---- the CSV a reader dropped (one per page; not in the URL) ---------------------------------------------------
export const csvSlot = { name: '', data: null, error: '' };

// ---- runs ----------------------------------------------------------------------------------------------------
const stores = new WeakMap();
let runIds = 0;
const LANCZOS = 40; // Hessian-vector products for the sharpness (as the CLI's hessian default)
const INTERP_POINTS = 101;

/** The data a state asks for: a toy set (computed by the core in the page, it is light) or the dropped CSV. */
function dataOf(engine, st) {
  if (st.data === 'csv') {
    if (!csvSlot.data) throw new Error(csvSlot.error || 'No CSV file yet: drop one on the “Data” box (or pick a toy data set).');
    return csvSlot.data;
  }
  return engine.dl.toyData({ toy: st.data, n: st.n, noise: st.noise, seed: st.dseed });
}

function storeOf(engine) {
  let store = stores.get(engine);
  // calib: seconds this page measured per second of the core's estimate (work.h), from the last run's training
  // chunks; 1 until the first chunk (the core's rate is a conservative one). lifted: views the user ran past the cap.
  if (!store) stores.set(engine, (store = { slots: {}, calib: 1, lifted: new Set(), animate: false }));
  return store;
}

/** Snapshots kept along the path, as the CLI keeps them (100, fewer for big nets so the path fits in memory). */
function pathPoints(steps, P) {
  return Math.max(2, Math.min(steps + 1, 100, Math.floor(MAX_PATH_DOUBLES / P)));
}

/**
 * The core's estimate of a whole view before it starts (work.h: dyn_train_work, dyn_ls_slice_work,
 * dyn_ls_hessian_work), in seconds of this page: training, the 2-D slice (split over the workers), the 1-D
 * interpolation and the Lanczos run, times the rate this page measured ({train, view, total}).
 */
function estimateView(engine, spec, data, st, calib) {
  const dl = engine.dl;
  const P = dl.paramCount(spec.net, data);
  const tw = dl.trainWork({ net: spec.net, data, batch: spec.train.batch, steps: spec.steps, snapshots: pathPoints(spec.steps, P) });
  const res = Number(st.res);
  const vw = dl.viewWork({ net: spec.net, data, nx: res, ny: res, lanczos: Math.min(LANCZOS, P) });
  const workers = Math.max(1, engine.pool.size || 1);
  const slice = (vw.slice.seconds * (1 + INTERP_POINTS / (res * res))) / workers;
  return { train: tw.seconds * calib, view: (slice + vw.hessian.seconds) * calib, total: (tw.seconds + slice + vw.hessian.seconds) * calib };
}

/** The runs a state shows: one, or two for compare (without | with skips), each {run, label}. */
export function runsFor(engine, st) {
  const store = storeOf(engine);
  const data = dataOf(engine, st);
  const variants = st.cmp === 'skip' ? [['A', 0, 'without skips'], ['B', 1, 'with skips']]
    : [['A', st.skip === '1' ? 1 : 0, '']];
  const specs = variants.map(([slot, skip, label]) => {
    const spec = {
      net: { depth: st.depth, width: st.width, act: st.act, skip, loss: 'xent' },
      train: { sw2: st.sw2, sb2: st.sb2, seed: st.seed, opt: st.opt, lr: st.lr, momentum: 0.9, wd: st.wd, batch: st.batch },
      steps: st.steps,
    };
    const key = JSON.stringify([st.data, st.data === 'csv' ? csvSlot.name : [st.n, st.noise, st.dseed], spec]);
    return { slot, label, spec, key };
  });
  // The cap (the run bar's, 60 s) applies to the whole view: every run of it and its slices together.
  const viewKey = JSON.stringify([specs.map((v) => v.key), st.res]);
  const current = specs.every(({ slot, key }) => store.slots[slot] && store.slots[slot].key === key &&
    !(store.slots[slot].phase === 'capped' && store.lifted.has(viewKey)));
  if (current) return specs.map(({ slot, label }) => ({ run: store.slots[slot], label }));
  const est = specs.map(({ spec }) => estimateView(engine, spec, data, st, store.calib));
  const total = est.reduce((a, e) => a + e.total, 0);
  // Over the cap by the estimate: the run measures the page's rate on its own first chunk of training (rates differ
  // between small and large nets), then waits for the user if the measured rate still puts the view over the cap.
  const probe = total > DEFAULT_CAP_SECONDS && !store.lifted.has(viewKey);
  return specs.map(({ slot, label, spec, key }, k) => {
    const old = store.slots[slot];
    if (old && old.key === key && !(old.phase === 'capped' && store.lifted.has(viewKey))) return { run: old, label };
    if (old) old.cancel();
    const run = new Run(engine, spec, data, key, { estimate: est[k], total, probe, viewKey, store });
    store.slots[slot] = run;
    return { run, label };
  });
}

/** Forgets every run (the next render trains afresh: Play after a finished run). */
export function forgetRuns(engine) {
  const store = storeOf(engine);
  for (const r of Object.values(store.slots)) r.cancel();
  store.slots = {};
}

/** Lifts the cap for the view a run belongs to (the run bar's "Run anyway"). */
export function liftCap(engine, run) {
  storeOf(engine).lifted.add(run.viewKey);
}

/** Replays of links compute without drawing every chunk; after the first change, runs animate (see mount). */
export function setAnimate(engine, on) {
  storeOf(engine).animate = on;
}

class Run {
  constructor(engine, spec, data, key, { estimate, total, probe, viewKey, store }) {
    this.engine = engine;
    this.spec = spec;
    this.data = data;
    this.key = key;
    this.viewKey = viewKey;
    this.store = store;
    this.animate = store.animate;
    this.id = `ls${++runIds}`;
    this.channels = new Set();
    this.listeners = new Set();
    this.memos = new Map();
    this.cancelled = false;
    this.step = 0;
    this.losses = [];
    this.snapLoss = [];
    this.snapAcc = [];
    this.estimate = estimate; // {train, view, total} seconds, before the run
    this.viewTotal = total;   // the whole view's estimate (both runs in compare mode)
    this.probe = probe;       // over the cap by the core's rate only: decide after measuring the first chunk
    this.calibAt = store.calib;
    this.trainMs = 0;         // time spent training (pauses excluded)
    this.paused = false;
    this.stepBudget = 0;
    this.stopAsked = false;
    this.phase = 'running';
    this.done = this.train();
    this.done.catch(() => {});
  }
  channel(name) {
    const c = `${this.id}:${name}`;
    this.channels.add(c);
    return c;
  }
  call(method, args, name) {
    return this.engine.pool.call(method, [args], { channel: this.channel(name) });
  }
  cancel() {
    this.cancelled = true;
    if (this.wake) this.wake();
    for (const c of this.channels) this.engine.pool.open(c); // drops this run's queued tasks
  }
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit() {
    for (const f of this.listeners) f(this);
  }
  memo(key, fn) {
    if (!this.memos.has(key)) {
      const p = fn();
      p.catch(() => this.memos.delete(key));
      this.memos.set(key, p);
    }
    return this.memos.get(key);
  }

  // ---- the run bar's controls: pause between chunks, one step while paused, stop keeping the path so far -----
  pause() {
    if (this.phase !== 'running') return;
    this.paused = true;
    this.phase = 'paused';
    this.emit();
  }
  resume() {
    if (this.phase !== 'paused') return;
    this.paused = false;
    this.phase = 'running';
    if (this.wake) this.wake();
    this.emit();
  }
  stepOnce() {
    if (this.phase !== 'paused') return;
    this.stepBudget = 1;
    if (this.wake) this.wake();
  }
  stop() {
    if (this.phase !== 'running' && this.phase !== 'paused') return;
    this.stopAsked = true;
    this.paused = false;
    if (this.wake) this.wake();
  }
  /** Waits while paused (a step request lets one step through). */
  async gate() {
    while (this.paused && !this.stepBudget && !this.cancelled && !this.stopAsked) {
      await new Promise((r) => { this.wake = r; });
      this.wake = null;
    }
  }
  /** Seconds spent training and, while running, the training's expected total (the measured rate for the rest). */
  seconds() {
    return this.trainMs / 1000;
  }
  expected() {
    if (this.step < 1 || !this.trainMs) return this.estimate.train;
    return (this.trainMs / 1000) * (this.spec.steps / this.step);
  }

  async train() {
    const { net, train, steps } = this.spec;
    const st = await this.call('trainStart', { net, data: this.data, ...train }, 'train');
    const { P } = st;
    this.P = P;
    this.lr = st.lr;
    this.theta0 = st.theta0;
    let T = pathPoints(steps, P);
    this.T = T;
    this.targets = Array.from({ length: T }, (_, i) => Math.floor((steps * i) / (T - 1)));
    this.path = new Float64Array(T * P);
    let blob = st.blob;
    let k = 0;
    let per = 8; // steps per chunk, adapted to ~120 ms a chunk (~400 ms when a link is replayed)
    const aim = this.animate ? 120 : 400;
    const coreSecondsPerStep = this.estimate.train / this.store.calib / Math.max(1, steps);
    while (k < T) {
      await this.gate();
      if (this.cancelled) throw cancelledError();
      if (this.stopAsked) break;
      const single = this.paused && this.stepBudget;
      this.stepBudget = 0;
      // the path's snapshots in reach of this chunk; a chunk without one ends at an intermediate step
      const limit = this.step + (single ? 1 : per);
      const tg = [];
      while (k + tg.length < T && this.targets[k + tg.length] <= limit) tg.push(this.targets[k + tg.length]);
      const snaps = tg.length;
      if (!snaps) tg.push(limit);
      const from = this.step;
      const t1 = performance.now();
      const r = await this.call('trainRun', { data: this.data, blob, P, from, targets: tg, snapshots: snaps }, 'train');
      if (this.cancelled) throw cancelledError();
      const ms = performance.now() - t1;
      this.trainMs += ms;
      blob = r.blob;
      const got = Math.min(snaps, r.diverged ? r.snapLoss.findIndex((v) => Number.isNaN(v)) : snaps);
      for (let i = 0; i < r.step - from; i++) this.losses.push(r.losses[i]);
      this.path.set(r.snaps.subarray(0, Math.max(0, got) * P), k * P);
      for (let i = 0; i < got; i++) {
        this.snapLoss.push(r.snapLoss[i]);
        this.snapAcc.push(r.snapAcc[i]);
      }
      this.step = r.step;
      k += got;
      const did = r.step - from;
      if (did > 0 && coreSecondsPerStep > 0 && !single) {
        // the page's rate against the core's estimate: a running mean over this run's chunks, for the next estimates
        const ratio = ms / 1000 / (did * coreSecondsPerStep);
        this.ratio = this.ratio ? 0.7 * this.ratio + 0.3 * ratio : ratio;
        this.store.calib = this.ratio;
      }
      if (r.diverged) {
        this.diverged = true;
        this.phase = 'diverged';
        this.verdict = this.judge(NaN, NaN, true);
        this.emit();
        throw new Error(`${this.verdict.text} (now ${fmt(this.lr, 3)}; the loss was not finite at step ${r.step})`);
      }
      if (did > 0) per = Math.max(1, Math.min(steps, Math.round((did * aim) / Math.max(ms, 1))));
      if (this.probe && did > 0) { // the first chunk measured the rate: the estimate again, with it
        this.probe = false;
        const f = this.ratio / this.calibAt;
        this.viewTotal *= f;
        this.estimate = { train: this.estimate.train * f, view: this.estimate.view * f, total: this.estimate.total * f };
        if (this.viewTotal > DEFAULT_CAP_SECONDS && !this.store.lifted.has(this.viewKey)) {
          this.phase = 'capped'; // the measuring steps are dropped: a lifted cap trains afresh from step 0
          this.step = 0;
          this.losses = [];
          this.snapLoss = [];
          this.snapAcc = [];
          this.emit();
          throw cappedError(this.viewTotal);
        }
      }
      this.emit();
    }
    if (k < T) { // stopped: a last snapshot where training stopped, and the figures show the net there
      if (this.step > this.targets[k - 1] && !this.cancelled) {
        const r = await this.call('trainRun', { data: this.data, blob, P, from: this.step, targets: [this.step] }, 'train');
        if (this.cancelled) throw cancelledError();
        this.targets[k] = this.step;
        this.path.set(r.snaps.subarray(0, P), k * P);
        this.snapLoss.push(r.snapLoss[0]);
        this.snapAcc.push(r.snapAcc[0]);
        k++;
      }
      if (k < 2) {
        this.phase = 'stopped';
        this.emit();
        throw new Error(`stopped at step ${this.step}, before the path had two snapshots: nothing to show (press Play to train again)`);
      }
      this.T = T = k;
      this.targets = this.targets.slice(0, k);
      this.path = this.path.slice(0, k * P);
      this.stopped = true;
      if (this.estimate.view > DEFAULT_CAP_SECONDS) { // the landscape of a heavy net stays uncomputed: Stop stops all
        this.phase = 'stopped';
        this.stopNote = `Stopped at step ${this.step} of ${steps}. The slices of this net would take about ` +
          `${fmtDuration(this.estimate.view)} more, over the ${fmtDuration(DEFAULT_CAP_SECONDS)} cap, so they are not computed.`;
        this.emit();
        const e = new Error(this.stopNote);
        e.capped = true;
        e.stale = 'previous network: the new one was stopped';
        throw e;
      }
    }
    this.theta = this.path.slice((this.T - 1) * P);
    this.loss = this.snapLoss[this.T - 1];
    this.acc = this.snapAcc[this.T - 1];
    this.ms = this.trainMs;
    this.verdict = this.judge(this.loss, this.acc, false);
    this.phase = this.stopped ? 'stopped' : this.verdict.verdict === 'learned' ? 'done'
      : this.verdict.verdict === 'diverged' ? 'diverged' : 'stalled';
    this.trained = true;
    this.emit();
    return this;
  }

  /** The core's verdict (landscape.h, dyn_train_verdict) on this run's numbers: {verdict, reference, chanceAcc, text}. */
  judge(loss, acc, diverged) {
    return this.engine.dl.trainVerdict({ loss0: this.snapLoss[0], loss, acc, nClass: this.data.nClass, diverged });
  }

  /** The slice directions and the path's coordinates in their plane: {dirs, varFrac, ab, what, xLabel, yLabel}. */
  dirs(st) {
    const key = JSON.stringify(['dirs', st.dirs, st.norm, st.dirseed]);
    return this.memo(key, async () => {
      await this.done;
      const { T, P } = this;
      let dirs;
      let varFrac = null;
      if (st.dirs === 'pca') {
        ({ dirs, varFrac } = await this.call('pca', { path: this.path, T, P }, 'dirs'));
      } else {
        dirs = await this.call('randomDirs', { net: this.spec.net, data: this.data, theta: this.theta, norm: st.norm,
          seed: st.dirseed }, 'dirs');
      }
      let ab = null;
      try {
        ab = await this.call('project', { path: this.path, T, P, center: this.theta, dirs }, 'dirs');
      } catch (e) {
        if (e.cancelled) throw e;
      }
      const pca = st.dirs === 'pca';
      return {
        dirs, varFrac, ab,
        xLabel: pca ? `PC 1 (${fmt(100 * varFrac[0], 3)} %)` : 'direction 1 (a)',
        yLabel: pca ? `PC 2 (${fmt(100 * varFrac[1], 3)} %)` : 'direction 2 (b)',
        what: pca ? `PCA directions of the path (${fmt(100 * varFrac[0], 3)} % + ${fmt(100 * varFrac[1], 3)} % of its variance)`
          : `random directions (${st.norm}-normalised, seed ${st.dirseed})`,
      };
    });
  }

  /** The a, b range of the slice: the state's, or (auto) the core's window around the path for PCA
   * (dyn_ls_path_window, as the CLI's `slice --dirs pca`) and [-1, 1] for random. */
  static range(st, ab, dl) {
    if (st.rng) return [...st.rng];
    if (st.dirs === 'pca' && ab) {
      const r = dl.pathWindow(ab);
      return [-r, r];
    }
    return [-1, 1];
  }

  /**
   * The 2-D slice, computed in row bands across the worker pool; onBand(grid) after each band arrives (rows not yet
   * computed are NaN). Resolves with {grid, nx, ny, a, b, ...dirs}.
   */
  slice(st, onBand) {
    const n = Number(st.res);
    const key = JSON.stringify(['slice', st.dirs, st.norm, st.dirseed, st.rng, n]);
    const job = this.memo(key, async () => {
      const d = await this.dirs(st);
      const rg = Run.range(st, d.ab, this.engine.dl);
      const grid = new Float32Array(n * n).fill(NaN);
      const jobObj = { ...d, grid, nx: n, ny: n, a: rg, b: rg, bandsDone: 0 };
      this.sliceJobs = this.sliceJobs || new Map();
      this.sliceJobs.set(key, jobObj);
      const workers = Math.max(1, this.engine.pool.size || 1);
      const bands = Math.min(n, Math.max(4, 3 * workers));
      const per = Math.ceil(n / bands);
      const t0 = performance.now();
      const jobs = [];
      for (let r0 = 0, b = 0; r0 < n; r0 += per, b++) {
        const r1 = Math.min(n, r0 + per);
        jobs.push(this.call('slice', { net: this.spec.net, data: this.data, center: this.theta, dirs: d.dirs, a: rg, b: rg,
          nx: n, ny: n, rowBegin: r0, rowEnd: r1 }, `band${b}`).then((v) => {
          grid.set(v, r0 * n);
          jobObj.bandsDone++;
          for (const f of jobObj.listeners || []) f(jobObj);
        }));
      }
      jobObj.bands = jobs.length;
      await Promise.all(jobs);
      jobObj.ms = performance.now() - t0;
      jobObj.complete = true;
      return jobObj;
    });
    if (onBand) {
      // Progress of a job already running: subscribe to its bands.
      const j = this.sliceJobs && this.sliceJobs.get(key);
      const add = (o) => { (o.listeners = o.listeners || []).push(onBand); if (o.bandsDone) onBand(o); };
      if (j) add(j);
      else this.dirs(st).then(() => { const o = this.sliceJobs && this.sliceJobs.get(key); if (o) add(o); }).catch(() => {});
    }
    return job;
  }

  hessian() {
    return this.memo('hessian', async () => {
      await this.done;
      return this.call('hessian', { net: this.spec.net, data: this.data, theta: this.theta, k: 2,
        steps: Math.min(LANCZOS, this.P), seed: 1 }, 'hessian');
    });
  }

  interp() {
    return this.memo('interp', async () => {
      await this.done;
      const d = this.theta.map((v, i) => v - this.theta0[i]);
      const ts = [-0.5, 1.5];
      const loss = await this.call('slice', { net: this.spec.net, data: this.data, center: this.theta0, dirs: d, a: ts,
        nx: INTERP_POINTS, ny: 1 }, 'interp');
      return { t: linspace(ts[0], ts[1], INTERP_POINTS), loss: Array.from(loss) };
    });
  }
}

function cappedError(seconds) {
  const e = new Error(`not started: this view would take about ${fmtDuration(seconds)} in this page, over the ` +
    `${fmtDuration(DEFAULT_CAP_SECONDS)} cap. Press “Run anyway” on the training bar, or choose a smaller net, fewer ` +
    'examples or fewer steps.');
  e.capped = true;
  e.stale = 'previous network: the new one has not started (over the time cap)';
  return e;
}

function cancelledError() {
  const e = new Error('superseded by a newer request');
  e.cancelled = true;
  return e;
}

/** Dims a figure that still shows a previous network while the one it depends on is trained (runbar.js). */
function markOld(fig, runs) {
  fig.figEl = fig.figEl || fig.errorBox.closest('.fig');
  if (!fig.shown) return;
  const capped = runs.some((r) => r.run.phase === 'capped');
  markStale(fig.figEl, true, capped ? 'previous network: the new one has not started (over the time cap)' : 'previous network: retraining…');
}

/** The figure shows the current network: not dimmed any more. */
function markFresh(fig) {
  fig.figEl = fig.figEl || fig.errorBox.closest('.fig');
  fig.shown = true;
  fig.errorBox.hidden = true;
  markStale(fig.figEl, false);
}

/** A failed run or view: the capped message (not an error: nothing failed), or the error. */
function fail(fig, e) {
  if (e && e.capped) {
    if (fig.shown) {
      if (e.stale) markStale(fig.figEl, true, e.stale);
      return;
    }
    fig.errorBox.hidden = false;
    fig.errorBox.textContent = e.message;
    return;
  }
  showError(fig, e);
}

/** Runs for a state, or null with the error shown in the figure. */
function runsOrError(fig, st) {
  try {
    return runsFor(fig.engine, st);
  } catch (e) {
    showError(fig, e);
    return null;
  }
}

/** One colour range for several grids: min of the finite values .. max of their robust (99th-percentile) tops. */
function sharedRange(dl, grids, log) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const g of grids) {
    const fin = g.filter((v) => Number.isFinite(v) && (!log || v > 0));
    if (!fin.length) continue;
    for (const v of fin) lo = Math.min(lo, v);
    hi = Math.max(hi, dl.autoRange(fin, log).vmax);
  }
  if (!(hi > lo)) hi = lo * 2 + 1e-9;
  return [lo, hi];
}

// A Heatmap that also draws dots ({dot: true, x, y}: the initialisation and the solution on a slice) and a legend
// of its marks in a strip under the x axis (data.legend: [{mark: 'line' | 'dot' | 'point', color, stroke, label}]),
// on the canvas so that the PNG carries it.
const LEGEND_ROW = 18;
class PointsHeatmap extends Heatmap {
  constructor(box, opts) {
    super(box, { ...opts, stripBelow: (w) => LEGEND_ROW * (w < 520 ? 2 : 1) + 4 });
  }

  drawOverlay(ctx, o) {
    if (o.dot) {
      markDot(ctx, this.toX(o.x), this.toY(o.y), o);
      return;
    }
    super.drawOverlay(ctx, o);
  }

  draw() {
    super.draw();
    const items = (this.data && this.data.legend) || [];
    if (!items.length || !this.cssW) return;
    const ctx = this.canvas.getContext('2d');
    ctx.save();
    ctx.font = font(12);
    let x = 10;
    let y = this.cssH - this.strip + LEGEND_ROW / 2;
    for (const it of items) {
      const w = 26 + richWidth(ctx, it.label, 12);
      if (x > 10 && x + w > this.cssW - 8) {
        x = 10;
        y += LEGEND_ROW;
      }
      if (it.mark === 'line') {
        ctx.lineWidth = 4.5;
        ctx.strokeStyle = 'rgba(0,0,0,0.45)';
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(x + 18, y);
        ctx.stroke();
        ctx.lineWidth = 2.4;
        ctx.strokeStyle = it.color;
        ctx.stroke();
      } else {
        markDot(ctx, x + 9, y, { color: it.color, stroke: it.stroke || '#fff', r: it.mark === 'point' ? 3.4 : 5 });
      }
      drawRich(ctx, it.label, x + 24, y + 4, 12, 'left', INK);
      x += w + 14;
    }
    ctx.restore();
  }
}

function markDot(ctx, x, y, o) {
  ctx.save();
  ctx.beginPath();
  ctx.arc(x, y, o.r || 5, 0, 2 * Math.PI);
  ctx.fillStyle = o.color;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = o.stroke || '#fff';
  ctx.stroke();
  ctx.restore();
}

/** One sentence from a run's numbers: how far the loss fell, the accuracy, and the core's verdict. */
function trainingSentence(run, label) {
  if (!run.trained || !run.snapLoss.length) return '';
  const head = label ? `${label[0].toUpperCase()}${label.slice(1)}: the` : 'The';
  const v = run.verdict;
  return `${head} loss on all ${run.data.n} examples went from ${fmt(run.snapLoss[0], 3)} at the initialisation to ` +
    `${fmt(run.loss, 3)} after ${run.targets[run.T - 1]} steps, ${fmt(100 * run.acc, 3)} % accuracy (chance: loss ` +
    `ln ${fmt(1 / v.chanceAcc, 2)} = ${fmt(v.reference, 3)}, accuracy ${fmt(100 * v.chanceAcc, 3)} %): ` +
    `${v.verdict}${run.stopped ? ' (stopped early)' : ''}.`;
}

const stText = (st) => `${st.depth}×${st.width} ${st.act}, ${st.opt}`;

// ---------------------------------------------------------------------------------------------------------------
export class TrainingFigure {
  constructor(engine, el, { onRerun } = {}) {
    const box = setupFigure(this, engine, el, 'ls-training');
    this.onRerun = onRerun;
    const each = (fn) => () => (this.runs || []).forEach(({ run }) => fn(run));
    this.bar = new RunBar(box, {
      unit: 'step',
      onPlay: () => {
        const rs = this.runs || [];
        if (rs.some(({ run }) => run.phase === 'paused')) rs.forEach(({ run }) => run.resume());
        else if (rs.length && this.onRerun) this.onRerun({ fresh: true }); // train again from the initialisation
      },
      onPause: each((r) => r.pause()),
      onStep: each((r) => r.stepOnce()),
      onStop: each((r) => r.stop()),
      onLift: onRerun ? () => {
        if (!this.runs) return;
        liftCap(engine, this.runs[0].run);
        onRerun({});
      } : undefined,
    });
    this.plot = new Plot(box, { label: 'training loss per step', aspect: 0.42 });
    this.text = explainBox(box);
    this.runs = null;
    this.unsub = [];
    this.raf = 0;
  }

  update(st) {
    const runs = runsOrError(this, st);
    if (!runs) return;
    const key = runs.map((r) => r.run.id).join();
    if (key === this.key) return;
    this.key = key;
    this.st = st;
    this.errorBox.hidden = true;
    this.unsub.forEach((f) => f());
    this.runs = runs;
    this.unsub = runs.map((r) => r.run.on(() => this.schedule()));
    this.draw();
    this.work.track(Promise.all(runs.map((r) => r.run.done)).then(() => this.draw(), (e) => {
      this.draw();
      if (!e.capped) showError(this, e);
    }));
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  /** The bar's phase for all runs shown: the most pressing one (capped, running, paused, then the verdicts). */
  phase() {
    const ph = this.runs.map(({ run }) => run.phase);
    for (const p of ['capped', 'running', 'paused', 'diverged', 'stalled', 'stopped']) if (ph.includes(p)) return p;
    return 'done';
  }

  draw() {
    const runs = this.runs;
    if (!runs) return;
    const steps = runs[0].run.spec.steps;
    const done = runs.reduce((s, r) => s + r.run.step, 0) / runs.length;
    const phase = this.phase();
    const verdicts = runs.filter(({ run }) => run.verdict && run.verdict.verdict !== 'learned')
      .map(({ run, label }) => `${label ? `The net ${label}` : 'The net'} ${run.verdict.text}.`)
      .concat(runs.filter(({ run }) => run.stopNote).map(({ run }) => run.stopNote).slice(0, 1));
    const live = phase === 'running' || phase === 'paused';
    this.bar.show({
      phase, done, total: steps,
      seconds: phase === 'capped' ? null : Math.max(...runs.map(({ run }) => run.seconds())),
      estimate: phase === 'capped' ? runs[0].run.viewTotal : live ? Math.max(...runs.map(({ run }) => run.expected())) : null,
      note: verdicts.join(' '),
    });
    const r0 = runs[0].run;
    // A replayed link computes first and draws at the end; later runs draw every chunk.
    if (!r0.animate && live) return;
    const series = [];
    let ymin = Infinity;
    let ymax = 0;
    runs.forEach(({ run, label }, k) => {
      const n = run.losses.length;
      const stride = Math.max(1, Math.floor(n / 1500));
      const xs = [];
      const ys = [];
      for (let i = 0; i < n; i += stride) {
        xs.push(i);
        ys.push(run.losses[i]);
      }
      const tag = label ? ` (${label})` : '';
      if (run.spec.train.batch === 0 || run.spec.train.batch >= run.data.n) { // full batch: the step's loss is the data's
        series.push({ type: 'line', xs, ys, color: COLORS[k], width: 2.2, label: `loss on all examples${tag}` });
      } else {
        series.push({ type: 'line', xs, ys, color: COLORS[k], width: 0.8, alpha: 0.35, label: `minibatch${tag}` });
        const sx = run.targets ? run.targets.slice(0, run.snapLoss.length) : [];
        series.push({ type: 'line', xs: sx, ys: run.snapLoss, color: COLORS[k], width: 2.2, label: `all examples${tag}` });
      }
      for (const v of [...ys, ...run.snapLoss]) if (v > 0 && Number.isFinite(v)) { ymin = Math.min(ymin, v); ymax = Math.max(ymax, v); }
    });
    const ref = runs.map(({ run }) => run.verdict).find(Boolean);
    if (ref) {
      series.push({ type: 'hline', y: ref.reference, color: '#888', dash: [5, 4], width: 1, label: `chance: ln ${fmt(1 / ref.chanceAcc, 2)}` });
      ymax = Math.max(ymax, ref.reference);
    }
    if (!(ymax > 0)) { ymin = 0.01; ymax = 1; }
    const waiting = phase === 'capped';
    this.plot.set({
      title: `Training loss  ·  ${stText(this.st)}, step size ${r0.lr ? fmt(r0.lr, 3) : '…'}`,
      x: { min: 0, max: steps, label: 'step' },
      y: { min: ymin / 1.3, max: ymax * 3, log: true, label: 'loss' }, // headroom for the legend
      series: waiting ? [] : series, legendPos: 'top', note: waiting ? 'not started: over the time cap (see above)' : '',
    });
    this.text.textContent = runs.map(({ run, label }) => trainingSentence(run, label)).filter(Boolean).join(' ');
  }

  numbers() {
    if (!this.runs) return null;
    return {
      figure: 'training',
      runs: this.runs.map(({ run, label }) => ({ label, steps: run.spec.steps, step: run.step, trained: !!run.trained,
        P: run.P, lr: run.lr, loss: run.loss, acc: run.acc, losses: [...run.losses], snapSteps: run.targets && run.targets.slice(0, run.snapLoss.length),
        snapLoss: [...(run.snapLoss || [])], snapAcc: [...(run.snapAcc || [])], ms: run.ms, skip: run.spec.net.skip })),
    };
  }

  csv(header) {
    if (!this.runs) return '';
    const lines = [...header, '# minibatch loss before each step; full-data loss and accuracy at the path snapshots'];
    const cols = this.runs.map(({ label }, k) => (label ? `_${k}` : ''));
    lines.push(['step', ...cols.flatMap((c) => [`minibatch_loss${c}`, `loss${c}`, `acc${c}`])].join(','));
    const steps = this.runs[0].run.spec.steps;
    const maps = this.runs.map(({ run }) => new Map((run.targets || []).map((t, i) => [t, i])));
    for (let s = 0; s <= steps; s++) {
      const row = [s];
      this.runs.forEach(({ run }, k) => {
        const i = maps[k].get(s);
        row.push(run.losses[s] ?? '', i !== undefined ? run.snapLoss[i] ?? '' : '', i !== undefined ? run.snapAcc[i] ?? '' : '');
      });
      lines.push(row.join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.plot.toDataURL();
  }
}

// ---------------------------------------------------------------------------------------------------------------
export class BoundaryFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ls-boundary');
    this.hm = new PointsHeatmap(box, { label: 'decision boundary of the trained network with the data points', aspect: 0.85,
      idleText: 'Move over the map to read the predicted probability.' });
    this.text = explainBox(box);
    this.frame = null;
  }

  update(st) {
    const runs = runsOrError(this, st);
    if (!runs) return;
    const { run } = runs[runs.length - 1];
    if (run.id === this.key) return;
    this.key = run.id;
    this.errorBox.hidden = true;
    markOld(this, runs);
    this.work.track((async () => {
      await run.done;
      const data = run.data;
      if (data.d !== 2) throw new Error(`the decision boundary needs 2 features; this data set has ${data.d}`);
      const lo = [Infinity, Infinity];
      const hi = [-Infinity, -Infinity];
      for (let i = 0; i < data.n; i++) {
        for (let k = 0; k < 2; k++) {
          lo[k] = Math.min(lo[k], data.x[2 * i + k]);
          hi[k] = Math.max(hi[k], data.x[2 * i + k]);
        }
      }
      const m = [0, 1].map((k) => 0.08 * (hi[k] - lo[k]) + 1e-9);
      const x = [lo[0] - m[0], hi[0] + m[0]];
      const y = [lo[1] - m[1], hi[1] + m[1]];
      const n = 120;
      const g = await run.call('boundary', { net: run.spec.net, data, theta: run.theta, x, y, nx: n, ny: n }, 'boundary');
      const k = data.nClass;
      const values = k === 2 ? g.cls.map((c, i) => (c === 1 ? g.conf[i] : 1 - g.conf[i])) : g.cls;
      if (this.key !== run.id) return;
      this.frame = { values, cls: g.cls, conf: g.conf, x, y, nx: n, ny: n, run, label: runs[runs.length - 1].label };
      markFresh(this);
      this.draw();
    })()).catch((e) => fail(this, e));
  }

  draw() {
    const f = this.frame;
    const { run } = f;
    const data = run.data;
    const k = data.nClass;
    const dl = this.engine.dl;
    const c = k === 2 ? colourGrid(dl, f.values, { scale: 'linear', cmap: 'rdbu', vr: [0, 1] })
      : colourGrid(dl, f.values, { categories: Array.from({ length: k }, (_, i) => `class ${i}`) });
    const xs = [];
    const ys = [];
    const fill = [];
    for (let i = 0; i < data.n; i++) {
      xs.push(data.x[2 * i]);
      ys.push(data.x[2 * i + 1]);
      const cl = data.y[i];
      if (k === 2) fill.push(cl === 1 ? CLASS_FILL[1] : CLASS_FILL[0]);
      else {
        const r = c.categories[cl].rgba;
        fill.push(`rgb(${Math.round(r[0] * 0.6)},${Math.round(r[1] * 0.6)},${Math.round(r[2] * 0.6)})`);
      }
    }
    const legend = k === 2
      ? [0, 1].map((cl) => ({ mark: 'point', color: CLASS_FILL[cl], label: `class ${cl} example` }))
      : [{ mark: 'point', color: '#555', label: 'examples (a darker shade of their class)' }];
    this.hm.set({
      legend,
      values: f.values, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.x, y: f.y, xLabel: 'x_1', yLabel: 'x_2',
      valueLabel: k === 2 ? 'P(class 1)' : 'predicted class',
      title: `accuracy ${fmt(100 * run.acc, 3)} %${f.label ? ` (${f.label})` : ''}`,
      scale: c.categories ? null : { vmin: 0, vmax: 1, log: false, ramp: c.ramp },
      categories: c.categories || null,
      overlays: [{ points: true, xs, ys, fill, r: data.n > 600 ? 2.4 : 3.4 }],
      format: (v) => fmt(v, 3),
    });
    const wrong = Math.round(data.n * (1 - run.acc)); // accuracy = correct / n (core/net.h)
    this.text.textContent = `${f.label ? `${f.label[0].toUpperCase()}${f.label.slice(1)}: t` : 'T'}he net classifies ` +
      `${data.n - wrong} of the ${data.n} training examples correctly (${fmt(100 * run.acc, 3)} %)${wrong ? `; ${wrong} ${wrong === 1 ? 'sits' : 'sit'} on the wrong side of the boundary` : ''}. ` +
      `${k === 2 ? 'Background: the predicted probability of class 1 (red), white where the net is unsure.'
        : 'Background: the predicted class.'} The net ${run.verdict.verdict === 'learned' ? 'learned' : run.verdict.text}.`;
  }

  numbers() {
    const f = this.frame;
    if (!f) return null;
    return { figure: 'boundary', nx: f.nx, ny: f.ny, x: f.x, y: f.y, values: Array.from(f.values), acc: f.run.acc,
      legend: (this.hm.data.legend || []).map((it) => it.label), sentence: this.text.textContent };
  }

  csv(header) {
    const f = this.frame;
    if (!f) return '';
    const lines = [...header, `# ${f.nx}x${f.ny} grid, rows from x2 max to min; value = P(class 1) (2 classes) or the class`, 'x1,x2,value,class,confidence'];
    for (let i = 0; i < f.ny; i++) {
      const y = f.y[1] - ((f.y[1] - f.y[0]) * i) / (f.ny - 1);
      for (let j = 0; j < f.nx; j++) {
        const x = f.x[0] + ((f.x[1] - f.x[0]) * j) / (f.nx - 1);
        const q = i * f.nx + j;
        lines.push(`${x},${y},${f.values[q]},${f.cls[q]},${f.conf[q]}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.hm.toDataURL();
  }
}

// Appends the CSV rows "panel,a,b,loss" of slice frames to rows, from b max down (as the grids are stored);
// shared by the slice and the 3-D surface figures
function sliceRows(frames, rows) {
  frames.forEach((f, k) => {
    for (let i = 0; i < f.ny; i++) {
      const b = f.b[1] - ((f.b[1] - f.b[0]) * i) / (f.ny - 1);
      for (let j = 0; j < f.nx; j++) rows.push(`${k},${f.a[0] + ((f.a[1] - f.a[0]) * j) / (f.nx - 1)},${b},${f.grid[i * f.nx + j]}`);
    }
  });
}

/** What a complete slice shows, in numbers: θ*'s loss, the grid's lowest point, the path's start, roughness. */
function sliceFacts(dl, f) {
  let lo = Infinity;
  let at = -1;
  f.grid.forEach((v, i) => { if (v < lo) { lo = v; at = i; } });
  const col = at % f.nx;
  const row = Math.floor(at / f.nx);
  const centre = f.grid[((f.ny - 1) / 2) * f.nx + (f.nx - 1) / 2];
  let rough = null;
  try {
    rough = dl.roughness(f.grid, f.nx, f.ny);
  } catch (e) {
    rough = null; // a grid without three finite rows: no roughness to report
  }
  return { centre, min: lo, minA: f.a[0] + ((f.a[1] - f.a[0]) * col) / (f.nx - 1),
    minB: f.b[1] - ((f.b[1] - f.b[0]) * row) / (f.ny - 1), bottom: !(lo < centre * (1 - 1e-3)),
    startLoss: f.run.snapLoss[0], ...(rough || { minima: NaN, roughness: NaN }), verdict: f.run.verdict };
}

/** The sentence under the slice, from its numbers (and, for two slices, which one is rougher by both measures). */
function sliceSentence(fr, facts) {
  const one = (f, x) => {
    const where = x.bottom ? 'θ* is the lowest point of this grid'
      : `the lowest point of this grid, loss ${fmt(x.min, 3)} at (${fmt(x.minA, 2)}, ${fmt(x.minB, 2)}), is below θ*: ` +
        'in this plane θ* is not at the bottom of its basin';
    const start = f.ab ? `the path starts at θ<sub>0</sub> (white dot, loss ${fmt(x.startLoss, 3)}) and ends at ` : 'the centre is ';
    const lead = f.label ? `<b>${f.label[0].toUpperCase()}${f.label.slice(1)}</b>: ${start}` : `${start[0].toUpperCase()}${start.slice(1)}`;
    return `${lead}θ* (red dot, loss ${fmt(x.centre, 3)}); ${where}. ` +
      `${x.minima} local minim${x.minima === 1 ? 'um' : 'a'} on the ${f.nx} × ${f.ny} grid, roughness ${fmt(x.roughness, 2)}.`;
  };
  const parts = fr.map((f, k) => one(f, facts[k]));
  if (fr.length === 2) {
    const [a, b] = facts;
    const failed = fr.filter((f) => f.run.verdict && f.run.verdict.verdict !== 'learned');
    if (failed.length) {
      parts.push(failed.map((f) => `The net ${f.label} ${f.run.verdict.text}: its slice is the landscape around a net ` +
        'that did not train, not a basin to compare.').join(' '));
    } else {
      // Which slice is rougher, by each measure: +1 the first, -1 the second, 0 a tie (or not measured).
      const sign = (x, y) => (Number.isFinite(x) && Number.isFinite(y) ? Math.sign(x - y) : 0);
      const sm = sign(a.minima, b.minima);
      const sr = sign(a.roughness, b.roughness);
      const nums = (x, y) => `${x.minima} vs ${y.minima} local minima, roughness ${fmt(x.roughness, 2)} vs ${fmt(y.roughness, 2)}`;
      const first = sm + sr > 0; // one measure says the first and the other agrees or ties
      const winner = sm + sr === 0 ? -1 : first ? 0 : 1;
      if (winner < 0) {
        parts.push(sm === 0 ? `Both nets learned; the two slices are equally rough by these measures (${nums(a, b)}).`
          : `Both nets learned; the two measures disagree on which slice is rougher (${nums(a, b)}).`);
      } else {
        const [x, y] = winner === 0 ? [a, b] : [b, a];
        const how = sm !== 0 && sr !== 0 ? 'by both measures' : sm !== 0 ? 'by its local minima (equal roughness)' : 'by its roughness (as many local minima)';
        parts.push(`Both nets learned; the slice ${fr[winner].label} is the rougher one ${how} (${nums(x, y)})` +
          (winner === 0 ? ', as Li et al. (2018) found for deep nets.' : ', unlike Li et al.\'s (2018) deep nets.'));
      }
    }
  }
  return `${parts.join(' ')} Roughness: the mean |discrete Laplacian of log L| between neighbouring grid points (near 0 ` +
    'for a smooth bowl, larger with every bump).';
}

// ---------------------------------------------------------------------------------------------------------------
export class SliceFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ls-slice');
    this.box = box;
    this.pair = document.createElement('div');
    this.pair.className = 'ls-pair one';
    box.append(this.pair);
    this.panels = [];
    this.frames = [];
    this.text = explainBox(box);
  }

  ensurePanels(n) {
    if (this.panels.length === n) return;
    this.pair.innerHTML = '';
    this.pair.classList.toggle('one', n === 1);
    this.panels = Array.from({ length: n }, (_, k) => {
      const host = document.createElement('div');
      this.pair.append(host);
      return new PointsHeatmap(host, { label: `loss landscape slice${n > 1 ? ` ${k + 1}` : ''} with the training path`,
        aspect: n > 1 ? 0.9 : 0.72, idleText: 'Move over the map to read the loss.' });
    });
  }

  update(st) {
    const runs = runsOrError(this, st);
    if (!runs) return;
    const key = JSON.stringify([runs.map((r) => r.run.id), st.dirs, st.norm, st.dirseed, st.rng, st.res]);
    this.st = st;
    if (key === this.key) {
      this.draw();
      return;
    }
    this.key = key;
    this.errorBox.hidden = true;
    markOld(this, runs);
    if (!this.shown || this.panels.length !== runs.length) this.ensurePanels(runs.length);
    this.pending = runs.map(() => null);
    this.runs = runs;
    const mine = key;
    this.work.track(Promise.all(runs.map(async ({ run, label }, k) => {
      const job = await run.slice(st, (j) => {
        if (this.key !== mine) return;
        this.pending[k] = { ...j, run, label };
        if (!this.shown) {
          this.frames = this.pending;
          this.schedule();
        }
      });
      if (this.key !== mine) return;
      const hs = await run.hessian().catch(() => null);
      this.pending[k] = { ...job, run, label, hess: hs };
    })).then(() => {
      if (this.key !== mine) return;
      this.frames = this.pending;
      this.ensurePanels(runs.length);
      markFresh(this);
      this.draw();
    })).catch((e) => fail(this, e));
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  draw() {
    const st = this.st;
    const fr = this.frames;
    if (!fr.length || fr.some((f) => !f)) return;
    const log = st.scale === 'log';
    const dl = this.engine.dl;
    const [vmin, vmax] = sharedRange(dl, fr.map((f) => f.grid), log);
    this.colour = { vmin, vmax, log, cmap: 'viridis' };
    // the core's 14 level lines and marching squares (core/contour.h): the CLI's slice.png draws the same
    const levels = dl.contourLevels(vmin, vmax, 14, log);
    fr.forEach((f, k) => {
      const c = colourGrid(dl, f.grid, { scale: st.scale, cmap: 'viridis', vr: [vmin, vmax] });
      const overlays = [];
      if (f.complete) {
        const cs = dl.contours(f.grid, f.nx, f.ny, [f.a[0], f.a[1], f.b[0], f.b[1]], levels);
        overlays.push({ xs: cs.xs, ys: cs.ys, color: 'rgba(255,255,255,0.55)', width: 1 });
      }
      if (f.ab) {
        const T = f.ab.length / 2;
        const xs = [];
        const ys = [];
        for (let i = 0; i < T; i++) {
          xs.push(f.ab[2 * i]);
          ys.push(f.ab[2 * i + 1]);
        }
        overlays.push({ xs, ys, color: PATH_COLOR, width: 2.4, halo: 'rgba(0,0,0,0.45)' });
        overlays.push({ dot: true, x: xs[0], y: ys[0], color: '#ffffff', stroke: PATH_COLOR, r: 5 });
      }
      overlays.push({ dot: true, x: 0, y: 0, color: PATH_COLOR, r: 5 });
      const sharp = f.hess ? `, λ_{max} = ${fmt(f.hess.evals[0], 3)}` : '';
      this.panels[k].set({
        values: f.grid, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.a, y: f.b, xLabel: f.xLabel, yLabel: f.yLabel,
        valueLabel: 'loss', title: `${f.label ? `${f.label}: ` : ''}loss at θ* = ${fmt(f.run.loss, 4)}${sharp}${f.complete ? '' : `  (rows ${f.bandsDone}/${f.bands}…)`}`,
        scale: { vmin, vmax, log, ramp: c.ramp }, overlays, format: (v) => fmt(v, 5),
        legend: f.ab ? [
          { mark: 'line', color: PATH_COLOR, label: 'training path' },
          { mark: 'dot', color: '#ffffff', stroke: PATH_COLOR, label: 'initialisation θ_0' },
          { mark: 'dot', color: PATH_COLOR, label: 'trained θ*' },
          { mark: 'line', color: 'rgba(255,255,255,0.8)', label: 'level lines' }]
          : [{ mark: 'dot', color: PATH_COLOR, label: 'trained θ* (the centre)' },
            { mark: 'line', color: 'rgba(255,255,255,0.8)', label: 'level lines' }],
      });
    });
    this.facts = fr.every((f) => f.complete) ? fr.map((f) => sliceFacts(dl, f)) : null;
    this.text.innerHTML = this.facts ? sliceSentence(fr, this.facts) : '';
  }

  numbers() {
    const fr = this.frames;
    if (!fr.length || fr.some((f) => !f)) return null;
    return {
      figure: 'slice', colour: this.colour,
      sentence: this.text.textContent, legend: (this.panels[0].data.legend || []).map((it) => it.label),
      panels: fr.map((f, k) => ({ label: f.label, nx: f.nx, ny: f.ny, a: f.a, b: f.b, values: Array.from(f.grid),
        complete: !!f.complete, what: f.what, trainedLoss: f.run.loss, sharpness: f.hess ? f.hess.evals[0] : null,
        facts: this.facts ? this.facts[k] : null, verdict: f.run.verdict ? f.run.verdict.verdict : null,
        ab: f.ab ? Array.from(f.ab) : null, ms: f.ms, varFrac: f.varFrac })),
    };
  }

  csv(header) {
    const fr = this.frames;
    if (!fr.length || fr.some((f) => !f)) return '';
    const lines = [...header];
    fr.forEach((f, k) => lines.push(`# panel ${k}${f.label ? ` (${f.label})` : ''}: ${f.what}; loss = L(theta* + a d1 + b d2); ` +
      `${f.nx}x${f.ny}, a ${f.a[0]}:${f.a[1]}, b ${f.b[0]}:${f.b[1]}, rows top (b max) first; trained loss ${f.run.loss}`));
    lines.push(`# colour: viridis ${this.colour.log ? 'log' : 'linear'} ${this.colour.vmin}:${this.colour.vmax} (shared)`);
    lines.push('panel,a,b,loss');
    sliceRows(fr, lines);
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.panels.length === 1 ? this.panels[0].toDataURL() : joinPNG(this.panels.map((p) => p.canvas));
  }
}

/** What the line from θ_0 to θ* shows: monotone descent, or a bump (its height above the straight descent). */
function interpSentence(t, loss, label) {
  const i0 = t.findIndex((v) => v >= -1e-12);
  const i1 = t.findIndex((v) => v >= 1 - 1e-12);
  let rises = 0;
  let worst = 0;
  let at = 0;
  for (let i = i0 + 1; i <= i1; i++) {
    if (loss[i] > loss[i - 1]) rises++;
    const excess = loss[i] - Math.min(...loss.slice(i0, i));
    if (excess > worst) { worst = excess; at = t[i]; }
  }
  const who = label ? `${label[0].toUpperCase()}${label.slice(1)}: f` : 'F';
  return `${who}rom θ₀ (t = 0, loss ${fmt(loss[i0], 3)}) to θ* (t = 1, loss ${fmt(loss[i1], 3)}) the loss ` +
    (rises === 0 ? 'falls all the way: no barrier on this line (Goodfellow et al. 2015 saw the same for many nets).'
      : `does not fall all the way: it climbs up to ${fmt(worst, 3)} above the lowest loss before it (near t = ${fmt(at, 2)}).`);
}

// ---------------------------------------------------------------------------------------------------------------
export class InterpFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ls-interp');
    this.plot = new Plot(box, { label: 'loss along the line from the initialisation to the solution', aspect: 0.85,
      idleText: 'training…' });
    this.text = explainBox(box);
    this.curves = null;
  }

  update(st) {
    const runs = runsOrError(this, st);
    if (!runs) return;
    const key = runs.map((r) => r.run.id).join();
    if (key === this.key) return;
    this.key = key;
    this.errorBox.hidden = true;
    this.st = st;
    markOld(this, runs);
    this.work.track(Promise.all(runs.map(async ({ run, label }) => ({ ...(await run.interp()), label, run })))
      .then((c) => {
        if (this.key !== key) return;
        this.curves = c;
        markFresh(this);
        this.draw();
      })).catch((e) => fail(this, e));
  }

  draw() {
    const c = this.curves;
    let lo = Infinity;
    let hi = 0;
    for (const { loss } of c) for (const v of loss) if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    // One curve: the title names it. Two: a legend at the top, in headroom above the curves (they rise at both ends).
    const series = c.map(({ t, loss, label }, k) => ({ type: 'line', xs: t, ys: loss, color: COLORS[k], width: 2.2, label }));
    series.push({ type: 'vline', x: 0, color: '#888', dash: [4, 4], width: 1, text: 'θ_0' });
    series.push({ type: 'vline', x: 1, color: '#2a9d5c', dash: [4, 4], width: 1, text: 'θ*' });
    this.text.textContent = c.map(({ t, loss, label }) => interpSentence(t, loss, label)).join(' ');
    this.plot.set({
      title: 'Loss on θ = (1 − t) θ_0 + t θ*',
      x: { min: -0.5, max: 1.5, label: 't' },
      y: { min: lo / 1.3, max: hi * (c.length > 1 ? 4 : 1.3), log: true, label: 'loss' },
      series, legendPos: 'top',
    });
  }

  numbers() {
    if (!this.curves) return null;
    return { figure: 'interp', sentence: this.text.textContent, curves: this.curves.map(({ t, loss, label, run }) => ({ label, t: [...t], loss: [...loss], trainedLoss: run.loss })) };
  }

  csv(header) {
    if (!this.curves) return '';
    const lines = [...header, '# loss at (1 - t) theta0 + t theta* (theta0: the initialisation, theta*: trained)',
      ['t', ...this.curves.map((_, k) => `loss_${k}`)].join(',')];
    this.curves[0].t.forEach((t, i) => lines.push([t, ...this.curves.map((c) => c.loss[i])].join(',')));
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.plot.toDataURL();
  }
}

/** What the heights show: the range drawn, and how many grid points are above it (drawn flat at the top). */
function surfaceSentence(frames, [lo, hi], log) {
  const n = frames.reduce((a, f) => a + f.grid.length, 0);
  const over = frames.reduce((a, f) => a + f.grid.filter((v) => v > hi).length, 0);
  return `Height and colour: the loss on the slice's ${frames[0].nx} × ${frames[0].ny} grid${frames.length > 1 ? 's (one scale for both)' : ''}, ` +
    `${log ? 'on a log scale' : 'linearly'} from ${fmt(lo, 3)}, the lowest point, to ${fmt(hi, 3)}` +
    (over ? `; ${over} of the ${n} points lie above ${fmt(hi, 3)} and are drawn flat at the top.` : ', the highest.');
}

// ---------------------------------------------------------------------------------------------------------------
// The 3-D surface: the core renders the RGBA picture (render3d.h); dragging orbits the camera, rendering in the
// page at a lower resolution while the pointer moves and in a worker at full resolution when it stops.
export class SurfaceFigure {
  constructor(engine, el, { onSelect } = {}) {
    this.onSelect = onSelect;
    const box = setupFigure(this, engine, el, 'ls-surface');
    this.pair = document.createElement('div');
    this.pair.className = 'ls-pair one';
    box.append(this.pair);
    this.note = document.createElement('div');
    this.note.className = 'readout';
    this.note.textContent = 'Drag to orbit; arrow keys turn by 5° (Shift: 15°).';
    box.append(this.note);
    this.text = explainBox(box);
    this.canvases = [];
    this.frames = [];
    this.view = { az: -60, el: 30 };
    this.renders = 0;
    this.ro = new ResizeObserver(() => this.resized());
    this.ro.observe(this.pair);
  }

  ensureCanvases(n) {
    if (this.canvases.length === n) return;
    this.pair.innerHTML = '';
    this.pair.classList.toggle('one', n === 1);
    this.canvases = Array.from({ length: n }, (_, k) => {
      const c = document.createElement('canvas');
      c.tabIndex = 0;
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', `3-D loss surface${n > 1 ? ` ${k + 1}` : ''}; drag or use the arrow keys to orbit`);
      this.pair.append(c);
      this.bind(c);
      return c;
    });
  }

  bind(c) {
    let drag = null;
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, az: this.view.az, el: this.view.el };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const az = drag.az - (e.clientX - drag.x) * 0.5;
      const el = Math.max(5, Math.min(89, drag.el + (e.clientY - drag.y) * 0.3));
      this.view = { az: ((((az + 180) % 360) + 360) % 360) - 180, el };
      this.drawFast();
    });
    const end = () => {
      if (!drag) return;
      drag = null;
      this.commitView();
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('keydown', (e) => {
      const s = e.shiftKey ? 15 : 5;
      const d = { ArrowLeft: [s, 0], ArrowRight: [-s, 0], ArrowUp: [0, s], ArrowDown: [0, -s] }[e.key];
      if (!d) return;
      e.preventDefault();
      let az = this.view.az + d[0];
      az = ((((az + 180) % 360) + 360) % 360) - 180;
      this.view = { az, el: Math.max(5, Math.min(89, this.view.el + d[1])) };
      this.drawFast();
      clearTimeout(this.keyTimer);
      this.keyTimer = setTimeout(() => this.commitView(), 250);
    });
  }

  commitView() {
    const v = { az: Math.round(this.view.az), el: Math.round(this.view.el) };
    this.view = v;
    if (this.onSelect) this.onSelect(v);
    else this.drawFull();
  }

  resized() {
    if (this.frames.length && this.frames.every((f) => f)) this.drawFull();
  }

  update(st) {
    this.st = st;
    const runs = runsOrError(this, st);
    if (!runs) return;
    const viewChanged = st.az !== this.view.az || st.el !== this.view.el;
    this.view = { az: st.az, el: st.el };
    const key = JSON.stringify([runs.map((r) => r.run.id), st.dirs, st.norm, st.dirseed, st.rng, st.res, st.scale]);
    if (key === this.key) {
      if (viewChanged || !this.drawn) this.drawFull();
      return;
    }
    this.key = key;
    this.errorBox.hidden = true;
    markOld(this, runs);
    const pending = runs.map(() => null);
    this.work.track(Promise.all(runs.map(async ({ run, label }, k) => {
      const job = await run.slice(st);
      if (this.key !== key) return;
      pending[k] = { ...job, run, label };
    })).then(() => {
      if (this.key !== key) return undefined;
      this.ensureCanvases(runs.length);
      this.frames = pending;
      this.drawn = false;
      const log = st.scale === 'log';
      this.range = sharedRange(this.engine.dl, this.frames.map((f) => f.grid), log);
      this.text.textContent = surfaceSentence(this.frames, this.range, log);
      markFresh(this);
      return this.drawFull();
    })).catch((e) => fail(this, e));
  }

  size() {
    const w = Math.max(160, Math.floor(this.canvases[0].parentElement.clientWidth / this.canvases.length) - 8);
    const single = document.body.classList.contains('single');
    let h = Math.round(w * (this.canvases.length > 1 ? 0.85 : 0.62));
    if (single) h = Math.min(h, Math.max(160, window.innerHeight - 70));
    return { w, h };
  }

  /** Render options: the picture takes the canvas but a strip on the right for the height scale. */
  opts(f, scale) {
    const { w, h } = this.size();
    const pw = Math.max(120, w - SURFACE_BAR);
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    return { width: Math.max(32, Math.round(pw * dpr * scale)), height: Math.max(32, Math.round(h * dpr * scale)),
      cssW: pw, cssH: h, canvasW: w, azimuth: this.view.az, elevation: this.view.el, vmin: this.range[0], vmax: this.range[1],
      log: this.st.scale === 'log', contours: 12, supersample: scale < 1 ? 1 : 2, cmap: 'viridis', a: f.a, b: f.b,
      path: f.ab || undefined };
  }

  blit(k, rgba, o) {
    const c = this.canvases[k];
    const f = this.frames[k];
    const ctx = sizeCanvas(c, o.canvasW, o.cssH);
    const img = document.createElement('canvas');
    img.width = o.width;
    img.height = o.height;
    img.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), o.width, o.height), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(img, 0, 0, o.cssW, o.cssH);
    const t = `${f.label ? `${f.label}: ` : ''}loss${o.log ? ' (log height)' : ''}  ·  az ${Math.round(o.azimuth)}°, el ${Math.round(o.elevation)}°`;
    drawRich(ctx, t, 8, 16, 13, 'left', INK);
    // Axis names beside the base edge nearer the viewer, pushed outwards from the base's centre (never under it).
    const dl = this.engine.dl;
    const at = (u, v) => dl.surfacePoint({ ...o, width: o.cssW, height: o.cssH }, u, v, 0);
    const mid = at(0.5, 0.5);
    const lab = (e0, e1, text) => {
      const p0 = at(...e0);
      const p1 = at(...e1);
      const p = !p0 ? p1 : !p1 ? p0 : p0.y > p1.y ? p0 : p1;
      if (!p || !mid) return;
      const dx = p.x - mid.x;
      const dy = p.y - mid.y;
      const len = Math.hypot(dx, dy) || 1;
      const x = Math.max(30, Math.min(o.cssW - 30, p.x + (22 * dx) / len));
      const y = Math.max(28, Math.min(o.cssH - 6, p.y + (22 * dy) / len + 4));
      ctx.font = font(12);
      ctx.textAlign = 'center';
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(255,255,255,0.85)';
      const s = text.replace(/ \(.*\)/, '');
      this.axisLabels.push({ text: s, x, y, edge: [p.x, p.y], centre: [mid.x, mid.y] });
      ctx.strokeText(s, x, y);
      ctx.fillStyle = INK;
      ctx.fillText(s, x, y);
    };
    this.axisLabels = [];
    lab([0.5, 0], [0.5, 1], f.xLabel);
    lab([0, 0.5], [1, 0.5], f.yLabel);
    if (o.path) {
      ctx.lineWidth = 2.4;
      ctx.strokeStyle = PATH_COLOR;
      ctx.beginPath();
      ctx.moveTo(10, 32);
      ctx.lineTo(28, 32);
      ctx.stroke();
      drawRich(ctx, 'training path (ends at θ*, the centre)', 34, 36, 12, 'left', INK);
    }
    this.heightBar(ctx, o);
  }

  /** The height scale: the surface's colours (the same map and range as its heights) with loss ticks. */
  heightBar(ctx, o) {
    const ramp = colourGrid(this.engine.dl, new Float32Array([o.vmin, o.vmax]), { scale: o.log ? 'log' : 'linear',
      cmap: 'viridis', vr: [o.vmin, o.vmax] }).ramp;
    const x = o.cssW + 8;
    const top = 34;
    const h = Math.max(40, o.cssH - top - 30);
    const n = ramp.length / 4;
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = `rgb(${ramp[4 * i]},${ramp[4 * i + 1]},${ramp[4 * i + 2]})`;
      ctx.fillRect(x, top + h - ((i + 1) / n) * h, 12, h / n + 0.6);
    }
    ctx.strokeStyle = '#444';
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, top + 0.5, 11, h - 1);
    const pos = (v) => (o.log ? Math.log(v / o.vmin) / Math.log(o.vmax / o.vmin) : (v - o.vmin) / (o.vmax - o.vmin));
    const ticks = o.log ? logTicks(o.vmin, o.vmax) : niceTicks(o.vmin, o.vmax, 4);
    ctx.font = font(11);
    ctx.fillStyle = INK;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    this.heightTicks = [];
    for (const v of ticks) {
      const t = pos(v);
      if (!(t >= -1e-6 && t <= 1 + 1e-6)) continue;
      this.heightTicks.push(v);
      const y = top + h - t * h;
      ctx.beginPath();
      ctx.moveTo(x + 12, y);
      ctx.lineTo(x + 16, y);
      ctx.stroke();
      ctx.fillText(fmt(v, 2), x + 18, y);
    }
    ctx.textBaseline = 'alphabetic';
    ctx.fillStyle = MUTED;
    ctx.fillText('loss', x - 2, top + h + 18);
  }

  /** A quick picture in the page while dragging (half resolution, no supersampling). */
  drawFast() {
    if (!this.range || !this.frames.every((f) => f)) return;
    this.frames.forEach((f, k) => {
      const o = this.opts(f, 0.5);
      try {
        this.blit(k, this.engine.dl.surface({ grid: f.grid, nx: f.nx, ny: f.ny, ...o }), o);
      } catch (e) {
        showError(this, e);
      }
    });
  }

  drawFull() {
    if (!this.range || !this.frames.length || !this.frames.every((f) => f)) return Promise.resolve();
    const id = ++this.renders;
    return this.work.track(Promise.all(this.frames.map(async (f, k) => {
      const o = this.opts(f, 1);
      const rgba = await this.engine.pool.call('surface', [{ grid: f.grid, nx: f.nx, ny: f.ny, ...o }],
        { channel: `surface${k}:${this.key}` });
      if (id !== this.renders) return;
      this.blit(k, rgba, o);
      this.drawn = true;
    }))).catch((e) => showError(this, e));
  }

  numbers() {
    if (!this.frames.length || !this.frames.every((f) => f)) return null;
    return { figure: 'surface', azimuth: this.view.az, elevation: this.view.el, vmin: this.range[0], vmax: this.range[1],
      heightTicks: this.heightTicks || [], axisLabels: this.axisLabels || [], sentence: this.text.textContent,
      panels: this.frames.map((f) => ({ label: f.label, nx: f.nx, ny: f.ny, a: f.a, b: f.b })) };
  }

  csv(header) {
    if (!this.frames.length || !this.frames.every((f) => f)) return '';
    const lines = [...header, `# 3-D view: azimuth ${this.view.az}, elevation ${this.view.el}; heights = loss clipped to ${this.range[0]}:${this.range[1]}`, 'panel,a,b,loss'];
    sliceRows(this.frames, lines);
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.canvases.length === 1 ? this.canvases[0].toDataURL('image/png') : joinPNG(this.canvases);
  }
}

export const FIGURE_CLASSES = { training: TrainingFigure, slice: SliceFigure, surface: SurfaceFigure, boundary: BoundaryFigure,
  interp: InterpFigure };
