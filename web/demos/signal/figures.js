// figures.js - the signal-propagation figures: the phase diagram (the shared Heatmap) and three linked panels
// (length map with its cobweb, correlation map, correlation versus depth). Each computes through the engine,
// draws, and can give back exactly the numbers it drew (numbers()), a PNG and a CSV.
import { drawRich, fmt, INK, richHTML, richWidth } from '../../draw.js';
import { isCancelled } from '../../engine.js';
import { colourGrid, explainBox, legendHTML, linspace, plotAspect, setupFigure, showError } from '../../figure.js';
import { term } from '../../glossary.js';
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
// The phase diagram. Besides the chosen field it shows, from the core's numbers: the critical line (chi_1 = 1),
// the edge of the unbounded region (where the length map has no fixed point; NaN cells, grey), a label inside
// each phase's region, and the selected network (a ring, or an arrow on the edge when a zoom leaves it outside).

const PHASE_RES = 96; // the phase of each cell on this coarse grid places the labels
const PHASE_TEXT = {
  ordered: ['ordered: χ_1 < 1', 'ordered'],
  chaotic: ['chaotic: χ_1 > 1', 'chaotic'],
  unbounded: ['unbounded: q^l → ∞', 'unbounded'],
};
const C_CRIT = { dark: '#ffffff', light: '#111111' };
const C_EDGE = '#ff8c00';

/**
 * Where each phase's label goes: the cell of that phase farthest from every other phase and from the plot's
 * edges, distances measured in units of the label's half width and half height (so a wide label finds a wide
 * spot). A label is placed only where its box fits inside its region; the full text first, then the short one.
 *   g: {codes (phase per cell, top row first), nx, ny, names}; r: the plot rectangle in px; ctx to measure text
 */
export function placePhaseLabels(g, r, ctx) {
  const { codes, nx, ny, names } = g;
  const u = (j) => j / (nx - 1);
  const v = (i) => i / (ny - 1);
  const out = [];
  for (let p = 0; p < names.length; p++) {
    const mine = [];
    const border = []; // cells of another phase next to this one: the nearest other phase is among them
    for (let i = 0; i < ny; i++) {
      for (let j = 0; j < nx; j++) {
        const c = codes[i * nx + j];
        if (c === p) { mine.push(i * nx + j); continue; }
        const nb = [[i - 1, j], [i + 1, j], [i, j - 1], [i, j + 1]];
        if (nb.some(([a, b]) => a >= 0 && a < ny && b >= 0 && b < nx && codes[a * nx + b] === p)) border.push(i * nx + j);
      }
    }
    if (!mine.length) continue;
    for (const [text, px] of [[PHASE_TEXT[names[p]][0], 13], [PHASE_TEXT[names[p]][1], 13], [PHASE_TEXT[names[p]][1], 11]]) {
      const aw = (richWidth(ctx, text, px) / 2 + 8) / r.w;
      const ah = (px * 0.75 + 6) / r.h;
      let best = null;
      for (const k of mine) {
        const x = u(k % nx);
        const y = v(Math.floor(k / nx));
        let s = Math.min(x / aw, (1 - x) / aw, y / ah, (1 - y) / ah);
        for (const b of border) {
          if (s < 1) break;
          s = Math.min(s, Math.max(Math.abs(x - u(b % nx)) / aw, Math.abs(y - v(Math.floor(b / nx))) / ah));
        }
        if (!best || s > best.s) best = { s, x, y };
      }
      if (best && best.s >= 1) {
        out.push({ phase: names[p], text, px, u: best.x, v: best.y, hu: aw, hv: ah });
        break;
      }
    }
  }
  return out;
}

/** The shared Heatmap with the phase labels drawn over the image (under the marker), on white boxes. */
class PhaseHeatmap extends Heatmap {
  drawOverlay(ctx, o) {
    if (!o.phaseLabels) {
      super.drawOverlay(ctx, o);
      return;
    }
    const r = this.rect();
    this.placed = placePhaseLabels(o.phaseLabels, r, ctx);
    for (const l of this.placed) {
      const x = r.x + l.u * r.w;
      const y = r.y + l.v * r.h;
      const w = richWidth(ctx, l.text, l.px);
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(x - w / 2 - 5, y - l.px * 0.75 - 2, w + 10, l.px * 1.5 + 4);
      drawRich(ctx, l.text, x, y + l.px * 0.35, l.px, 'center', INK);
    }
  }
}

/** The edge of the unbounded region, row by row: halfway between the last cell with a value and the first without. */
function unboundedEdge(f) {
  const xs = [];
  const ys = [];
  const none = (v) => (f.field === 'phase' ? v === 2 : Number.isNaN(v));
  const dx = (f.sw2[1] - f.sw2[0]) / (f.nx - 1);
  let found = 0;
  for (let i = 0; i < f.ny; i++) {
    const y = f.sb2[1] - (i * (f.sb2[1] - f.sb2[0])) / (f.ny - 1);
    let x = NaN;
    for (let j = 0; j + 1 < f.nx; j++) {
      if (!none(f.values[i * f.nx + j]) && none(f.values[i * f.nx + j + 1])) {
        x = f.sw2[0] + (j + 0.5) * dx;
        break;
      }
    }
    xs.push(x);
    ys.push(y);
    if (Number.isFinite(x)) found++;
  }
  return found ? { xs, ys } : null;
}

/** Digits enough that v does not print as `than` (χ_1 = 0.9999 must not read "1 < 1"). */
export function apart(v, than, digits = 3) {
  let d = digits;
  while (d < 10 && Number(fmt(v, d).replace('−', '-')) === than && v !== than) d++;
  return fmt(v, d);
}

export class PhaseFigure {
  constructor(engine, el, { onSelect } = {}) {
    this.id = `phase${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'phase');
    this.hm = new PhaseHeatmap(box, {
      label: 'phase diagram heatmap over weight variance and bias variance',
      // Alone in an iframe (fig=phase) the figure fits the frame's height, readout included.
      maxHeight: () => (document.body.classList.contains('single') ? Math.max(240, window.innerHeight - 64) : 620),
      onSelect: (p) => onSelect && onSelect({ sw2: p.x, sb2: p.y }),
    });
    this.legendEl = document.createElement('ul');
    this.legendEl.className = 'fig-legend';
    box.append(this.legendEl);
    this.sayEl = explainBox(box);
    this.key = '';
    this.frame = null;
    this.crit = null;
    this.phases = null;
    this.style = null;
    this.sel = null;
    this.timings = { first: null, full: null }; // ms since navigation: the first frame and first full frame drawn
  }

  update(st) {
    this.st = st;
    this.hm.setMarker({ x: st.sw2, y: st.sb2 });
    const pool = this.engine.pool;
    const selKey = JSON.stringify([st.act, st.sw2, st.sb2]);
    if (selKey !== this.selKey) {
      this.selKey = selKey;
      const ch = { channel: `${this.id}:sel` };
      this.work.track((async () => {
        const pt = await pool.call('point', [st.act, st.sw2, st.sb2], ch);
        let crit = NaN;
        try { crit = (await pool.call('critical', [st.act, st.sb2], ch)).sw2; } catch (e) { if (isCancelled(e)) throw e; }
        this.sel = { key: selKey, pt, crit };
        this.redraw();
      })()).catch((e) => showError(this, e));
    }
    const key = JSON.stringify([st.act, st.field, st.sw2r, st.sb2r, st.res]);
    if (key !== this.key) {
      this.key = key;
      this.errorBox.hidden = true;
      this.crit = null;
      this.phases = null;
      const n = Number(st.res);
      const req = { act: st.act, field: st.field, sw2: st.sw2r, sb2: st.sb2r, nx: n, ny: n };
      const t0 = performance.now();
      this.work.track(pool.grid(req, (f) => {
        this.frame = f;
        this.frame.elapsed = performance.now() - t0;
        this.redraw();
        if (this.timings.first === null) this.timings.first = performance.now();
        if (f.stage === 'full' && this.timings.full === null) this.timings.full = performance.now();
      }, { channel: `${this.id}:grid` })).catch((e) => showError(this, e));
      this.work.track(pool.call('criticalLine', [st.act, st.sb2r[0], st.sb2r[1], 161],
        { channel: `${this.id}:crit` }).then((sw2) => {
        this.crit = { sb2: linspace(st.sb2r[0], st.sb2r[1], 161), sw2: Array.from(sw2) };
        this.redraw();
      })).catch((e) => showError(this, e));
      const preq = { ...req, field: 'phase', nx: PHASE_RES, ny: PHASE_RES };
      this.work.track(pool.call('grid', [preq], { channel: `${this.id}:phases` }).then((codes) => {
        this.phases = { codes: Uint8Array.from(codes), nx: PHASE_RES, ny: PHASE_RES, names: this.engine.phases };
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
    this.edge = unboundedEdge(f);
    this.edgeChi1(f);
    if (this.edge) overlays.push({ ...this.edge, color: C_EDGE, width: 2.5, halo: 'rgba(0,0,0,0.45)' });
    if (this.crit) {
      overlays.push({ xs: this.crit.sw2, ys: this.crit.sb2, color: dark ? C_CRIT.dark : C_CRIT.light, width: 2,
        dash: [7, 4], halo: dark ? 'rgba(0,0,0,0.55)' : 'rgba(255,255,255,0.8)' });
    }
    if (this.phases && !c.categories) overlays.push({ phaseLabels: this.phases });
    this.hm.set({
      values: f.values, rgba: c.rgba, nx: f.nx, ny: f.ny, x: f.sw2, y: f.sb2,
      xLabel: SW2, yLabel: SB2, valueLabel: info.label,
      title: `${info.title}  ·  ${f.act}${f.stage === 'coarse' ? '  (refining…)' : ''}`,
      scale: c.categories ? null : { vmin: c.vmin, vmax: c.vmax, log: c.log, ramp: c.ramp },
      categories: c.categories || null, overlays, nanLabel: 'unbounded',
      format: (v) => fmt(v, 4),
    });
    this.hm.readout.dataset.stage = f.stage;
    this.legend(dark);
    this.say();
  }

  /** χ_1 in the bounded cell next to the unbounded region's edge, in the middle of its rows (for the sentence). */
  edgeChi1(f) {
    const e = this.edge;
    const k = e ? Math.floor(e.xs.length / 2) + e.xs.slice(Math.floor(e.xs.length / 2)).findIndex(Number.isFinite) : -1;
    const key = e && k >= Math.floor(e.xs.length / 2) ? [f.act, e.xs[k], e.ys[k]].join() : '';
    if (key === this.edgeKey) return;
    this.edgeKey = key;
    this.edgeAt = null;
    if (!key) return;
    const x = e.xs[k] - (f.sw2[1] - f.sw2[0]) / (f.nx - 1) / 2;
    this.work.track(this.engine.pool.call('point', [f.act, x, e.ys[k]], { channel: `${this.id}:edge` }).then((pt) => {
      if (key !== this.edgeKey) return;
      this.edgeAt = pt;
      this.say();
    })).catch((err) => showError(this, err));
  }

  /** The legend of the marks on the map (the colours have their own bar), from what is drawn. */
  legend(dark) {
    const n = this.crit ? this.crit.sw2.filter(Number.isFinite).length : 0;
    const k = this.crit ? this.crit.sw2.findIndex(Number.isFinite) : -1;
    const items = [];
    const bg = dark ? '#3b528b' : '#f4f4f4';
    if (n > 1) {
      items.push({ mark: 'line', color: dark ? C_CRIT.dark : C_CRIT.light, dash: [7, 4], bg,
        label: `the critical line, ${term('chi1', 'χ_1')} = 1: ${term('xi_c', 'ξ_c')} is infinite on it` });
    } else if (n === 1) {
      items.push({ mark: 'dot', color: dark ? C_CRIT.dark : C_CRIT.light, bg,
        label: `the critical point (dot), ${term('chi1', 'χ_1')} = 1: ${richHTML(this.frame.act)} has one only at ` +
          `${richHTML(`σ_b^2 = ${fmt(this.crit.sb2[k], 3)}`)}, and none at larger ${term('sb2', 'σ_b^2')}` });
    } else items.push({ mark: 'swatch', color: '#fff', label: `no critical point (${term('chi1', 'χ_1')} = 1) in this window` });
    if (this.edge) {
      items.push({ mark: 'line', color: C_EDGE, bg,
        label: `the edge of the unbounded region: past it the length ${richHTML('q^l')} grows without bound (no ${term('q_star', 'q^*')})` });
      const at = this.frame.values.findIndex((v) => Number.isNaN(v));
      if (at >= 0 && this.style && !this.style.categories) {
        const g = this.style.rgba;
        items.push({ mark: 'swatch', color: `rgb(${g[4 * at]},${g[4 * at + 1]},${g[4 * at + 2]})`,
          label: `unbounded: no fixed point, so ${richHTML(this.frame.field === 'phase' ? 'the phase' : FIELD_INFO[this.frame.field].label)} has no value` });
      }
    }
    items.push({ mark: 'ring', label: 'the selected network (click the map, or focus it and use the arrow keys); an ' +
      'arrow on the edge when it lies outside the window' });
    this.legendEl.innerHTML = legendHTML(items, this.id);
  }

  /** The sentence under the map, from the numbers on it and the selected network's. */
  say() {
    const f = this.frame;
    const s = this.sel;
    if (!f) return;
    const out = [];
    const placed = this.hm.placed || [];
    const at = (name) => placed.find((l) => l.phase === name);
    const o = at('ordered');
    const c = at('chaotic');
    if (o && c) {
      out.push(`Networks ${o.u < c.u ? 'left' : 'right'} of the dashed critical line are ordered (${term('chi1', 'χ_1')} < 1: ` +
        `inputs converge), those ${o.u < c.u ? 'right' : 'left'} of it chaotic (${term('chi1', 'χ_1')} > 1: inputs decorrelate).`);
    }
    if (this.phases) {
      const count = this.engine.phases.map((_, p) => this.phases.codes.filter((x) => x === p).length);
      const tot = this.phases.codes.length;
      const pct = (p) => `${Math.round((100 * count[p]) / tot)} %`;
      const names = this.engine.phases;
      const present = names.filter((_, p) => count[p] > 0);
      if (present.length === 1) out.push(`Every network in this window is ${present[0]}.`);
      else out.push(`In this window: ${names.map((nm, p) => (count[p] ? `${pct(p)} ${nm}` : '')).filter(Boolean).join(', ')}.`);
      const ea = this.edgeAt;
      if (count[names.indexOf('unbounded')] > 0 && ea && ea.phase !== 'unbounded') {
        const near = ea.chi1 > 0.98 && ea.chi1 <= 1;
        out.push(`Just left of the unbounded region's edge (${richHTML(`σ_w^2 = ${fmt(ea.sw2, 4)}, σ_b^2 = ${fmt(ea.sb2, 3)}`)}) ` +
          `the network is ${ea.phase} with ${term('chi1', 'χ_1')} = ${apart(ea.chi1, 1)}` + (near && count[names.indexOf('chaotic')] === 0
          ? `: ${richHTML(f.act)} has no chaotic phase here, because where ${term('chi1', 'χ_1')} would reach 1 the length map loses its fixed point instead.`
          : '.'));
      }
    }
    const clip = this.hm.data && this.hm.data.scale ? this.hm.clipOf(this.hm.data) : null;
    if (clip && (clip.hi || clip.lo)) {
      const sc = this.hm.data.scale;
      const above = f.values.filter((v) => v > sc.vmax).length;
      const below = f.values.filter((v) => v < sc.vmin && !(sc.log && v <= 0)).length;
      const inf = f.values.filter((v) => v === Infinity).length;
      const parts = [];
      if (above) parts.push(`${above} cells lie above ${fmt(sc.vmax, 3)}${inf ? ` (${inf} of them infinite)` : ''} and share the top colour (≥ on the colour bar)`);
      if (below) parts.push(`${below} cells lie below ${fmt(sc.vmin, 3)} and share the bottom colour (≤)`);
      out.push(`The colour range is clipped: ${parts.join('; ')}.`);
    }
    if (s && s.key === this.selKey) {
      const { pt, crit } = s;
      const sel = `The selected network (${richHTML(`σ_w^2 = ${fmt(pt.sw2, 4)}, σ_b^2 = ${fmt(pt.sb2, 4)}`)}) is ${pt.phase}`;
      if (Number.isFinite(crit)) {
        const d = pt.sw2 - crit;
        out.push(Math.abs(d) < 5e-4 * crit ? `${sel}, on the critical line.` : `${sel}: at this ${term('sb2', 'σ_b^2')} the ` +
          `critical line is at ${richHTML(`σ_w^2 = ${fmt(crit, 4)}`)}, ${fmt(Math.abs(d), 3)} to its ${d > 0 ? 'left' : 'right'}.`);
      } else out.push(`${sel}; at this ${term('sb2', 'σ_b^2')} there is no critical point.`);
      const off = this.hm.markerOff;
      if (off) out.push(`It lies outside this window (${off.side}): the arrow on the edge points to it.`);
    }
    this.sayEl.innerHTML = out.join(' ');
  }

  numbers() {
    const f = this.frame;
    if (!f) return null;
    return {
      figure: 'phase', act: f.act, field: f.field, nx: f.nx, ny: f.ny, sw2: [...f.sw2], sb2: [...f.sb2],
      stage: f.stage, values: Array.from(f.values), ms: f.ms, mode: f.mode, workers: f.workers,
      colour: this.style && { cmap: this.style.cmap, vmin: this.style.vmin, vmax: this.style.vmax, log: this.style.log },
      criticalLine: this.crit && { sb2: this.crit.sb2, sw2: this.crit.sw2 },
      unboundedEdge: this.edge && { sw2: this.edge.xs, sb2: this.edge.ys },
      phases: this.phases && { nx: this.phases.nx, ny: this.phases.ny, codes: Array.from(this.phases.codes),
        names: this.phases.names },
      // each phase label: its phase, text and box in the plot's unit square (u right, v down from the top left)
      labels: (this.hm.placed || []).map(({ phase, text, u, v, hu, hv }) => ({ phase, text, u, v, hu, hv })),
      clip: this.hm.data && this.hm.data.scale ? { ...this.hm.clipOf(this.hm.data) } : null,
      markerOff: this.hm.markerOff ? { ...this.hm.markerOff } : null,
      selected: this.sel && { ...this.sel.pt, crit: this.sel.crit },
      say: this.sayEl.textContent,
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
    this.plot = new Plot(box, { label: 'length map with cobweb to the fixed point q*', ...plotAspect(0.78) });
    this.sayEl = explainBox(box);
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
    this.sayEl.innerHTML = this.say();
  }

  /** From the drawn numbers: how fast the cobweb reaches q*, or that the map has no fixed point. */
  say() {
    const { pt, qIn, qOut, traj, st } = this.data;
    const L = traj.length - 1;
    const qL = `${richHTML(`q^{${L}}`)} = ${fmt(traj[L], 4)}`;
    if (!Number.isFinite(pt.q_star)) {
      const above = qIn.every((q, k) => !(qOut[k] <= q));
      return `No fixed point: ${above ? 'the length map lies above the diagonal everywhere drawn, so' : 'here'} every layer ` +
        `makes the length longer; from ${richHTML(`q^0 = ${fmt(st.q0, 3)}`)} the cobweb climbs to ${qL} after ${L} layers.`;
    }
    const tol = 0.01 * pt.q_star;
    const l = traj.findIndex((q, k) => traj.slice(k).every((x) => Math.abs(x - pt.q_star) <= tol));
    const reach = l === 0 ? `starts within 1 % of ${term('q_star', 'q^*')} = ${fmt(pt.q_star, 4)}`
      : l > 0 ? `settles within 1 % of ${term('q_star', 'q^*')} = ${fmt(pt.q_star, 4)} after ${l} layer${l > 1 ? 's' : ''}`
        : `has not settled within 1 % of ${term('q_star', 'q^*')} = ${fmt(pt.q_star, 4)} after ${L} layers (${qL})`;
    return `From ${richHTML(`q^0 = ${fmt(st.q0, 3)}`)} the length ${reach}: the map's slope there is ` +
      `${term('chi_q', 'χ_q')} = ${fmt(pt.chi_q, 3)} < 1, so the gap shrinks by that factor per layer (by e every ` +
      `${term('xi_q', 'ξ_q')} = ${fmt(pt.xi_q, 3)} layers).`;
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
    this.plot = new Plot(box, { label: 'correlation map with its fixed point c*', ...plotAspect(0.78) });
    this.sayEl = explainBox(box);
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
    this.sayEl.innerHTML = this.say();
  }

  /** From the drawn numbers: where the cobweb ends and what the slopes at c* and at c = 1 say. */
  say() {
    const { pt, traj, st } = this.data;
    if (!Number.isFinite(pt.q_star)) return `No fixed point ${term('q_star', 'q^*')}: the correlation map is not defined.`;
    const L = traj.length - 1;
    const from = `two inputs with ${richHTML(`c^0 = ${fmt(st.c0, 3)}`)} reach ${richHTML(`c^{${L}} = ${apart(traj[L], 1, 4)}`)}`;
    const x1 = term('chi1', 'χ_1');
    if (pt.c_star === 1) {
      return `${term('c_star', 'c^*')} = 1 is the only stable fixed point: ${from} after ${L} layers, on their way to being ` +
        `identical. The slope at c = 1 is ${x1} = ${apart(pt.chi1, 1)} ≤ 1, the factor by which 1 − c shrinks per layer.`;
    }
    return `${term('c_star', 'c^*')} = ${apart(pt.c_star, 1, 4)} < 1: ${from} after ${L} layers and stay apart. At c = 1 the ` +
      `slope is ${x1} = ${apart(pt.chi1, 1)} > 1, so c = 1 repels (nearby inputs separate); at ${term('c_star', 'c^*')} it is ` +
      `${term('chi_c', 'χ_c')} = ${fmt(pt.chi_c, 3)} < 1, so c* attracts.`;
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
    this.plot = new Plot(box, { label: 'correlation versus depth: theory and finite-width simulation', ...plotAspect(0.62) });
    this.sayEl = explainBox(box);
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
    if (this.theory) this.sayEl.innerHTML = this.say();
  }

  /** From the drawn numbers: where theory ends, how closely the simulation follows it, and depth against 6 ξ_c. */
  say() {
    const { pt, c, st } = this.theory;
    const L = c.length - 1;
    const out = [];
    const cL = richHTML(`c^{${L}}`);
    if (!Number.isFinite(pt.q_star)) out.push(`No fixed point ${term('q_star', 'q^*')}: the lengths grow without bound.`);
    else if (pt.c_star === 1) {
      out.push(`Theory: from ${richHTML(`c^0 = ${fmt(st.c0, 3)}`)} the correlation rises to ${cL} = ${apart(c[L], 1, 4)} ` +
        `towards ${term('c_star', 'c^*')} = 1 (ordered); 1 − ${richHTML('c^l')} shrinks by a factor e every ` +
        `${term('xi_c', 'ξ_c')} = ${fmt(pt.xi_c, 3)} layers.`);
    } else {
      out.push(`Theory: from ${richHTML(`c^0 = ${fmt(st.c0, 3)}`)} the correlation ends at ${cL} = ${fmt(c[L], 4)}, ` +
        `${term('c_star', 'c^*')} = ${fmt(pt.c_star, 4)} (chaotic): the inputs stay distinct at any depth.`);
    }
    const s = this.sim && this.sim.st.depth === L ? this.sim : null;
    if (s) {
      let k = 0;
      let worst = { d: -1, l: 0 };
      for (let l = 0; l <= L; l++) {
        const d = Math.abs(s.cMean[l] - c[l]);
        if (d <= 2 * s.cSe[l] + 1e-12) k++;
        if (d > worst.d) worst = { d, l };
      }
      out.push(`The mean of ${s.st.seeds} simulated networks of width ${term('N', 'N')} = ${s.st.width} is within 2 standard ` +
        `errors of the theory at ${k} of ${L + 1} layers (largest gap ${fmt(worst.d, 2)}, at layer ${worst.l})` +
        (k < 0.8 * (L + 1) ? '; at this width the network departs from the infinite-width theory.' : '.'));
    } else if (this.simNote) out.push(`${this.simNote.charAt(0).toUpperCase()}${this.simNote.slice(1)}.`);
    const dt = pt.depth_trainable;
    if (Number.isFinite(dt)) {
      out.push(`${term('L', 'L')} = ${L} is ${L > dt ? 'beyond' : 'within'} ${term('depth6', '6ξ_c')} = ${fmt(dt, 3)}: ` +
        `${L > dt ? 'a network this deep is expected not to train' : 'a network this deep can still be trained'}.`);
    }
    return out.join(' ');
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
    if (Number.isFinite(pt.c_star)) {
      series.push({ type: 'hline', y: pt.c_star, color: C_MARK, dash: [3, 3], width: 1, label: `c^* = ${fmt(pt.c_star, 4)}` });
    }
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
