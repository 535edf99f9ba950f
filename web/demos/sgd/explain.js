// explain.js - the sentences under the SGD demo's figures, computed from the numbers each figure shows (never a
// template keyed on a setting): every comparison word ("wider", "narrower", "about as wide") is chosen from a
// ratio printed beside it. Pure functions of plain numbers, so the browser suite can recompute each claim.
import { fmt } from '../../draw.js';
import { termHTML as term } from '../../glossary.js';
import { fmtDuration } from '../../runbar.js';
const EPS = term('eps', 'ε');
const KL = term('kl', 'KL');
const W2 = term('w2', 'W<sub>2</sub>');
const ESS = term('ess', 'ESS');
const TAU = term('tau', 'τ');
const TH = (j) => term('theta', `θ<sub>${j + 1}</sub>`);
const pct = (x) => `${fmt(100 * x, 3)} %`;
const vec = (v) => `(${fmt(v[0], 3)}, ${fmt(v[1], 3)})`;
const sd = (cov, j) => Math.sqrt(cov[j][j]);

/** Share of a Gaussian's mass within 2 sd of its mean in 2-D: 1 - exp(-2) (the chi-square law with 2 degrees). */
export const GAUSS_2SD_2D = 1 - Math.exp(-2);
/** Share of a 1-D Gaussian within 2 sd of its mean. */
export const GAUSS_2SD_1D = 0.9544997361036416;
/** A width ratio within this factor of 1 is "about as wide". */
export const SAME_WIDTH = 0.1;

/** How wide `a` is against `b` (both standard deviations), with the ratio shown. */
export function widthWords(a, b) {
  const r = a / b;
  if (!Number.isFinite(r)) return 'not comparable';
  if (Math.abs(r - 1) <= SAME_WIDTH) return `about as wide (${fmt(r, 3)}×)`;
  return r > 1 ? `${fmt(r, 3)}× wider` : `${fmt(r, 3)}× as wide (narrower)`;
}

/** The stability number's name (dyn_post_steps: SGLD's drift is (eps N / 2) times the gradient). */
export const stabName = (sampler) => `${sampler === 'sgld' ? '(εN/2)' : 'ε'} λ<sub>max</sub>(${term('hessian', 'A')})`;

/** Why a chain diverged at step t, from the core's stability number: n {stabName, stab, stabBound}. */
export function divergedWords(t, n) {
  const past = n.stab >= n.stabBound;
  return `The iterates diverged by step ${t}: the stability number ${n.stabName} = ${fmt(n.stab, 3)} is ${past ? 'past' : 'below'} the bound ${fmt(n.stabBound, 3)} of gradient descent on the quadratic${past ? '' : ', so the nonlinear loss pushed them out'}; a smaller ${EPS} would not diverge${past ? '' : ' as easily'}.`;
}

/**
 * Under the posterior map. n: {sampler, stepWord ('1 × ε*'), pred (2x2, the discrete prediction or null), predKind,
 * post: {mean, cov}, mode, predFit: {kl, w2}, cover: {modes, inside, owner} (dyn_post_grid_cover of the grid with
 * the predicted ellipse) or null, stab, stabBound, gamma, chains: [{batching, t, count, burn, diverged, moments,
 * fit}], ess: [e1, e2] or null, nData, S, drift, mu}.
 */
export function explainPosterior(n) {
  const out = [];
  const c0 = n.chains[0];
  if (n.capped) out.push(`The chain is not computed: ${n.target} steps would take about ${fmtDuration(n.estimate)}, over the ${fmtDuration(n.cap)} cap (run it anyway from the run bar, or ask for fewer steps).`);
  if (c0 && c0.diverged) {
    return `${divergedWords(c0.t, n)} There is no cloud to compare with the posterior.`;
  }
  if (!n.pred) {
    out.push(n.gamma > 0
      ? `SGLD with a decreasing step ${EPS}<sub>t</sub> = ${EPS}(1 + t)<sup>−${fmt(n.gamma, 2)}</sup> has no stationary Gaussian to predict: the iterates are compared with the posterior directly.`
      : `At this step ${n.stabName} = ${fmt(n.stab, 3)} ≥ ${fmt(n.stabBound, 3)}: the linearised sampler has no stationary law, so there is no predicted ellipse.`);
  } else {
    const r = [0, 1].map((j) => widthWords(sd(n.pred, j), sd(n.post.cov, j)));
    out.push(`At ${EPS} = ${n.stepWord} the predicted stationary covariance (${n.predKind}) has standard deviations ${fmt(sd(n.pred, 0), 3)} along ${TH(0)} and ${fmt(sd(n.pred, 1), 3)} along ${TH(1)}; the exact posterior's are ${fmt(sd(n.post.cov, 0), 3)} and ${fmt(sd(n.post.cov, 1), 3)}, so the prediction is ${r[0]} along ${TH(0)} and ${r[1]} along ${TH(1)} (${KL}(prediction ‖ posterior) = ${fmt(n.predFit.kl, 3)} nats, ${W2} = ${fmt(n.predFit.w2, 3)}).`);
    const cv = n.cover;
    if (cv && cv.modes.length >= 2) {
      const own = cv.owner;
      const where = cv.modes.map((m, k) => `${vec(m.theta)} with ${pct(m.mass)}${k === own ? ' (θ*’s)' : ''}`);
      const other = cv.modes.reduce((s, m, k) => (k === own ? s : s + m.mass), 0);
      out.push(`The posterior has ${cv.modes.length} modes: at ${where.join(' and ')} of its mass. A Gaussian centred on θ* has one mode and cannot represent the ${cv.modes.length === 2 ? 'other' : 'others'}: its 2σ ellipse holds ${pct(cv.inside)} of the posterior mass (a Gaussian posterior would hold ${pct(GAUSS_2SD_2D)} inside its own)${own >= 0 ? `, while the ${cv.modes.length === 2 ? 'other mode holds' : 'other modes hold'} ${pct(other)}` : ''}.`);
    } else if (cv) {
      out.push(`Its 2σ ellipse holds ${pct(cv.inside)} of the posterior mass (${pct(GAUSS_2SD_2D)} if it matched a Gaussian posterior exactly).`);
    }
  }
  if (n.momentumDrift) out.push(`Momentum μ = ${fmt(n.mu, 3)} acts like the step ${EPS}/(1 − μ) = ${fmt(n.momentumDrift, 3)}.`);
  if (c0) {
    const m = c0.moments;
    if (!m || c0.count < 4) {
      out.push(`No iterates kept yet: the chain is at step ${c0.t}, within the ${term('burnin', 'burn-in')} of ${n.burn} steps.`);
    } else {
      const vs = n.pred ? `, ${fmt(Math.sqrt(m.cov[0][0]) / sd(n.pred, 0), 3)}× and ${fmt(Math.sqrt(m.cov[1][1]) / sd(n.pred, 1), 3)}× the prediction’s` : '';
      out.push(`The ${c0.count} iterates kept after the ${term('burnin', 'burn-in')} have standard deviations ${fmt(Math.sqrt(m.cov[0][0]), 3)} and ${fmt(Math.sqrt(m.cov[1][1]), 3)}${vs}; the Gaussian fit to them is at ${KL} = ${fmt(c0.fit ? c0.fit.kl : NaN, 3)} nats, ${W2} = ${fmt(c0.fit ? c0.fit.w2 : NaN, 3)} from the posterior.`);
      if (n.ess) {
        const e = Math.min(...n.ess);
        if (e < 100) out.push(`With an ${ESS} of only ${fmt(e, 3)} these sample numbers are rough: a variance estimate carries a relative error of about √(2/${ESS}) = ${pct(Math.sqrt(2 / e))}.`);
      }
    }
  }
  const c1 = n.chains[1];
  if (c0 && c1 && c0.moments && c1.moments) {
    const tr = (c) => c.moments.cov[0][0] + c.moments.cov[1][1];
    const [iid, ep] = c0.batching === 'iid' ? [c0, c1] : [c1, c0];
    out.push(`Reshuffled epochs against i.i.d. batches: the total variance ratio is ${fmt(tr(ep) / tr(iid), 3)}; sampling without replacement shrinks the minibatch noise by (N − S)/(N − 1) = ${fmt((n.nData - n.S) / (n.nData - 1), 3)} (N = ${n.nData}, S = ${n.S}), and consecutive batches of an epoch are correlated.`);
  }
  return out.join(' ');
}

/** Under the KL curve. n: {eps, cont, disc (arrays), epsRef, refName, eps0 (this step), kl0 (the discrete
 * prediction's KL there), chainKL, diverged}. */
export function explainKL(n) {
  const argmin = (ys) => ys.reduce((b, v, k) => (Number.isFinite(v) && (b < 0 || v < ys[b]) ? k : b), -1);
  const out = [];
  const i = argmin(n.disc);
  const j = argmin(n.cont);
  const rel = (e) => `${fmt(e / n.epsRef, 3)} × ${n.refName}`;
  const edge = (k) => (k === 0 || k === n.eps.length - 1 ? ' (at the edge of the range shown: the minimum may lie beyond it)' : '');
  if (i >= 0) out.push(`The discrete-Lyapunov prediction comes closest to the posterior at ${EPS} = ${fmt(n.eps[i], 3)} = ${rel(n.eps[i])}, ${KL} = ${fmt(n.disc[i], 3)} nats${edge(i)}; the continuous one at ${EPS} = ${fmt(n.eps[j], 3)} = ${rel(n.eps[j])}, ${KL} = ${fmt(n.cont[j], 3)} nats${edge(j)}.`);
  if (i >= 0 && Number.isFinite(n.kl0)) out.push(`At this ${EPS} = ${rel(n.eps0)} the prediction’s ${KL} is ${fmt(n.kl0, 3)} nats, ${fmt(n.kl0 / n.disc[i], 3)}× the minimum.`);
  else if (i >= 0) out.push(`At this ${EPS} = ${rel(n.eps0)} there is no stationary law to compare.`);
  if (n.diverged) out.push(`This chain diverged, so it has no dot.`);
  else if (Number.isFinite(n.chainKL)) out.push(`This chain’s Gaussian fit (the dot) is at ${KL} = ${fmt(n.chainKL, 3)} nats${Number.isFinite(n.kl0) ? `, ${fmt(n.chainKL / n.kl0, 3)}× the prediction` : ''}.`);
  const gap = n.disc.findIndex((v) => !Number.isFinite(v));
  if (gap >= 0) out.push(`From ${EPS} = ${fmt(n.eps[gap], 3)} on the linearised iteration is unstable and the discrete prediction has no stationary law: the curve stops.`);
  return out.join(' ');
}

/** Under the trace plots. n: {iter (Float64Array, x1 y1 x2 y2 ...), count, thin, burn, mean, cov (the exact
 * posterior's)}. The band is the posterior mean ± 2 sd of each coordinate. */
export function traceStats(iter, count, thin, burn, mean, cov) {
  const lo = [0, 1].map((j) => mean[j] - 2 * sd(cov, j));
  const hi = [0, 1].map((j) => mean[j] + 2 * sd(cov, j));
  const inBand = (i, j) => iter[2 * i + j] >= lo[j] && iter[2 * i + j] <= hi[j];
  let entered = -1;
  for (let i = 0; i < count && entered < 0; i++) if (inBand(i, 0) && inBand(i, 1)) entered = (i + 1) * thin;
  const first = Math.min(count, Math.floor(burn / thin));
  const kept = count - first;
  const stats = [0, 1].map((j) => {
    let s = 0;
    let inside = 0;
    for (let i = first; i < count; i++) s += iter[2 * i + j], inside += inBand(i, j) ? 1 : 0;
    const m = s / kept;
    return { mean: m, z: (m - mean[j]) / sd(cov, j), inBand: inside / kept };
  });
  return { entered, kept, stats };
}

export function explainTrace(n) {
  if (n.diverged) return `The chain diverged by step ${n.t}: its iterates ran off to ${fmt(Math.abs(n.iter[2 * n.count - 2]) + Math.abs(n.iter[2 * n.count - 1]), 2)} in |θ<sub>1</sub>| + |θ<sub>2</sub>|, so averages and bands mean nothing.`;
  const { entered, kept, stats } = traceStats(n.iter, n.count, n.thin, n.burn, n.mean, n.cov);
  const out = [];
  if (entered < 0) out.push(`The chain has not yet entered the posterior’s ±2 sd band in both coordinates (step ${n.t}).`);
  else if (entered <= n.thin) out.push(`The chain starts inside the posterior’s ±2 sd band.`);
  else out.push(`The chain entered the posterior’s ±2 sd band in both coordinates at step ${entered}; the ${term('burnin', 'burn-in')} of ${n.burn} steps ${n.burn >= entered ? 'leaves that approach out of the statistics' : 'is shorter, so the statistics include part of the approach'}.`);
  if (kept < 2) return `${out.join(' ')} No iterate is kept after the burn-in yet.`;
  const w = stats.map((s, j) => `${TH(j)} averages ${fmt(s.mean, 3)} (${fmt(Math.abs(s.z), 2)} posterior sd ${s.z >= 0 ? 'above' : 'below'} the posterior mean) with ${pct(s.inBand)} of its ${kept} kept iterates in the band`);
  out.push(`After it, ${w.join('; ')}. Exact draws from a Gaussian posterior would put ${pct(GAUSS_2SD_1D)} in the band.`);
  return out.join(' ');
}

/** Under the autocorrelation plot. n: {acf: [{acf, ess, tau}, {…}], thin, count, diverged}. */
export function explainACF(n) {
  if (n.diverged) return 'The chain diverged: the autocorrelation of iterates running off to infinity says nothing about sampling.';
  const below = (a) => {
    const k = a.findIndex((v) => v < 0.1);
    return k < 0 ? -1 : k * n.thin;
  };
  const part = n.acf.map((a, j) => {
    const k = below(a.acf);
    return `${TH(j)}’s autocorrelation ${k < 0 ? `stays above 0.1 over all ${(a.acf.length - 1) * n.thin} lags shown` : `falls below 0.1 at lag ${k}`}, ${TAU} = ${fmt(a.tau, 3)} ${n.thin > 1 ? `stored iterates (one every ${n.thin} steps)` : 'steps'}, ${ESS} = ${fmt(a.ess, 3)}`;
  });
  const e = Math.min(n.acf[0].ess, n.acf[1].ess);
  const slow = n.acf[0].tau >= n.acf[1].tau ? 0 : 1;
  return `${part.join('; ')}. The ${n.count} kept iterates are worth about ${fmt(e, 3)} independent draws (${TH(slow)}, the slower coordinate, sets it); a variance estimated from them is uncertain by about √(2/${ESS}) = ${pct(Math.sqrt(2 / e))}.`;
}
