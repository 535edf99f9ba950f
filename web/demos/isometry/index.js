// index.js - the dynamical-isometry demo: its URL-hash schema, its figures (the Jacobian spectrum, gradients over
// depth) and its controller, loaded by the page (web/app.js) when the tab is opened and by the embed API.
import { fillSelect, wireLinkButtons } from '../../demo-kit.js';
import { fmt } from '../../draw.js';
import { term } from '../../glossary.js';
import { allowed } from '../../state.js';
import { FIGURE_CLASSES } from './figures.js';
import { fileName, roundName } from '../../export.js';

const panelHTML = fetch(new URL('./panel.html', import.meta.url)).then((r) => {
  if (!r.ok) throw new Error(`could not load the dynamical-isometry panel: HTTP ${r.status}`);
  return r.text();
});

export const figures = FIGURE_CLASSES;

export function schema(names) {
  return {
    act: { kind: 'enum', values: names.activations, def: 'tanh', what: 'activation' },
    sw2: { kind: 'num', min: 0, max: 1000, def: 0, what: 'weight variance σw² (0: critical)' },
    sb2: { kind: 'num', min: 0, max: 1000, def: 0.05, what: 'bias variance σb²' },
    depth: { kind: 'int', min: 1, max: 200, def: 16, what: 'depth L' },
    width: { kind: 'int', min: 16, max: 512, def: 128, what: 'width N' },
    nets: { kind: 'int', min: 1, max: 16, def: 2, what: 'number of random networks' },
    seed: { kind: 'int', min: 1, max: 4294967295, def: 1, what: 'random seed' },
    // the trainability grid (its sb2 is the network's σb²; the CLI's `trainability grid` flags in brackets)
    tdepth: { kind: 'range', min: 1, max: 128, def: [5, 60], what: 'trainability depth range [--depth]' },
    tny: { kind: 'int', min: 2, max: 24, def: 6, what: 'trainability depths (rows) [--ny]' },
    tsw2: { kind: 'range', min: 0, minOpen: true, max: 1000, def: [1, 4], what: 'trainability σw² range [--sw2]' },
    tnx: { kind: 'int', min: 2, max: 32, def: 9, what: 'trainability σw² values (columns) [--nx]' },
    twidth: { kind: 'int', min: 2, max: 128, def: 16, what: 'trainability width [--width]' },
    tsteps: { kind: 'int', min: 1, max: 5000, def: 150, what: 'SGD steps per cell [--steps]' },
    tlr: { kind: 'num', min: 0, minOpen: true, max: 100, def: 0.03, what: 'SGD step size [--lr]' },
  };
}

/** This demo's own symbols (the shared ones, σ_w², σ_b², q*, χ_1, ξ_c, L, N, η, are in web/glossary.js). */
export const glossary = {
  J: {
    sym: 'J = D<sub>L</sub>W<sub>L</sub> ⋯ D<sub>1</sub>W<sub>1</sub>',
    def: 'The input-output Jacobian ∂h<sup>L</sup>/∂h<sup>0</sup>: the product over layers l = 1 … L of the weight matrix ' +
      'W<sub>l</sub> (N × N) and the diagonal matrix D<sub>l</sub> = diag(φ′(h<sup>l</sup>)) of the activation\'s derivatives ' +
      'at that layer. Backpropagation multiplies a gradient by J<sup>T</sup>.',
  },
  phi: { sym: 'φ', def: 'The activation function; φ′ its derivative, the entries of D<sub>l</sub>.' },
  lambda: {
    sym: 'λ',
    def: 'A squared singular value of J (an eigenvalue of JJ<sup>T</sup>): the factor by which J stretches the squared length ' +
      'of a vector along one direction. Dynamical isometry: all λ near 1.',
  },
  mu: {
    sym: 'μ<sub>k</sub>',
    def: 'The moments of the squared derivative: μ<sub>k</sub> = E[φ′(√q* z)<sup>2k</sup>], z ~ N(0, 1). ' +
      'χ<sub>1</sub> = σ<sub>w</sub><sup>2</sup> μ<sub>1</sub>; μ<sub>2</sub>/μ<sub>1</sub><sup>2</sup> = 1 only when every unit has the ' +
      'same slope (q* → 0 for tanh).',
  },
  s1: {
    sym: 's<sub>1</sub>',
    def: 'The first coefficient of the weights\' S-transform, S(z) = σ<sub>w</sub><sup>−2</sup>(1 + s<sub>1</sub> z + …): ' +
      '−1 for Gaussian weights (Marchenko–Pastur), 0 for orthogonal ones (all singular values equal).',
  },
  relvar: {
    sym: 'var/mean²',
    def: 'The variance of λ over its squared mean: 0 when every singular value is the same. At χ<sub>1</sub> = 1 it grows ' +
      'like L(μ<sub>2</sub>/μ<sub>1</sub><sup>2</sup> − 1 − s<sub>1</sub>) with depth.',
  },
  s_transform: {
    sym: 'S-transform',
    def: 'Voiculescu\'s S-transform of a spectrum: for free (generic, independently rotated) random matrices the ' +
      'S-transform of a product is the product of their S-transforms, which gives the large-width spectrum of J from those ' +
      'of the D<sub>l</sub> and W<sub>l</sub>.',
  },
  haar: {
    sym: 'Haar-orthogonal',
    def: 'A random orthogonal matrix drawn uniformly (from the Haar measure on the orthogonal group), here scaled by ' +
      'σ<sub>w</sub>: all its singular values equal σ<sub>w</sub>.',
  },
  marchenko_pastur: {
    sym: 'Marchenko–Pastur',
    def: 'The law of the squared singular values of a large square Gaussian matrix: spread over (0, 4σ<sub>w</sub><sup>2</sup>], ' +
      'not concentrated at one value; the spectrum of one Gaussian layer of a linear net.',
  },
  fuss_catalan: {
    sym: 'Fuss–Catalan',
    def: 'The law of the squared singular values of a product of L independent square Gaussian matrices (Marchenko–Pastur ' +
      'at L = 1); its var/mean² is L, so a deep linear Gaussian net is far from isometric.',
  },
  isometric: {
    sym: 'dynamically isometric',
    def: 'Every singular value of J near 1, so a gradient keeps its length and direction through all layers. The page\'s ' +
      'rule (the core\'s): mean λ within a factor 2 of 1 and var/mean² ≤ 0.25.',
  },
};

/**
 * What to notice, step by step: each step's link is the defaults overridden by `set`; the suite
 * (tests/browser/suite-isometry.mjs, part guide) checks every claim against the numbers the page computes.
 */
export const guide = [
  { set: { act: 'tanh', sw2: 0, sb2: 0.05, depth: 16 },
    text: 'At the critical point (σ<sub>w</sub><sup>2</sup> = 0 picks it) the mean of λ is χ<sub>1</sub><sup>L</sup> = 1 for ' +
      'both weight kinds, yet the Gaussian spectrum is spread far wider: its var/mean² is about four times the orthogonal one.' },
  { set: { act: 'linear', sw2: 1, sb2: 0, depth: 16 },
    text: 'A linear network at σ<sub>w</sub><sup>2</sup> = 1: with orthogonal weights J is itself orthogonal, every λ = 1, and ' +
      'the network is <b>dynamically isometric</b> (var/mean² = 0 up to rounding). With Gaussian weights λ follows the ' +
      'Fuss–Catalan law: var/mean² = L = 16 in theory, and about that in the samples.' },
  { set: { act: 'linear', sw2: 1, sb2: 0, depth: 64 },
    text: 'Four times deeper: the Gaussian spread grows with L (var/mean² = 64 in theory; the sampled one grows too), while ' +
      'the orthogonal network stays perfectly isometric.' },
  { set: { act: 'relu', sw2: 0, sb2: 0, depth: 16 },
    text: 'ReLU at its critical point (σ<sub>w</sub><sup>2</sup> = 2): half the derivatives are 0, so μ<sub>2</sub>/μ<sub>1</sub><sup>2</sup> = 2 ' +
      'and even orthogonal weights spread λ (var/mean² = L): ReLU networks cannot be dynamically isometric.' },
  { set: { act: 'tanh', sw2: 3, sb2: 0.05, depth: 16 },
    text: 'Off the critical line, in the chaotic phase (σ<sub>w</sub><sup>2</sup> = 3, χ<sub>1</sub> ≈ 1.2): going back from the ' +
      'last layer to the first, gradients grow about tenfold with either kind of weights (theory: χ<sub>1</sub><sup>L−1</sup> ≈ 17).' },
];

/** File names of exports (the one rule: fileName in web/export.js); sw2 = 0 means the critical σw². */
export function basename(name, s) {
  const range = (r) => `${roundName(r[0])}-${roundName(r[1])}`;
  if (name === 'train') {
    return fileName(name, s.act, ['sb2', s.sb2], ['L', range(s.tdepth)], ['sw2', range(s.tsw2)], ['N', s.twidth], ['steps', s.tsteps],
      ['lr', s.tlr]);
  }
  return fileName(name, s.act, s.sw2 === 0 ? 'sw2_critical' : ['sw2', s.sw2], ['sb2', s.sb2], ['L', s.depth], ['N', s.width]);
}

export async function mount(section, page) {
  section.innerHTML = await panelHTML;
  const { engine } = page;
  const sch = page.schema;
  const $ = (id) => section.querySelector(`#isometry-${id}`);
  const figs = {};
  for (const name of Object.keys(FIGURE_CLASSES)) {
    const host = section.querySelector(`#fig-${name} .fig-host`);
    figs[name] = new FIGURE_CLASSES[name](engine, host, { onSelect: (patch) => page.setState(patch) });
  }
  fillSelect($('act'), engine.activations);
  const setState = page.setState;
  const status = (msg) => { $('status').textContent = msg; };
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  const num = (el) => (el.value.trim() === '' ? NaN : Number(el.value));
  on('act', 'change', (e) => setState({ act: e.target.value }));
  for (const k of ['sw2', 'sb2', 'seed']) {
    on(k, 'change', (e) => {
      const v = num(e.target);
      if (!allowed(v, sch[k])) {
        status(`${sch[k].what}: ${e.target.value} is not allowed (≥ ${sch[k].min}, ≤ ${sch[k].max})`);
        renderControls(page.state());
        return;
      }
      setState({ [k]: v });
    });
  }
  for (const k of ['tny', 'tnx', 'twidth', 'tsteps', 'tlr']) {
    on(k, 'change', (e) => {
      const v = num(e.target);
      if (!allowed(v, sch[k]) || (sch[k].kind === 'int' && !Number.isInteger(v))) {
        status(`${sch[k].what}: ${e.target.value} is not allowed (≥ ${sch[k].min}, ≤ ${sch[k].max})`);
        renderControls(page.state());
        return;
      }
      setState({ [k]: v });
    });
  }
  for (const k of ['tdepth', 'tsw2']) {
    on(k, 'change', (e) => {
      const m = /^\s*([^:]+):([^:]+)\s*$/.exec(e.target.value);
      const v = m ? [Number(m[1]), Number(m[2])] : null;
      if (!v || !v.every((x) => allowed(x, { ...sch[k], kind: 'num' })) || !(v[0] < v[1]) ||
        (k === 'tdepth' && !v.every(Number.isInteger))) {
        status(`${sch[k].what}: ${e.target.value} is not allowed (MIN:MAX, MIN < MAX, in ${sch[k].min}..${sch[k].max})`);
        renderControls(page.state());
        return;
      }
      setState({ [k]: v });
    });
  }
  for (const k of ['depth', 'width', 'nets']) {
    on(k, 'input', (e) => {
      $(`${k}-out`).textContent = `= ${e.target.value}`;
      setState({ [k]: Number(e.target.value) }, 250);
    });
  }
  wireLinkButtons(on, status, page);

  function renderControls(state) {
    $('act').value = state.act;
    for (const k of ['sw2', 'sb2', 'seed', 'depth', 'width', 'nets']) $(k).value = state[k];
    for (const k of ['depth', 'width', 'nets']) $(`${k}-out`).textContent = `= ${state[k]}`;
    for (const k of ['tny', 'tnx', 'twidth', 'tsteps', 'tlr']) $(k).value = state[k];
    for (const k of ['tdepth', 'tsw2']) $(k).value = state[k].join(':');
  }

  // the line saying whether the selected network is dynamically isometric (the rule is the core's)
  let gen = 0;
  async function verdict(state) {
    const g = ++gen;
    try {
      const req = (weights) => [{ act: state.act, weights, sw2: state.sw2, sb2: state.sb2, depth: state.depth }];
      const ga = await engine.pool.call('isoTheory', req('gaussian'), { channel: 'isometry:verdict' });
      const or = await engine.pool.call('isoTheory', req('orthogonal'), { channel: 'isometry:verdict' });
      if (g !== gen) return;
      const say = (w, t) => `${w} weights: mean ${term('lambda', 'λ')} = ${term('chi1', 'χ_1')}<sup>L</sup> = ` +
        `${fmt(Math.exp(t.log_m1), 4)}, ${term('relvar', 'var/mean²')} = ${fmt(t.rel_var, 4)}: ` +
        `${t.isometric ? `<b>${term('isometric', 'dynamically isometric')}</b>` : 'not isometric'}`;
      $('verdict').innerHTML = `${term('sw2', 'σ_w^2')} = ${fmt(ga.sw2, 5)}, ${term('q_star', 'q^*')} = ${fmt(ga.q, 4)}, ` +
        `${term('chi1', 'χ_1')} = ${fmt(ga.chi1, 5)}. ` +
        `${say('Gaussian', ga)}; ${say('orthogonal', or)} (isometric: mean within a factor 2 of 1, var/mean² ≤ 0.25). ` +
        `<a id="isometry-signal-link" href="#demo=signal&act=${state.act}&sw2=${Number(ga.sw2.toPrecision(8))}&sb2=` +
        `${state.sb2}&depth=${Math.max(5, state.depth)}">Show this network on the phase diagram</a>.`;
    } catch (err) {
      if (!err.cancelled) $('verdict').textContent = `Error: ${err.message}`;
    }
  }

  return {
    figures: figs,
    render(state, { controlsOnly = false } = {}) {
      renderControls(state);
      if (controlsOnly) return;
      for (const [name, f] of Object.entries(figs)) if (!state.fig || state.fig === name) f.update(state);
      if (!state.fig) verdict(state);
    },
    idle: () => Object.values(figs).every((f) => f.work.idle()),
    resize: () => {},
    basename,
    api: {},
  };
}
