// figures.js - the training-as-optimal-control figures (the flow through the layers with the decision regions and
// where a step folds the plane; states and costates; the per-layer Hamiltonians; training curves of GD, Adam,
// MSA and E-MSA; perturbation growth over depth) and the problem and runs they share. A problem (data, network,
// initial controls) is made in the page by the core; each method's run is one call in a worker, cached per engine,
// so figures shown together, or one figure embedded alone, train once.
import { fmt } from '../../draw.js';
import { colourGrid, explainBox, joinPNG, setupFigure, showError } from '../../figure.js';
import { Heatmap } from '../../heatmap.js';
import { Plot } from '../../plot.js';
import { DEFAULT_CAP_SECONDS, markStale } from '../../runbar.js';

export const METHODS = ['gd', 'adam', 'msa', 'emsa'];
export const METHOD_LABEL = { gd: 'GD', sgd: 'SGD', adam: 'Adam', msa: 'MSA', emsa: 'E-MSA' };
const METHOD_COLOR = { gd: '#1f4e9c', adam: '#2e8b3a', msa: '#d1495b', emsa: '#8a4fbf' };
const ARCHS = ['plain', 'antisym', 'hamiltonian'];
const ARCH_LABEL = { plain: 'plain', antisym: 'antisymmetric', hamiltonian: 'Hamiltonian (leapfrog)' };
const ARCH_COLOR = { plain: '#1f4e9c', antisym: '#c0651a', hamiltonian: '#2e8b3a' };
const CLASS_FILL = ['#173f8a', '#9c1414', '#1e7a1e', '#b35900', '#5b3c8c', '#6b4a3a', '#a0407a', '#555555'];
const gradient = (m) => m === 'gd' || m === 'adam';
const pct = (v) => `${fmt(100 * v, 3)} %`;

// ---- the problem and its runs ------------------------------------------------------------------------------
const stores = new WeakMap();

/** The network descriptor of a state (zeros are the core's defaults). */
export function netOf(st, nIn, nClass) {
  return { nIn, nClass, width: st.width, layers: st.layers, delta: st.delta, act: st.act, arch: st.arch,
    gamma: st.arch === 'antisym' ? st.gamma : 0, reg: st.reg };
}

/** The training descriptor of one method in a state. */
export function trainOf(st, method) {
  return { method, lr: method === 'gd' ? st.lrgd : method === 'adam' ? st.lradam : 0,
    rho: method === 'emsa' ? st.rho : 0, innerIters: gradient(method) ? 0 : st.inner, seed: st.seed };
}
export const itersOf = (st, method) => (gradient(method) ? st.iters : st.sweeps);

/**
 * The problem of a state: {key, net, train, test, theta0, P}, made by the core in the page (light), and its runs.
 * Throws an Error with the core's reason when the network is refused.
 */
export function problemFor(engine, st) {
  let store = stores.get(engine);
  if (!store) stores.set(engine, (store = { prob: null, runs: new Map() }));
  const pkey = JSON.stringify([st.data, st.n, st.noise, st.dseed, st.width, st.layers, st.delta, st.act, st.arch,
    st.arch === 'antisym' ? st.gamma : 0, st.reg, st.sw2, st.sb2, st.seed]);
  if (store.prob && store.prob.key === pkey) return store.prob;
  const dl = engine.dl;
  const { train, test } = dl.ctlData({ data: st.data, n: st.n, noise: st.noise, seed: st.dseed });
  const net = netOf(st, train.d, train.nClass);
  const why = dl.ctlWhy(net);
  if (why) throw new Error(`network: ${why}`);
  const theta0 = dl.ctlInitParams(net, { sw2: st.sw2, sb2: st.sb2, seed: st.seed });
  for (const r of store.runs.values()) r.cancel();
  store.runs.clear();
  store.prob = { key: pkey, net, train, test, theta0, P: theta0.length, store };
  return store.prob;
}

/** The run of one method on the state's problem (created on first request; it starts at once unless the view's
 * estimate is over the cap, when it waits for the user's "Run anyway": see viewEstimate). */
export function runFor(engine, st, method) {
  const prob = problemFor(engine, st);
  const train = trainOf(st, method);
  const why = engine.dl.ctlTrainWhy(prob.net, train);
  if (why) throw new Error(`${METHOD_LABEL[method]}: ${why}`);
  const key = JSON.stringify([train, itersOf(st, method)]);
  const old = prob.store.runs.get(method);
  if (old && old.key === key) return old;
  if (old) old.cancel();
  const work = engine.dl.ctlTrainWork(prob.net, train, prob.train.n, itersOf(st, method));
  const run = new Run(engine, prob, method, train, itersOf(st, method), key, work.seconds);
  prob.store.runs.set(method, run);
  const view = viewEstimate(engine, st);
  if (!(view.seconds > capSeconds) || prob.store.lifted === view.key) run.play();
  return run;
}

/** The run of one method if it has been started for this state, else null (never starts one). */
export function startedRun(engine, st, method) {
  const store = stores.get(engine);
  if (!store || !store.prob) return null;
  const r = store.runs.get(method);
  try {
    if (!r || problemFor(engine, st) !== r.prob) return null;
  } catch (e) {
    return null;
  }
  return r.key === JSON.stringify([trainOf(st, method), itersOf(st, method)]) ? r : null;
}

// ---- how long training takes: the core's estimate (core/work.h), calibrated by the runs this browser has made ----
/** The cap: a view whose four runs are estimated to take longer waits for "Run anyway" (web/runbar.js). */
let capSeconds = DEFAULT_CAP_SECONDS;
export const cap = () => capSeconds;
/** For tests: another cap (seconds; a tiny one makes any view wait for "Run anyway"). */
export function setCap(seconds) {
  capSeconds = seconds > 0 ? seconds : DEFAULT_CAP_SECONDS;
}
const CHUNK_SECONDS = 0.2; // the length of one worker call a run aims at, so that pause and stop answer at once
const calibration = { core: 0, wall: 0 }; // seconds of the core's estimate, and measured, over the chunks so far
let maxChunk = Infinity; // tests: the most iterations per worker call (setMaxChunk)
/** Measured over estimated seconds of the training steps so far in this page (1 until a chunk has run). */
export const speedFactor = () => (calibration.core > 0.05 ? calibration.wall / calibration.core : 1);
/** For tests: train in worker calls of at most n iterations (Infinity: by time). */
export function setMaxChunk(n) {
  maxChunk = n > 0 ? n : Infinity;
}

/**
 * The wall-clock estimate of the four runs of a state, in this browser: the core's seconds for each, times the
 * measured speed, shared by the pool's workers (but never below the longest run). key names the view, for lifting
 * the cap. Throws with the core's reason for a refused setting.
 */
export function viewEstimate(engine, st) {
  const prob = problemFor(engine, st);
  const secs = METHODS.map((m) => {
    const train = trainOf(st, m);
    if (engine.dl.ctlTrainWhy(prob.net, train)) return 0;
    return engine.dl.ctlTrainWork(prob.net, train, prob.train.n, itersOf(st, m)).seconds;
  });
  const workers = Math.max(1, Math.min(METHODS.length, engine.pool.size || 1));
  const seconds = speedFactor() * Math.max(...secs, secs.reduce((x, y) => x + y, 0) / workers);
  return { seconds, key: JSON.stringify([prob.key, st.iters, st.sweeps, st.lrgd, st.lradam, st.rho, st.inner]) };
}

// Typed arrays end to end (a run's history grows by the chunks it is trained in).
function cat(a, b) {
  const out = new a.constructor(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * One method's training run, made of worker calls of about CHUNK_SECONDS each (ctlTrain resumed from the last
 * call's controls and optimiser state, bit for bit as one call). play(), pause(), step() (one iteration) and stop()
 * (keep the controls so far); result: the history so far (null before the first chunk), with done iterations;
 * finished: complete, stopped or diverged; done: a promise of the final result. on(fn): called after every chunk
 * and change of state.
 */
class Run {
  constructor(engine, prob, method, train, iters, key, coreSeconds) {
    this.engine = engine;
    this.prob = prob;
    this.method = method;
    this.train = train;
    this.key = key;
    this.iters = iters;
    this.coreSeconds = coreSeconds;
    this.channel = `ctl-train:${method}`;
    this.result = null;
    this.error = null;
    this.playing = false;
    this.finished = false;
    this.stopped = false;
    this.cancelled = false;
    this.busy = false;
    this.epoch = 0;
    this.listeners = new Set();
    this.done = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    this.done.catch(() => {});
  }
  get count() {
    return this.result ? this.result.done : 0;
  }
  /** Calibrated seconds for the iterations still to go. */
  remaining() {
    return this.finished ? 0 : speedFactor() * this.coreSeconds * (1 - this.count / this.iters);
  }
  play() {
    if (this.stopped && this.result && this.count < this.iters && !this.result.diverged) this.resume();
    if (this.finished || this.cancelled) return;
    this.playing = true;
    this.emit();
    this.loop(Infinity);
  }
  pause() {
    this.playing = false;
    this.emit();
  }
  step() {
    if (this.stopped && this.result && this.count < this.iters && !this.result.diverged) this.resume();
    if (this.finished || this.playing || this.cancelled) return;
    this.loop(1);
  }
  // A stopped run goes on: a new epoch (figures drawn from the stopped controls redraw when it finishes).
  resume() {
    this.stopped = false;
    this.finished = false;
    this.epoch++;
    this.done = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    this.done.catch(() => {});
  }
  stop() {
    if (this.finished) return;
    this.playing = false;
    this.stopped = !this.finished;
    if (!this.busy) this.finish();
    else this.emit();
  }
  cancel() {
    this.cancelled = true;
    this.playing = false;
    this.engine.pool.open(this.channel);
  }
  async loop(limit) {
    if (this.busy) return;
    this.busy = true;
    let left = limit;
    try {
      while (!this.finished && !this.cancelled && left > 0 && (this.playing || limit === 1) && this.count < this.iters &&
        !this.stopped) {
        const per = speedFactor() * this.coreSeconds / this.iters;
        const k = Math.max(1, Math.min(this.iters - this.count, left, maxChunk, Math.floor(CHUNK_SECONDS / per)));
        const prev = this.result;
        const r = await this.engine.pool.call('ctlTrain', [{ net: this.prob.net, train: this.train,
          theta0: prev ? prev.theta : this.prob.theta0, data: this.prob.train, test: this.prob.test, iters: k,
          resume: prev ? prev.optimizer : null }], { channel: this.channel });
        if (this.cancelled) {
          this.busy = false;
          return;
        }
        if (r.done > 0) {
          calibration.core += this.coreSeconds * r.done / this.iters;
          calibration.wall += r.ms[r.done] / 1000;
        }
        this.append(r);
        left -= k;
        if (r.diverged) break;
      }
      this.busy = false; // before the listeners hear of it
      if (!this.cancelled && (this.stopped || this.count >= this.iters || this.result.diverged)) this.finish();
      else this.emit();
    } catch (e) {
      this.busy = false;
      if (e && e.cancelled) return;
      this.error = e;
      this.finished = true;
      this.playing = false;
      this.emit();
      this.settle.reject(e);
    }
  }
  // The next chunk's history after this one's (its point 0 is this one's last point).
  append(r) {
    const a = this.result;
    if (!a) {
      this.result = r;
      return;
    }
    const n = a.done;
    const tail = (x) => x.subarray(1, r.done + 1);
    const ms = Float64Array.from(tail(r.ms), (v) => v + a.ms[n]);
    this.result = {
      ...r,
      loss: cat(a.loss.subarray(0, n + 1), tail(r.loss)), testLoss: cat(a.testLoss.subarray(0, n + 1), tail(r.testLoss)),
      acc: cat(a.acc.subarray(0, n + 1), tail(r.acc)), testAcc: cat(a.testAcc.subarray(0, n + 1), tail(r.testAcc)),
      ms: cat(a.ms.subarray(0, n + 1), ms),
      obj: cat(a.obj.subarray(0, n), r.obj.subarray(0, r.done)), feasX: cat(a.feasX.subarray(0, n), r.feasX.subarray(0, r.done)),
      feasP: cat(a.feasP.subarray(0, n), r.feasP.subarray(0, r.done)), hgrad: cat(a.hgrad.subarray(0, n), r.hgrad.subarray(0, r.done)),
      inner: cat(a.inner.subarray(0, n), r.inner.subarray(0, r.done)),
      layerHgrad: cat(a.layerHgrad.subarray(0, n * r.T), r.layerHgrad.subarray(0, r.done * r.T)),
      layerGain: cat(a.layerGain.subarray(0, n * r.T), r.layerGain.subarray(0, r.done * r.T)),
      done: n + r.done, divergedAt: r.diverged ? n + r.divergedAt : -1, iters: this.iters,
    };
  }
  finish() {
    this.finished = true;
    this.playing = false;
    this.emit();
    if (this.result) this.settle.resolve(this.result);
    else this.settle.reject(new Error(`${METHOD_LABEL[this.method]}: stopped before its first ${gradient(this.method) ? 'iteration' : 'sweep'}`));
  }
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit() {
    for (const f of this.listeners) f(this);
  }
}

/**
 * What a run's numbers say: kind 'running', 'diverged' (a non-finite loss), 'stalled' (the loss fell by less than
 * STALL_DROP of where it started: it did not learn), 'unsteady' (it ended more than 5 % above its best) or
 * 'learned', and one sentence with the numbers (a stopped run is judged only on what it did).
 */
const STALL_DROP = 0.1;
export function runVerdict(run) {
  const r = run.result;
  const name = METHOD_LABEL[run.method];
  const unit = gradient(run.method) ? 'iteration' : 'sweep';
  if (!r) return { kind: 'running', text: `${name}: training…` };
  const L = Array.from(r.loss.slice(0, r.done + 1));
  let best = 0;
  L.forEach((v, k) => { if (v < L[best]) best = k; });
  const upto = run.finished && !run.stopped ? '' : ` (${run.stopped ? 'stopped' : 'so far'}: ${unit} ${r.done} of ${run.iters})`;
  if (r.diverged) {
    return { kind: 'diverged', text: `${name} diverged: the loss was no longer finite at ${unit} ${r.divergedAt}` +
      (r.divergedAt > 0 ? ` (its best was ${fmt(L[best], 4)} at ${unit} ${best})` : '') + '.' };
  }
  const last = L[r.done];
  const drop = 1 - last / L[0];
  const accs = Number.isFinite(r.acc[r.done]) ? ` (training accuracy ${pct(r.acc[r.done])}, test ${pct(r.testAcc[r.done])})` : ` (test loss ${fmt(r.testLoss[r.done], 4)})`;
  if (run.finished && !run.stopped && r.done > 0 && drop < STALL_DROP) {
    return { kind: 'stalled', text: `${name} did not learn: in ${r.done} ${unit}s its loss went from ${fmt(L[0], 4)} to ` +
      `${fmt(last, 4)}, ${drop > 0 ? `only ${fmt(100 * drop, 2)} % lower` : 'no lower'}${accs}.` };
  }
  if (last > 1.05 * L[best] && best < r.done) {
    let ups = 0;
    for (let k = 1; k < L.length; k++) if (L[k] > L[k - 1]) ups++;
    const peak = Math.max(...L.slice(1));
    return { kind: 'unsteady', text: `${name} did not converge${upto}: its loss rose in ${ups} of ${r.done} ${unit}s, as high as ` +
      `${fmt(peak, 4)}; its best was ${fmt(L[best], 4)} at ${unit} ${best}, and it ended at ${fmt(last, 4)}` +
      `${last > L[0] ? ', above where it started' : ''}.` };
  }
  return { kind: 'learned', text: `${name}: loss ${fmt(L[0], 4)} → ${fmt(last, 4)} in ${r.done} ${unit}s${upto}${accs}` +
    `, ${fmt(r.ms[r.done] / 1000, 3)} s.` };
}

// ---- shared drawing helpers ------------------------------------------------------------------------------------
function pair(box, cls = '') {
  const d = document.createElement('div');
  d.className = `ctl-pair ${cls}`;
  box.append(d);
  return d;
}

function subBox(parent, title) {
  const d = document.createElement('div');
  if (title) {
    const h = document.createElement('p');
    h.className = 'ctl-sub';
    h.textContent = title;
    d.append(h);
  }
  parent.append(d);
  return d;
}


const classFill = (data) => Array.from(data.y, (c) => CLASS_FILL[c % CLASS_FILL.length]);

// What a figure waiting for a run says over its dimmed picture (web/runbar.js markStale).
function staleText(run, hadPicture) {
  const name = METHOD_LABEL[run.method];
  const unit = gradient(run.method) ? 'iteration' : 'sweep';
  const at = `${unit} ${run.count} of ${run.iters}`;
  if (run.playing || run.busy) return `${hadPicture ? 'previous network: ' : ''}${name} training, ${at}…`;
  if (!run.count) return `${name} has not started: the training controls above say why`;
  return `${name} paused at ${at}: press Play, or Stop to show the controls so far`;
}

// A figure that needs the shown method's finished (or stopped) run: tracks it, calls compute(run, result, key) once
// per key and then fig.draw(); until then the previous picture stays, dimmed and labelled. Returns true when the
// key is unchanged (the figure only needs redrawing).
function withRun(fig, st, extraKey, compute) {
  let run;
  try {
    run = runFor(fig.engine, st, st.show);
  } catch (e) {
    fig.key = null;
    showError(fig, e);
    return false;
  }
  const key = `${run.prob.key}|${run.key}|${run.epoch}|${st.show}|${extraKey}`;
  if (key === fig.key) return true;
  fig.key = key;
  fig.errorBox.hidden = true;
  if (fig.unsubRun) fig.unsubRun();
  const figEl = fig.errorBox.closest('figure.fig');
  const go = () => {
    if (fig.key !== key) return;
    if (!run.finished) {
      markStale(figEl, true, staleText(run, !!fig.drawnKey));
      return;
    }
    fig.unsubRun();
    fig.unsubRun = null;
    fig.work.track((async () => {
      const r = await run.done;
      if (fig.key !== key) return;
      await compute(run, r, key);
      if (fig.key !== key) return;
      fig.draw();
      fig.drawnKey = key;
      markStale(figEl, false);
    })()).catch((e) => {
      if (fig.key !== key) return;
      markStale(figEl, false);
      showError(fig, e);
    });
  };
  fig.unsubRun = run.on(go);
  go();
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
/** The flow: data carried through the layers, the read-out's regions seen at layer l, and where step l folds. */
export class FlowFigure {
  constructor(engine, el, { onSelect } = {}) {
    const box = setupFigure(this, engine, el, 'ctl-flow');
    this.onSelect = onSelect || (() => {});
    // The layer player: the training controls' look (web/runbar.js), with a slider in place of the progress bar.
    const bar = document.createElement('div');
    bar.className = 'runbar ctl-player';
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', 'layer animation');
    bar.innerHTML = '<div class="rb-row"><button type="button" class="rb-play ctl-play" aria-pressed="false">Play</button>' +
      '<button type="button" class="rb-step ctl-step" title="Show the next layer">Step</button>' +
      '<label class="ctl-layer-label">layer <output class="ctl-layer-out">0</output></label>' +
      '<input type="range" class="ctl-layer" min="0" max="10" step="1" value="0" aria-label="layer shown (0 = the inputs)"></div>';
    box.append(bar);
    this.playBtn = bar.querySelector('.ctl-play');
    this.slider = bar.querySelector('.ctl-layer');
    this.layerOut = bar.querySelector('.ctl-layer-out');
    this.slider.addEventListener('input', () => this.pick(Number(this.slider.value)));
    this.playBtn.addEventListener('click', () => this.play(!this.timer));
    bar.querySelector('.ctl-step').addEventListener('click', () => {
      this.play(false);
      if (this.frame) this.pick(this.layer >= this.frame.T ? 0 : this.layer + 1);
    });
    const row = pair(box);
    this.hm = new Heatmap(subBox(row), {
      label: 'decision regions of the read-out seen at the chosen layer, with the data carried to that layer',
      aspect: 0.9, onSelect: (p) => this.select(p),
      idleText: 'Move over the map to read the prediction; click a point to follow that example.' });
    this.dm = new Heatmap(subBox(row), { label: 'where the step from the chosen layer folds the plane', aspect: 0.9,
      idleText: 'Move over the map to read det dF/dx.' });
    this.mp = new Plot(box, { label: 'invertibility margin of every step', aspect: 0.3 });
    this.text = explainBox(box);
    this.frame = null;
    this.layer = 0;
  }

  pick(l) {
    this.onSelect({ layer: l });
  }

  play(on) {
    clearInterval(this.timer);
    this.timer = 0;
    this.playBtn.textContent = on ? 'Pause' : 'Play';
    this.playBtn.setAttribute('aria-pressed', String(on));
    if (!on || !this.frame) return;
    const T = this.frame.T;
    let l = this.layer >= T ? 0 : this.layer;
    this.pick(l);
    this.timer = setInterval(() => {
      l += 1;
      if (l > T) {
        this.play(false);
        return;
      }
      this.pick(l);
    }, 450);
  }

  // A click picks the nearest example at the shown layer (for the states and costates figure).
  select(p) {
    const f = this.frame;
    if (!f) return;
    const l = this.layer;
    let best = 0;
    let bd = Infinity;
    for (let i = 0; i < f.n; i++) {
      const b = (l * f.n + i) * f.d;
      const dd = (f.states[b] - p.x) ** 2 + (f.states[b + 1] - p.y) ** 2;
      if (dd < bd) { bd = dd; best = i; }
    }
    this.onSelect({ ex: best });
  }

  update(st) {
    this.st = st;
    let prob;
    try {
      prob = problemFor(this.engine, st);
    } catch (e) {
      this.key = null;
      showError(this, e);
      return;
    }
    if (prob.train.d !== 2) {
      this.key = null;
      this.frame = null;
      showError(this, new Error(`the flow needs 2-D inputs; the ${st.data} data set has ${prob.train.d} (pick a 2-D toy set)`));
      return;
    }
    const same = withRun(this, st, '', async (run, r, key) => {
      const f = await this.engine.pool.call('ctlFlow', [{ net: prob.net, theta: r.theta, data: prob.train, nx: 96 }],
        { channel: 'ctl-flow' });
      if (this.key === key) this.frame = { ...f, run, r, prob };
    });
    if (same) this.draw();
  }

  draw() {
    const f = this.frame;
    const st = this.st;
    if (!f || !st) return;
    const T = f.T;
    const l = Math.max(0, Math.min(T, st.layer));
    this.layer = l;
    this.slider.max = String(T);
    this.slider.value = String(l);
    this.layerOut.textContent = l === 0 ? '0 (inputs)' : l === T ? `${T} (output)` : String(l);
    const dl = this.engine.dl;
    const data = f.prob.train;
    const k = data.nClass;
    const N = f.nx * f.ny;
    const values = k === 2 ? f.cls[l].map((c, i) => (c === 1 ? f.conf[l][i] : 1 - f.conf[l][i])) : f.cls[l];
    const c = k === 2 ? colourGrid(dl, values, { scale: 'linear', cmap: 'rdbu', vr: [0, 1] })
      : colourGrid(dl, values, { categories: Array.from({ length: k }, (_, i) => `class ${i}`) });
    const xs = new Float64Array(f.n);
    const ys = new Float64Array(f.n);
    for (let i = 0; i < f.n; i++) {
      xs[i] = f.states[(l * f.n + i) * f.d];
      ys[i] = f.states[(l * f.n + i) * f.d + 1];
    }
    const fill = classFill(data);
    const ex = Math.min(st.ex, f.n - 1);
    const overlays = [{ points: true, xs, ys, fill, r: f.n > 600 ? 2.2 : 3, edge: 1 }, { ring: true, x: xs[ex], y: ys[ex] }];
    const where = l === 0 ? 'the input plane' : `the states at layer ${l}`;
    this.hm.set({
      values, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.x, y: f.y, xLabel: l === 0 ? 'input u_1' : 'state unit x_1',
      yLabel: l === 0 ? 'input u_2' : 'state unit x_2', valueLabel: k === 2 ? 'P(class 1)' : 'predicted class',
      title: `Read-out seen from ${where} · ${METHOD_LABEL[st.show]}`,
      scale: c.categories ? null : { vmin: 0, vmax: 1, log: false, ramp: c.ramp }, categories: c.categories || null,
      overlays, format: (v) => fmt(v, 3),
    });
    // The Jacobian determinant of the step leaving the shown layer (width 2 only; at the last layer, the last step).
    const canDet = f.d === 2 && f.det.length === T;
    const s = Math.min(l, T - 1);
    this.dm.root.parentElement.hidden = !canDet;
    this.hm.root.parentElement.parentElement.classList.toggle('one', !canDet);
    if (canDet) {
      const sign = f.det[s].map((v) => (v > 0 ? 0 : 1));
      const folded = sign.reduce((a, b) => a + b, 0);
      const cd = colourGrid(dl, sign, { cmap: 'greys', categories: ['det > 0', 'det ≤ 0'] });
      this.dm.set({
        values: sign, rgba: cd.rgba, nx: f.nx, ny: f.ny, x: f.x, y: f.y, xLabel: 'state unit x_1', yLabel: 'state unit x_2',
        valueLabel: 'sign of det', title: `Step ${s} → ${s + 1}: det ∂F_${s}/∂x ${folded ? `≤ 0 on ${pct(folded / sign.length)} (it folds)` : '> 0 everywhere (no fold)'}`, categories: cd.categories,
        overlays: [{ points: true, xs, ys, fill, r: f.n > 600 ? 2.2 : 3, edge: 1 }], format: (v) => fmt(v, 4),
      });
    }
    // Margins of every step.
    const ts = Array.from({ length: T }, (_, t) => t);
    const mmax = Math.max(...f.margin);
    this.mp.set({
      title: 'Margin δ‖W_t‖₂ max|φ′| per step (< 1: invertible)',
      x: { min: -0.5, max: Math.max(T - 0.5, 0.5), label: 'step t (from layer t to t + 1)' },
      // a decade of headroom above the largest margin for the legend (three rows)
      y: { min: Math.max(1e-3, Math.min(0.5, ...f.margin) / 1.5), max: Math.max(2, mmax * 1.5) * 8, log: true, label: 'margin' },
      series: [
        { type: 'hline', y: 1, color: '#888', dash: [5, 4], label: 'margin 1' },
        { type: 'line', xs: ts, ys: Array.from(f.margin), color: '#444', width: 1.2 },
        { type: 'points', xs: ts, ys: Array.from(f.margin), color: METHOD_COLOR[st.show], r: 3.5, label: `margin (${METHOD_LABEL[st.show]})` },
        { type: 'vline', x: Math.min(l, T - 1), color: '#d98e04', dash: [3, 3], label: 'the step pictured' },
      ],
      legendPos: 'top',
    });
    this.text.textContent = this.words(f, l);
  }

  words(f, l) {
    const st = this.st;
    const r = f.r;
    const T = f.T;
    const acc = r.acc[r.done];
    const tacc = r.testAcc[r.done];
    const bad = [];
    f.margin.forEach((m, t) => { if (!(m < 1)) bad.push(t); });
    const mmax = Math.max(...f.margin);
    const out = [];
    out.push(`${METHOD_LABEL[st.show]} on ${st.data} with width ${f.d}, ${T} layers, δ = ${st.delta}: training accuracy ` +
      `${pct(acc)}, test ${pct(tacc)}. Dots: the ${f.n} training examples carried to layer ${l}, dark blue class 0, ` +
      `dark red class 1${f.prob.train.nClass > 2 ? ' (and darker shades of the region colours for the other classes)' : ''}; ` +
      `the ring: example ${Math.min(st.ex, f.n - 1)}, followed in the states and costates figure.`);
    if (f.d === 2) {
      const folds = [];
      f.det.forEach((d, t) => {
        let c = 0;
        for (const v of d) if (!(v > 0)) c++;
        if (c) folds.push([t, c / d.length]);
      });
      if (!bad.length) {
        out.push(`Every step is invertible (largest margin ${fmt(mmax, 3)} < 1), so the whole net is a continuous map of ` +
          'the plane with a continuous inverse, like the flow of an ODE: it cannot tear or fold, so a closed curve around ' +
          'the inner class stays closed around it at every layer.');
        if (st.data === 'circles') {
          out.push(acc === 1 ? `It still separates all ${f.n} training points: a finite sample has gaps between ` +
            'the outer points, and the map squeezes the inner points out through them (watch the last layers); ' +
            `the test accuracy, ${pct(tacc)}, shows what that costs.` : `It misclassifies ${Math.round((1 - acc) * f.n)} of ` +
            `${f.n} training points: in two dimensions an invertible map cannot pull the inner circle out of the outer one.`);
        }
      } else if (folds.length) {
        const worst = folds.reduce((a, b) => (b[1] > a[1] ? b : a));
        out.push(`${folds.length} of ${T} step${T > 1 ? 's' : ''} ${folds.length === 1 ? 'folds' : 'fold'} the pictured plane (det ∂F_t/∂x ≤ 0 somewhere; the most: step ` +
          `${worst[0]}, on ${pct(worst[1])} of it), and ${bad.length} have a margin ≥ 1 (largest ${fmt(mmax, 3)}): the ` +
          'discrete net is not the flow of an ODE there, whose trajectories can never cross.');
      } else {
        out.push(`${bad.length} of ${T} steps have a margin ≥ 1 (largest ${fmt(mmax, 3)}), so invertibility is not ` +
          'guaranteed, but no step folds the pictured part of the plane (det ∂F_t/∂x > 0 on the whole grid).');
      }
      out.push(`Right: step ${Math.min(l, T - 1)}'s determinant over the plane, dark where the step folds it.`);
    } else {
      out.push(bad.length ? `${bad.length} of ${T} steps have a margin ≥ 1 (largest ${fmt(mmax, 3)}): those steps need not be invertible.`
        : `Every step is invertible (largest margin ${fmt(mmax, 3)} < 1).`);
      out.push(`With width ${f.d} the state has ${f.d} units: the map shows units 1 and 2 with the others set to 0, and the ` +
        'points are projected onto that plane, so a point can sit on a colour its own state does not get. The determinant picture needs width 2.');
    }
    return out.join(' ');
  }

  numbers() {
    const f = this.frame;
    if (!f) return null;
    const l = this.layer;
    return { figure: 'flow', layer: l, T: f.T, d: f.d, n: f.n, x: f.x, y: f.y, nx: f.nx, ny: f.ny,
      cls: Array.from(f.cls[l]), margin: Array.from(f.margin), norm: Array.from(f.norm),
      foldFraction: f.det.map((d) => d.filter((v) => !(v > 0)).length / d.length),
      states: Array.from(f.states.slice(l * f.n * f.d, (l + 1) * f.n * f.d)), acc: f.r.acc[f.r.done] };
  }

  csv(header) {
    const f = this.frame;
    if (!f) return '';
    const l = this.layer;
    const lines = [...header, `# the training points carried to layer ${l} (units 1 and 2 of the state) and the margins of every step`,
      'example,class,x1,x2'];
    for (let i = 0; i < f.n; i++) {
      const b = (l * f.n + i) * f.d;
      lines.push(`${i},${f.prob.train.y[i]},${f.states[b]},${f.states[b + 1]}`);
    }
    lines.push('# step,norm,margin');
    for (let t = 0; t < f.T; t++) lines.push(`# ${t},${f.norm[t]},${f.margin[t]}`);
    return `${lines.join('\n')}\n`;
  }

  png() {
    return joinPNG([this.hm.canvas, this.dm.root.parentElement.hidden ? null : this.dm.canvas]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
/** States forward and costates backward for one example (layer x unit), from the shown method's controls. */
export class CostatesFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ctl-costates');
    const row = pair(box);
    this.hs = new Heatmap(subBox(row), { wholeNumbers: true, label: 'states x_t of one example, layer by unit', aspect: 0.75,
      idleText: 'Move over the map to read x_t.' });
    this.hp = new Heatmap(subBox(row), { wholeNumbers: true, label: 'costates p_t of one example, layer by unit', aspect: 0.75,
      idleText: 'Move over the map to read p_t.' });
    this.text = explainBox(box);
    this.fb = null;
  }

  update(st) {
    this.st = st;
    const same = withRun(this, st, '', async (run, r, key) => {
      const prob = run.prob;
      const fb = await this.engine.pool.call('ctlFwdBwd', [prob.net, r.theta, prob.train], { channel: 'ctl-fwdbwd' });
      if (this.key === key) this.fb = { ...fb, run, prob };
    });
    if (same) this.draw();
  }

  grid(arr, ex) {
    const { n, d, T } = this.fb;
    // x: layer 0..T (left to right), y: unit 1..d (top row = unit d)
    const v = new Float32Array((T + 1) * d);
    for (let row = 0; row < d; row++) {
      const j = d - 1 - row;
      for (let t = 0; t <= T; t++) v[row * (T + 1) + t] = arr[(t * n + ex) * d + j];
    }
    return v;
  }

  draw() {
    const f = this.fb;
    if (!f || !this.st) return;
    const st = this.st;
    const ex = Math.min(st.ex, f.n - 1);
    this.ex = ex;
    const dl = this.engine.dl;
    const panel = (hm, arr, sym, name) => {
      const v = this.grid(arr, ex);
      const c = colourGrid(dl, v, { info: { cmap: 'rdbu', center: 0 } });
      hm.set({ values: v, rgba: c.rgba, nx: f.T + 1, ny: f.d, x: [0, f.T], y: [1, f.d], xLabel: 'layer t',
        yLabel: 'unit', valueLabel: sym, title: `${name} ${sym} of example ${ex}`,
        scale: { vmin: c.vmin, vmax: c.vmax, log: false, ramp: c.ramp }, format: (x) => fmt(x, 4) });
    };
    panel(this.hs, f.states, 'x_t', 'States (forward)');
    panel(this.hp, f.costates, 'p_t', 'Costates (backward)');
    const data = f.prob.train;
    const y = data.y[ex];
    const inp = Array.from(data.x.slice(ex * data.d, (ex + 1) * data.d)).map((v) => fmt(v, 3)).join(', ');
    const pT = Array.from({ length: f.d }, (_, j) => f.costates[(f.T * f.n + ex) * f.d + j]);
    const p0 = Array.from({ length: f.d }, (_, j) => f.costates[ex * f.d + j]);
    const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    this.text.textContent = `Example ${ex} (input (${inp}), ${data.nClass ? `class ${y}` : `target ${fmt(y, 4)}`}) with ` +
      `${METHOD_LABEL[st.show]}'s controls. The states run forward from the embedded input; the costates start at ` +
      `p_T = −(1/N) ∇Φ(x_T) with N = ${f.n} examples (|p_T| = ${fmt(norm(pT), 3)}) and run backward by ` +
      `p_t = ∇ₓ[p_(t+1) · F_t(x_t)] to |p_0| = ${fmt(norm(p0), 3)}: this is backpropagation, and p_t is minus the ` +
      `gradient of the mean loss with respect to this example's state x_t. Pick another example with the “Example” ` +
      `box or by clicking a point in the flow.`;
  }

  numbers() {
    const f = this.fb;
    if (!f) return null;
    return { figure: 'costates', ex: this.ex, T: f.T, d: f.d, n: f.n, states: Array.from(this.grid(f.states, this.ex)),
      costates: Array.from(this.grid(f.costates, this.ex)), allStates: Array.from(f.states),
      allCostates: Array.from(f.costates) };
  }

  csv(header) {
    const f = this.fb;
    if (!f) return '';
    const lines = [...header, `# example ${this.ex}: its state and costate at every layer`, 'layer,unit,state,costate'];
    for (let t = 0; t <= f.T; t++) {
      for (let j = 0; j < f.d; j++) {
        const q = (t * f.n + this.ex) * f.d + j;
        lines.push(`${t},${j + 1},${f.states[q]},${f.costates[q]}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return joinPNG([this.hs.canvas, this.hp.canvas]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
/** The per-layer Hamiltonians H_t at the shown method's controls, the check dJ/dθ = −∇H, and how training drove
 * every layer toward a stationary point of its Hamiltonian (|∇θ H_t| per layer and iteration). */
export class HamiltonianFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ctl-hamiltonian');
    const row = pair(box);
    this.plot = new Plot(subBox(row), { label: 'Hamiltonian of every layer', aspect: 0.75 });
    this.hm = new Heatmap(subBox(row), { wholeNumbers: true, label: 'norm of the Hamiltonian gradient per layer over training', aspect: 0.75,
      idleText: 'Move over the map to read |∇θ H_t|.' });
    this.text = explainBox(box);
    this.fb = null;
  }

  update(st) {
    this.st = st;
    const same = withRun(this, st, '', async (run, r, key) => {
      const prob = run.prob;
      const fb = await this.engine.pool.call('ctlFwdBwd', [prob.net, r.theta, prob.train], { channel: 'ctl-hamil' });
      if (this.key === key) this.fb = { ...fb, run, r, prob };
    });
    if (same) this.draw();
  }

  draw() {
    const f = this.fb;
    if (!f || !this.st) return;
    const st = this.st;
    const r = f.r;
    const T = f.T;
    const ts = Array.from({ length: T }, (_, t) => t);
    const H = Array.from(f.hamil);
    const lo = Math.min(...H);
    const hi = Math.max(...H);
    const pad = 0.1 * (hi - lo) + 1e-12 * Math.max(1, Math.abs(hi));
    // The legend goes on the side the curve leaves empty at the right (where it sits), with room of its own.
    const late = H.slice(Math.floor(T / 2));
    const rising = late.reduce((a, b) => a + b, 0) / late.length > (lo + hi) / 2;
    const room = 3 * pad;
    this.plot.set({
      title: `H_t = Σ_i p_{t+1}^i · F_t(x_t^i, θ_t) − L(θ_t) (p_T carries the 1/N) · ${METHOD_LABEL[st.show]}`,
      x: { min: -0.5, max: T - 0.5, label: 'layer t' },
      y: { min: lo - pad - (rising ? room : 0), max: hi + pad + (rising ? 0 : room), label: 'H_t' },
      series: [{ type: 'line', xs: ts, ys: H, color: METHOD_COLOR[st.show], width: 1.5 },
        { type: 'points', xs: ts, ys: H, color: METHOD_COLOR[st.show], r: 3.5, label: 'H_t at the final controls' }],
      legendPos: rising ? 'bottom' : 'top',
    });
    // |grad H_t| per layer (rows: layer T-1 at the top) and iteration (columns, thinned to at most 300).
    const n = r.done;
    if (n >= 2 && T >= 2) {
      const stride = Math.max(1, Math.ceil(n / 300));
      const cols = Math.ceil(n / stride);
      const v = new Float32Array(cols * T);
      for (let row = 0; row < T; row++) {
        const t = T - 1 - row;
        for (let c = 0; c < cols; c++) v[row * cols + c] = r.layerHgrad[c * stride * T + t];
      }
      const c = colourGrid(this.engine.dl, v, { scale: 'log', info: { cmap: 'viridis' } });
      this.hm.root.parentElement.hidden = false;
      const unit = gradient(st.show) ? 'iteration' : 'sweep';
      this.hm.set({ values: v, rgba: c.rgba, nx: cols, ny: T, x: [1, 1 + (cols - 1) * stride], y: [0, T - 1],
        xLabel: unit, yLabel: 'layer t', valueLabel: '|∇_θ H_t|', title: `|∇_θ H_t| before each ${unit}: 0 at a stationary point`,
        scale: { vmin: c.vmin, vmax: c.vmax, log: c.log, ramp: c.ramp }, format: (x) => fmt(x, 3) });
    } else this.hm.root.parentElement.hidden = true;
    this.text.textContent = this.words();
  }

  words() {
    const f = this.fb;
    const st = this.st;
    const r = f.r;
    const out = [];
    const rel = f.gradMax > 0 ? f.gradHDiff / f.gradMax : 0;
    out.push(`Check, computed by the core at these controls on the ${f.n} training points: dJ/dθ_t from the costates and ` +
      `−∇θH_t from the layer Hamiltonians differ by at most ${fmt(f.gradHDiff, 2)} (the gradient's largest entry is ` +
      `${fmt(f.gradMax, 3)}${rel > 0 ? `, relative ${fmt(rel, 2)}` : ''}); independently of both, a central finite ` +
      `difference of the loss J agrees with dJ/dθ to ${fmt(f.fdRel, 2)} (relative) at the largest entry of each of ` +
      `${f.fdCount} blocks (${f.fdCount - 1} layers and the read-out). So the gradient is minus the gradient of the layer Hamiltonians.`);
    const n = r.done;
    if (n >= 1) {
      const T = f.T;
      const first = Math.sqrt(Array.from(r.layerHgrad.slice(0, T)).reduce((s, x) => s + x * x, 0));
      const last = r.hgrad[n - 1];
      const unit = gradient(st.show) ? 'iteration' : 'sweep';
      out.push(`Over ${n} ${unit}s ${METHOD_LABEL[st.show]} took √(Σ_t |∇_θ H_t|²) from ${fmt(first, 3)} to ${fmt(last, 3)} ` +
        `(before its last ${unit}); 0 would mean every layer sits at a stationary point of its Hamiltonian, as Pontryagin's principle requires of an optimum.`);
      const gain = Array.from(r.layerGain.slice((n - 1) * T, n * T));
      if (!gradient(st.show)) {
        const gmin = Math.min(...gain);
        const gmax = Math.max(...gain);
        out.push(`In its last sweep L-BFGS raised every layer's ${st.show === 'emsa' ? 'augmented ' : ''}Hamiltonian by ` +
          `${fmt(gmin, 3)} to ${fmt(gmax, 3)} (${r.inner[n - 1]} line searches in all).`);
      } else {
        const up = gain.filter((g) => g > 0).length;
        out.push(`Its last step raised H_t (at the old states and costates) in ${up} of ${T} layers.`);
      }
    }
    return out.join(' ');
  }

  numbers() {
    const f = this.fb;
    if (!f) return null;
    return { figure: 'hamiltonian', hamil: Array.from(f.hamil), gradHDiff: f.gradHDiff, gradMax: f.gradMax, fdRel: f.fdRel,
      fdCount: f.fdCount, loss: f.loss, obj: f.obj, grad: Array.from(f.grad), layerHgradLast: Array.from(
        f.r.layerHgrad.slice(Math.max(0, f.r.done - 1) * f.T, f.r.done * f.T)) };
  }

  csv(header) {
    const f = this.fb;
    if (!f) return '';
    const lines = [...header, `# H_t at the final controls of ${f.run.method}; |grad H_t| before each iteration`,
      `# check: max|dJ/dtheta + grad H| = ${f.gradHDiff}, max|dJ/dtheta| = ${f.gradMax}, finite-difference rel. error ${f.fdRel}`,
      'layer,H_t'];
    f.hamil.forEach((h, t) => lines.push(`${t},${h}`));
    lines.push('iteration,layer,grad_H_norm,gain');
    for (let k = 0; k < f.r.done; k++) {
      for (let t = 0; t < f.T; t++) lines.push(`${k},${t},${f.r.layerHgrad[k * f.T + t]},${f.r.layerGain[k * f.T + t]}`);
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return joinPNG([this.plot.canvas, this.hm.root.parentElement.hidden ? null : this.hm.canvas]);
  }
}

/** Sweeps in which a run's training loss rose, and the highest such rise (the loss after it), from its history. */
export function rises(r) {
  let ups = 0;
  let peak = -Infinity;
  for (let k = 1; k <= r.done; k++) {
    if (r.loss[k] > r.loss[k - 1]) {
      ups++;
      peak = Math.max(peak, r.loss[k]);
    }
  }
  return { ups, peak };
}

// Basic MSA against E-MSA, from their losses: which ended lower, and which rose on the way (Li et al.'s point: the
// basic method's layer-wise maximisation can overshoot; the penalties of E-MSA keep each update small).
function msaVsEmsa(ms, em) {
  const a = em.result;
  const b = ms.result;
  const la = a.diverged ? Infinity : a.loss[a.done];
  const lb = b.diverged ? Infinity : b.loss[b.done];
  const ra = rises(a);
  const rb = rises(b);
  const path = (name, x, r) => (x.diverged ? `${name} diverged` : r.ups ? `${name}'s loss rose in ${r.ups} of ${x.done} sweeps ` +
    `(up to ${fmt(r.peak, 4)})` : `${name}'s loss fell in every one of its ${x.done} sweeps`);
  const both = `${path('basic MSA', b, rb)}; ${path('E-MSA', a, ra)}.`;
  const rho = `ρ = ${fmt(a.info.rho, 3)}`;
  if (la < lb) {
    return `E-MSA (${rho}) ends below basic MSA (${fmt(la, 4)} against ${Number.isFinite(lb) ? fmt(lb, 4) : 'a diverged run'}): ` +
      `${both}${ra.ups < rb.ups ? ' Its penalties keep each layer’s update close to the states and costates it was computed from.' : ''}`;
  }
  if (a.diverged && b.diverged) return `Both diverged: ${both}`;
  const end = (x) => (Number.isFinite(x) ? fmt(x, 4) : 'a diverged run');
  return `Here E-MSA (${rho}) does not beat basic MSA (${end(la)} against ${end(lb)}): ${both}`;
}

// ---------------------------------------------------------------------------------------------------------------
/** Training curves of GD, Adam, MSA and E-MSA from one initialisation: loss against iteration and against time. */
export class CurvesFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ctl-curves');
    const row = pair(box);
    this.pi = new Plot(subBox(row), { label: 'loss against iteration for four methods', aspect: 0.75 });
    this.pt = new Plot(subBox(row), { label: 'loss against time for four methods', aspect: 0.75 });
    this.text = explainBox(box);
    this.runs = null;
    this.unsub = [];
  }

  update(st) {
    this.st = st;
    let runs;
    try {
      runs = METHODS.map((m) => runFor(this.engine, st, m));
    } catch (e) {
      this.key = null;
      showError(this, e);
      return;
    }
    const key = runs.map((r) => `${r.prob.key}|${r.key}`).join('/');
    if (key === this.key) return;
    this.key = key;
    this.errorBox.hidden = true;
    this.unsub.forEach((f) => f());
    this.runs = runs;
    // Every chunk of every run redraws the curves (the training controls pause, step and stop the runs).
    this.unsub = runs.map((r) => r.on(() => {
      if (r.error && this.key === key) showError(this, r.error);
      this.draw();
    }));
    this.draw();
  }

  draw() {
    const runs = this.runs;
    if (!runs) return;
    const done = runs.filter((r) => r.result);
    let ymin = Infinity;
    let ymax = 0;
    let tmax = 1;
    let kmax = 1;
    const si = [];
    const stt = [];
    for (const run of done) {
      const r = run.result;
      const n = r.done;
      const ks = Array.from({ length: n + 1 }, (_, k) => Math.log10(k + 1));
      const lt = Array.from(r.loss.slice(0, n + 1));
      const lv = Array.from(r.testLoss.slice(0, n + 1));
      const ms = Array.from(r.ms.slice(0, n + 1));
      for (const v of [...lt, ...lv]) if (v > 0 && Number.isFinite(v)) { ymin = Math.min(ymin, v); ymax = Math.max(ymax, v); }
      tmax = Math.max(tmax, ms[n]);
      kmax = Math.max(kmax, n + 1);
      const color = METHOD_COLOR[run.method];
      const name = METHOD_LABEL[run.method];
      si.push({ type: 'line', xs: ks, ys: lt, color, width: 2, label: name });
      si.push({ type: 'line', xs: ks, ys: lv, color, width: 1.3, dash: [5, 3] });
      stt.push({ type: 'line', xs: ms, ys: lt, color, width: 2, label: name });
      stt.push({ type: 'line', xs: ms, ys: lv, color, width: 1.3, dash: [5, 3] });
      if (r.diverged) {
        si.push({ type: 'vline', x: Math.log10(r.divergedAt + 1), color, dash: [2, 3], label: `${name} diverged` });
      }
    }
    if (!(ymax > 0)) { ymin = 0.01; ymax = 1; }
    // One legend entry per method at the top, over a decade and a half of headroom so that it covers no curve; what
    // solid and dashed mean in the note at the bottom left, where losses never are.
    const note = 'solid: training set · dashed: test set';
    const y = { min: ymin / 1.5, max: ymax * 30, log: true, label: 'mean loss' };
    this.pi.set({ title: 'Loss against iteration (GD, Adam) or sweep (MSA, E-MSA)',
      x: { min: 0, max: Math.log10(kmax), label: 'log₁₀(iteration + 1)' }, y, series: si, legendPos: 'top', note });
    this.pt.set({ title: 'Loss against time spent in the training step', x: { min: 0, max: tmax * 1.02, label: 'time (ms, in a worker)' },
      y, series: stt, legendPos: 'top', note });
    this.text.textContent = done.length ? this.words() : 'Training…';
  }

  words() {
    const st = this.st;
    const out = [`From the same ${this.runs[0].prob.P} initial controls:`];
    out.push(...this.runs.filter((r) => r.result).map((r) => runVerdict(r).text));
    const em = this.runs.find((r) => r.method === 'emsa' && r.result);
    const ms = this.runs.find((r) => r.method === 'msa' && r.result);
    if (em && ms) out.push(msaVsEmsa(ms, em));
    const best = this.runs.filter((r) => r.result && !r.result.diverged)
      .map((r) => [r, r.result.testLoss[r.result.done]]).filter(([, v]) => Number.isFinite(v))
      .sort((a, b) => a[1] - b[1])[0];
    if (best) out.push(`Lowest test loss: ${METHOD_LABEL[best[0].method]} (${fmt(best[1], 4)}).`);
    out.push(`Per iteration, in this browser: ${this.runs.filter((r) => r.result && r.result.done).map((r) =>
      `${METHOD_LABEL[r.method]} ${fmt(r.result.ms[r.result.done] / r.result.done, 3)} ms`).join(', ')} (${st.iters} iterations of GD and Adam, ${st.sweeps} sweeps of MSA and E-MSA).`);
    return out.join(' ');
  }

  numbers() {
    if (!this.runs) return null;
    return {
      figure: 'curves',
      runs: this.runs.map((run) => {
        const r = run.result;
        return r ? { method: run.method, done: r.done, diverged: r.diverged, divergedAt: r.divergedAt,
          loss: Array.from(r.loss.slice(0, r.done + 1)), testLoss: Array.from(r.testLoss.slice(0, r.done + 1)),
          acc: Array.from(r.acc.slice(0, r.done + 1)), testAcc: Array.from(r.testAcc.slice(0, r.done + 1)), ms: Array.from(r.ms.slice(0, r.done + 1)),
          feasX: Array.from(r.feasX.slice(0, r.done)), feasP: Array.from(r.feasP.slice(0, r.done)),
          info: r.info, theta: Array.from(r.theta) } : { method: run.method, done: 0 };
      }),
    };
  }

  csv(header) {
    if (!this.runs) return '';
    const lines = [...header, '# loss and test loss of the controls after k iterations (sweeps for msa, emsa); ms: time in the training step',
      'method,k,loss,test_loss,accuracy,test_accuracy,ms,feas_x,feas_p,hgrad'];
    for (const run of this.runs) {
      const r = run.result;
      if (!r) continue;
      for (let k = 0; k <= r.done; k++) {
        lines.push([run.method, k, r.loss[k], r.testLoss[k], r.acc[k], r.testAcc[k], r.ms[k],
          k < r.done ? r.feasX[k] : '', k < r.done ? r.feasP[k] : '', k < r.done ? r.hgrad[k] : ''].join(','));
      }
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return joinPNG([this.pi.canvas, this.pt.canvas]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
/** Stability at random initialisation: how a small input perturbation grows over depth in plain, antisymmetric
 * and Hamiltonian residual nets, against χ1 of the signal-propagation demo. */
export class StabilityFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ctl-stability');
    this.plot = new Plot(box, { label: 'growth of a small input perturbation over depth', aspect: 0.5 });
    this.text = explainBox(box);
    this.res = null;
  }

  update(st) {
    this.st = st;
    const key = JSON.stringify([st.data, st.n, st.noise, st.dseed, st.pwidth, st.pdepth, st.delta, st.act, st.gamma,
      st.sw2, st.sb2, st.seed]);
    if (key === this.key) return;
    this.key = key;
    this.errorBox.hidden = true;
    this.work.track((async () => {
      const dl = this.engine.dl;
      const { train } = dl.ctlData({ data: st.data, n: st.n, noise: st.noise, seed: st.dseed });
      const curves = {};
      const theory = {};
      for (const arch of ARCHS) {
        const net = { nIn: train.d, nClass: train.nClass, width: st.pwidth, layers: st.pdepth, delta: st.delta,
          act: st.act, arch, gamma: arch === 'antisym' ? st.gamma : 0 };
        const why = dl.ctlWhy(net);
        if (why) throw new Error(`${ARCH_LABEL[arch]}: ${why}`);
        const th = dl.ctlInitParams(net, { sw2: st.sw2, sb2: st.sb2, seed: st.seed });
        curves[arch] = await this.engine.pool.call('ctlPerturb', [net, th, train, st.seed], { channel: `ctl-perturb-${arch}` });
        theory[arch] = dl.ctlPerturbTheory(net, st.sw2, st.sb2, train);
      }
      let mf = null;
      try {
        mf = dl.point(st.act, st.sw2, st.sb2);
      } catch (e) {
        mf = null; // no fixed point for this activation and variance: the reference line is left out
      }
      if (this.key !== key) return;
      this.res = { curves, theory, mf, L: st.pdepth, st };
      this.draw();
    })()).catch((e) => showError(this, e));
  }

  draw() {
    const f = this.res;
    if (!f) return;
    const st = f.st;
    const ls = Array.from({ length: f.L + 1 }, (_, l) => l);
    const series = [{ type: 'hline', y: 1, color: '#999', dash: [2, 3], label: 'no growth' }];
    let lo = 1;
    let hi = 1;
    for (const arch of ARCHS) {
      const g = Array.from(f.curves[arch]);
      for (const v of g) if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      series.push({ type: 'line', xs: ls, ys: g, color: ARCH_COLOR[arch], width: 2.2, label: ARCH_LABEL[arch] });
      const th = f.theory[arch];
      if (th) {
        for (const v of th) if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        series.push({ type: 'line', xs: ls, ys: Array.from(th), color: ARCH_COLOR[arch], width: 1.3, dash: [2, 3] });
      }
    }
    const chi1 = f.mf && Number.isFinite(f.mf.chi1) ? f.mf.chi1 : NaN;
    if (Number.isFinite(chi1) && chi1 > 0) {
      const ref = ls.map((l) => Math.pow(chi1, l / 2));
      for (const v of ref) if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      series.push({ type: 'line', xs: ls, ys: ref, color: '#555', width: 1.4, dash: [6, 4], label: 'non-residual net: χ1^{l/2}' });
    }
    // What dotted means in a note at the bottom left (the curves start at 1 on the left and grow), and headroom
    // above the curves for the legend of five rows, so that it covers none of them even on a phone.
    const dotted = ARCHS.some((a) => f.theory[a]);
    this.plot.set({
      title: `Growth at initialisation · width ${st.pwidth}, δ = ${st.delta}, σ_w^2 = ${st.sw2}, ${st.act}`,
      x: { min: 0, max: f.L, label: 'layer l' },
      y: { min: lo / 6, max: hi * 120, log: true, label: '|v_l| / |v_0|' },
      series, legendPos: 'top', note: dotted ? 'dotted: mean-field theory' : '',
    });
    const rate = (g) => Math.pow(g[f.L], 1 / f.L);
    const parts = ARCHS.map((a) => `×${fmt(f.curves[a][f.L], 3)} in the ${ARCH_LABEL[a]} net (×${fmt(rate(f.curves[a]), 4)} per layer)`);
    const out = [`Over ${f.L} layers of width ${st.pwidth} (δ = ${st.delta}, σw² = ${st.sw2}, σb² = ${st.sb2}, ${st.act}) an ` +
      `infinitesimal perturbation v_0 of the inputs changes by ${parts.join(', ')}.`];
    if (Number.isFinite(chi1)) {
      out.push(`For comparison, a non-residual ${st.act} net h_l = φ(W h_(l−1) + b) with the same σw² and σb² has ` +
        `χ1 = ${fmt(chi1, 4)} (${f.mf.phase}; the signal-propagation demo), so its perturbations change by √χ1 = ` +
        `×${fmt(Math.sqrt(chi1), 4)} per layer (dashed). A residual step x + δ φ(Wx + b) has the Jacobian I + δ D W, ` +
        'which stays near the identity for small δ.');
    }
    const withTheory = ARCHS.filter((a) => f.theory[a]);
    if (withTheory.length) {
      out.push(`The wide-net mean-field theory (dotted: every residual step multiplies |v|² by 1 + δ²χ1(q_t), χ1 taken ` +
        `at the current variance q_t of the pre-activations) predicts ${withTheory.map((a) => `×${fmt(f.theory[a][f.L], 3)} ` +
        `for the ${ARCH_LABEL[a]} net`).join(' and ')}; so a residual net has no ordered phase: perturbations grow at any σw².`);
    } else {
      out.push('The mean-field theory of the core covers plain and antisymmetric (γ = 0) nets with an odd activation; it does not apply here.');
    }
    const p = f.curves.plain[f.L];
    const a = f.curves.antisym[f.L];
    const h = f.curves.hamiltonian[f.L];
    out.push(a > p ? `Here the antisymmetric net grows more than the plain one: K − Kᵀ − γI has (for γ = 0) imaginary ` +
      'eigenvalues, so the ODE neither grows nor decays, but forward Euler multiplies such a mode by |1 + iδω| = ' +
      `√(1 + δ²ω²) > 1 every step${st.gamma > 0 ? '' : '; a damping γ > 0 or a smaller δ is what makes the discrete net stable'}.`
      : 'Here the antisymmetric net grows less than the plain one.');
    out.push(h < Math.min(p, a) ? 'The leapfrog (Hamiltonian) step, which preserves volume, grows least.'
      : 'The leapfrog (Hamiltonian) step is not the most stable here: it is stable only while δ times the coupling’s frequencies stays below 2.');
    this.text.textContent = out.join(' ');
  }

  numbers() {
    const f = this.res;
    if (!f) return null;
    return { figure: 'stability', L: f.L, growth: Object.fromEntries(ARCHS.map((a) => [a, Array.from(f.curves[a])])),
      theory: Object.fromEntries(ARCHS.map((a) => [a, f.theory[a] ? Array.from(f.theory[a]) : null])),
      chi1: f.mf ? f.mf.chi1 : null };
  }

  csv(header) {
    const f = this.res;
    if (!f) return '';
    const lines = [...header, '# |v_l|/|v_0| of an infinitesimal input perturbation (dyn_ctl_perturb) at random initialisation',
      `# chi1 of the non-residual net: ${f.mf ? f.mf.chi1 : 'n/a'}; *_theory: the mean-field prediction (empty where it does not apply)`,
      `layer,${ARCHS.join(',')},${ARCHS.map((a) => `${a}_theory`).join(',')}`];
    for (let l = 0; l <= f.L; l++) {
      lines.push([l, ...ARCHS.map((a) => f.curves[a][l]), ...ARCHS.map((a) => (f.theory[a] ? f.theory[a][l] : ''))].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.plot.toDataURL();
  }
}


// ---------------------------------------------------------------------------------------------------------------
const LR_SCHEDULES = ['optimal', 'const:1', 'const:0.25', 'inv:1'];
const LR_COLOR = { optimal: '#8a4fbf', 'const:1': '#1f4e9c', 'const:0.25': '#2e8b3a', 'inv:1': '#c0651a' };
// The schedules in words (the core's specs: const:U is u = U; inv:1 is u = 1 until t = 1, then 1/t)
const LR_LABEL = { optimal: 'optimal feedback', 'const:1': 'constant u = 1', 'const:0.25': 'constant u = 0.25', 'inv:1': 'u = min(1, 1/t)' };
const lrLabel = (name) => LR_LABEL[name] || name;

/** The learning rate as a control (Li, Tai and E 2017): SGD on a noisy quadratic, the optimal feedback schedule
 * against constant and 1/t ones, each computed three ways (the SME's moment ODE, SGD's exact moments, Monte Carlo). */
export class LrFigure {
  constructor(engine, el) {
    const box = setupFigure(this, engine, el, 'ctl-lr');
    const row = pair(box);
    this.pl = new Plot(subBox(row), { label: 'expected loss against time for four learning-rate schedules', aspect: 0.75 });
    this.pu = new Plot(subBox(row), { label: 'the learning-rate multiplier of each schedule', aspect: 0.75 });
    this.text = explainBox(box);
    this.res = null;
  }

  update(st) {
    this.st = st;
    const problem = { a: [st.lra], sigma2: st.lrs2, x0: 1, eta: st.lreta, batch: 1 };
    const key = JSON.stringify([problem, st.lrT, st.lrruns, st.seed]);
    if (key === this.key) return;
    this.key = key;
    this.errorBox.hidden = true;
    this.work.track((async () => {
      const r = await this.engine.pool.call('lrcCompare', [problem, LR_SCHEDULES, { T: st.lrT, runs: st.lrruns, seed: st.seed }],
        { channel: 'ctl-lr' });
      if (this.key !== key) return;
      this.res = { ...r, problem, st };
      this.draw();
    })()).catch((e) => { if (this.key === key) showError(this, e); });
  }

  draw() {
    const f = this.res;
    if (!f) return;
    const t = Array.from(f.t);
    const n = t.length;
    const stride = Math.max(1, Math.floor(n / 600));
    const pick = (a) => Array.from({ length: Math.ceil(n / stride) }, (_, i) => a[Math.min(n - 1, i * stride)]);
    const ts = pick(t);
    const sl = [];
    const su = [];
    let lo = Infinity;
    let hi = 0;
    for (const s of f.schedules) {
      const c = LR_COLOR[s.name] || '#444';
      const mcLo = Array.from(s.mc, (m, k) => Math.max(m - 2 * s.se[k], 1e-300));
      const mcHi = Array.from(s.mc, (m, k) => m + 2 * s.se[k]);
      sl.push({ type: 'band', xs: ts, lo: pick(mcLo), hi: pick(mcHi), color: c, alpha: 0.22 });
      sl.push({ type: 'line', xs: ts, ys: pick(s.ode), color: c, width: 2, label: lrLabel(s.name) });
      sl.push({ type: 'line', xs: ts, ys: pick(s.sgd), color: c, width: 1.2, dash: [5, 3] });
      su.push({ type: 'line', xs: ts, ys: pick(s.u), color: c, width: 2, label: lrLabel(s.name) });
      for (const v of [...s.ode, ...s.sgd]) if (v > 0 && Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    }
    const tsw = f.tSwitch[0];
    if (Number.isFinite(tsw)) su.push({ type: 'vline', x: tsw, color: LR_COLOR.optimal, dash: [3, 3], label: 't*: the optimum switches' });
    const T = t[n - 1];
    // The schedules' colours in the legends, over headroom of their own (the curves fall to the right, under them);
    // what solid, dashed and the band mean in the note at the bottom left, which the curves have left by then.
    this.pl.set({ title: `E f(x_t), f = a x²/2, noise σ² · a = ${f.st.lra}, σ² = ${f.st.lrs2}, η = ${f.st.lreta}`,
      x: { min: 0, max: T, label: 'time t = k η' }, y: { min: lo / 20, max: hi * 60, log: true, label: 'expected loss' },
      series: sl, legendPos: 'top', note: 'solid: ODE · dashed: SGD · band: MC' });
    this.pu.set({ title: 'The control: learning-rate multiplier u_t (step η u_t)', x: { min: 0, max: T, label: 'time t = k η' },
      y: { min: 0, max: 2.4, label: 'u_t' }, series: su, legendPos: 'top' });
    this.text.textContent = this.words();
  }

  words() {
    const f = this.res;
    const st = f.st;
    const by = Object.fromEntries(f.schedules.map((s) => [s.name, s]));
    const out = [];
    const o = by.optimal;
    out.push(`SGD x_(k+1) = x_k − η u_k (a x_k + noise) with a = ${st.lra}, noise variance σ² = ${st.lrs2}, η = ${st.lreta}, ` +
      `from x_0 = 1 until T = ${fmt(f.t[f.t.length - 1], 4)} (${f.steps} steps). The multiplier u_k ∈ [0, 1] is the control.`);
    if (Number.isFinite(f.tSwitch[0])) {
      out.push(`The optimal feedback law of the moment ODE (Pontryagin's principle on dm/dt = −2a u m + η u² σ²) takes full ` +
        `steps until t* = ${fmt(f.tSwitch[0], 4)} (dotted), then u = 1/(1 + a (t − t*)): a 1/t schedule.`);
    }
    const rows = f.schedules.map((s) => `${lrLabel(s.name)}: ${fmt(s.lossTSgd, 3)} (ODE ${fmt(s.lossTOde, 3)}, Monte Carlo ` +
      `${fmt(s.lossTMc, 3)} ± ${fmt(s.lossTMcSe, 2)})`);
    out.push(`Expected final loss, SGD's exact moments: ${rows.join('; ')}. Lowest: ${lrLabel(f.best)}` +
      `${o && f.best === 'optimal' ? `, ${fmt(Math.min(...f.schedules.filter((s) => s.name !== 'optimal').map((s) => s.lossTSgd)) / o.lossTSgd, 3)} times below the best other schedule` : ''}.`);
    const z = Math.max(...f.schedules.map((s) => s.maxAbsZ));
    const gap = Math.max(...f.schedules.map((s) => s.smeRelGap));
    out.push(`Solid: the SME's moment ODE; dashed: SGD's exact moments; band (MC): the Monte Carlo mean ± 2 standard errors over ${st.lrruns} runs. ` +
      `The three computations agree: the Monte Carlo mean stays within ${fmt(z, 3)} standard errors of SGD's exact ` +
      `moments at every step, and the SME's moment ODE is within ${fmt(100 * gap, 3)} % of them (its error is O(η)).`);
    return out.join(' ');
  }

  numbers() {
    const f = this.res;
    if (!f) return null;
    return { figure: 'lr', steps: f.steps, tSwitch: f.tSwitch, best: f.best, lossOptimalClosed: f.lossOptimalClosed,
      schedules: f.schedules.map((s) => ({ name: s.name, lossTOde: s.lossTOde, lossTSgd: s.lossTSgd, lossTMc: s.lossTMc,
        lossTMcSe: s.lossTMcSe, maxAbsZ: s.maxAbsZ, smeRelGap: s.smeRelGap })) };
  }

  csv(header) {
    const f = this.res;
    if (!f) return '';
    const names = f.schedules.map((s) => s.name);
    const lines = [...header, '# E f(x_t) by the SME moment ODE, SGD\'s exact moments and Monte Carlo (mean, standard error), and u_t',
      ['t', ...names.flatMap((nm) => [`${nm}_ode`, `${nm}_sgd`, `${nm}_mc`, `${nm}_mc_se`, `${nm}_u`])].join(',')];
    for (let k = 0; k < f.t.length; k++) {
      lines.push([f.t[k], ...f.schedules.flatMap((s) => [s.ode[k], s.sgd[k], s.mc[k], s.se[k], s.u[k]])].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return joinPNG([this.pl.canvas, this.pu.canvas]);
  }
}

export const FIGURE_CLASSES = {
  flow: FlowFigure,
  curves: CurvesFigure,
  costates: CostatesFigure,
  hamiltonian: HamiltonianFigure,
  stability: StabilityFigure,
  lr: LrFigure,
};

