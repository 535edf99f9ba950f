// index.js - the signal-propagation demo (mean field): its URL-hash schema, its figures and its controller,
// loaded by the page (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons } from '../../demo-kit.js';
import { fmt, niceStep, richHTML } from '../../draw.js';
import { term } from '../../glossary.js';
import { allowed, formatValue } from '../../state.js';
import { apart, FIELD_INFO, FIGURE_CLASSES } from './figures.js';
import { fileName } from '../../export.js';

// Fetched as soon as the module is imported, so it arrives while the WebAssembly core starts.
const panelHTML = fetch(new URL('./panel.html', import.meta.url)).then((r) => {
  if (!r.ok) throw new Error(`could not load the signal-propagation panel: HTTP ${r.status}`);
  return r.text();
});

/** The figures a link (fig=NAME) or the embed API can show alone: name -> class (see web/figure.js). */
export const figures = FIGURE_CLASSES;

/**
 * This demo's hash keys (after demo=, before fig=), in link order; names is the engine ({activations, fields,
 * colormaps} from the core), so no list is duplicated here. Links from before demo= existed use these keys.
 */
export function schema(names) {
  return {
    act: { kind: 'enum', values: names.activations, def: 'tanh', what: 'activation' },
    field: { kind: 'enum', values: names.fields, def: 'xi_c', what: 'field' },
    sw2: { kind: 'num', min: 0, minOpen: true, max: 1000, def: 1.5, what: 'weight variance σw²' },
    sb2: { kind: 'num', min: 0, max: 1000, def: 0.05, what: 'bias variance σb²' },
    sw2r: { kind: 'range', min: 0, minOpen: true, max: 1000, def: [0.5, 4], what: 'σw² axis range' },
    sb2r: { kind: 'range', min: 0, max: 1000, def: [0, 0.3], what: 'σb² axis range' },
    res: { kind: 'enum', values: ['64', '128', '256', '512'], def: '256', what: 'resolution' },
    scale: { kind: 'enum', values: ['auto', 'linear', 'log'], def: 'auto', what: 'colour scale' },
    cmap: { kind: 'enum', values: ['auto', ...names.colormaps], def: 'auto', what: 'colormap' },
    vr: { kind: 'range', min: -1e30, max: 1e30, def: null, allowAuto: true, what: 'colour range' },
    width: { kind: 'int', min: 8, max: 2048, def: 128, what: 'simulated width N' },
    seeds: { kind: 'int', min: 2, max: 64, def: 8, what: 'number of random networks' },
    depth: { kind: 'int', min: 5, max: 1000, def: 100, what: 'depth L' },
    q0: { kind: 'num', min: 0, minOpen: true, max: 100, def: 1, what: 'input length q⁰' },
    c0: { kind: 'num', min: -1, max: 1, def: 0.5, what: 'input correlation c⁰' },
    seed: { kind: 'int', min: 1, max: 4294967295, def: 1, what: 'random seed' },
    dlog: { kind: 'enum', values: ['0', '1'], def: '0', what: 'log view of 1 − c in the depth panel' },
  };
}

/**
 * What the selected network's numbers say, in words built from them (a comparison is printed with the digits
 * that make it visibly true: χ_1 = 0.9996 < 1, never "1 < 1").
 */
export function explainPoint(pt) {
  const x1 = term('chi1', 'χ_1');
  const xc = term('xi_c', 'ξ_c');
  const grad = (xi) => (xi === Infinity ? 'gradients keep their size at any depth on average'
    : xi > 0 ? `backpropagated gradients shrink by a factor e every ${term('xi_grad', 'ξ_∇')} = ${fmt(xi, 3)} layers`
      : `backpropagated gradients grow by a factor e every ${fmt(-xi, 3)} layers (${term('xi_grad', 'ξ_∇')} = ${fmt(xi, 3)} < 0)`);
  if (pt.phase === 'unbounded') {
    return `Unbounded: for these variances the length map has no fixed point (${term('q_star', 'q^*')} = ∞): ` +
      `the length ${richHTML('q^l')} of a layer grows without limit with depth, so ${x1}, ${term('c_star', 'c^*')} and the ` +
      'depth scales are not defined.';
  }
  if (pt.chi1 === 1 || pt.xi_c === Infinity) {
    return `Critical: ${x1} = 1 exactly, so ${xc} = ∞: correlations between inputs change only slowly with depth and ${grad(pt.xi_grad)}.`;
  }
  const depth = Number.isFinite(pt.depth_trainable) ? ` Deeper than about 6${xc} = ${fmt(pt.depth_trainable, 3)} layers, ` +
    'such a network is hard to train (Schoenholz et al. 2017).' : '';
  if (pt.phase === 'ordered') {
    return `Ordered: ${x1} = ${apart(pt.chi1, 1)} < 1, so two different inputs become more alike layer after layer ` +
      `(${richHTML('c^l')} → ${term('c_star', 'c^*')} = 1): their difference fades by a factor e every ${xc} = ` +
      `${fmt(pt.xi_c, 3)} layers, and ${grad(pt.xi_grad)}.${depth}`;
  }
  return `Chaotic: ${x1} = ${apart(pt.chi1, 1)} > 1, so nearby inputs are pulled apart until their correlation settles ` +
    `at ${term('c_star', 'c^*')} = ${apart(pt.c_star, 1)}; the correlation approaches it within about ${xc} = ` +
    `${fmt(pt.xi_c, 3)} layers, and ${grad(pt.xi_grad)}.${depth}`;
}

/** This demo's own symbols (the shared ones, σ_w², σ_b², q*, c*, χ_1, ξ_c, L, N, are in web/glossary.js). */
export const glossary = {
  phi: { sym: 'φ', def: 'The activation function applied to each unit: x<sup>l</sup> = φ(h<sup>l</sup>), e.g. tanh or ReLU.' },
  q_l: {
    sym: 'q<sup>l</sup>',
    def: 'The length of layer l: the mean square pre-activation |h<sup>l</sup>|²/N of one input. The length map sends ' +
      'q<sup>l−1</sup> to q<sup>l</sup> = σ<sub>w</sub><sup>2</sup> E[φ(√q<sup>l−1</sup> z)²] + σ<sub>b</sub><sup>2</sup>, z ~ N(0, 1).',
  },
  c_l: {
    sym: 'c<sup>l</sup>',
    def: 'The correlation of two inputs\' pre-activations at layer l: h<sup>l</sup>(a)·h<sup>l</sup>(b) / (N q<sup>l</sup>). ' +
      'c = 1: the network no longer tells them apart.',
  },
  q0: { sym: 'q<sup>0</sup>', def: 'The length |h<sup>0</sup>|²/N of the inputs fed to the network (both inputs have it).' },
  c0: { sym: 'c<sup>0</sup>', def: 'The correlation of the two inputs fed to the network, from −1 to 1.' },
  chi_c: {
    sym: 'χ<sub>c</sub>',
    def: 'The slope of the correlation map at its fixed point c*: how much the gap c<sup>l</sup> − c* shrinks per layer. ' +
      'In the ordered phase (c* = 1) it equals χ<sub>1</sub>; ξ<sub>c</sub> = −1/ln χ<sub>c</sub>.',
  },
  chi_q: {
    sym: 'χ<sub>q</sub>',
    def: 'The slope of the length map at q*: the factor by which a deviation q<sup>l</sup> − q* shrinks per layer ' +
      '(always below 1 where q* exists).',
  },
  xi_q: {
    sym: 'ξ<sub>q</sub>',
    def: 'The depth scale of the length, ξ<sub>q</sub> = −1/ln χ<sub>q</sub>: q<sup>l</sup> − q* shrinks by a factor e every ' +
      'ξ<sub>q</sub> layers. It is short (a few layers) everywhere: lengths settle fast, correlations may not.',
  },
  xi_grad: {
    sym: 'ξ<sub>∇</sub>',
    def: 'The gradient depth scale, ξ<sub>∇</sub> = −1/ln χ<sub>1</sub>: a backpropagated squared gradient changes by a ' +
      'factor e every |ξ<sub>∇</sub>| layers; it shrinks when ξ<sub>∇</sub> &gt; 0 (ordered) and grows when ξ<sub>∇</sub> &lt; 0 ' +
      '(chaotic).',
  },
  depth6: {
    sym: '6ξ<sub>c</sub>',
    def: 'About the deepest network that still trains: Schoenholz et al. (2017) found that networks deeper than about ' +
      '6 ξ<sub>c</sub> layers fail to train.',
  },
  phase: {
    sym: 'phase',
    def: '<b>Ordered</b> (χ<sub>1</sub> &lt; 1): inputs converge, c* = 1. <b>Chaotic</b> (χ<sub>1</sub> &gt; 1): nearby inputs ' +
      'are pulled apart, c* &lt; 1. <b>Unbounded</b>: the length map has no fixed point, q<sup>l</sup> grows without limit.',
  },
  cobweb: {
    sym: 'cobweb',
    def: 'The iteration of a map drawn on its graph: up to the curve (one layer), across to the diagonal (the output ' +
      'becomes the next input), and again; it ends at a stable fixed point.',
  },
};

/**
 * What to notice, step by step: each step's link is the defaults overridden by `set`; the suite
 * (tests/browser/suite-signal.mjs, part guide) checks every claim against the numbers the page computes.
 */
export const guide = [
  { set: { field: 'phase', sw2: 1.2, sb2: 0.05 },
    text: 'The map in two colours: <b>ordered</b> networks lie left of the dashed critical line (χ<sub>1</sub> &lt; 1), ' +
      '<b>chaotic</b> ones right of it. The selected network at σ<sub>w</sub><sup>2</sup> = 1.2 is ordered: its correlation ' +
      'map has the single stable fixed point c* = 1, and the cobweb runs into it.' },
  { set: { field: 'xi_c', sw2: 1.761, sb2: 0.05 },
    text: 'Onto the critical line (σ<sub>w</sub><sup>2</sup> = 1.761 at σ<sub>b</sub><sup>2</sup> = 0.05): the depth scale ' +
      'ξ<sub>c</sub> grows from about 6 layers at σ<sub>w</sub><sup>2</sup> = 1.2 to over 100 000. The map is brightest along ' +
      'the line, and the colour bar\'s top reads “≥”: values there are too large for its range.' },
  { set: { sw2: 3, sb2: 0.05, depth: 60 },
    text: 'Deep in the chaotic phase (σ<sub>w</sub><sup>2</sup> = 3): two inputs with correlation c<sup>0</sup> = 0.5 end at ' +
      'c* ≈ 0.3, not 1, however deep the network; the simulated random networks (red) follow the theory (blue).' },
  { set: { act: 'relu', field: 'q_star', sw2: 1.9, sb2: 0.05 },
    text: 'ReLU has no chaotic phase: past σ<sub>w</sub><sup>2</sup> = 2 (the orange edge) the length grows without bound ' +
      '(grey). Just before it, at σ<sub>w</sub><sup>2</sup> = 1.9, χ<sub>1</sub> = 0.95 and ξ<sub>c</sub> is about 19.5 layers.' },
  { set: { field: 'xi_c', sw2: 1.2, sb2: 0.05, dlog: '1' },
    text: 'The log view of 1 − c<sup>l</sup>: in the ordered phase it falls on a straight line, by a factor e every ' +
      'ξ<sub>c</sub> ≈ 5.9 layers (its slope is −1/ξ<sub>c</sub> on the natural log).' },
];

/** File names of exports: what was drawn and where. */
/** File names of exports (the one rule: fileName in web/export.js): what was drawn, with the settings it depends on. */
export function basename(name, s) {
  return fileName(name, s.act, name === 'phase' && s.field, ['sw2', s.sw2], ['sb2', s.sb2], name === 'length' && ['q0', s.q0],
    name === 'depth' && ['c0', s.c0], name === 'depth' && ['L', s.depth], name === 'depth' && ['N', s.width]);
}

/**
 * Fills the tab's section and returns the controller the page drives:
 *   page: {engine, schema (the full link schema), state(), setState(patch, delayMs), reset()}
 *   returns {figures, render(state), idle(), resize(), api: extra window.dynlensPage methods}
 */
export async function mount(section, page) {
  section.innerHTML = await panelHTML;
  const { engine } = page;
  const sch = page.schema;
  const $ = (id) => section.querySelector(`#${id}`);

  // ---- figures -------------------------------------------------------------------------------------------
  const figs = {};
  const clampSel = (v, s) => Math.min(s.max, Math.max(s.minOpen ? 1e-6 : s.min, v));
  const select = ({ sw2, sb2 }) => page.setState({ sw2: clampSel(sw2, sch.sw2), sb2: clampSel(sb2, sch.sb2) });
  for (const name of Object.keys(FIGURE_CLASSES)) {
    const host = section.querySelector(`#fig-${name} .fig-host`);
    figs[name] = new FIGURE_CLASSES[name](engine, host, name === 'phase' ? { onSelect: select } : {});
  }

  // ---- controls ------------------------------------------------------------------------------------------
  fillSelect($('act'), engine.activations);
  fillSelect($('field'), engine.fields, (f) => (FIELD_INFO[f] ? FIELD_INFO[f].title.replace(/[_^{}]/g, '') : f));
  fillSelect($('cmap'), ['auto', ...engine.colormaps]);

  const setState = page.setState;
  const num = (el) => (el.value.trim() === '' ? NaN : Number(el.value));
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  const status = (msg) => { $('status').textContent = msg; };
  const check = (v, s, k) => {
    if (!allowed(v, s)) {
      status(`${s.what || k}: ${v} is not allowed (${s.minOpen ? '>' : '≥'} ${s.min}, ≤ ${s.max})`);
      renderControls(page.state());
      return false;
    }
    return true;
  };
  on('act', 'change', (e) => setState({ act: e.target.value }));
  on('field', 'change', (e) => setState({ field: e.target.value }));
  on('res', 'change', (e) => setState({ res: e.target.value }));
  on('scale', 'change', (e) => setState({ scale: e.target.value }));
  on('cmap', 'change', (e) => setState({ cmap: e.target.value }));
  for (const k of ['sw2', 'sb2']) {
    on(`${k}-range`, 'input', (e) => setState({ [k]: Number(Number(e.target.value).toPrecision(4)) }));
    on(k, 'change', (e) => {
      const v = num(e.target);
      if (check(v, sch[k], k)) setState({ [k]: v });
    });
  }
  const rangeInputs = { sw2r: ['sw2min', 'sw2max'], sb2r: ['sb2min', 'sb2max'] };
  for (const [k, [a, b]] of Object.entries(rangeInputs)) {
    const apply = () => {
      const r = [num($(a)), num($(b))];
      const s = sch[k];
      if (!(r.every((v) => allowed(v, s)) && r[0] < r[1])) {
        status(`${s.what}: need two numbers with the first smaller, within ${s.minOpen ? '(' : '['}${s.min}, ${s.max}]`);
        renderControls(page.state());
        return;
      }
      setState({ [k]: r });
    };
    on(a, 'change', apply);
    on(b, 'change', apply);
  }
  const applyVr = () => {
    const a = num($('vmin'));
    const b = num($('vmax'));
    if (Number.isNaN(a) && Number.isNaN(b)) return setState({ vr: null });
    if (!(a < b)) {
      status('colour range: give both ends, min < max (or clear both for auto)');
      return undefined;
    }
    return setState({ vr: [a, b] });
  };
  on('vmin', 'change', applyVr);
  on('vmax', 'change', applyVr);
  for (const k of ['q0', 'c0', 'depth', 'width', 'seeds']) {
    on(k, 'input', (e) => {
      const v = Number(e.target.value);
      $(`${k}-out`).textContent = String(v);
      setState({ [k]: v }, k === 'width' || k === 'seeds' || k === 'depth' ? 200 : 0);
    });
  }
  on('dlog', 'change', (e) => setState({ dlog: e.target.checked ? '1' : '0' }));
  on('seed', 'change', (e) => {
    const v = num(e.target);
    if (check(v, { ...sch.seed, kind: 'int' }, 'seed')) setState({ seed: v });
  });
  wireLinkButtons(on, status, page);

  function renderControls(state) {
    $('act').value = state.act;
    $('field').value = state.field;
    $('res').value = state.res;
    $('scale').value = state.scale;
    $('cmap').value = state.cmap;
    for (const k of ['sw2', 'sb2']) {
      const r = state[`${k}r`];
      const sl = $(`${k}-range`);
      // a round step (1, 2 or 5 x 10^k, about 1/500 of the range) from a multiple of it, so arrows give round numbers
      const step = niceStep((r[1] - r[0]) / 500);
      sl.min = Number((Math.floor(r[0] / step + 1e-9) * step).toPrecision(12));
      sl.max = r[1];
      sl.step = step;
      sl.value = state[k];
      $(k).value = state[k];
      $(`${k}-out`).textContent = `= ${fmt(state[k], 4)}`;
    }
    [$('sw2min').value, $('sw2max').value] = state.sw2r;
    [$('sb2min').value, $('sb2max').value] = state.sb2r;
    $('vmin').value = state.vr ? state.vr[0] : '';
    $('vmax').value = state.vr ? state.vr[1] : '';
    for (const k of ['q0', 'c0', 'depth', 'width', 'seeds']) {
      $(k).value = state[k];
      $(`${k}-out`).textContent = `= ${formatValue(state[k], sch[k])}`;
    }
    $('seed').value = state.seed;
    $('dlog').checked = state.dlog === '1';
    // the same network in the isometry tab (its keys act, sw2, sb2 mean the same there; its depth stops at 200)
    $('sel-isometry').href = `#demo=isometry&act=${state.act}&sw2=${formatValue(state.sw2, sch.sw2)}` +
      `&sb2=${formatValue(state.sb2, sch.sb2)}&depth=${Math.min(200, state.depth)}`;
  }

  // ---- the selected network ------------------------------------------------------------------------------
  let selGen = 0;
  let selPoint = null; // kept as an object: JSON (a data attribute) would turn infinite depth scales into null
  async function updateSelected(state) {
    const g = ++selGen;
    try {
      const pt = await engine.pool.call('point', [state.act, state.sw2, state.sb2], { channel: 'selected' });
      if (g !== selGen) return;
      const rows = [
        ['q_star', 'q^*', pt.q_star], ['c_star', 'c^*', pt.c_star], ['chi1', 'χ_1', pt.chi1], ['chi_c', 'χ_c', pt.chi_c],
        ['chi_q', 'χ_q', pt.chi_q], ['xi_q', 'ξ_q', pt.xi_q], ['xi_c', 'ξ_c', pt.xi_c], ['xi_grad', 'ξ_∇', pt.xi_grad],
        ['depth6', '6ξ_c', pt.depth_trainable],
      ];
      $('sel-numbers').innerHTML = `<div><dt>${term('phase', 'phase')}</dt><dd class="phase-${pt.phase}">${pt.phase}</dd></div>` +
        rows.map(([key, k, v]) => `<div><dt>${term(key, k)}</dt><dd>${fmt(v, 5)}</dd></div>`).join('');
      selPoint = pt;
      $('sel-text').innerHTML = explainPoint(pt);
    } catch (err) {
      if (!err.cancelled) $('sel-text').textContent = `Error: ${err.message}`;
    }
  }

  return {
    figures: figs,
    /** Draws the state; renderControls alone (controlsOnly) while a slider is still moving. */
    render(state, { controlsOnly = false } = {}) {
      renderControls(state);
      if (controlsOnly) return;
      if (state.fig) figs.phase.hm.resize();
      for (const [name, f] of Object.entries(figs)) {
        if (!state.fig || state.fig === name || name === 'phase') f.update(state);
      }
      if (!state.fig) updateSelected(state);
    },
    idle: () => Object.values(figs).every((f) => f.work.idle()) &&
      (!figs.phase.frame || figs.phase.frame.stage === 'full'),
    resize: () => figs.phase.hm.resize(),
    basename,
    // Extra window.dynlensPage methods for the browser tests and curious readers.
    api: {
      /** Viewport coordinates of grid point (row i, column j) of the phase diagram, for clicking in tests; the page
       * first scrolls the point into view if it is not (a mouse outside the viewport reaches nothing). */
      pixelOf: (i, j) => {
        const hm = figs.phase.hm;
        const p = hm.pixelOf(i, j);
        let b = hm.canvas.getBoundingClientRect();
        if (b.top + p.y < 0 || b.top + p.y > window.innerHeight - 1) {
          window.scrollBy(0, b.top + p.y - window.innerHeight / 2);
          b = hm.canvas.getBoundingClientRect();
        }
        return { x: b.left + p.x, y: b.top + p.y };
      },
      timings: () => ({ ...figs.phase.timings }),
      selected: () => (selPoint ? { ...selPoint } : null),
    },
  };
}
