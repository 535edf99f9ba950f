// figures.js - the dynamical-isometry figures: the Jacobian spectrum (sampled histograms of log10 λ/χ1^L for
// Gaussian and orthogonal weights with the free-probability densities over them) and gradients over depth.
import { fmt } from '../../draw.js';
import { linspace, setupFigure, showError } from '../../figure.js';
import { Plot } from '../../plot.js';

const COLOURS = { gaussian: '#d1495b', orthogonal: '#1f4e9c' };
const WEIGHTS = ['gaussian', 'orthogonal'];
const BINS = 40;
const POINTS = 60;

const net = (st, weights) => ({ act: st.act, weights, sw2: st.sw2, sb2: st.sb2, depth: st.depth });

// A histogram of u = log10(x) as a step line, normalised by all n values (so that it integrates to the continuous
// part's mass), against rho(x) x ln 10: the same construction as `dynlens isometry spectrum --png`.
function histogram(lnX, lo, hi) {
  const bw = (hi - lo) / BINS;
  const counts = new Array(BINS).fill(0);
  for (const v of lnX) {
    const u = v / Math.LN10;
    if (!Number.isFinite(u)) continue;
    const b = Math.min(BINS - 1, Math.max(0, Math.floor((u - lo) / bw)));
    counts[b]++;
  }
  const xs = [];
  const ys = [];
  counts.forEach((c, b) => {
    const h = c / (lnX.length * bw);
    xs.push(lo + b * bw, lo + (b + 1) * bw);
    ys.push(h, h);
  });
  return { xs, ys };
}

export class SpectrumFigure {
  constructor(engine, el) {
    this.id = `spectrum${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'spectrum');
    this.plot = new Plot(box, { label: 'histogram of squared singular values with the theoretical density', aspect: 0.62 });
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
        out[w].density = Array.from(rho, (r, i) => r * 10 ** ux[i] * Math.LN10);
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
    const top = Math.max(...series.flatMap((x) => x.ys).filter(Number.isFinite), 1e-9) * 1.08;
    this.plot.set({
      title: `log10(λ / χ_1^L), L = ${r.st.depth}, σ_w^2 = ${fmt(g.sw2, 4)}, χ_1 = ${fmt(g.chi1, 4)}`,
      x: { min: r.lo, max: r.hi, label: 'log10(λ / χ_1^L)' },
      y: { min: 0, max: top, label: 'density per unit log10 λ' },
      series,
      legendPos: 'top',
      note: WEIGHTS.map((w) => `${w}: var/mean² = ${fmt(r[w].sp.rel_var, 3)} (theory ${fmt(r[w].theory.rel_var, 3)})`).join('  ·  '),
    });
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
    this.plot = new Plot(box, { label: 'gradient norm against layer with the mean-field prediction', aspect: 0.62 });
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

export const FIGURE_CLASSES = { spectrum: SpectrumFigure, gradients: GradientsFigure };
