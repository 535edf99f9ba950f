// index.js - the SGD-as-Bayesian-inference demo: its URL-hash schema, its figures and its controller, loaded by
// the page (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons } from '../../demo-kit.js';
import { fmt } from '../../draw.js';
import { allowed, formatValue } from '../../state.js';
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
  on('play', 'click', () => {
    const playing = !session.playing;
    session.play(playing);
    if (!playing && session.chains[0]) setState({ steps: session.chains[0].t });
    renderRun();
  });
  on('step', 'click', () => {
    if (session.playing) session.play(false);
    session.step(1);
    if (session.chains[0]) setState({ steps: session.chains[0].t });
  });
  on('restart', 'click', () => {
    session.play(false);
    setState({ steps: 0 });
  });
  wireLinkButtons(on, status, page);

  function renderRun() {
    $('play').textContent = session.playing ? 'Pause' : 'Play';
    $('play').setAttribute('aria-pressed', String(session.playing));
    const c = session.chains[0];
    $('stepinfo').textContent = c ? `step ${c.t}${c.diverged ? ' — diverged (step too large)' : ''}` : '';
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
      $('numbers-dl').innerHTML = '';
      $('explain').textContent = `Error: ${s.error.message}`;
      return;
    }
    const loc = s.loc;
    if (!loc) return;
    const th = s.theory;
    const dg = s.diag && s.diag.chains[0];
    const g = s.diag && s.diag.chains[1];
    const stab = loc.steps; // the core's stability number and bound (dyn_post_steps), as the CLI's eps_lam_max
    const rows = [
      ['step ε', fmt(loc.eps, 5)], ['ε* (Mandt et al.)', fmt(loc.epsStar, 5)],
      [`${st.sampler === 'sgld' ? '(εN/2)' : 'ε'} λ<sub>max</sub>(A) (stable &lt; ${fmt(stab.stabBound, 3)})`, fmt(stab.stab, 4)],
      ['step t', String(dg ? dg.t : 0)], ['iterates kept', dg ? `${dg.count}${dg.thin > 1 ? ` (every ${dg.thin})` : ''}` : '0'],
      ['θ* (mode)', vec2(th && th.mode)],
      ['posterior mean', vec2(th && th.postMean)], ['posterior cov', mat2(th && th.postCov)],
      ['predicted Σ (discrete)', mat2(loc.pred.disc)], ['predicted Σ (continuous)', mat2(loc.pred.cont)],
      ['sample mean', vec2(dg && dg.moments && dg.moments.mean)], ['sample cov', mat2(dg && dg.moments && dg.moments.cov)],
      ['KL(sample fit ‖ posterior)', fmt(dg && dg.fit && dg.fit.kl, 4)], ['W₂(sample fit, posterior)', fmt(dg && dg.fit && dg.fit.w2, 4)],
    ];
    if (s.diag && s.diag.acf) rows.push(['ESS (θ_1, θ_2)', `${fmt(s.diag.acf[0].ess, 4)}, ${fmt(s.diag.acf[1].ess, 4)}`]);
    if (g && g.moments) rows.push([`sample cov (${g.batching}, blue)`, mat2(g.moments.cov)]);
    if (Number.isFinite(loc.pred.exact[0][0])) rows.push(['exact Σ (linreg, i.i.d.)', mat2(loc.pred.exact)]);
    const esc = (t) => t.replace(/_(\d)/g, '<sub>$1</sub>');
    $('numbers-dl').innerHTML = rows.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('');
    const words = [];
    const rel = st.epsr;
    if (st.sampler === 'sgld') {
      words.push(st.gamma > 0
        ? `SGLD with a decreasing step ε_t = ε(1+t)^−${st.gamma}: there is no stationary cloud to predict; as the step shrinks the chain samples the posterior ever more exactly (and moves ever more slowly).`
        : `SGLD adds Gaussian noise of variance ε at every step. At small ε its cloud approaches the posterior (KL → 0 on the left of the KL plot); at large ε the minibatch noise adds to the injected noise and the cloud grows too big.`);
    } else {
      words.push(`Constant-step ${st.sampler}: the cloud's size is set by ε/S. At ε = ${fmt(rel, 3)} ε* the predicted ellipse is ${rel > 1.05 ? 'wider than' : rel < 0.95 ? 'narrower than' : 'about as wide as'} the posterior${st.sampler === 'sgd-precond' ? ' — with H* its shape matches the posterior at ε = ε*' : ''}.`);
      if (st.sampler === 'momentum') words.push(`Momentum μ = ${st.mu} acts like the step ε/(1 − μ) = ${fmt(loc.steps.drift, 3)}.`);
    }
    if (st.batching === 'epoch' || st.cmp === '1') {
      words.push(`Reshuffled epochs draw each example once per epoch, so the minibatch noise is smaller than the i.i.d. theory assumes (by (N − S)/(N − 1); at S = N it vanishes and SGD converges to θ*), and consecutive batches are correlated: compare the orange and blue clouds${st.cmp === '1' ? '' : ' (tick “also run the other batching”)'}.`);
    }
    if (st.model === 'mixture') words.push('The mixture posterior has two modes; a local sampler with a small step rarely crosses between them, so its statistics describe one mode only.');
    if (dg && dg.diverged) words.push('The iterates diverged: ε is too large for the curvature.');
    $('explain').textContent = words.join(' ');
  }
  session.on(() => {
    renderRun();
    renderNumbers(session.done());
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
      sgdStep: () => (session.chains[0] ? session.chains[0].t : 0),
    },
  };
}
