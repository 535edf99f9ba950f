// figures.js - the signal-propagation figures: the phase diagram (the shared Heatmap) and three linked panels
// (length map with its cobweb, correlation map, correlation versus depth). Each computes through the engine,
// draws, and can give back exactly the numbers it drew (numbers()), a PNG and a CSV.
import { fmt } from '../../draw.js';
import { colourGrid, linspace, setupFigure, showError } from '../../figure.js';
import { Heatmap } from '../../heatmap.js';
import { Plot } from '../../plot.js';

// How each core field is named and coloured by default (presentation only; the values come from the core).
export const FIELD_INFO = {
  q_star: { label: 'q^*', title: 'fixed-point length q^*', scale: 'log', cmap: 'viridis' },
  c_star: { label: 'c^*', title: 'fixed-point correlation c^*', scale: 'linear', cmap: 'viridis' },
  chi1: { label: 'χ_1', title: 'χ_1: growth of a small perturbation per layer', scale: 'log', cmap: 'rdbu', center: 1 },
  chi_c: { label: 'χ_c', title: 'χ_c: slope of the correlation map at c^*', scale: 'log', cmap: 'rdbu', center: 1 },
  xi_q: { label: 'ξ_q', title: 'ξ_q: depth scale of the length', scale: 'log', cmap: 'viridis' },
  xi_c: { label: 'ξ_c', title: 'ξ_c: depth scale of correlations', scale: 'log', cmap: 'viridis' },
  xi_grad: { label: 'ξ_∇', title: 'ξ_∇: gradient depth scale (< 0: gradients explode)', scale: 'linear', cmap: 'rdbu', center: 0 },
  phase: { label: 'phase', title: 'phase: ordered or chaotic', categorical: true },
};
export const SW2 = 'σ_w^2';
export const SB2 = 'σ_b^2';
const C_THEORY = '#1f4e9c';
const C_SIM = '#d1495b';
const C_MARK = '#2a9d5c';

// ---------------------------------------------------------------------------------------------------------
export class PhaseFigure {
  constructor(engine, el, { onSelect } = {}) {
    this.id = `phase${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'phase');
    this.hm = new Heatmap(box, {
      label: 'phase diagram heatmap over weight variance and bias variance',
      // Alone in an iframe (fig=phase) the figure fits the frame's height, readout included.
      maxHeight: () => (document.body.classList.contains('single') ? Math.max(240, window.innerHeight - 64) : 620),
      onSelect: (p) => onSelect && onSelect({ sw2: p.x, sb2: p.y }),
    });
    this.key = '';
    this.frame = null;
    this.crit = null;
    this.style = null;
    this.timings = { first: null, full: null }; // ms since navigation: the first frame and first full frame drawn
  }

  update(st) {
    this.st = st;
    this.hm.setMarker({ x: st.sw2, y: st.sb2 });
    const key = JSON.stringify([st.act, st.field, st.sw2r, st.sb2r, st.res]);
    if (key !== this.key) {
      this.key = key;
      this.errorBox.hidden = true;
      const n = Number(st.res);
      const req = { act: st.act, field: st.field, sw2: st.sw2r, sb2: st.sb2r, nx: n, ny: n };
      const t0 = performance.now();
      this.work.track(this.engine.pool.grid(req, (f) => {
        this.frame = f;
        this.frame.elapsed = performance.now() - t0;
        this.redraw();
        if (this.timings.first === null) this.timings.first = performance.now();
        if (f.stage === 'full' && this.timings.full === null) this.timings.full = performance.now();
      }, { channel: `${this.id}:grid` })).catch((e) => showError(this, e));
      this.work.track(this.engine.pool.call('criticalLine', [st.act, st.sb2r[0], st.sb2r[1], 161],
        { channel: `${this.id}:crit` }).then((sw2) => {
        this.crit = { sb2: linspace(st.sb2r[0], st.sb2r[1], 161), sw2: Array.from(sw2) };
        this.redraw();
      })).catch((e) => showError(this, e));
      return;
    }
    this.redraw();
  }

  /** Colours the current frame through the core's colormap with the chosen or automatic range. */
  colour(st, f) {
    const info = FIELD_INFO[f.field] || {};
    return colourGrid(this.engine.dl, f.values, { scale: st.scale, cmap: st.cmap, vr: st.vr, info,
      categories: info.categorical ? this.engine.phases : null });
  }

  redraw() {
    const f = this.frame;
    const st = this.st;
    if (!f || !st) return;
    let c;
    try {
      c = this.colour(st, f);
    } catch (e) {
      showError(this, e);
      return;
    }
    this.style = c;
    const info = FIELD_INFO[f.field] || { label: f.field, title: f.field };
    const dark = c.cmap === 'viridis';
    const overlays = [];
    if (this.crit) {
      overlays.push({ xs: this.crit.sw2, ys: this.crit.sb2, color: dark ? '#ffffff' : '#111111', width: 2,
        dash: [7, 4], halo: dark ? 'rgba(0,0,0,0.55)' : 'rgba(255,255,255,0.8)' });
    }
    this.hm.set({
      values: f.values, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.sw2, y: f.sb2,
      xLabel: SW2, yLabel: SB2, valueLabel: info.label,
      title: `${info.title}  ·  ${f.act}${f.stage === 'coarse' ? '  (refining…)' : ''}`,
      scale: c.categories ? null : { vmin: c.vmin, vmax: c.vmax, log: c.log, ramp: c.ramp },
      categories: c.categories || null, overlays,
      format: (v) => fmt(v, 4),
    });
    this.hm.readout.dataset.stage = f.stage;
  }

  numbers() {
    const f = this.frame;
    if (!f) return null;
    return {
      figure: 'phase', act: f.act, field: f.field, nx: f.nx, ny: f.ny, sw2: [...f.sw2], sb2: [...f.sb2],
      stage: f.stage, values: Array.from(f.values), ms: f.ms, mode: f.mode, workers: f.workers,
      colour: this.style && { cmap: this.style.cmap, vmin: this.style.vmin, vmax: this.style.vmax, log: this.style.log },
      criticalLine: this.crit && { sb2: this.crit.sb2, sw2: this.crit.sw2 },
      gridPoint: (i, j) => ({
        sw2: f.sw2[0] + (j * (f.sw2[1] - f.sw2[0])) / (f.nx - 1),
        sb2: f.sb2[1] - (i * (f.sb2[1] - f.sb2[0])) / (f.ny - 1),
        value: f.values[i * f.nx + j],
      }),
    };
  }

  csv(header) {
    const f = this.frame;
    if (!f) return '';
    const lines = [...header, `# nx=${f.nx} ny=${f.ny} sw2_min=${f.sw2[0]} sw2_max=${f.sw2[1]} ` +
      `sb2_min=${f.sb2[0]} sb2_max=${f.sb2[1]} rows=top (sb2_max) to bottom (sb2_min)`,
      `# colour: ${this.style ? `${this.style.cmap} ${this.style.log ? 'log' : 'linear'} ${this.style.vmin}:${this.style.vmax}` : ''}`,
      `sw2,sb2,${f.field}`];
    for (let i = 0; i < f.ny; i++) {
      const sb2 = f.sb2[1] - (i * (f.sb2[1] - f.sb2[0])) / (f.ny - 1);
      for (let j = 0; j < f.nx; j++) {
        const sw2 = f.sw2[0] + (j * (f.sw2[1] - f.sw2[0])) / (f.nx - 1);
        lines.push(`${sw2},${sb2},${f.values[i * f.nx + j]}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.hm.toDataURL();
  }
}

// ---------------------------------------------------------------------------------------------------------
// What the length and correlation maps share: recomputing when their inputs change, the cobweb, the CSV.

/**
 * Recomputes a map figure when its inputs (key) change: clears the error line and runs compute(call) in
 * fig.work, where call(method, args) runs in the workers on the figure's channel; an error shows in the figure.
 */
function recompute(fig, key, compute) {
  if (key === fig.key) return;
  fig.key = key;
  fig.errorBox.hidden = true;
  const pool = fig.engine.pool;
  const ch = { channel: fig.id };
  fig.work.track(compute((method, args) => pool.call(method, args, ch))).catch((e) => showError(fig, e));
}

/** The cobweb of an iterated map from traj (x^0, x^1, ...): up to the map, across to the diagonal, repeated. */
function cobweb(traj, bottom) {
  const cx = [traj[0]];
  const cy = [bottom];
  for (let l = 0; l + 1 < traj.length; l++) {
    cx.push(traj[l], traj[l + 1]);
    cy.push(traj[l + 1], traj[l + 1]);
  }
  return { cx, cy };
}

/** CSV rows (in, out, l, x_l) after lines: the map's samples beside the trajectory, padded with empty cells. */
function mapCSV(lines, xIn, xOut, traj) {
  const n = Math.max(xIn.length, traj.length);
  for (let k = 0; k < n; k++) {
    lines.push([xIn[k] ?? '', xOut[k] ?? '', k < traj.length ? k : '', traj[k] ?? ''].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export class LengthFigure {
  constructor(engine, el) {
    this.id = `len${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'length');
    this.plot = new Plot(box, { label: 'length map with cobweb to the fixed point q*' });
    this.data = null;
    this.key = '';
  }

  update(st) {
    recompute(this, JSON.stringify([st.act, st.sw2, st.sb2, st.q0]), async (call) => {
      const pt = await call('point', [st.act, st.sw2, st.sb2]);
      const bounded = Number.isFinite(pt.q_star);
      const steps = 25;
      const tr = await call('trajectory', [st.act, st.sw2, st.sb2, st.q0, 1, steps]);
      const qmax = bounded ? Math.max(pt.q_star, st.q0) * 1.35 : Math.max(st.q0, tr.q[Math.min(3, steps)]) * 1.1;
      const qIn = linspace(0, qmax, 121);
      qIn[0] = qmax * 1e-4;
      const m = await call('maps', [st.act, st.sw2, st.sb2, qIn, 1, []]);
      this.data = { st, pt, qIn, qOut: Array.from(m.q), traj: Array.from(tr.q), qmax };
      this.draw();
    });
  }

  draw() {
    const { pt, qIn, qOut, traj, qmax, st } = this.data;
    const { cx, cy } = cobweb(traj, 0);
    const ymax = Math.max(qmax, ...qOut.filter(Number.isFinite)) * 1.02;
    const bounded = Number.isFinite(pt.q_star);
    this.plot.set({
      title: `Length map  ·  ${st.act}, ${'σ_w^2'} = ${fmt(st.sw2, 4)}, ${'σ_b^2'} = ${fmt(st.sb2, 4)}`,
      x: { min: 0, max: qmax, label: 'q^{l−1}' },
      y: { min: 0, max: Math.min(ymax, qmax * 1.6), label: 'q^l' },
      series: [
        { type: 'line', xs: [0, qmax * 2], ys: [0, qmax * 2], color: '#999', dash: [4, 4], width: 1, label: 'q^l = q^{l−1}' },
        { type: 'line', xs: qIn, ys: qOut, color: C_THEORY, width: 2.2, label: 'length map' },
        { type: 'line', xs: cx, ys: cy, color: C_SIM, width: 1.2, label: `cobweb from q^0 = ${fmt(st.q0, 3)}` },
        ...(bounded ? [{ type: 'points', xs: [pt.q_star], ys: [pt.q_star], color: C_MARK, r: 5, stroke: '#fff',
          label: `q^* = ${fmt(pt.q_star, 4)}` }] : []),
      ],
      legendPos: 'bottom',
      note: bounded ? '' : 'no fixed point: q^l grows without bound',
    });
  }

  numbers() {
    if (!this.data) return null;
    const { pt, qIn, qOut, traj } = this.data;
    return { figure: 'length', point: pt, q_in: [...qIn], q_out: qOut, cobweb_q: traj };
  }

  csv(header) {
    if (!this.data) return '';
    const { qIn, qOut, traj } = this.data;
    return mapCSV([...header, `# q_star=${this.data.pt.q_star}`, 'q_in,q_out,l,q_l'], qIn, qOut, traj);
  }

  png() {
    return this.plot.toDataURL();
  }
}

// ---------------------------------------------------------------------------------------------------------
export class CorrFigure {
  constructor(engine, el) {
    this.id = `corr${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'corr');
    this.plot = new Plot(box, { label: 'correlation map with its fixed point c*' });
    this.data = null;
    this.key = '';
  }

  update(st) {
    recompute(this, JSON.stringify([st.act, st.sw2, st.sb2, st.c0]), async (call) => {
      const pt = await call('point', [st.act, st.sw2, st.sb2]);
      if (!Number.isFinite(pt.q_star)) {
        this.data = { st, pt, cIn: [], cOut: [], traj: [] };
        this.draw();
        return;
      }
      const cIn = linspace(-1, 1, 81);
      const m = await call('maps', [st.act, st.sw2, st.sb2, [], pt.q_star, cIn]);
      const tr = await call('trajectory', [st.act, st.sw2, st.sb2, pt.q_star, st.c0, 25]);
      this.data = { st, pt, cIn, cOut: Array.from(m.c), traj: Array.from(tr.c) };
      this.draw();
    });
  }

  draw() {
    const { pt, cIn, cOut, traj, st } = this.data;
    const { cx, cy } = cobweb(traj, -1);
    const bounded = Number.isFinite(pt.q_star);
    this.plot.set({
      title: `Correlation map at q^*  ·  χ_c = ${fmt(pt.chi_c, 4)}`,
      x: { min: -1, max: 1, label: 'c^{l−1}' },
      y: { min: -1, max: 1.02, label: 'c^l' },
      series: bounded ? [
        { type: 'line', xs: [-1, 1], ys: [-1, 1], color: '#999', dash: [4, 4], width: 1, label: 'c^l = c^{l−1}' },
        { type: 'line', xs: cIn, ys: cOut, color: C_THEORY, width: 2.2, label: 'correlation map' },
        { type: 'line', xs: cx, ys: cy, color: C_SIM, width: 1.2, label: `cobweb from c^0 = ${fmt(st.c0, 3)}` },
        { type: 'points', xs: [pt.c_star], ys: [pt.c_star], color: C_MARK, r: 5, stroke: '#fff',
          label: `c^* = ${fmt(pt.c_star, 4)} (${pt.phase})` },
      ] : [],
      legendPos: 'bottom',
      note: bounded ? '' : 'no fixed point q*: the correlation map is not defined here',
    });
  }

  numbers() {
    if (!this.data) return null;
    const { pt, cIn, cOut, traj } = this.data;
    return { figure: 'corr', point: pt, c_in: [...cIn], c_out: cOut, cobweb_c: traj };
  }

  csv(header) {
    if (!this.data) return '';
    const { cIn, cOut, traj, pt } = this.data;
    return mapCSV([...header, `# q_star=${pt.q_star} c_star=${pt.c_star} chi_c=${pt.chi_c}`, 'c_in,c_out,l,c_l'], cIn, cOut, traj);
  }

  png() {
    return this.plot.toDataURL();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The simulation costs about width^2 * depth * seeds normal draws; past this it would take many seconds.
export const SIM_BUDGET = 4e8;

export class DepthFigure {
  constructor(engine, el) {
    this.id = `depth${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'depth');
    this.plot = new Plot(box, { label: 'correlation versus depth: theory and finite-width simulation', aspect: 0.62 });
    this.theory = null;
    this.sim = null;
    this.simNote = '';
    this.tkey = '';
    this.skey = '';
  }

  update(st) {
    if (st.dlog !== this.dlog) {
      this.dlog = st.dlog;
      this.draw();
    }
    const tkey = JSON.stringify([st.act, st.sw2, st.sb2, st.q0, st.c0, st.depth]);
    const skey = JSON.stringify([tkey, st.width, st.seeds, st.seed]);
    const pool = this.engine.pool;
    if (tkey !== this.tkey) {
      this.tkey = tkey;
      this.errorBox.hidden = true;
      const ch = { channel: `${this.id}:theory` };
      this.work.track((async () => {
        const pt = await pool.call('point', [st.act, st.sw2, st.sb2], ch);
        const tr = await pool.call('trajectory', [st.act, st.sw2, st.sb2, st.q0, st.c0, st.depth], ch);
        this.theory = { st, pt, q: Array.from(tr.q), c: Array.from(tr.c), e: Array.from(tr.e) };
        this.draw();
      })()).catch((e) => showError(this, e));
    }
    if (skey !== this.skey) {
      this.skey = skey;
      this.sim = null;
      const cost = st.width * st.width * st.depth * st.seeds;
      if (cost > SIM_BUDGET) {
        this.simNote = `simulation skipped: N²·L·seeds = ${fmt(cost, 2)} is over ${fmt(SIM_BUDGET, 1)}; lower width, depth or seeds`;
        pool.open(`${this.id}:sim`);
        this.draw();
        return;
      }
      this.simNote = `simulating ${st.seeds} networks of width ${st.width}…`;
      this.draw();
      const desc = { act: st.act, width: st.width, depth: st.depth, seeds: st.seeds, seed: st.seed, sw2: st.sw2,
        sb2: st.sb2, q0: st.q0, c0: st.c0, each: true };
      this.work.track(pool.call('simulate', [desc], { channel: `${this.id}:sim` }).then((s) => {
        this.sim = { st, ...s };
        this.simNote = '';
        this.draw();
      })).catch((e) => showError(this, e));
    }
  }

  draw() {
    if (this.dlog === '1') this.drawLog();
    else this.drawLinear();
  }

  // The trainable-depth marker (or a note saying where it is) shared by both views.
  depthMark(series, pt, L) {
    const dt = pt.depth_trainable;
    if (Number.isFinite(dt) && dt > 0) {
      if (dt <= L) series.push({ type: 'vline', x: dt, color: C_MARK, dash: [6, 4], width: 1.6, text: `6ξ_c = ${fmt(dt, 3)}` });
      else return `trainable depth 6ξ_c = ${fmt(dt, 3)} lies beyond L = ${L}`;
    } else if (dt === Infinity) return 'at the critical line ξ_c = ∞: correlations propagate to any depth';
    return '';
  }

  // 1 - c^l on a log axis: the core's e (full relative precision) for the theory, 1 - c where positive for the
  // simulation. In the ordered phase the theory is a straight line falling by a factor e every ξ_c layers.
  drawLog() {
    const th = this.theory;
    if (!th) return;
    const { pt } = th;
    const L = th.e.length - 1;
    const ls = linspace(0, L, L + 1);
    const gap = (c) => Array.from(c, (v) => 1 - v);
    const series = [];
    const s = this.sim && this.sim.st.depth === L ? this.sim : null;
    const pos = th.e.filter((v) => v > 0);
    let ymin = Math.max(1e-30, Math.min(...pos, 1) / 3);
    let ymax = Math.max(...pos, 1e-30) * 3;
    if (s) {
      const S = s.st.seeds;
      for (let k = 0; k < S; k++) {
        series.push({ type: 'line', xs: ls, ys: gap(s.cEach.slice(k * (L + 1), (k + 1) * (L + 1))),
          color: C_SIM, width: 0.8, alpha: 0.28, label: k === 0 ? `${S} networks, N = ${s.st.width}` : undefined });
      }
      const mean = gap(s.cMean);
      const simPos = mean.filter((v) => v > 0);
      if (simPos.length) {
        ymax = Math.max(ymax, ...simPos.map((v) => v * 1.5));
        ymin = Math.max(1e-30, Math.min(ymin, ...simPos.map((v) => v / 1.5)));
      }
      series.push({ type: 'line', xs: ls, ys: mean, color: C_SIM, width: 1.6, label: 'simulation mean (where c < 1)' });
    }
    ymax = Math.min(ymax, 3);
    if (!(ymin < ymax)) ymin = ymax / 1e3;
    series.push({ type: 'line', xs: ls, ys: th.e, color: C_THEORY, width: 2.4, label: 'mean-field theory' });
    if (Number.isFinite(pt.c_star) && pt.c_star < 1) {
      series.push({ type: 'hline', y: 1 - pt.c_star, color: C_MARK, dash: [3, 3], width: 1, label: '1 − c^*' });
    }
    const note = this.depthMark(series, pt, L);
    this.plot.set({
      title: `1 − c^l vs depth (log)  ·  ${pt.phase}, ξ_c = ${fmt(pt.xi_c, 4)}`,
      x: { min: 0, max: L, label: 'layer l' },
      y: { min: ymin, max: ymax, log: true, label: '1 − c^l' },
      series,
      legendPos: 'top',
      note: [this.simNote, note].filter(Boolean).join('  ·  '),
    });
  }

  drawLinear() {
    const th = this.theory;
    if (!th) return;
    const { pt } = th;
    const L = th.c.length - 1;
    const ls = linspace(0, L, L + 1);
    const series = [];
    const s = this.sim && this.sim.st.depth === L ? this.sim : null;
    let ymin = Math.min(0, ...th.c.filter(Number.isFinite));
    if (s) {
      const S = s.st.seeds;
      for (let k = 0; k < S; k++) {
        series.push({ type: 'line', xs: ls, ys: Array.from(s.cEach.slice(k * (L + 1), (k + 1) * (L + 1))),
          color: C_SIM, width: 0.8, alpha: 0.28, label: k === 0 ? `${S} networks, N = ${s.st.width}` : undefined });
      }
      const lo = Array.from(s.cMean, (m, l) => m - 2 * s.cSe[l]);
      const hi = Array.from(s.cMean, (m, l) => m + 2 * s.cSe[l]);
      ymin = Math.min(ymin, ...lo.filter(Number.isFinite));
      series.push({ type: 'band', xs: ls, lo, hi, color: C_SIM, alpha: 0.25, label: 'mean ± 2 s.e.' });
      series.push({ type: 'line', xs: ls, ys: Array.from(s.cMean), color: C_SIM, width: 1.6, label: 'simulation mean' });
    }
    series.push({ type: 'line', xs: ls, ys: th.c, color: C_THEORY, width: 2.4, label: 'mean-field theory' });
    if (Number.isFinite(pt.c_star)) series.push({ type: 'hline', y: pt.c_star, color: C_MARK, dash: [3, 3], width: 1 });
    const mark = this.depthMark(series, pt, L);
    this.plot.set({
      title: `Correlation vs depth  ·  ${pt.phase}, χ_1 = ${fmt(pt.chi1, 4)}, ξ_c = ${fmt(pt.xi_c, 4)}`,
      x: { min: 0, max: L, label: 'layer l' },
      y: { min: Math.max(-1, ymin - 0.05), max: 1.02, label: 'c^l' },
      series,
      legendPos: 'bottom',
      note: [this.simNote, mark].filter(Boolean).join('  ·  '),
    });
  }

  numbers() {
    if (!this.theory) return null;
    const t = this.theory;
    const s = this.sim;
    return {
      figure: 'depth', point: t.pt, depth: t.c.length - 1, c_theory: t.c, q_theory: t.q, e_theory: t.e,
      view: this.dlog === '1' ? 'log 1-c' : 'c',
      depth_trainable: t.pt.depth_trainable,
      sim: s && { width: s.st.width, seeds: s.st.seeds, seed: s.st.seed, c_mean: Array.from(s.cMean),
        c_se: Array.from(s.cSe), q_mean: Array.from(s.qMean), q_se: Array.from(s.qSe) },
    };
  }

  csv(header) {
    const t = this.theory;
    if (!t) return '';
    const s = this.sim;
    const lines = [...header, `# depth_trainable=${t.pt.depth_trainable} xi_c=${t.pt.xi_c} c_star=${t.pt.c_star}`,
      s ? `# simulation: width=${s.st.width} seeds=${s.st.seeds} seed=${s.st.seed}; band = mean ± 2 standard errors`
        : '# simulation: none',
      `l,c_theory,one_minus_c_theory,q_theory${s ? ',c_sim_mean,c_sim_se,q_sim_mean,q_sim_se' : ''}`];
    for (let l = 0; l < t.c.length; l++) {
      const row = [l, t.c[l], t.e[l], t.q[l]];
      if (s) row.push(s.cMean[l], s.cSe[l], s.qMean[l], s.qSe[l]);
      lines.push(row.join(','));
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.plot.toDataURL();
  }
}

export const FIGURE_CLASSES = { phase: PhaseFigure, length: LengthFigure, corr: CorrFigure, depth: DepthFigure };
