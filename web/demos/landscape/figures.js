// figures.js - the loss-landscape figures (training curve, decision boundary, 2-D slice with contours and path,
// 1-D interpolation, 3-D surface) and the trained runs they share. A run (one network trained in chunks in the
// workers) is cached per engine and slot, so figures shown together, or one figure embedded alone, train once.
import { drawRich, fmt, font, INK, MUTED, sizeCanvas } from '../../draw.js';
import { colourGrid, joinPNG, linspace, setupFigure, showError } from '../../figure.js';
import { Heatmap } from '../../heatmap.js';
import { Plot } from '../../plot.js';

export const MAX_PATH_DOUBLES = 4e6; // snapshots x P kept for PCA (32 MB)
const COLORS = ['#1f4e9c', '#d1495b'];
const CLASS_FILL = ['#173f8a', '#9c1414', '#1e7a1e', '#b35900', '#5b3c8c', '#6b4a3a', '#a0407a', '#555555'];

// ---- the CSV a reader dropped (one per page; not in the URL) ---------------------------------------------------
export const csvSlot = { name: '', data: null, error: '' };

// ---- runs ------------------------------------------------------------------------------------------------------
const stores = new WeakMap();
let runIds = 0;

/** The data a state asks for: a toy set (computed by the core in the page, it is light) or the dropped CSV. */
function dataOf(engine, st) {
  if (st.data === 'csv') {
    if (!csvSlot.data) throw new Error(csvSlot.error || 'No CSV file yet: drop one on the “Data” box (or pick a toy data set).');
    return csvSlot.data;
  }
  return engine.dl.toyData({ toy: st.data, n: st.n, noise: st.noise, seed: st.dseed });
}

/** The runs a state shows: one, or two for compare (without | with skips), each {run, label}. */
export function runsFor(engine, st) {
  let store = stores.get(engine);
  if (!store) stores.set(engine, (store = { slots: {} }));
  const data = dataOf(engine, st);
  const variants = st.cmp === 'skip' ? [['A', 0, 'without skips'], ['B', 1, 'with skips']]
    : [['A', st.skip === '1' ? 1 : 0, '']];
  return variants.map(([slot, skip, label]) => {
    const spec = {
      net: { depth: st.depth, width: st.width, act: st.act, skip, loss: 'xent' },
      train: { sw2: st.sw2, sb2: st.sb2, seed: st.seed, opt: st.opt, lr: st.lr, momentum: 0.9, wd: st.wd, batch: st.batch },
      steps: st.steps,
    };
    const key = JSON.stringify([st.data, st.data === 'csv' ? csvSlot.name : [st.n, st.noise, st.dseed], spec]);
    const old = store.slots[slot];
    if (old && old.key === key) return { run: old, label };
    if (old) old.cancel();
    const run = new Run(engine, spec, data, key);
    store.slots[slot] = run;
    return { run, label };
  });
}

class Run {
  constructor(engine, spec, data, key) {
    this.engine = engine;
    this.spec = spec;
    this.data = data;
    this.key = key;
    this.id = `ls${++runIds}`;
    this.channels = new Set();
    this.listeners = new Set();
    this.memos = new Map();
    this.cancelled = false;
    this.step = 0;
    this.losses = [];
    this.snapLoss = [];
    this.snapAcc = [];
    this.t0 = performance.now();
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

  async train() {
    const { net, train, steps } = this.spec;
    const st = await this.call('trainStart', { net, data: this.data, ...train }, 'train');
    const { P } = st;
    this.P = P;
    this.lr = st.lr;
    this.theta0 = st.theta0;
    // Snapshots as the CLI keeps them (100, fewer for big nets so the path fits in memory).
    const T = Math.max(2, Math.min(steps + 1, 100, Math.floor(MAX_PATH_DOUBLES / P)));
    this.T = T;
    this.targets = Array.from({ length: T }, (_, i) => Math.floor((steps * i) / (T - 1)));
    this.path = new Float64Array(T * P);
    let blob = st.blob;
    let k = 0;
    let per = 2; // snapshots per chunk, adapted to ~120 ms a chunk
    while (k < T) {
      if (this.cancelled) throw cancelledError();
      const tg = this.targets.slice(k, k + per);
      const t1 = performance.now();
      const r = await this.call('trainRun', { data: this.data, blob, P, from: this.step, targets: tg }, 'train');
      if (this.cancelled) throw cancelledError();
      blob = r.blob;
      const got = r.diverged ? r.snapLoss.findIndex((v) => Number.isNaN(v)) : tg.length;
      for (let i = 0; i < r.step - this.step; i++) this.losses.push(r.losses[i]);
      this.path.set(r.snaps.subarray(0, Math.max(0, got) * P), k * P);
      for (let i = 0; i < got; i++) {
        this.snapLoss.push(r.snapLoss[i]);
        this.snapAcc.push(r.snapAcc[i]);
      }
      this.step = r.step;
      k += got;
      this.emit();
      if (r.diverged) {
        this.diverged = true;
        this.ms = performance.now() - this.t0;
        this.emit();
        throw new Error(`training diverged at step ${r.step} (the loss is not finite): lower the step size (now ${fmt(this.lr, 3)})`);
      }
      const ms = performance.now() - t1;
      per = Math.max(1, Math.min(T, Math.round((per * 120) / Math.max(ms, 1))));
    }
    this.theta = this.path.slice((T - 1) * P);
    this.loss = this.snapLoss[T - 1];
    this.acc = this.snapAcc[T - 1];
    this.ms = performance.now() - this.t0;
    this.trained = true;
    this.emit();
    return this;
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
        steps: Math.min(40, this.P), seed: 1 }, 'hessian');
    });
  }

  interp() {
    return this.memo('interp', async () => {
      await this.done;
      const d = this.theta.map((v, i) => v - this.theta0[i]);
      const ts = [-0.5, 1.5];
      const loss = await this.call('slice', { net: this.spec.net, data: this.data, center: this.theta0, dirs: d, a: ts,
        nx: 101, ny: 1 }, 'interp');
      return { t: linspace(ts[0], ts[1], 101), loss: Array.from(loss) };
    });
  }
}

function cancelledError() {
  const e = new Error('superseded by a newer request');
  e.cancelled = true;
  return e;
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

// A Heatmap that also draws dots ({dot: true, x, y}): the initialisation and the solution on a slice.
class PointsHeatmap extends Heatmap {
  drawOverlay(ctx, o) {
    if (o.dot) {
      ctx.save();
      ctx.beginPath();
      ctx.arc(this.toX(o.x), this.toY(o.y), o.r || 5, 0, 2 * Math.PI);
      ctx.fillStyle = o.color;
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = o.stroke || '#fff';
      ctx.stroke();
      ctx.restore();
      return;
    }
    super.drawOverlay(ctx, o);
  }
}

const stText = (st) => `${st.depth}×${st.width} ${st.act}, ${st.opt}`;

// ---------------------------------------------------------------------------------------------------------------
export class TrainingFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ls-training');
    const bar = document.createElement('div');
    bar.className = 'ls-progress';
    bar.innerHTML = '<progress max="1" value="0" aria-label="training progress"></progress><span aria-live="polite"></span>';
    box.append(bar);
    this.bar = bar.querySelector('progress');
    this.barText = bar.querySelector('span');
    this.plot = new Plot(box, { label: 'training loss per step', aspect: 0.42 });
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
    this.work.track(Promise.all(runs.map((r) => r.run.done)).then(() => this.draw())).catch((e) => showError(this, e));
  }

  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      this.draw();
    });
  }

  draw() {
    const runs = this.runs;
    if (!runs) return;
    const steps = runs[0].run.spec.steps;
    const done = runs.reduce((s, r) => s + r.run.step, 0) / runs.length;
    this.bar.value = done / steps;
    const r0 = runs[0].run;
    const all = runs.every((r) => r.run.trained);
    this.barText.textContent = all
      ? `done: ${steps} steps in ${fmt(Math.max(...runs.map((r) => r.run.ms)) / 1000, 2)} s`
      : runs.some((r) => r.run.diverged) ? 'diverged' : `step ${Math.round(done)} / ${steps}`;
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
      series.push({ type: 'line', xs, ys, color: COLORS[k], width: 0.8, alpha: 0.35, label: `minibatch${label ? ` (${label})` : ''}` });
      const sx = run.targets ? run.targets.slice(0, run.snapLoss.length) : [];
      series.push({ type: 'line', xs: sx, ys: run.snapLoss, color: COLORS[k], width: 2.2, label: `all data${label ? ` (${label})` : ''}` });
      for (const v of [...ys, ...run.snapLoss]) if (v > 0 && Number.isFinite(v)) { ymin = Math.min(ymin, v); ymax = Math.max(ymax, v); }
    });
    if (!(ymax > 0)) { ymin = 0.01; ymax = 1; }
    this.plot.set({
      title: `Training loss  ·  ${stText(this.st)}, step size ${r0.lr ? fmt(r0.lr, 3) : '…'}`,
      x: { min: 0, max: steps, label: 'step' },
      y: { min: ymin / 1.3, max: ymax * 1.3, log: true, label: 'loss' },
      series, legendPos: 'top',
    });
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
    this.frame = null;
  }

  update(st) {
    const runs = runsOrError(this, st);
    if (!runs) return;
    const { run } = runs[runs.length - 1];
    if (run.id === this.key) return;
    this.key = run.id;
    this.errorBox.hidden = true;
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
      this.frame = { values, cls: g.cls, conf: g.conf, x, y, nx: n, ny: n, run, label: runs[runs.length - 1].label };
      this.draw();
    })()).catch((e) => showError(this, e));
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
    this.hm.set({
      values: f.values, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.x, y: f.y, xLabel: 'x_1', yLabel: 'x_2',
      valueLabel: k === 2 ? 'P(class 1)' : 'predicted class',
      title: `accuracy ${fmt(100 * run.acc, 3)} %${f.label ? ` (${f.label})` : ''}`,
      scale: c.categories ? null : { vmin: 0, vmax: 1, log: false, ramp: c.ramp },
      categories: c.categories || null,
      overlays: [{ points: true, xs, ys, fill, r: data.n > 600 ? 2.4 : 3.4 }],
      format: (v) => fmt(v, 3),
    });
  }

  numbers() {
    const f = this.frame;
    if (!f) return null;
    return { figure: 'boundary', nx: f.nx, ny: f.ny, x: f.x, y: f.y, values: Array.from(f.values), acc: f.run.acc };
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
    this.ensurePanels(runs.length);
    this.frames = runs.map(() => null);
    this.runs = runs;
    const mine = key;
    this.work.track(Promise.all(runs.map(async ({ run, label }, k) => {
      const job = await run.slice(st, (j) => {
        if (this.key !== mine) return;
        this.frames[k] = { ...j, run, label };
        this.schedule();
      });
      if (this.key !== mine) return;
      const hs = await run.hessian().catch(() => null);
      this.frames[k] = { ...job, run, label, hess: hs };
      this.draw();
    }))).catch((e) => showError(this, e));
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
        overlays.push({ xs, ys, color: '#ff503c', width: 2.4, halo: 'rgba(0,0,0,0.45)' });
        overlays.push({ dot: true, x: xs[0], y: ys[0], color: '#ffffff', stroke: '#ff503c', r: 4.5 });
        overlays.push({ dot: true, x: 0, y: 0, color: '#ff503c', r: 5.5 });
      }
      const sharp = f.hess ? `, λ_{max} = ${fmt(f.hess.evals[0], 3)}` : '';
      this.panels[k].set({
        values: f.grid, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.a, y: f.b, xLabel: f.xLabel, yLabel: f.yLabel,
        valueLabel: 'loss', title: `${f.label ? `${f.label}: ` : ''}loss at θ* = ${fmt(f.run.loss, 4)}${sharp}${f.complete ? '' : `  (rows ${f.bandsDone}/${f.bands}…)`}`,
        scale: { vmin, vmax, log, ramp: c.ramp }, overlays, format: (v) => fmt(v, 5),
      });
    });
  }

  numbers() {
    const fr = this.frames;
    if (!fr.length || fr.some((f) => !f)) return null;
    return {
      figure: 'slice', colour: this.colour,
      panels: fr.map((f) => ({ label: f.label, nx: f.nx, ny: f.ny, a: f.a, b: f.b, values: Array.from(f.grid),
        complete: !!f.complete, what: f.what, trainedLoss: f.run.loss, sharpness: f.hess ? f.hess.evals[0] : null,
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

// ---------------------------------------------------------------------------------------------------------------
export class InterpFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ls-interp');
    this.plot = new Plot(box, { label: 'loss along the line from the initialisation to the solution', aspect: 0.85,
      idleText: 'training…' });
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
    this.work.track(Promise.all(runs.map(async ({ run, label }) => ({ ...(await run.interp()), label, run })))
      .then((c) => {
        if (this.key !== key) return;
        this.curves = c;
        this.draw();
      })).catch((e) => showError(this, e));
  }

  draw() {
    const c = this.curves;
    let lo = Infinity;
    let hi = 0;
    for (const { loss } of c) for (const v of loss) if (Number.isFinite(v) && v > 0) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const series = c.map(({ t, loss, label }, k) => ({ type: 'line', xs: t, ys: loss, color: COLORS[k], width: 2.2,
      label: label || 'loss on the line' }));
    series.push({ type: 'vline', x: 0, color: '#888', dash: [4, 4], width: 1, text: 'θ_0' });
    series.push({ type: 'vline', x: 1, color: '#2a9d5c', dash: [4, 4], width: 1, text: 'θ*' });
    this.plot.set({
      title: 'Loss on θ = (1 − t) θ_0 + t θ*',
      x: { min: -0.5, max: 1.5, label: 't' },
      y: { min: lo / 1.3, max: hi * 1.3, log: true, label: 'loss' },
      series, legendPos: 'top',
    });
  }

  numbers() {
    if (!this.curves) return null;
    return { figure: 'interp', curves: this.curves.map(({ t, loss, label, run }) => ({ label, t: [...t], loss: [...loss], trainedLoss: run.loss })) };
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
    this.ensureCanvases(runs.length);
    this.frames = runs.map(() => null);
    this.drawn = false;
    this.work.track(Promise.all(runs.map(async ({ run, label }, k) => {
      const job = await run.slice(st);
      if (this.key !== key) return;
      this.frames[k] = { ...job, run, label };
    })).then(() => {
      if (this.key !== key) return undefined;
      const log = st.scale === 'log';
      this.range = sharedRange(this.engine.dl, this.frames.map((f) => f.grid), log);
      return this.drawFull();
    })).catch((e) => showError(this, e));
  }

  size() {
    const w = Math.max(160, Math.floor(this.canvases[0].parentElement.clientWidth / this.canvases.length) - 8);
    const single = document.body.classList.contains('single');
    let h = Math.round(w * (this.canvases.length > 1 ? 0.85 : 0.62));
    if (single) h = Math.min(h, Math.max(160, window.innerHeight - 70));
    return { w, h };
  }

  opts(f, scale) {
    const { w, h } = this.size();
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    return { width: Math.max(32, Math.round(w * dpr * scale)), height: Math.max(32, Math.round(h * dpr * scale)),
      cssW: w, cssH: h, azimuth: this.view.az, elevation: this.view.el, vmin: this.range[0], vmax: this.range[1],
      log: this.st.scale === 'log', contours: 12, supersample: scale < 1 ? 1 : 2, cmap: 'viridis', a: f.a, b: f.b,
      path: f.ab || undefined };
  }

  blit(k, rgba, o) {
    const c = this.canvases[k];
    const f = this.frames[k];
    const ctx = sizeCanvas(c, o.cssW, o.cssH);
    const img = document.createElement('canvas');
    img.width = o.width;
    img.height = o.height;
    img.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.length), o.width, o.height), 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(img, 0, 0, o.cssW, o.cssH);
    const t = `${f.label ? `${f.label}: ` : ''}loss${o.log ? ' (log height)' : ''}  ·  az ${Math.round(o.azimuth)}°, el ${Math.round(o.elevation)}°`;
    drawRich(ctx, t, 8, 16, 13, 'left', INK);
    // Axis names where the core's camera puts the middle of two base edges.
    const dl = this.engine.dl;
    const lab = (u, v, text) => {
      const p = dl.surfacePoint({ ...o, width: o.cssW, height: o.cssH }, u, v, 0);
      if (p && p.x > 0 && p.x < o.cssW && p.y > 0 && p.y < o.cssH) {
        ctx.font = font(11);
        ctx.fillStyle = MUTED;
        ctx.textAlign = 'center';
        ctx.fillText(text.replace(/ \(.*\)/, ''), p.x, Math.min(o.cssH - 4, p.y + 14));
      }
    };
    lab(0.5, 1, f.xLabel);
    lab(1, 0.5, f.yLabel);
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
