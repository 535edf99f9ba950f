// index.js - the signal-propagation demo (mean field): its URL-hash schema, its figures and its controller,
// loaded by the page (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons } from '../../demo-kit.js';
import { fmt, richHTML } from '../../draw.js';
import { allowed, formatValue } from '../../state.js';
import { FIELD_INFO, FIGURE_CLASSES } from './figures.js';
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
      sl.min = r[0];
      sl.max = r[1];
      sl.step = (r[1] - r[0]) / 500;
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
        ['q^*', pt.q_star], ['c^*', pt.c_star], ['χ_1', pt.chi1], ['χ_c', pt.chi_c], ['χ_q', pt.chi_q],
        ['ξ_q', pt.xi_q], ['ξ_c', pt.xi_c], ['ξ_∇', pt.xi_grad], ['6ξ_c', pt.depth_trainable],
      ];
      $('sel-numbers').innerHTML = `<div><dt>phase</dt><dd class="phase-${pt.phase}">${pt.phase}</dd></div>` +
        rows.map(([k, v]) => `<div><dt>${richHTML(k)}</dt><dd>${fmt(v, 5)}</dd></div>`).join('');
      selPoint = pt;
      const explain = {
        ordered: `Ordered: χ₁ = ${fmt(pt.chi1, 3)} < 1, so two different inputs become more alike layer after layer ` +
          `(c → 1). Differences fade over about ξ_c = ${fmt(pt.xi_c, 3)} layers; deeper than ~${fmt(pt.depth_trainable, 3)} ` +
          'layers such a network is hard to train, and gradients vanish.',
        chaotic: `Chaotic: χ₁ = ${fmt(pt.chi1, 3)} > 1, so nearby inputs are pulled apart until their correlation settles ` +
          `at c* = ${fmt(pt.c_star, 3)}. Inputs are scrambled within about ξ_c = ${fmt(pt.xi_c, 3)} layers, and gradients explode.`,
        unbounded: 'Unbounded: this activation grows too fast for these variances; the length q^l grows without limit and there is no fixed point.',
      };
      $('sel-text').innerHTML = richHTML(explain[pt.phase] || '');
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
      /** Page coordinates of grid point (row i, column j) of the phase diagram, for clicking in tests. */
      pixelOf: (i, j) => {
        const hm = figs.phase.hm;
        const p = hm.pixelOf(i, j);
        const b = hm.canvas.getBoundingClientRect();
        return { x: b.left + p.x, y: b.top + p.y };
      },
      timings: () => ({ ...figs.phase.timings }),
      selected: () => (selPoint ? { ...selPoint } : null),
    },
  };
}
