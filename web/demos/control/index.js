// index.js - the training-as-optimal-control demo: its URL-hash schema, its figures and its controller, loaded by
// the page (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons, wireNumbers } from '../../demo-kit.js';
import { escapeHTML, fmt } from '../../draw.js';
import { RunBar } from '../../runbar.js';
import { cap, FIGURE_CLASSES, METHOD_LABEL, METHODS, problemFor, runFor, runVerdict, setCap, setMaxChunk, speedFactor,
  startedRun, viewEstimate } from './figures.js';
import { fileName } from '../../export.js';

const panelHTML = fetch(new URL('./panel.html', import.meta.url)).then((r) => {
  if (!r.ok) throw new Error(`could not load the optimal-control panel: HTTP ${r.status}`);
  return r.text();
});

/** The figures a link (fig=NAME) or the embed API can show alone. */
export const figures = FIGURE_CLASSES;

/** This demo's hash keys, in link order. Name lists come from the core; 0 means "the core's default" where noted. */
export function schema(engine) {
  const dl = engine.dl;
  return {
    data: { kind: 'enum', values: [...dl.toys, 'sin'], def: 'moons', what: 'data set' },
    n: { kind: 'int', min: 20, max: 2000, def: 200, what: 'number of training examples' },
    noise: { kind: 'num', min: 0, max: 2, def: 0.1, what: 'data noise' },
    dseed: { kind: 'int', min: 1, max: 2147483647, def: 1, what: 'data seed' },
    width: { kind: 'int', min: 2, max: 32, def: 2, what: 'width d' },
    layers: { kind: 'int', min: 1, max: 100, def: 10, what: 'layers T' },
    delta: { kind: 'num', min: 0, minOpen: true, max: 10, def: 0.25, what: 'step δ' },
    act: { kind: 'enum', values: engine.activations, def: 'tanh', what: 'activation' },
    arch: { kind: 'enum', values: dl.ctlArchs, def: 'plain', what: 'architecture' },
    gamma: { kind: 'num', min: 0, max: 100, def: 0, what: 'antisymmetric damping γ' },
    reg: { kind: 'num', min: 0, max: 100, def: 0, what: 'running cost reg' },
    sw2: { kind: 'num', min: 0, max: 100, def: 1, what: 'initial weight variance σw²' },
    sb2: { kind: 'num', min: 0, max: 100, def: 0, what: 'initial bias variance σb²' },
    seed: { kind: 'int', min: 1, max: 2147483647, def: 1, what: 'seed (initial controls)' },
    iters: { kind: 'int', min: 1, max: 20000, def: 1000, what: 'iterations of GD and Adam' },
    sweeps: { kind: 'int', min: 1, max: 500, def: 30, what: 'sweeps of MSA and E-MSA' },
    lrgd: { kind: 'num', min: 0, max: 100, def: 0, what: 'GD step (0: the core’s default)' },
    lradam: { kind: 'num', min: 0, max: 100, def: 0, what: 'Adam step (0: the core’s default)' },
    rho: { kind: 'num', min: 0, max: 1e6, def: 0, what: 'E-MSA penalty ρ (0: the core’s default)' },
    inner: { kind: 'int', min: 0, max: 1000, def: 0, what: 'L-BFGS iterations per layer (0: the core’s default)' },
    show: { kind: 'enum', values: METHODS, def: 'adam', what: 'method whose network is shown' },
    layer: { kind: 'int', min: 0, max: 100, def: 0, what: 'layer shown' },
    ex: { kind: 'int', min: 0, max: 1999, def: 0, what: 'example' },
    pwidth: { kind: 'int', min: 2, max: 256, def: 32, what: 'width of the stability nets' },
    pdepth: { kind: 'int', min: 1, max: 1000, def: 50, what: 'depth of the stability nets' },
    lra: { kind: 'num', min: 0, minOpen: true, max: 100, def: 1, what: 'learning rate: curvature a' },
    lrs2: { kind: 'num', min: 0, max: 100, def: 1, what: 'learning rate: gradient noise σ²' },
    lreta: { kind: 'num', min: 0, minOpen: true, max: 1, def: 0.01, what: 'learning rate: base step η' },
    lrT: { kind: 'num', min: 0, minOpen: true, max: 1000, def: 10, what: 'learning rate: horizon T' },
    lrruns: { kind: 'int', min: 10, max: 100000, def: 1000, what: 'learning rate: Monte Carlo runs' },
  };
}

/**
 * What to notice, step by step (rendered by the shell; each step's link is the defaults overridden by `set`).
 * Every claim is checked against the page's numbers in tests/browser/suite-control.mjs (guide part).
 */
export const guide = [
  { set: {}, text: 'Training curves, two moons: from the same start, the loss of <span class="term" data-term="emsa">E-MSA</span> ' +
    'falls in every sweep, while basic <span class="term" data-term="msa">MSA</span>, which maximises each ' +
    '<span class="term" data-term="hamiltonian">H<sub>t</sub></span> outright, jumps above where it started on its first ' +
    'sweep and ends higher. GD and Adam take 1000 cheaper iterations.' },
  { set: { show: 'emsa', layer: 10 }, text: 'The flow at the output layer: E-MSA’s network has carried the two moons apart ' +
    'until the read-out separates them (over 95 % training accuracy), and no step folds the plane: ' +
    '<span class="term" data-term="jacdet">det ∂F<sub>t</sub>/∂x</span> &gt; 0 everywhere, as for the flow of an ODE. ' +
    'Drag the layer slider back to 0 to watch it.' },
  { set: { data: 'circles', show: 'emsa' }, text: 'Two circles with width 2: with <span class="term" data-term="rho">ρ</span> = 1 ' +
    'E-MSA keeps every step invertible (every <span class="term" data-term="margin">margin</span> below 1), and no ' +
    'invertible map of the plane can pull the inner circle out of the outer one. It does not learn, and the training ' +
    'controls say so.' },
  { set: { data: 'circles', show: 'emsa', rho: 0.01 }, text: 'A smaller penalty, ρ = 0.01, lets E-MSA’s updates go ' +
    'further: its training accuracy rises well above the previous step’s, by steps that fold the plane (the ' +
    'dark regions where det ∂F<sub>t</sub>/∂x ≤ 0), which no ODE flow can do. Where it ends is sensitive: watch its ' +
    'loss jump in the training curves.' },
  { set: { data: 'circles', width: 3, show: 'adam' }, text: 'A third state unit removes the obstruction: the inner circle ' +
    'can leave through the third dimension. Adam’s test accuracy and E-MSA’s training accuracy both rise above ' +
    'their values at width 2.' },
];

/** This demo's own symbols (the shell's web/glossary.js defines the common ones: χ1, σw², θ, η, ...). */
export const glossary = {
  state: { sym: 'x<sub>t</sub>', def: 'The <b>state</b>: the activations after layer t (t = 0: the embedded input). A residual network moves it by x<sub>t+1</sub> = x<sub>t</sub> + δ φ(W<sub>t</sub>x<sub>t</sub> + b<sub>t</sub>), a forward-Euler step of an ODE.' },
  control: { sym: 'θ<sub>t</sub>', def: 'The <b>control</b> of layer t: its weights and bias (W<sub>t</sub>, b<sub>t</sub>). Training chooses all of them, and the read-out, to minimise the loss.' },
  step: { sym: 'F<sub>t</sub>', def: 'The whole step of layer t, x<sub>t+1</sub> = F<sub>t</sub>(x<sub>t</sub>, θ<sub>t</sub>).' },
  delta: { sym: 'δ', def: 'The step size of the residual update (the time step of forward Euler). Small δ: each layer is close to the identity.' },
  costate: { sym: 'p<sub>t</sub>', def: 'The <b>costate</b> (adjoint): it starts at p<sub>T</sub> = −(1/N)∇Φ(x<sub>T</sub>) and runs backward by p<sub>t</sub> = ∇<sub>x</sub>[p<sub>t+1</sub> · F<sub>t</sub>]. This is backpropagation: p<sub>t</sub> is minus the gradient of the mean loss with respect to x<sub>t</sub>.' },
  loss: { sym: 'Φ', def: 'The terminal loss of the final state x<sub>T</sub> (cross-entropy of the read-out for classes, squared error for regression); J adds the running cost L(θ<sub>t</sub>) = reg/2 |θ<sub>t</sub>|².' },
  hamiltonian: { sym: 'H<sub>t</sub>', def: 'The Hamiltonian of layer t: H<sub>t</sub> = Σ<sub>i</sub> p<sub>t+1</sub> · F<sub>t</sub>(x<sub>t</sub>, θ<sub>t</sub>) − L(θ<sub>t</sub>), summed over the examples. Its gradient in θ<sub>t</sub> is minus the loss gradient: dJ/dθ<sub>t</sub> = −∇<sub>θ</sub>H<sub>t</sub>.' },
  pontryagin: { sym: 'Pontryagin', def: 'Pontryagin’s maximum principle: at an optimal control every θ<sub>t</sub> maximises its Hamiltonian H<sub>t</sub> given the optimal states and costates, so in particular ∇<sub>θ</sub>H<sub>t</sub> = 0 in every layer.' },
  msa: { sym: 'MSA', def: 'The method of successive approximations: run the states forward and the costates backward, then replace every layer’s controls by a maximiser of its H<sub>t</sub> (here by L-BFGS). One such pass is a <b>sweep</b>. Big jumps can make the loss rise.' },
  emsa: { sym: 'E-MSA', def: 'Extended MSA (Li, Chen, Tai and E 2018): maximises H<sub>t</sub> minus ρ/2 times how far the new step moves the old states and costates, so each update stays where the states and costates it used are still valid.' },
  rho: { sym: 'ρ', def: 'E-MSA’s penalty weight. Large ρ: small, safe updates (too large and it barely moves); small ρ: bolder updates, closer to basic MSA.' },
  sweep: { sym: 'sweep', def: 'One iteration of MSA or E-MSA: a forward pass, a backward pass and a maximisation of every layer’s Hamiltonian.' },
  jacdet: { sym: 'det ∂F<sub>t</sub>/∂x', def: 'The Jacobian determinant of step t. Where it is ≤ 0 the step folds the plane (not invertible there); the flow of an ODE never does, so a fold shows where the discrete net is no longer a flow.' },
  margin: { sym: 'invertibility margin', def: 'δ ‖W<sub>t</sub>‖<sub>2</sub> max|φ′| for step t: below 1 the step x ↦ x + δφ(W<sub>t</sub>x + b<sub>t</sub>) is invertible everywhere (a contraction added to the identity). Above 1 it may fold.' },
  growth: { sym: '|v<sub>l</sub>| / |v<sub>0</sub>|', def: 'How much an infinitesimal perturbation of the inputs has grown after l layers, at random initialisation. A non-residual net multiplies it by √χ<sub>1</sub> per layer; a residual step by about √(1 + δ²χ<sub>1</sub>).' },
  antisym: { sym: 'antisymmetric', def: 'Layers with W = K − Kᵀ − γI: the ODE’s Jacobian has imaginary eigenvalues (γ = 0), so it neither grows nor shrinks perturbations; forward Euler still grows them by √(1 + δ²ω²) per step unless the damping γ &gt; 0.' },
  leapfrog: { sym: 'Hamiltonian (leapfrog)', def: 'Layers that split the state into two halves updated in turn (Verlet), a volume-preserving step stable while δ times the coupling’s frequencies stays below 2.' },
  sme: { sym: 'SME', def: 'Stochastic modified equation: the SDE dX = −u∇f dt + √(ηu²Σ) dW that SGD with step ηu follows to O(η); its moments obey an ODE on which the learning rate is a control.' },
  ustar: { sym: 'u<sub>t</sub>, t*', def: 'The learning-rate multiplier (the control, in [0, 1]) and the time t* at which the optimal schedule switches from full steps to u = 1/(1 + a(t − t*)).' },
};

/** File names of exports (the one rule: fileName in web/export.js): what each figure depends on. */
export function basename(name, s) {
  if (name === 'lr') return fileName(name, ['a', s.lra], ['s2', s.lrs2], ['eta', s.lreta], ['T', s.lrT]);
  if (name === 'stability') return fileName(name, s.act, s.arch, ['delta', s.delta], ['N', s.pwidth], ['L', s.pdepth], ['sw2', s.sw2]);
  return fileName(name, s.data, s.act, s.arch, ['d', s.width], ['T', s.layers], ['delta', s.delta],
    ...(name === 'curves' ? [['iters', s.iters], ['sweeps', s.sweeps]] : [s.show]), ['seed', s.seed]);
}

/** The figures drawn from the training runs (the others, stability and lr, need none). */
const TRAINED = ['flow', 'curves', 'costates', 'hamiltonian'];

const NUM_KEYS = ['n', 'noise', 'dseed', 'width', 'layers', 'delta', 'gamma', 'reg', 'sw2', 'sb2', 'seed', 'iters', 'sweeps',
  'lrgd', 'lradam', 'rho', 'inner', 'ex', 'pwidth', 'pdepth', 'lra', 'lrs2', 'lreta', 'lrT', 'lrruns'];
const SELECT_KEYS = ['data', 'act', 'arch', 'show'];

export async function mount(section, page) {
  section.innerHTML = await panelHTML;
  const { engine } = page;
  const sch = page.schema;
  const $ = (id) => section.querySelector(`#control-${id}`);
  const status = (msg) => { $('status').textContent = msg; };
  const setState = page.setState;

  const figs = {};
  for (const name of Object.keys(FIGURE_CLASSES)) {
    const host = section.querySelector(`#fig-${name} .fig-host`);
    figs[name] = new FIGURE_CLASSES[name](engine, host, { onSelect: (patch) => setState(patch) });
  }

  fillSelect($('data'), sch.data.values, (v) => (v === 'sin' ? 'sin (regression, Li et al.)' : v));
  fillSelect($('act'), sch.act.values);
  fillSelect($('arch'), sch.arch.values, (v) => ({ plain: 'plain: x + δ φ(Wx + b)', antisym: 'antisymmetric: W = K − Kᵀ − γI',
    hamiltonian: 'Hamiltonian (leapfrog)' }[v] || v));
  fillSelect($('show'), sch.show.values, (v) => METHOD_LABEL[v]);

  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  for (const k of SELECT_KEYS) on(k, 'change', (e) => setState({ [k]: e.target.value }));
  wireNumbers(on, NUM_KEYS, sch, { setState, status, restore: () => renderControls(page.state()) });
  on('li', 'click', () => setState({ data: 'sin', n: 100, noise: 0, width: 5, layers: 20, delta: 0.25, act: 'tanh',
    arch: 'plain', reg: 1e-3, sw2: 0, sb2: 0, rho: 1, inner: 10, lrgd: 0.1, lradam: 0.005, show: 'emsa', layer: 0, ex: 0 }));
  on('w3', 'click', () => setState({ width: page.state().width === 2 ? 3 : 2 }));
  wireLinkButtons(on, status, page);

  function renderControls(st) {
    for (const k of SELECT_KEYS) $(k).value = st[k];
    for (const k of NUM_KEYS) $(k).value = st[k];
    $('gamma').disabled = st.arch !== 'antisym';
    $('w3').textContent = st.width === 2 ? 'Try width 3' : 'Back to width 2';
    // The resolved defaults, from the core (shown beside the fields whose 0 means "default").
    try {
      const prob = problemFor(engine, st);
      const info = (m) => {
        const run = startedRun(engine, st, m);
        return run && run.result ? run.result.info : null;
      };
      const gd = info('gd');
      const ad = info('adam');
      const em = info('emsa');
      $('lrgd-out').textContent = gd ? `= ${gd.lr}` : '';
      $('lradam-out').textContent = ad ? `= ${ad.lr}` : '';
      $('rho-out').textContent = em ? `= ${em.rho}` : '';
      $('inner-out').textContent = em ? `= ${em.innerIters}` : '';
      $('P-out').textContent = `${prob.P} controls θ (${prob.net.layers} layers and the read-out)`;
    } catch (e) {
      $('P-out').textContent = e.message;
    }
  }

  // The training controls: the runs of the view (four, or the shown one for one figure alone), played, paused,
  // stepped and stopped together.
  const esc = escapeHTML;
  let runs = [];
  let unsub = [];
  let clock = { key: '', seconds: 0, since: null };
  const each = (fn) => () => { runs.forEach(fn); showBar(); };
  const bar = new RunBar($('runbar'), { unit: 'iteration', label: 'training', cap: cap(),
    onPlay: each((r) => r.play()), onPause: each((r) => r.pause()), onStep: each((r) => r.step()),
    onStop: each((r) => r.stop()),
    onLift: () => {
      const st = page.state();
      problemFor(engine, st).store.lifted = viewEstimate(engine, st).key;
      runs.forEach((r) => r.play());
      showBar();
    } });
  // Figures drawn from a stopped run redraw when it is resumed (a run's epoch is part of their key).
  const resumed = () => { if (runs.some((r) => r.epoch !== r.seenEpoch)) render(page.state()); };

  function showBar() {
    const st = page.state();
    if (!runs.length) return;
    const active = runs.some((r) => r.playing || r.busy);
    const now = performance.now();
    if (clock.since != null) clock.seconds += (now - clock.since) / 1000;
    clock.since = active ? now : null;
    const done = runs.reduce((s, r) => s + r.count, 0);
    const total = runs.reduce((s, r) => s + r.iters, 0);
    const workers = Math.max(1, Math.min(runs.length, engine.pool.size || 1));
    const rem = runs.map((r) => r.remaining());
    const left = Math.max(...rem, rem.reduce((x, y) => x + y, 0) / workers);
    const progress = runs.map((r) => `${METHOD_LABEL[r.method]} ${r.count} / ${r.iters}`).join(', ');
    const base = { done, total, seconds: clock.seconds, estimate: clock.seconds + left };
    const unitNote = `(${progress}; a sweep of MSA and E-MSA counts as one iteration)`;
    if (runs.every((r) => r.finished)) {
      const v = runs.map((r) => [r, runVerdict(r)]);
      const bad = v.filter(([, x]) => x.kind === 'diverged' || x.kind === 'stalled');
      const phase = runs.some((r) => r.stopped) ? 'stopped' : bad.some(([, x]) => x.kind === 'diverged') ? 'diverged'
        : bad.length ? 'stalled' : 'done';
      // Which learned (with their final losses), then the verdict of each that did not, in the runs' own numbers.
      const good = v.filter(([, x]) => x.kind === 'learned').map(([r]) => r);
      const names = (rs) => rs.map((r) => METHOD_LABEL[r.method]).join(', ').replace(/, ([^,]*)$/, ' and $1');
      const learned = !good.length ? '' : `${good.length === 4 ? 'All four' : names(good)} learned ` +
        `(final training loss ${good.map((r) => `${METHOD_LABEL[r.method]} ${fmtLoss(r)}`).join(', ')}).`;
      const note = [phase === 'stopped' ? `Stopped ${unitNote}: the figures show the controls so far; Play goes on.` : '',
        ...v.filter(([, x]) => x.kind !== 'learned').map(([, x]) => x.text), phase === 'stopped' ? '' : learned]
        .filter(Boolean).join(' ');
      bar.show({ phase, ...base, estimate: null, note: esc(note) });
      // a finished run has nothing left to play or step (a stopped one goes on)
      bar.play.disabled = phase !== 'stopped';
      bar.stepBtn.disabled = phase !== 'stopped';
    } else if (active) {
      bar.show({ phase: 'running', ...base, note: esc(progress) });
    } else if (!done) {
      const est = viewEstimate(engine, st);
      const lifted = problemFor(engine, st).store.lifted === est.key;
      bar.show({ phase: est.seconds > cap() && !lifted ? 'capped' : 'idle', done, total, estimate: est.seconds,
        note: esc(`Estimated from the core's operation count (core/work.h)${speedFactor() === 1 ? '' :
          `, times ${speedFactor().toFixed(2)}, the speed measured in this browser so far`}.`) });
    } else {
      bar.show({ phase: 'paused', ...base, note: esc(unitNote) });
    }
  }
  const fmtLoss = (r) => fmt(r.result.loss[r.result.done], 3);

  function watchRuns(st, methods) {
    let now;
    try {
      now = methods.map((m) => runFor(engine, st, m));
    } catch (e) {
      unsub.forEach((f) => f());
      unsub = [];
      runs = [];
      bar.show({ phase: 'idle', note: esc(e.message) });
      return;
    }
    runs.forEach((r) => { r.seenEpoch = r.epoch; });
    if (now.length === runs.length && now.every((r, k) => r === runs[k])) return;
    unsub.forEach((f) => f());
    runs = now;
    runs.forEach((r) => { r.seenEpoch = r.epoch; });
    const key = runs.map((r) => r.key).join('|') + runs[0].prob.key;
    if (key !== clock.key) clock = { key, seconds: 0, since: null };
    // Runs report after every chunk: the bar, and the resolved defaults beside the fields when they finish.
    unsub = runs.map((r) => r.on(() => {
      showBar();
      if (r.finished) renderControls(page.state());
      resumed();
    }));
    showBar();
  }

  function render(state, { controlsOnly = false } = {}) {
    if (controlsOnly) {
      renderControls(state);
      return;
    }
    for (const [name, f] of Object.entries(figs)) if (!state.fig || state.fig === name) f.update(state);
    // The training controls go with the figures that show a trained network (all of them, or the one of fig=).
    const trained = !state.fig || TRAINED.includes(state.fig);
    $('runbar').hidden = !trained;
    // (one figure of a trained network alone needs only the shown method's run; the curves need all four)
    if (trained) watchRuns(state, !state.fig || state.fig === 'curves' ? METHODS : [state.show]);
    renderControls(state);
  }

  return {
    figures: figs,
    render,
    idle: () => Object.values(figs).every((f) => f.work.idle()) && runs.every((r) => !r.busy && !r.playing),
    resize: () => {},
    basename,
    api: {
      /** The four runs of the current view (for tests): their numbers once trained. */
      ctlRuns: () => figs.curves.numbers(),
      /** For tests: train in worker calls of at most n iterations (resumed bit for bit). */
      ctlMaxChunk: (n) => setMaxChunk(n),
      /** For tests: the cap in seconds (the training controls' too). */
      ctlCap: (seconds) => {
        setCap(seconds);
        bar.cap = cap();
      },
      /** Starts or stops the flow's animation. */
      ctlPlay: (onOff) => figs.flow.play(onOff),
    },
  };
}
