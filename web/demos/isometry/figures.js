// figures.js - the dynamical-isometry figures: the Jacobian spectrum (sampled histograms of log10 λ/χ1^L for
// Gaussian and orthogonal weights with the free-probability densities over them) and gradients over depth.
import { fmt, richHTML } from '../../draw.js';
import { isCancelled } from '../../engine.js';
import { colourGrid, explainBox, joinPNG, legendHTML, linspace, plotAspect, setupFigure, showError } from '../../figure.js';
import { term } from '../../glossary.js';
import { Heatmap } from '../../heatmap.js';
import { Plot } from '../../plot.js';

const COLOURS = { gaussian: '#d1495b', orthogonal: '#1f4e9c' };
const WEIGHTS = ['gaussian', 'orthogonal'];
const BINS = 40;
const POINTS = 60;

const plotOpts = (label) => ({ label, idleText: 'computing…', ...plotAspect(0.62) });

const net = (st, weights) => ({ act: st.act, weights, sw2: st.sw2, sb2: st.sb2, depth: st.depth });

// A histogram of u = log10(x) as a step line, normalised by all n values (so that it integrates to the continuous
// part's mass), against rho(x) x ln 10: the same construction as `dynlens isometry spectrum --png`.
// Values left of lo (the axis stops at 1e-12) are counted in `below`, not piled into the first bin.
function histogram(lnX, lo, hi) {
  const bw = (hi - lo) / BINS;
  const counts = new Array(BINS).fill(0);
  let below = 0;
  for (const v of lnX) {
    const u = v / Math.LN10;
    if (!Number.isFinite(u)) continue;
    if (u < lo) {
      below++;
      continue;
    }
    counts[Math.min(BINS - 1, Math.floor((u - lo) / bw))]++;
  }
  const xs = [];
  const ys = [];
  counts.forEach((c, b) => {
    const h = c / (lnX.length * bw);
    xs.push(lo + b * bw, lo + (b + 1) * bw);
    ys.push(h, h);
  });
  return { xs, ys, below };
}

export class SpectrumFigure {
  constructor(engine, el) {
    this.id = `spectrum${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'spectrum');
    this.plot = new Plot(box, plotOpts('histogram of squared singular values with the theoretical density'));
    this.sayEl = explainBox(box);
    this.key = '';
    this.res = null;
  }

  update(st) {
    const key = JSON.stringify([st.act, st.sw2, st.sb2, st.depth, st.width, st.nets, st.seed]);
    if (key === this.key) return;
    this.key = key;
    this.errorBox.hidden = true;
    const pool = this.engine.pool;
    const ch = { channel: `${this.id}:spectrum` };
    this.work.track((async () => {
      const out = {};
      for (const w of WEIGHTS) {
        const theory = await pool.call('isoTheory', [net(st, w)], ch);
        const sp = await pool.call('isoSpectrum', [{ ...net(st, w), width: st.width, nets: st.nets, seed: st.seed }], ch);
        out[w] = { theory, sp };
      }
      const fin = WEIGHTS.flatMap((w) => Array.from(out[w].sp.lnX).filter(Number.isFinite).map((v) => v / Math.LN10));
      let lo = Math.max(Math.min(...fin), -12);
      const hi = Math.max(...fin) + 0.1;
      if (!(lo < hi)) lo = hi - 2;
      const ux = linspace(lo, hi, POINTS);
      for (const w of WEIGHTS) {
        const rho = await pool.call('isoDensity', [{ ...net(st, w), x: ux.map((u) => 10 ** u) }], ch);
        out[w].ux = ux;
        out[w].density = Array.from(rho, (v, i) => v * 10 ** ux[i] * Math.LN10);
        out[w].hist = histogram(out[w].sp.lnX, lo, hi);
      }
      this.res = { st, lo, hi, ...out };
      this.draw();
    })()).catch((e) => showError(this, e));
  }

  draw() {
    const r = this.res;
    if (!r) return;
    const series = [];
    for (const w of WEIGHTS) {
      series.push({ type: 'line', xs: r[w].hist.xs, ys: r[w].hist.ys, color: COLOURS[w], width: 1, alpha: 0.55,
        label: `${w}: ${r.st.nets} net${r.st.nets > 1 ? 's' : ''}, N = ${r.st.width}` });
      series.push({ type: 'line', xs: r[w].ux, ys: r[w].density.map((v) => (Number.isFinite(v) ? v : NaN)),
        color: COLOURS[w], width: 2.4, label: `${w}: theory (N → ∞)` });
    }
    const g = r.gaussian.theory;
    // headroom for the four-row legend at the top right, over the orthogonal peak
    const top = Math.max(...series.flatMap((x) => x.ys).filter(Number.isFinite), 1e-9) * 1.4;
    this.plot.set({
      title: `log10(λ / χ_1^L), L = ${r.st.depth}, σ_w^2 = ${fmt(g.sw2, 4)}, χ_1 = ${fmt(g.chi1, 4)}`,
      x: { min: r.lo, max: r.hi, label: 'log10(λ / χ_1^L)' },
      y: { min: 0, max: top, label: 'density per unit log10 λ' },
      series,
      legendPos: 'top', // var/mean² of each kind is in the sentence under the plot (a note would not fit a phone)
    });
    this.sayEl.innerHTML = this.say();
  }

  /** From the drawn samples: how many decades the middle 90 % of λ spans per weight kind, zeros, and the spread. */
  say() {
    const r = this.res;
    const part = (w) => {
      const ln = Array.from(r[w].sp.lnX);
      const fin = ln.filter(Number.isFinite).sort((a, b) => a - b);
      const q = (p) => fin[Math.min(fin.length - 1, Math.max(0, Math.round(p * (fin.length - 1))))];
      const zeros = ln.length - fin.length;
      return { dec: fin.length ? (q(0.95) - q(0.05)) / Math.LN10 : NaN, zeros, n: ln.length, rv: r[w].sp.rel_var,
        th: r[w].theory.rel_var, below: r[w].hist.below };
    };
    const g = part('gaussian');
    const o = part('orthogonal');
    const rv = term('relvar', 'var/mean²');
    const EQUAL = 1e-9; // a spread below this is rounding: every λ the same (an orthogonal linear net)
    const one = (name, x) => (x.rv < EQUAL && x.dec < EQUAL
      ? `${name} weights: every ${term('lambda', 'λ')} is the same to rounding (${rv} = ${fmt(x.rv, 2)}, theory ${fmt(x.th, 3)})`
      : `${name} weights: the middle 90 % of the nonzero ${term('lambda', 'λ')} spans ` +
      `${fmt(x.dec, 2)} decade${x.dec === 1 ? '' : 's'}, ${rv} = ${fmt(x.rv, 3)} (theory ${fmt(x.th, 3)})`) +
      (x.zeros ? `; ${fmt((100 * x.zeros) / x.n, 2)} % of them are 0 in double precision` : '') +
      (x.below ? `; ${fmt((100 * x.below) / x.n, 2)} % lie below ${richHTML(`10^{${fmt(r.lo, 3)}}`)}, left of the plot` : '');
    const ratio = g.rv / o.rv;
    const cmp = !(Number.isFinite(ratio) && o.rv > EQUAL) ? '' : ratio > 1.2
      ? ` At this depth the orthogonal spectrum is ${fmt(ratio, 2)} times narrower in ${rv}.`
      : ratio < 1 / 1.2 ? ` Here the Gaussian spectrum is the narrower one, by ${fmt(1 / ratio, 2)} times.`
        : ' Both spectra are about as wide here.';
    return `${one('Gaussian', g)}; ${one('orthogonal', o)}.${cmp}`;
  }

  numbers() {
    const r = this.res;
    if (!r) return null;
    const o = { figure: 'spectrum', lo: r.lo, hi: r.hi };
    for (const w of WEIGHTS) {
      const { lnX, ...summary } = r[w].sp;
      o[w] = { theory: r[w].theory, summary, ux: r[w].ux, density: r[w].density, n: lnX.length };
    }
    return o;
  }

  csv(header) {
    const r = this.res;
    if (!r) return '';
    const lines = [...header, '# density per unit log10 x of x = lambda / chi1^L: theory (N -> infinity)',
      'log10_x,density_gaussian,density_orthogonal'];
    r.gaussian.ux.forEach((u, i) => lines.push([u, r.gaussian.density[i], r.orthogonal.density[i]].join(',')));
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.plot.toDataURL();
  }
}

export class GradientsFigure {
  constructor(engine, el) {
    this.id = `gradients${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'gradients');
    this.plot = new Plot(box, plotOpts('gradient norm against layer with the mean-field prediction'));
    this.sayEl = explainBox(box);
    this.key = '';
    this.res = null;
  }

  update(st) {
    const key = JSON.stringify([st.act, st.sw2, st.sb2, st.depth, st.width, st.nets, st.seed]);
    if (key === this.key) return;
    this.key = key;
    this.errorBox.hidden = true;
    const pool = this.engine.pool;
    const ch = { channel: `${this.id}:gradients` };
    const nets = Math.max(2, st.nets);
    this.work.track((async () => {
      const out = {};
      for (const w of WEIGHTS) {
        const theory = await pool.call('isoTheory', [net(st, w)], ch);
        const r = await pool.call('isoGradients', [{ ...net(st, w), width: st.width, nets, seed: st.seed }], ch);
        const L = st.depth;
        const mean = [];
        const se = [];
        for (let l = 1; l <= L; l++) {
          let s = 0;
          for (let k = 0; k < nets; k++) s += r[k * (L + 1) + l];
          const m = s / nets;
          let v = 0;
          for (let k = 0; k < nets; k++) v += (r[k * (L + 1) + l] - m) ** 2;
          mean.push(m);
          se.push(Math.sqrt(v / (nets * (nets - 1))));
        }
        out[w] = { theory, mean, se, chiL: linspace(1, L, L).map((l) => theory.chi1 ** (L - l)) };
      }
      this.res = { st, nets, ...out };
      this.draw();
    })()).catch((e) => showError(this, e));
  }

  draw() {
    const r = this.res;
    if (!r) return;
    const L = r.st.depth;
    const ls = linspace(1, L, L);
    const series = [];
    for (const w of WEIGHTS) {
      const d = r[w];
      series.push({ type: 'band', xs: ls, lo: d.mean.map((m, i) => Math.max(m - 2 * d.se[i], m / 100)),
        hi: d.mean.map((m, i) => m + 2 * d.se[i]), color: COLOURS[w], alpha: 0.18 });
      series.push({ type: 'line', xs: ls, ys: d.mean, color: COLOURS[w], width: 1.6,
        label: `${w}: ${r.nets} nets (± 2 s.e.)` });
    }
    series.push({ type: 'line', xs: ls, ys: r.gaussian.chiL, color: '#222', width: 1.6, dash: [6, 4],
      label: `χ_1^{L−l}, χ_1 = ${fmt(r.gaussian.theory.chi1, 4)}` });
    const all = WEIGHTS.flatMap((w) => r[w].mean).concat(r.gaussian.chiL).filter((v) => v > 0 && Number.isFinite(v));
    this.plot.set({
      title: `|∂L/∂h^l|^2 / |∂L/∂h^L|^2, N = ${r.st.width}`,
      x: { min: 1, max: Math.max(2, L), label: 'layer l' },
      y: { min: Math.min(...all) / 2, max: Math.max(...all) * 2, log: true, label: 'gradient norm² ratio' },
      series,
      legendPos: 'top',
    });
    this.sayEl.innerHTML = this.say();
  }

  /** From the drawn means: the factor by which the squared gradient changes from layer L back to layer 1. */
  say() {
    const r = this.res;
    const L = r.st.depth;
    if (L < 2) return 'With one layer there is nothing to backpropagate through.';
    const word = (f) => (f > 10 ? 'grows' : f < 0.1 ? 'vanishes' : 'stays within a factor 10');
    const g = r.gaussian.mean[0];
    const o = r.orthogonal.mean[0];
    const p = r.gaussian.chiL[0];
    return `From layer ${L} back to layer 1 the squared gradient changes by a factor ${fmt(g, 3)} with Gaussian and ` +
      `${fmt(o, 3)} with orthogonal weights (mean of ${r.nets} networks; Gaussian: ${word(g)}, orthogonal: ${word(o)}). ` +
      `Mean-field theory predicts ${term('chi1', 'χ_1')}<sup>${L - 1}</sup> = ${fmt(p, 3)} ` +
      `(${term('chi1', 'χ_1')} = ${fmt(r.gaussian.theory.chi1, 4)}) for infinitely wide networks.`;
  }

  numbers() {
    const r = this.res;
    if (!r) return null;
    return { figure: 'gradients', depth: r.st.depth, nets: r.nets, gaussian: { mean: r.gaussian.mean, se: r.gaussian.se },
      orthogonal: { mean: r.orthogonal.mean, se: r.orthogonal.se }, theory: r.gaussian.chiL, chi1: r.gaussian.theory.chi1 };
  }

  csv(header) {
    const r = this.res;
    if (!r) return '';
    const lines = [...header, 'layer,ratio_gaussian,se_gaussian,ratio_orthogonal,se_orthogonal,chi1_pow_L_minus_l'];
    r.gaussian.mean.forEach((m, i) => lines.push([i + 1, m, r.gaussian.se[i], r.orthogonal.mean[i], r.orthogonal.se[i],
      r.gaussian.chiL[i]].join(',')));
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.plot.toDataURL();
  }
}


// ---------------------------------------------------------------------------------------------- trainability
// The review's trainability figure (Schoenholz et al. 2017, Fig. 5; Pennington et al. 2017): a net of each depth
// (rows) at each σw² (columns) trained with SGD on the digits set, its training accuracy per cell; Gaussian and
// orthogonal initialisation side by side, with ξ_c, 2 ξ_c and 6 ξ_c from the mean-field module over both. Every
// cell is one call of isoCell in a worker (dyn_iso_cell: the cell `dynlens trainability grid` computes, with the
// same (seed, cell) streams), coarse cells first; cells not yet computed show their nearest computed neighbour,
// faded.

export const TRAIN_DATA_URL = new URL('../../assets/digits/digits.csv.gz', import.meta.url);
const ASSUMED_FLOPS = 0.8e9; // per worker, WebAssembly, until the first cells give a measured rate
const AUTO_SECONDS = 40; // start by itself below this estimate; ask (a Start button) up to the refusal limit
const REFUSE_SECONDS = 900;
export const TRAINED = 0.5; // "trained": at least this training accuracy (chance is 0.1 on ten digits)
const LINE_STYLE = [
  { k: 1, color: '#ffffff', dash: [], label: 'ξ_c' },
  { k: 2, color: '#ffffff', dash: [7, 5], label: '2 ξ_c' },
  { k: 6, color: '#ff8c00', dash: [7, 5], label: '6 ξ_c' },
];

let dataPromise = null;
function trainingData(dl) {
  if (!dataPromise) {
    dataPromise = fetch(TRAIN_DATA_URL).then((r) => {
      if (!r.ok) throw new Error(`could not load the digits data (${TRAIN_DATA_URL}): HTTP ${r.status}`);
      return r.arrayBuffer();
    }).then((b) => dl.isoData(new Uint8Array(b)));
    dataPromise.catch(() => { dataPromise = null; });
  }
  return dataPromise;
}

/** The grid of a state, as `dynlens trainability grid` lays it out: row 0 (top) the deepest nets. */
export function trainGrid(st) {
  const [d0, d1] = st.tdepth.map((v) => Math.round(v));
  const ny = st.tny;
  const nx = st.tnx;
  const depths = Array.from({ length: ny }, (_, r) => {
    const i = ny - 1 - r;
    return ny > 1 ? Math.round(d0 + ((d1 - d0) * i) / (ny - 1)) : d0;
  });
  const sw2s = Array.from({ length: nx }, (_, c) => (nx > 1 ? st.tsw2[0] + ((st.tsw2[1] - st.tsw2[0]) * c) / (nx - 1) : st.tsw2[0]));
  return { d0, d1, nx, ny, depths, sw2s };
}

// coarse first: cells on every 4th row and column, then every 2nd, then the rest (row-major within a level)
function fillOrder(nx, ny) {
  const level = (i, j) => ((i % 4 === 0 && j % 4 === 0) ? 0 : (i % 2 === 0 && j % 2 === 0) ? 1 : 2);
  const cells = Array.from({ length: nx * ny }, (_, c) => c);
  return cells.sort((a, b) => level(Math.floor(a / nx), a % nx) - level(Math.floor(b / nx), b % nx) || a - b);
}

export class TrainFigure {
  constructor(engine, el, opts = {}) {
    this.id = `train${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'train');
    this.onSelect = opts.onSelect;
    box.innerHTML = `<div class="iso-train-bar"><span class="iso-train-cost"></span>
      <button type="button" class="iso-train-start">Start</button><button type="button" class="iso-train-stop">Stop</button></div>
      <div class="iso-train-pair"><div class="iso-train-g"></div><div class="iso-train-o"></div></div>
      <ul class="fig-legend iso-train-legend"></ul><p class="iso-train-say explain"></p>`;
    const q = (c) => box.querySelector(`.iso-train-${c}`);
    this.el = { cost: q('cost'), start: q('start'), stop: q('stop'), legend: q('legend'), say: q('say') };
    const mk = (host, w) => new Heatmap(host, {
      label: `training accuracy over depth and σw², ${w} initialisation`, aspect: 0.9, maxHeight: () => 460,
      idleText: 'Move over the map to read a cell; click to look at that network above.',
      onSelect: ({ x, y }) => this.select(x, y),
    });
    this.hm = { gaussian: mk(q('g'), 'Gaussian'), orthogonal: mk(q('o'), 'orthogonal') };
    this.el.start.addEventListener('click', () => this.start(true));
    this.el.stop.addEventListener('click', () => this.stop('stopped'));
    this.key = '';
    this.res = null;
    this.running = false;
  }

  select(x, y) {
    if (!this.res || !this.onSelect) return;
    const g = this.res.grid;
    const near = (arr, v) => arr.reduce((b, a) => (Math.abs(a - v) < Math.abs(b - v) ? a : b), arr[0]);
    this.onSelect({ sw2: Number(near(g.sw2s, x).toPrecision(6)), depth: Math.min(200, near(g.depths, y)) });
  }

  update(st) {
    this.st = st;
    const key = JSON.stringify([st.act, st.sb2, st.seed, st.tdepth, st.tsw2, st.tny, st.tnx, st.twidth, st.tsteps,
      st.tlr]);
    if (key === this.key) {
      this.drawAll();
      return;
    }
    this.key = key;
    this.errorBox.hidden = true;
    this.stop(null);
    this.work.track(this.prepare(st)).catch((e) => showError(this, e));
  }

  settings(st) {
    return { act: st.act, sb2: st.sb2, width: st.twidth, steps: st.tsteps, batch: 32, lr: st.tlr, seed: st.seed };
  }

  async prepare(st) {
    const dl = this.engine.dl;
    const data = await trainingData(dl);
    await this.engine.pool.ready; // the estimate counts the workers
    if (st !== this.st) return;
    const grid = trainGrid(st);
    const set = this.settings(st);
    const shape = { n: data.n, d: data.d, nClass: data.nClass };
    let flops = 0;
    for (const depth of grid.depths) flops += 2 * grid.nx * dl.isoCellWork({ ...set, ...shape, depth });
    // ξ_c over σw² from the mean-field module's grid (its tables: within 1e-7 of the point solver, in 2 ms, where 240
    // point solves held the page for 1-2 s); infinite on the critical line: kept finite above the plot's top
    const xs = linspace(grid.sw2s[0], grid.sw2s[grid.nx - 1], 240);
    let xi;
    try {
      const line = dl.grid({ act: st.act, field: 'xi_c', sw2: [xs[0], xs[xs.length - 1]], sb2: [st.sb2, st.sb2],
        nx: xs.length, ny: 1 });
      xi = Array.from(line, (v) => (Number.isFinite(v) ? v : NaN));
    } catch (e) {
      xi = xs.map(() => NaN);
    }
    const cap = 10 * grid.d1;
    const lines = LINE_STYLE.map((s) => ({ ...s, xs, ys: xi.map((v) => Math.min(cap, s.k * v)) }));
    let crit = NaN;
    try { crit = dl.isoTheory({ act: st.act, sw2: 0, sb2: st.sb2, depth: 1 }).sw2; } catch (e) { /* no critical point */ }
    const acc = { gaussian: new Float64Array(grid.nx * grid.ny).fill(NaN),
      orthogonal: new Float64Array(grid.nx * grid.ny).fill(NaN) };
    this.res = { st, set, grid, data, shape, flops, lines, crit, acc, done: 0, ms: 0, state: 'ready', workers: 0 };
    this.drawAll();
    const sec = this.estimate();
    if (sec <= AUTO_SECONDS) await this.start(false);
    else this.describe();
  }

  estimate() {
    const r = this.res;
    const size = Math.max(1, this.engine.pool.size || 1);
    const rate = r.rate || ASSUMED_FLOPS * size;
    return r.flops / rate;
  }

  describe() {
    const r = this.res;
    if (!r) return;
    const sec = this.estimate();
    const n = 2 * r.grid.nx * r.grid.ny;
    const cost = `${n} training runs, ${fmt(r.flops / 1e9, 3)} GFLOP: about ${fmt(Math.max(1, sec), 2)} s with ` +
      `${this.engine.pool.size} worker${this.engine.pool.size > 1 ? 's' : ''}`;
    let msg;
    if (r.state === 'running') msg = `Training… ${r.done}/${n} cells (${cost}).`;
    else if (r.state === 'done') msg = `${n} cells in ${fmt(r.ms / 1000, 3)} s: ${fmt(r.cps, 3)} cells/s, ` +
      `${fmt(r.flops / r.ms / 1e6, 3)} GFLOP/s (${r.workers} worker${r.workers > 1 ? 's' : ''}).`;
    else if (r.state === 'stopped') msg = `Stopped at ${r.done}/${n} cells. ${cost}.`;
    else if (sec > REFUSE_SECONDS) msg = `${cost}: too long for the page (limit ${REFUSE_SECONDS / 60} min). Use fewer ` +
      'cells, steps or a smaller width here, or the CLI (`dynlens trainability grid`, every core; --shard for a cluster).';
    else msg = `${cost}. Press Start to run it.`;
    this.el.cost.textContent = msg;
    this.el.start.hidden = r.state === 'running' || r.state === 'done';
    this.el.start.disabled = sec > REFUSE_SECONDS;
    this.el.stop.hidden = r.state !== 'running';
  }

  stop(why) {
    if (this.running) this.engine.pool.open(`${this.id}:train`); // cancels every queued cell of this run
    this.running = false;
    if (why && this.res && this.res.state === 'running') {
      this.res.state = why;
      this.describe();
    }
  }

  async start(user) {
    const r = this.res;
    if (!r || this.running || r.state === 'done') return;
    if (this.estimate() > REFUSE_SECONDS) return;
    const pool = this.engine.pool;
    await pool.ready;
    if (r !== this.res) return;
    const ch = `${this.id}:train`;
    const g = pool.open(ch);
    this.running = true;
    r.state = 'running';
    r.workers = pool.size;
    this.describe();
    const order = fillOrder(r.grid.nx, r.grid.ny);
    const jobs = [];
    for (const c of order) for (const w of ['gaussian', 'orthogonal']) if (!(r.acc[w][c] >= 0)) jobs.push([w, c]);
    const t0 = performance.now() - r.ms;
    let next = 0;
    const run = async () => {
      while (next < jobs.length && this.running && r === this.res) {
        const [w, c] = jobs[next++];
        const depth = r.grid.depths[Math.floor(c / r.grid.nx)];
        const sw2 = r.grid.sw2s[c % r.grid.nx];
        const a = await pool.task('isoCell', [{ ...r.set, weights: w, x: r.data.x, y: r.data.y, ...r.shape, depth, sw2,
          cell: c }], ch, g, 2, true);
        if (r !== this.res || !pool.current(ch, g)) return;
        r.acc[w][c] = a;
        r.done++;
        r.ms = performance.now() - t0;
        this.drawAll();
        this.describe();
      }
    };
    const track = (async () => {
      try {
        // one feeder per worker keeps every worker busy while the queue holds only a cell or so per worker, so
        // the other figures' calls (and Stop) never wait behind the whole grid
        await Promise.all(Array.from({ length: Math.max(1, pool.size) }, run));
      } catch (e) {
        if (!isCancelled(e)) throw e;
      }
      if (r === this.res && this.running) {
        this.running = false;
        r.state = 'done';
        r.cps = r.done / (r.ms / 1000);
        r.rate = r.flops / (r.ms / 1000);
        this.describe();
        this.drawAll();
      }
    })();
    if (user) this.work.track(track).catch((e) => showError(this, e));
    else await track;
  }

  // what the grid shows: accuracy of computed cells; pending ones take their nearest computed cell's colour, faded
  drawAll() {
    const r = this.res;
    if (!r) return;
    const { nx, ny, d0, d1, sw2s } = r.grid;
    const dl = this.engine.dl;
    const lo = 1 / r.data.nClass;
    for (const w of ['gaussian', 'orthogonal']) {
      const acc = r.acc[w];
      const shown = new Float32Array(nx * ny);
      const pending = [];
      for (let c = 0; c < nx * ny; c++) {
        if (acc[c] >= 0) { shown[c] = acc[c]; continue; }
        pending.push(c);
        let best = -1;
        let bd = Infinity;
        for (let k = 0; k < nx * ny; k++) {
          if (!(acc[k] >= 0)) continue;
          const dd = (Math.floor(k / nx) - Math.floor(c / nx)) ** 2 + ((k % nx) - (c % nx)) ** 2;
          if (dd < bd) { bd = dd; best = k; }
        }
        shown[c] = best >= 0 ? acc[best] : NaN;
      }
      const col = colourGrid(dl, shown, { scale: 'linear', cmap: 'viridis', vr: [0, 1] });
      for (const c of pending) {
        for (let k = 0; k < 3; k++) {
          const v = Number.isFinite(shown[c]) ? col.rgba[4 * c + k] : 200;
          col.rgba[4 * c + k] = Math.round(0.45 * v + 0.55 * 235);
        }
        col.rgba[4 * c + 3] = 255;
      }
      const values = Float32Array.from(acc);
      const name = w === 'gaussian' ? 'Gaussian' : 'orthogonal';
      this.hm[w].set({
        values, rgba: col.rgba, nx, ny, x: [sw2s[0], sw2s[nx - 1]], y: [d0, d1],
        xLabel: 'σ_w^2', yLabel: 'depth L', valueLabel: 'accuracy',
        title: `${name} init: training accuracy (${r.done >= 2 * nx * ny ? 'all' : acc.filter((v) => v >= 0).length} of ${nx * ny})`,
        scale: { vmin: 0, vmax: 1, log: false, ramp: col.ramp },
        overlays: r.lines.map((l) => ({ xs: l.xs, ys: l.ys, color: l.color, dash: l.dash, width: 2,
          halo: 'rgba(0,0,0,0.35)' })),
        format: (v) => (Number.isFinite(v) ? `${fmt(100 * v, 3)} % (chance ${fmt(100 * lo, 2)} %)` : 'not computed yet'),
      });
      const sw = this.st && this.st.sw2 > 0 ? this.st.sw2 : r.crit;
      const dep = this.st ? this.st.depth : NaN;
      this.hm[w].setMarker(Number.isFinite(sw) && Number.isFinite(dep) ? { x: sw, y: dep } : null); // outside: an edge arrow
    }
    this.legend();
    this.say();
  }

  legend() {
    const r = this.res;
    const lines = r.lines.map((l) => ({ mark: 'line', color: l.color, dash: l.dash, bg: '#3b528b',
      label: richHTML(`${l.label}${l.k === 1 ? ': the depth scale of correlations from mean-field theory, −1/ln χ_c' : l.k === 6 ?
        ': about the deepest trainable net (Schoenholz et al. 2017)' : ''}`) }));
    this.el.legend.innerHTML = legendHTML([
      { mark: 'gradient', stops: ['#440154', '#21918c', '#fde725'], label: `cell colour: training accuracy after ` +
        `${r.set.steps} SGD steps (lr ${r.set.lr}, batch ${r.set.batch}) of a width-${r.set.width} ${richHTML(r.set.act)} net ` +
        `on the ${r.data.n} 8×8 digits (assets/digits, UCI; CC BY 4.0), ${richHTML(`σ_b^2 = ${r.set.sb2}`)}; chance is ` +
        `${fmt(100 / r.data.nClass, 2)} %` },
      { mark: 'swatch', color: '#d4e3dc', label: 'faded: not computed yet (shows its nearest computed cell)' },
      ...lines,
      { mark: 'ring', label: richHTML('the network selected above (σ_w^2, depth L); click a cell to select it; an arrow on ' +
        'the edge when it lies outside the grid') },
    ], this.id);
  }

  // the sentence under the maps, from the numbers on them
  say() {
    const r = this.res;
    const { nx, ny, depths, sw2s } = r.grid;
    const part = (w) => {
      const acc = r.acc[w];
      let best = null;
      for (let c = 0; c < nx * ny; c++) {
        if (!(acc[c] >= TRAINED)) continue;
        const d = depths[Math.floor(c / nx)];
        if (!best || d > best.d || (d === best.d && acc[c] > best.a)) best = { d, a: acc[c], s: sw2s[c % nx] };
      }
      return best;
    };
    const all = r.done >= 2 * nx * ny;
    const res = { gaussian: part('gaussian'), orthogonal: part('orthogonal') };
    const txt = (w, b) => (b ? `${w}: L = ${b.d} (at σ_w^2 = ${fmt(b.s, 3)}, ${fmt(100 * b.a, 3)} %)`
      : `${w}: none of the computed cells`);
    let s = `${all ? '' : `So far (${r.done}/${2 * nx * ny} cells): `}${all ? 'D' : 'd'}eepest net that trained (≥ ${100 * TRAINED} % training ` +
      `accuracy) with ${txt('Gaussian', res.gaussian)}; ${txt('orthogonal', res.orthogonal)}.`;
    // the theory's claim, cell by cell: nets shallower than 6 ξ_c train, deeper ones do not
    if (!r.xi6) {
      r.xi6 = sw2s.map((v) => {
        try { return 6 * this.engine.dl.point(r.set.act, v, r.set.sb2).xi_c; } catch (e) { return NaN; } // Infinity: critical
      });
    }
    const share = (w, below) => {
      let n = 0;
      let k = 0;
      r.acc[w].forEach((a, c) => {
        const x6 = r.xi6[c % nx];
        if (!(a >= 0) || Number.isNaN(x6) || (depths[Math.floor(c / nx)] < x6) !== below) return;
        n++;
        if (a >= TRAINED) k++;
      });
      return { n, k };
    };
    const pct = (x) => (x.n ? `${Math.round((100 * x.k) / x.n)} %` : '—');
    const inG = share('gaussian', true);
    const inO = share('orthogonal', true);
    const outG = share('gaussian', false);
    const outO = share('orthogonal', false);
    s += ` Below 6 ξ_c, ${pct(inG)} of the Gaussian and ${pct(inO)} of the orthogonal cells trained` +
      (outG.n ? `; above it, ${pct(outG)} and ${pct(outO)} (${outG.n} cells each).` : '; no cell lies above 6 ξ_c.');
    if (Number.isFinite(r.crit)) s += ` The critical line (χ_1 = 1) is at σ_w^2 = ${fmt(r.crit, 4)}.`;
    r.shares = { below: { gaussian: inG, orthogonal: inO }, above: { gaussian: outG, orthogonal: outO } };
    this.el.say.innerHTML = richHTML(s);
    this.summary = res;
  }

  numbers() {
    const r = this.res;
    if (!r) return null;
    return { figure: 'train', settings: { ...r.set, depth: [r.grid.d0, r.grid.d1], ny: r.grid.ny, sw2: [r.grid.sw2s[0],
      r.grid.sw2s[r.grid.nx - 1]], nx: r.grid.nx, data: 'digits', n: r.data.n }, depths: r.grid.depths, sw2s: r.grid.sw2s,
    gaussian: Array.from(r.acc.gaussian), orthogonal: Array.from(r.acc.orthogonal), done: r.done, state: r.state,
    ms: r.ms, cellsPerSec: r.cps || null, workers: r.workers, flops: r.flops, deepest: this.summary || null,
    xi6: r.xi6 || null, shares: r.shares || null };
  }

  csv(header) {
    const r = this.res;
    if (!r) return '';
    const lines = [...header, '# training accuracy per cell; NaN: not computed', 'cell,depth,sw2,accuracy_gaussian,accuracy_orthogonal'];
    for (let c = 0; c < r.grid.nx * r.grid.ny; c++) {
      lines.push([c, r.grid.depths[Math.floor(c / r.grid.nx)], r.grid.sw2s[c % r.grid.nx], r.acc.gaussian[c],
        r.acc.orthogonal[c]].join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  // both maps side by side on one canvas
  png() {
    return joinPNG([this.hm.gaussian.canvas, this.hm.orthogonal.canvas]);
  }
}

export const FIGURE_CLASSES = { spectrum: SpectrumFigure, gradients: GradientsFigure, train: TrainFigure };
