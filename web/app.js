// app.js - the page controller: reads the URL hash, wires the controls to the figures, keeps the hash in step,
// exports PNG and CSV, and exposes window.dynlensPage for tests and curious readers.
import { fmt, richHTML } from './draw.js';
import { getEngine } from './engine.js';
import { FIELD_INFO, FIGURE_CLASSES } from './figures.js';
import { DEMOS, formatValue, parseHash, schema, toHash } from './state.js';

const $ = (id) => document.getElementById(id);

function showNotices(list) {
  const box = $('notice');
  if (!list.length) return;
  const text = $('notice-text');
  text.innerHTML = '';
  for (const n of list) {
    const p = document.createElement('p');
    p.textContent = n;
    text.append(p);
  }
  box.hidden = false;
}

async function main() {
  const params = new URLSearchParams(location.search);
  let engine;
  try {
    engine = await getEngine({ workers: params.get('workers') === '0' ? false : undefined });
  } catch (err) {
    $('loading').textContent = `Could not start the WebAssembly core: ${err.message}`;
    $('loading').classList.add('error');
    throw err;
  }
  $('loading').hidden = true;
  const sch = schema(engine);
  let { state, notices } = parseHash(location.hash, sch);
  showNotices(notices);
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });

  // ---- figures -------------------------------------------------------------------------------------------
  const figures = {};
  const select = ({ sw2, sb2 }) => setState({ sw2: clampSel(sw2, sch.sw2), sb2: clampSel(sb2, sch.sb2) });
  for (const name of Object.keys(FIGURE_CLASSES)) {
    const host = document.querySelector(`#fig-${name} .fig-host`);
    figures[name] = new FIGURE_CLASSES[name](engine, host, name === 'phase' ? { onSelect: select } : {});
  }

  // ---- controls ------------------------------------------------------------------------------------------
  const fill = (sel, values, label = (v) => v) => {
    sel.innerHTML = '';
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = label(v);
      sel.append(o);
    }
  };
  fill($('act'), engine.activations);
  fill($('field'), engine.fields, (f) => (FIELD_INFO[f] ? FIELD_INFO[f].title.replace(/[_^{}]/g, '') : f));
  fill($('cmap'), ['auto', ...engine.colormaps]);

  const num = (el) => (el.value.trim() === '' ? NaN : Number(el.value));
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
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
      const ok = r.every((v) => Number.isFinite(v) && (s.minOpen ? v > s.min : v >= s.min) && v <= s.max) && r[0] < r[1];
      if (!ok) {
        status(`${s.what}: need two numbers with the first smaller, within ${s.minOpen ? '(' : '['}${s.min}, ${s.max}]`);
        render();
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
  on('copy-link', 'click', async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      status('Link copied.');
    } catch {
      status(`Link: ${location.href}`);
    }
  });
  on('reset', 'click', () => {
    const fig = state.fig;
    state = parseHash('', sch).state;
    state.fig = fig;
    commit();
  });
  document.querySelectorAll('[data-export]').forEach((b) => b.addEventListener('click', () => exportFig(b.dataset.for, b.dataset.export)));
  document.querySelectorAll('[role=tab]').forEach((t) => {
    t.addEventListener('click', () => setState({ demo: t.dataset.demo }));
    t.addEventListener('keydown', (e) => {
      const d = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!d) return;
      const i = (DEMOS.indexOf(t.dataset.demo) + d + DEMOS.length) % DEMOS.length;
      setState({ demo: DEMOS[i] });
      $(`tab-${DEMOS[i]}`).focus();
    });
  });

  function check(v, s, k) {
    const ok = Number.isFinite(v) && (s.minOpen ? v > s.min : v >= s.min) && v <= s.max &&
      (s.kind !== 'int' || Number.isInteger(v));
    if (!ok) {
      status(`${s.what || k}: ${v} is not allowed (${s.minOpen ? '>' : '≥'} ${s.min}, ≤ ${s.max})`);
      render();
    }
    return ok;
  }
  function clampSel(v, s) {
    return Math.min(s.max, Math.max(s.minOpen ? 1e-6 : s.min, v));
  }
  function status(msg) {
    $('status').textContent = msg;
  }

  // ---- state flow: setState -> hash -> render -> figures ----------------------------------------------------
  let timer = null;
  function setState(patch, delay = 0) {
    state = { ...state, ...patch };
    if (delay) {
      clearTimeout(timer);
      renderControls();
      timer = setTimeout(commit, delay);
    } else commit();
  }
  function commit() {
    history.replaceState(null, '', toHash(state, sch));
    render();
  }
  window.addEventListener('hashchange', () => {
    const r = parseHash(location.hash, sch);
    state = r.state;
    showNotices(r.notices);
    if (r.notices.length) history.replaceState(null, '', toHash(state, sch));
    render();
  });

  function renderControls() {
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
  }

  function render() {
    document.querySelectorAll('[role=tab]').forEach((t) => {
      const on1 = t.dataset.demo === state.demo;
      t.setAttribute('aria-selected', String(on1));
      t.tabIndex = on1 ? 0 : -1;
    });
    document.querySelectorAll('.demo').forEach((d) => { d.hidden = d.id !== `demo-${state.demo}`; });
    // Single-figure mode for iframes: everything but one figure is hidden.
    document.body.classList.toggle('single', !!state.fig);
    if (state.fig) figures.phase.hm.resize();
    document.querySelectorAll('.fig').forEach((f) => f.classList.toggle('only', f.dataset.fig === state.fig));
    renderControls();
    if (state.demo !== 'signal') return;
    for (const [name, f] of Object.entries(figures)) {
      if (!state.fig || state.fig === name || name === 'phase') f.update(state);
    }
    if (!state.fig) updateSelected();
  }

  let selGen = 0;
  let selPoint = null; // kept as an object: JSON (a data attribute) would turn infinite depth scales into null
  async function updateSelected() {
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

  function exportFig(name, kind) {
    const f = figures[name];
    const base = `dynlens-${name}-${state.act}-sw2_${state.sw2}-sb2_${state.sb2}`;
    const a = document.createElement('a');
    if (kind === 'png') {
      a.href = f.png();
      a.download = `${base}.png`;
    } else {
      const header = csvHeader(name);
      a.href = URL.createObjectURL(new Blob([f.csv(header)], { type: 'text/csv' }));
      a.download = `${base}.csv`;
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    }
    document.body.append(a);
    a.click();
    a.remove();
  }

  function csvHeader(name) {
    const p = Object.entries(sch).map(([k, s]) => `${k}=${formatValue(state[k], s)}`).join(' ');
    return [`# dynlens signal propagation, figure: ${name}; computed by the dynlens C core (WebAssembly)`,
      `# parameters: ${p}`, `# link: ${location.href.split('#')[0]}${toHash(state, sch)}`];
  }

  // ---- the test and embedding hook -------------------------------------------------------------------------
  window.dynlensPage = {
    get engine() {
      return { mode: engine.pool.mode, workers: engine.pool.size, fallbackReason: engine.pool.fallbackReason };
    },
    state: () => JSON.parse(JSON.stringify(state)),
    setState: (patch) => setState(patch),
    numbers: (name) => {
      const n = figures[name] && figures[name].numbers();
      if (n && n.gridPoint) delete n.gridPoint;
      return n;
    },
    idle: () => Object.values(figures).every((f) => f.work.idle()) &&
      (!figures.phase.frame || figures.phase.frame.stage === 'full'),
    /** Page coordinates of grid point (row i, column j) of the phase diagram, for clicking in tests. */
    pixelOf: (i, j) => {
      const hm = figures.phase.hm;
      const p = hm.pixelOf(i, j);
      const b = hm.canvas.getBoundingClientRect();
      return { x: b.left + p.x, y: b.top + p.y };
    },
    csv: (name) => figures[name].csv(csvHeader(name)),
    timings: () => ({ ...figures.phase.timings }),
    selected: () => (selPoint ? { ...selPoint } : null),
  };
  window.addEventListener('resize', () => figures.phase.hm.resize());
  history.replaceState(null, '', toHash(state, sch));
  render();
  document.body.dataset.ready = '1';
}

main();
