// index.js - the SGD-as-Bayesian-inference demo: its URL-hash schema, its figures and its controller, loaded by
// the page (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons } from '../../demo-kit.js';
import { fmt } from '../../draw.js';
import { markStale, RunBar } from '../../runbar.js';
import { allowed, formatValue } from '../../state.js';
import { divergedWords, stabName } from './explain.js';
import { termHTML as term } from '../../glossary.js';
import { FIGURE_CLASSES, Session } from './figures.js';
import { fileName, roundName } from '../../export.js';

const panelHTML = fetch(new URL('./panel.html', import.meta.url)).then((r) => {
  if (!r.ok) throw new Error(`could not load the SGD panel: HTTP ${r.status}`);
  return r.text();
});

/** The figures a link (fig=NAME) or the embed API can show alone: name -> class (see web/figure.js). */
export const figures = FIGURE_CLASSES;

/** This demo's hash keys, in link order; the model and sampler names come from the core. */
export function schema(engine) {
  return {
    model: { kind: 'enum', values: engine.dl.postModels, def: 'linreg', what: 'model' },
    n: { kind: 'enum', values: ['auto', '50', '100', '200', '500', '1000', '2000'], def: 'auto', what: 'data size N' },
    sampler: { kind: 'enum', values: engine.dl.postSamplers, def: 'sgd', what: 'sampler' },
    epsr: { kind: 'num', min: 0, minOpen: true, max: 1000, def: 1, what: 'step as a multiple of ε*' },
    S: { kind: 'int', min: 1, max: 100000, def: 10, what: 'batch size S' },
    batching: { kind: 'enum', values: ['iid', 'epoch'], def: 'iid', what: 'batching' },
    cmp: { kind: 'enum', values: ['0', '1'], def: '0', what: 'second chain with the other batching' },
    precond: { kind: 'enum', values: ['opt', 'diag'], def: 'opt', what: 'preconditioner' },
    mu: { kind: 'num', min: 0, minOpen: true, max: 0.999, def: 0.9, what: 'momentum μ' },
    gamma: { kind: 'num', min: 0, max: 1, def: 0, what: 'SGLD step decay γ' },
    seed: { kind: 'int', min: 0, max: 2147483647, def: 1, what: 'random seed' },
    start: { kind: 'enum', values: ['mode', 'point'], def: 'mode', what: 'starting point' },
    sx: { kind: 'num', min: -1e6, max: 1e6, def: 0, what: 'start θ_1' },
    sy: { kind: 'num', min: -1e6, max: 1e6, def: 0, what: 'start θ_2' },
    steps: { kind: 'int', min: 0, max: 100000000, def: 3000, what: 'steps to run' },
    burn: { kind: 'int', min: 0, max: 100000000, def: 500, what: 'burn-in' },
    speed: { kind: 'enum', values: ['1', '10', '100', '1000', '10000'], def: '100', what: 'speed' },
    view: { kind: 'enum', values: ['4', '8', '16'], def: '4', what: 'window' },
  };
}

// Labels of the core's models and samplers (the lists themselves are the core's, through the WASM module: a new
// one appears in the menu under its name until it gets a label here).
const MODEL_LABEL = { linreg: 'Bayesian linear regression (2-D)', logistic: 'Bayesian logistic regression',
  mixture: 'Two-mode mixture (Welling–Teh)' };
const SAMPLER_LABEL = { sgd: 'SGD (constant step)', 'sgd-precond': 'SGD, preconditioned', sgld: 'SGLD (Langevin)',
  momentum: 'Momentum SGD' };

/**
 * What to notice, step by step (rendered by the shell): each step's link is the defaults overridden by `set`, and
 * tests/browser/suite-sgd.mjs checks every claim against the numbers the page computes for it.
 */
export const guide = [
  { set: {}, text: 'At <span class="term" data-term="eps">ε</span> = <span class="term" data-term="epsstar">ε*</span> the orange cloud fills the yellow predicted ellipse (their standard deviations agree within 10 %), yet both are narrower than the posterior (about 0.8×). No scalar step does better: the KL plot’s minimum is at ε* itself.' },
  { set: { epsr: 10 }, text: 'Ten times ε*: the predicted ellipse and the cloud are both more than twice as wide as the posterior, and the <span class="term" data-term="kl">KL</span> is over ten times its minimum. The cloud’s size is set by ε/S.' },
  { set: { sampler: 'sgd-precond' }, text: 'Mandt’s preconditioner H* reshapes the gradient noise: at ε = ε* the predicted ellipse matches the exact posterior to within 2 % along both axes (KL below 0.001). Constant-step SGD has become approximate Bayesian inference.' },
  { set: { epsr: 0.1 }, text: 'A tenth of ε*: the cloud shrinks, and the chain slows down. The autocorrelation time <span class="term" data-term="tau">τ</span> is several times longer than at ε*, so the 2500 kept iterates are worth fewer than 10 independent draws (<span class="term" data-term="ess">ESS</span>): the sample numbers are rough.' },
  { set: { model: 'mixture', sampler: 'sgld' }, text: 'A posterior with two modes: the Gaussian prediction sits in θ*’s mode and misses the other mode’s mass (over 30 %). <span class="term" data-term="sgld">SGLD</span>’s injected noise carries the chain across both, so its spread matches the posterior’s (0.85 to 1.3× its standard deviations), which no Gaussian centred on one mode can.' },
];

/** This demo's symbols (the shell defines θ once for every demo; its N is a width, so the data size is `ndata`). */
export const glossary = {
  eps: { sym: 'ε', def: 'The constant step size (learning rate): each step moves θ by −ε times a minibatch gradient of the average loss.' },
  epsstar: { sym: 'ε*', def: 'Mandt, Hoffman and Blei’s optimal constant step 2 (S/N) D / Tr(BB<sup>T</sup>): the scalar step whose predicted stationary Gaussian is closest in KL to the posterior (the KL plot’s green line).' },
  ndata: { sym: 'N', def: 'The number of examples in the data set: the posterior is prior × the likelihood of all N, and one step of SGD sees S of them.' },
  batch: { sym: 'S', def: 'The minibatch size: each step averages the gradients of S examples, so the gradient noise has covariance BB<sup>T</sup>/S.' },
  hessian: { sym: 'A', def: 'The Hessian of the average loss at the mode θ*: the curvature. N A is the inverse covariance of the posterior’s Laplace (Gaussian) approximation.' },
  gradcov: { sym: 'BB<sup>T</sup>', def: 'The covariance of the per-example gradients at θ*: how much one example’s gradient differs from the average, the source of SGD’s noise.' },
  sigma: { sym: 'Σ', def: 'The predicted stationary covariance of the iterates: the shape of the cloud SGD keeps jittering in, drawn as the yellow 2σ ellipse.' },
  lyapunov: { sym: 'Lyapunov equation', def: 'A Σ + Σ A = (ε/S) BB<sup>T</sup>: the stationary covariance of the Ornstein–Uhlenbeck process that SGD approximates near θ*. Its discrete-time form subtracts ε A Σ A and is exact for SGD on the quadratic approximation.' },
  mode: { sym: 'θ*', def: 'The mode of the posterior (the MAP estimate), where the loss is smallest; the predicted ellipses are centred on it.' },
  posterior: { sym: 'posterior', def: 'p(θ | data), prior times likelihood normalised: here computed exactly by quadrature on a grid (the heatmap), with its 50/90/99 % highest-density regions.' },
  kl: { sym: 'KL', def: 'The Kullback–Leibler divergence KL(q ‖ p) = E<sub>q</sub>[log q/p] in nats, 0 only when q = p. Here between Gaussians: the prediction (or a Gaussian fit to the iterates) against the posterior’s mean and covariance.' },
  w2: { sym: 'W<sub>2</sub>', def: 'The 2-Wasserstein distance between two Gaussians: the root-mean-square distance (in units of θ) the mass of one must move to become the other.' },
  ess: { sym: 'ESS', def: 'Effective sample size: how many independent draws the correlated kept iterates are worth, their number divided by τ.' },
  tau: { sym: 'τ', def: 'The integrated autocorrelation time 1 + 2 Σ<sub>k</sub> ρ<sub>k</sub> (summed over Geyer’s initial monotone sequence): about how many steps the chain needs to produce one independent draw.' },
  burnin: { sym: 'burn-in', def: 'The first steps, left out of every statistic, while the chain travels from its start to its stationary cloud (grey dots on the map).' },
  sgld: { sym: 'SGLD', def: 'Stochastic gradient Langevin dynamics (Welling and Teh 2011): a gradient step on the log posterior plus Gaussian noise of variance ε; as ε → 0 it samples the posterior itself.' },
  precond: { sym: 'H', def: 'A preconditioner: the step becomes −ε H times the gradient. Mandt’s H* = (2S/(εN)) (BB<sup>T</sup>)<sup>−1</sup> makes the continuous-time stationary covariance exactly the Laplace posterior (N A)<sup>−1</sup>.' },
  momentum: { sym: 'μ', def: 'The momentum of heavy-ball SGD: the velocity keeps a fraction μ of itself each step, so in the long run the step acts like ε/(1 − μ).' },
  gamma: { sym: 'γ', def: 'SGLD’s step decay: ε<sub>t</sub> = ε (1 + t)<sup>−γ</sup>. With γ > 0 the noise shrinks over time and there is no stationary cloud to predict.' },
};

/** File names of exports (the one rule: fileName in web/export.js): model, sampler, step (a multiple of ε*), batch. */
export function basename(name, s) {
  return fileName(name, s.model, s.sampler, ['eps', `${roundName(s.epsr)}xstar`], ['S', s.S], s.batching, ['steps', s.steps],
    ['seed', s.seed]);
}

const mat2 = (m) => (m && Number.isFinite(m[0][0]) ? `[${fmt(m[0][0], 4)}, ${fmt(m[0][1], 4)}; ${fmt(m[1][1], 4)}]` : '—');
const vec2 = (v) => (v ? `(${fmt(v[0], 5)}, ${fmt(v[1], 5)})` : '—');

export async function mount(section, page) {
  section.innerHTML = await panelHTML;
  const { engine } = page;
  const sch = page.schema;
  const $ = (id) => section.querySelector(`#sgd-${id}`);
  fillSelect($('model'), sch.model.values, (v) => MODEL_LABEL[v] || v);
  fillSelect($('sampler'), sch.sampler.values, (v) => SAMPLER_LABEL[v] || v);
  const session = new Session(engine);
  const figs = {};
  const select = (patch) => page.setState(patch);
  for (const name of Object.keys(FIGURE_CLASSES)) {
    const host = section.querySelector(`#fig-${name} .fig-host`);
    figs[name] = new FIGURE_CLASSES[name](engine, host, { onSelect: select, session });
  }

  // ---- controls ------------------------------------------------------------------------------------------
  const setState = page.setState;
  const status = (msg) => { $('status').textContent = msg; };
  const num = (el) => (el.value.trim() === '' ? NaN : Number(el.value));
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  const checked = (k, v) => {
    if (!allowed(v, sch[k])) {
      status(`${sch[k].what}: ${v} is not allowed (${sch[k].minOpen ? '>' : '≥'} ${sch[k].min}, ≤ ${sch[k].max}${sch[k].kind === 'int' ? ', whole' : ''})`);
      renderControls(page.state());
      return false;
    }
    status('');
    return true;
  };
  for (const k of ['model', 'n', 'sampler', 'batching', 'precond', 'view', 'speed']) {
    on(k, 'change', (e) => setState({ [k]: e.target.value }));
  }
  on('cmp', 'change', (e) => setState({ cmp: e.target.checked ? '1' : '0' }));
  on('epsr', 'input', (e) => setState({ epsr: Number(Math.pow(10, Number(e.target.value)).toPrecision(3)) }, 120));
  on('epsr-num', 'change', (e) => { const v = num(e.target); if (checked('epsr', v)) setState({ epsr: v }); });
  on('epsstar', 'click', () => setState({ epsr: 1 }));
  on('S-range', 'input', (e) => setState({ S: Math.max(1, Math.round(Math.pow(10, Number(e.target.value)))) }, 120));
  on('S', 'change', (e) => { const v = num(e.target); if (checked('S', v)) setState({ S: v }); });
  for (const k of ['mu', 'gamma']) on(k, 'input', (e) => setState({ [k]: Number(e.target.value) }, 120));
  for (const k of ['seed', 'steps', 'burn']) {
    on(k, 'change', (e) => { const v = num(e.target); if (checked(k, v)) setState({ [k]: v }); });
  }
  // ---- the run: the shared run bar (web/runbar.js) over the session's chain ------------------------------------
  const writeSteps = () => { if (session.chains[0]) setState({ steps: session.chains[0].t }); };
  let stopped = false;
  const bar = new RunBar($('runbar'), {
    unit: 'step', label: 'sampler', more: true,
    onPlay: () => { stopped = false; session.play(true); renderRun(); },
    onPause: () => { session.play(false); writeSteps(); renderRun(); },
    onStop: () => { stopped = true; session.play(false); writeSteps(); renderRun(); },
    onStep: () => { stopped = false; session.play(false); session.step(1); writeSteps(); },
    onLift: () => session.lift(),
  });
  session.cap = bar.cap;
  on('restart', 'click', () => {
    stopped = false;
    session.play(false);
    setState({ steps: 0 });
  });
  wireLinkButtons(on, status, page);

  /** The run bar's phase, counter, estimate and note, from the session. */
  const STALE_AFTER = 0.3; // seconds: a computed run that takes longer dims the figures it will replace
  function renderRun() {
    const c = session.chains[0];
    const st = page.state();
    const loc = session.loc;
    const info = { phase: 'idle', done: c ? c.t : 0, total: st.steps, seconds: session.seconds || null,
      estimate: session.estimate || null };
    if (session.error) info.phase = 'stopped', info.note = `Error: ${session.error.message}`;
    else if (!c) info.phase = 'idle';
    else if (c.diverged) {
      info.phase = 'diverged';
      info.note = divergedWords(c.t, { stabName: stabName(st.sampler), stab: loc.steps.stab, stabBound: loc.steps.stabBound });
    } else if (session.capped) info.phase = 'capped', info.done = c.t;
    else if (session.playing) Object.assign(info, { phase: 'running', total: 0, estimate: null, note: `Playing: step ${c.t}, ${st.speed} steps a frame.` });
    else if (!session.done()) info.phase = 'running';
    else info.phase = stopped ? 'stopped' : 'done';
    bar.show(info);
    const stale = session.replaying && (session.estimate > STALE_AFTER || session.seconds > STALE_AFTER);
    for (const name of Object.keys(FIGURE_CLASSES)) {
      markStale(section.querySelector(`#fig-${name}`), stale, `computing the chain to step ${st.steps}…`);
    }
  }

  function renderControls(st) {
    for (const k of ['model', 'n', 'sampler', 'batching', 'precond', 'view', 'speed']) $(k).value = st[k];
    $('cmp').checked = st.cmp === '1';
    $('epsr').value = Math.log10(st.epsr);
    $('epsr-num').value = st.epsr;
    const loc = session.loc;
    $('eps-out').textContent = loc ? `= ${fmt(loc.eps, 4)} (${fmt(st.epsr, 3)} × ${st.sampler === 'sgld' ? '2ε*/N' : 'ε*'})` : '';
    $('S-range').value = Math.log10(st.S);
    $('S').value = st.S;
    $('S-out').textContent = `= ${st.S}`;
    $('n-out').textContent = loc ? `= ${loc.spec.n}` : '';
    $('mu').value = st.mu;
    $('mu-out').textContent = `= ${formatValue(st.mu, sch.mu)}`;
    $('gamma').value = st.gamma;
    $('gamma-out').textContent = `= ${formatValue(st.gamma, sch.gamma)}`;
    $('seed').value = st.seed;
    $('steps').value = st.steps;
    $('steps-out').textContent = `= ${st.steps}`;
    $('burn').value = st.burn;
    $('burn-out').textContent = `= ${st.burn}`;
    // Settings that only one sampler uses are dimmed (and disabled) for the others.
    const only = { 'precond-box': 'sgd-precond', 'mu-box': 'momentum', 'gamma-box': 'sgld' };
    for (const [id, s] of Object.entries(only)) {
      const off = st.sampler !== s;
      $(id).classList.toggle('sgd-disabled', off);
      $(id).querySelectorAll('select, input').forEach((e) => { e.disabled = off; });
    }
    renderRun();
  }

  // ---- the numbers and the explanation -------------------------------------------------------------------
  let lastNum = 0;
  function renderNumbers(force) {
    const now = performance.now();
    if (!force && now - lastNum < 150) return;
    lastNum = now;
    const s = session;
    const st = page.state();
    if (s.error) {
      $('numbers-dl').innerHTML = ''; // the figures show the error
      return;
    }
    const loc = s.loc;
    if (!loc) return;
    const th = s.theory;
    const dg = s.diag && s.diag.chains[0];
    const g = s.diag && s.diag.chains[1];
    const stab = loc.steps; // the core's stability number and bound (dyn_post_steps), as the CLI's eps_lam_max
    const T = term;
    const rows = [
      [`step ${T('eps', 'ε')}`, fmt(loc.eps, 5)], [`${T('epsstar', 'ε*')} (Mandt et al.)`, fmt(loc.epsStar, 5)],
      [`${stabName(st.sampler)} (stable &lt; ${fmt(stab.stabBound, 3)})`, fmt(stab.stab, 4)],
      ['step t', String(dg ? dg.t : 0)], ['iterates kept', dg ? `${dg.count}${dg.thin > 1 ? ` (every ${dg.thin})` : ''}` : '0'],
      [`${T('mode', 'θ*')} (mode)`, vec2(th && th.mode)],
      [`${T('posterior', 'posterior')} mean`, vec2(th && th.postMean)], ['posterior cov', mat2(th && th.postCov)],
      [`predicted ${T('sigma', 'Σ')} (discrete)`, mat2(loc.pred.disc)], ['predicted Σ (continuous)', mat2(loc.pred.cont)],
      ['sample mean', vec2(dg && dg.moments && dg.moments.mean)], ['sample cov', mat2(dg && dg.moments && dg.moments.cov)],
      [`${T('kl', 'KL')}(sample fit ‖ posterior)`, fmt(dg && dg.fit && dg.fit.kl, 4)], [`${T('w2', 'W<sub>2</sub>')}(sample fit, posterior)`, fmt(dg && dg.fit && dg.fit.w2, 4)],
    ];
    if (s.diag && s.diag.acf) rows.push([`${T('ess', 'ESS')} (θ_1, θ_2)`, `${fmt(s.diag.acf[0].ess, 4)}, ${fmt(s.diag.acf[1].ess, 4)}`]);
    if (g && g.moments) rows.push([`sample cov (${g.batching}, blue)`, mat2(g.moments.cov)]);
    if (Number.isFinite(loc.pred.exact[0][0])) rows.push(['exact Σ (linreg, i.i.d.)', mat2(loc.pred.exact)]);
    const esc = (t) => t.replace(/_(\d)/g, '<sub>$1</sub>');
    $('numbers-dl').innerHTML = rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('');
  }
  session.on((kind) => {
    renderRun();
    if (kind !== 'progress') renderNumbers(session.done());
  });

  return {
    figures: figs,
    render(state, { controlsOnly = false } = {}) {
      renderControls(state);
      if (controlsOnly) return;
      session.update(state);
      renderControls(state);
      if (state.fig) figs.posterior.hm.resize();
      for (const [name, f] of Object.entries(figs)) {
        if (!state.fig || state.fig === name || name === 'posterior') f.update(state);
      }
      renderNumbers(true);
    },
    idle: () => session.done() && Object.values(figs).every((f) => f.work.idle()) &&
      !!figs.posterior.grid && figs.posterior.grid.stage === 'full',
    resize: () => figs.posterior.hm.resize(),
    basename,
    api: {
      /** Page coordinates of a point (theta1, theta2) of the posterior map, for clicking in tests. */
      pixelOfTheta: (x, y) => {
        const hm = figs.posterior.hm;
        const b = hm.canvas.getBoundingClientRect();
        return { x: b.left + hm.toX(x), y: b.top + hm.toY(y) };
      },
      pixelOf: (i, j) => {
        const hm = figs.posterior.hm;
        const p = hm.pixelOf(i, j);
        const b = hm.canvas.getBoundingClientRect();
        return { x: b.left + p.x, y: b.top + p.y };
      },
      sgdPlaying: () => session.playing,
      sgdCapped: () => session.capped,
      /** For the legend checks: each Plot's spec, plot rectangle and where legendPos 'best' put the legend. */
      sgdPlots: () => ({ kl: figs.kl.plot, acf: figs.acf.plot, trace0: figs.trace.plots[0], trace1: figs.trace.plots[1] }),
      sgdEstimate: () => session.estimate,
      sgdStep: () => (session.chains[0] ? session.chains[0].t : 0),
    },
  };
}
