// index.js - the training-as-optimal-control demo: its URL-hash schema, its figures and its controller, loaded by
// the page (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons, wireNumbers } from '../../demo-kit.js';
import { FIGURE_CLASSES, METHOD_LABEL, METHODS, problemFor, runFor, startedRun } from './figures.js';
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
    data: { kind: 'enum', values: [...dl.toys, 'sin'], def: 'circles', what: 'data set' },
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

/** File names of exports (the one rule: fileName in web/export.js): what each figure depends on. */
export function basename(name, s) {
  if (name === 'lr') return fileName(name, ['a', s.lra], ['s2', s.lrs2], ['eta', s.lreta], ['T', s.lrT]);
  if (name === 'stability') return fileName(name, s.act, s.arch, ['delta', s.delta], ['N', s.pwidth], ['L', s.pdepth], ['sw2', s.sw2]);
  return fileName(name, s.data, s.act, s.arch, ['d', s.width], ['T', s.layers], ['delta', s.delta],
    ...(name === 'curves' ? [['iters', s.iters], ['sweeps', s.sweeps]] : [s.show]), ['seed', s.seed]);
}

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

  // Runs report when they finish: refresh the resolved defaults beside the fields.
  let unsub = [];
  function watchRuns(st) {
    unsub.forEach((f) => f());
    unsub = [];
    try {
      for (const m of METHODS) unsub.push(runFor(engine, st, m).on(() => renderControls(page.state())));
    } catch (e) {
      /* the figures show the reason */
    }
  }

  return {
    figures: figs,
    render(state, { controlsOnly = false } = {}) {
      if (controlsOnly) {
        renderControls(state);
        return;
      }
      for (const [name, f] of Object.entries(figs)) if (!state.fig || state.fig === name) f.update(state);
      if (!state.fig) watchRuns(state);
      renderControls(state);
    },
    idle: () => Object.values(figs).every((f) => f.work.idle()),
    resize: () => {},
    basename,
    api: {
      /** The four runs of the current view (for tests): their numbers once trained. */
      ctlRuns: () => figs.curves.numbers(),
      /** Starts or stops the flow's animation. */
      ctlPlay: (onOff) => figs.flow.play(onOff),
    },
  };
}
