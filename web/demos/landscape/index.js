// index.js - the loss-landscape demo: its URL-hash schema, its figures and its controller, loaded by the page
// (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons, wireNumbers } from '../../demo-kit.js';
import { fmt } from '../../draw.js';
import { allowed } from '../../state.js';
import { csvSlot, FIGURE_CLASSES, runsFor } from './figures.js';
import { fileName } from '../../export.js';

const panelHTML = fetch(new URL('./panel.html', import.meta.url)).then((r) => {
  if (!r.ok) throw new Error(`could not load the loss-landscape panel: HTTP ${r.status}`);
  return r.text();
});

/** The figures a link (fig=NAME) or the embed API can show alone. */
export const figures = FIGURE_CLASSES;

/** This demo's hash keys, in link order (name lists come from the core). */
export function schema(names) {
  const toys = names.dl.toys; // the core's lists (through the WASM module), as every list below
  return {
    data: { kind: 'enum', values: [...toys, 'csv'], def: 'spirals', what: 'data set' },
    n: { kind: 'int', min: 20, max: 2000, def: 200, what: 'number of examples' },
    noise: { kind: 'num', min: 0, max: 2, def: 0.1, what: 'data noise' },
    dseed: { kind: 'int', min: 1, max: 2147483647, def: 1, what: 'data seed' },
    depth: { kind: 'int', min: 0, max: 8, def: 3, what: 'hidden layers' },
    width: { kind: 'int', min: 2, max: 256, def: 16, what: 'width' },
    act: { kind: 'enum', values: names.activations, def: 'tanh', what: 'activation' },
    skip: { kind: 'enum', values: ['0', '1'], def: '0', what: 'skip connections' },
    sw2: { kind: 'num', min: 0, minOpen: true, max: 10, def: 1, what: 'initial weight variance σw²' },
    sb2: { kind: 'num', min: 0, max: 10, def: 0, what: 'initial bias variance σb²' },
    opt: { kind: 'enum', values: names.dl.optimisers, def: 'adam', what: 'optimiser' },
    lr: { kind: 'num', min: 0, max: 10, def: 0, what: 'step size (0: the optimiser’s default)' },
    batch: { kind: 'int', min: 0, max: 2000, def: 32, what: 'batch size' },
    steps: { kind: 'int', min: 10, max: 20000, def: 2000, what: 'training steps' },
    seed: { kind: 'int', min: 1, max: 2147483647, def: 1, what: 'seed' },
    wd: { kind: 'num', min: 0, max: 1, def: 0, what: 'weight decay' },
    cmp: { kind: 'enum', values: ['off', 'skip'], def: 'off', what: 'compare mode' },
    dirs: { kind: 'enum', values: ['pca', 'random'], def: 'pca', what: 'slice directions' },
    norm: { kind: 'enum', values: names.dl.dirnorms, def: 'filter', what: 'direction normalisation' },
    dirseed: { kind: 'int', min: 1, max: 2147483647, def: 7, what: 'direction seed' },
    res: { kind: 'enum', values: ['21', '31', '41', '51', '81'], def: '31', what: 'slice grid' },
    rng: { kind: 'range', min: -1000, max: 1000, def: null, allowAuto: true, what: 'slice range a, b' },
    scale: { kind: 'enum', values: ['log', 'linear'], def: 'log', what: 'colour scale' },
    az: { kind: 'num', min: -180, max: 180, def: -60, what: '3-D azimuth' },
    el: { kind: 'num', min: 5, max: 89, def: 30, what: '3-D elevation' },
  };
}

/** File names of exports (the one rule: fileName in web/export.js): data, net, optimiser, step size and steps. */
export function basename(name, s) {
  return fileName(name, s.data, `${s.depth}x${s.width}`, s.act, s.cmp === 'skip' ? 'skip-vs-none' : s.skip === '1' && 'skip',
    s.opt, s.lr > 0 ? ['lr', s.lr] : 'lr_default', `${s.steps}steps`, (name === 'slice' || name === 'surface') && s.dirs,
    ['seed', s.seed]);
}

export async function mount(section, page) {
  section.innerHTML = await panelHTML;
  const { engine } = page;
  const sch = page.schema;
  const $ = (id) => section.querySelector(`#landscape-${id}`);
  const status = (msg) => { $('status').textContent = msg; };

  const figs = {};
  for (const name of Object.keys(FIGURE_CLASSES)) {
    const host = section.querySelector(`#fig-${name} .fig-host`);
    figs[name] = new FIGURE_CLASSES[name](engine, host, name === 'surface' ? { onSelect: (v) => page.setState(v) } : {});
  }

  fillSelect($('data'), sch.data.values, (v) => (v === 'csv' ? 'CSV file (drop below)' : v));
  fillSelect($('act'), sch.act.values);
  fillSelect($('opt'), sch.opt.values);
  fillSelect($('norm'), sch.norm.values);
  fillSelect($('res'), sch.res.values, (v) => `${v} × ${v}`);

  const setState = page.setState;
  const num = (el) => (el.value.trim() === '' ? NaN : Number(el.value));
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  for (const k of ['data', 'act', 'opt', 'norm', 'res', 'scale', 'cmp', 'dirs']) on(k, 'change', (e) => setState({ [k]: e.target.value }));
  on('skip', 'change', (e) => setState({ skip: e.target.checked ? '1' : '0' }));
  for (const k of ['n', 'noise', 'depth', 'width']) {
    on(k, 'input', (e) => {
      const v = Number(e.target.value);
      $(`${k}-out`).textContent = `= ${v}`;
      setState({ [k]: v }, 300);
    });
  }
  wireNumbers(on, ['dseed', 'sw2', 'sb2', 'lr', 'batch', 'steps', 'seed', 'wd', 'dirseed'], sch,
    { setState, status, restore: () => renderControls(page.state()) });
  const applyRange = () => {
    const a = num($('rmin'));
    const b = num($('rmax'));
    if (Number.isNaN(a) && Number.isNaN(b)) return setState({ rng: null });
    if (!(a < b && allowed(a, sch.rng) && allowed(b, sch.rng))) {
      status(`slice range: give both ends with min < max, within [${sch.rng.min}, ${sch.rng.max}] (or clear both for auto)`);
      return undefined;
    }
    status('');
    return setState({ rng: [a, b] });
  };
  on('rmin', 'change', applyRange);
  on('rmax', 'change', applyRange);
  on('deep', 'click', () => setState({ depth: 8, width: 16, act: 'tanh', cmp: 'skip', dirs: 'random', norm: 'filter', rng: null }));
  wireLinkButtons(on, status, page);

  // ---- a CSV file: read its bytes, parse them in the core, show the core's message on error --------------------
  async function loadCSV(file) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      const data = engine.dl.csvData(bytes, true);
      Object.assign(csvSlot, { name: `${file.name}:${file.size}:${file.lastModified}`, data, error: '' });
      $('csv-status').textContent = `${file.name}: ${data.n} rows, ${data.d} features, ${data.nClass} classes (features standardised)`;
      $('csv-status').classList.remove('ls-err');
      setState({ data: 'csv' });
    } catch (e) {
      Object.assign(csvSlot, { name: '', data: null, error: `${file.name}: ${e.message}` });
      $('csv-status').textContent = `${file.name}: ${e.message}`;
      $('csv-status').classList.add('ls-err');
      if (page.state().data === 'csv') setState({});
    }
  }
  on('file', 'change', (e) => { if (e.target.files[0]) loadCSV(e.target.files[0]); });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files[0]) loadCSV(e.dataTransfer.files[0]);
  });

  function renderControls(st) {
    for (const k of ['data', 'act', 'opt', 'norm', 'res', 'scale', 'cmp', 'dirs']) $(k).value = st[k];
    $('skip').checked = st.skip === '1';
    $('skip').disabled = st.cmp === 'skip';
    $('norm').disabled = st.dirs !== 'random';
    $('dirseed').disabled = st.dirs !== 'random';
    for (const k of ['n', 'noise', 'depth', 'width']) {
      $(k).value = st[k];
      $(`${k}-out`).textContent = `= ${st[k]}`;
    }
    for (const k of ['dseed', 'sw2', 'sb2', 'lr', 'batch', 'steps', 'seed', 'wd', 'dirseed']) $(k).value = st[k];
    $('lr-out').textContent = st.lr === 0 ? `= ${st.opt === 'adam' ? 0.01 : 0.1} (default)` : `= ${st.lr}`;
    $('rmin').value = st.rng ? st.rng[0] : '';
    $('rmax').value = st.rng ? st.rng[1] : '';
    for (const k of ['n', 'noise', 'dseed']) $(k).disabled = st.data === 'csv';
  }

  // ---- the numbers panel: loss, accuracy, sharpness of each run ------------------------------------------------
  let numGen = 0;
  async function updateNumbers(st) {
    const g = ++numGen;
    let runs;
    try {
      runs = runsFor(engine, st);
    } catch (e) {
      $('numbers').textContent = e.message;
      return;
    }
    $('numbers').textContent = 'training…';
    try {
      const rows = await Promise.all(runs.map(async ({ run, label }) => {
        await run.done;
        const h = await run.hessian();
        return { label, run, h };
      }));
      if (g !== numGen) return;
      const head = rows.map((r) => `<th>${r.label || 'value'}</th>`).join('');
      const line = (name, f) => `<tr><th>${name}</th>${rows.map((r) => `<td>${f(r)}</td>`).join('')}</tr>`;
      $('numbers').innerHTML = `<table><tr><th></th>${head}</tr>` +
        line('parameters P', (r) => r.run.P) +
        line('training loss', (r) => fmt(r.run.loss, 6)) +
        line('accuracy', (r) => `${fmt(100 * r.run.acc, 4)} %`) +
        line('sharpness λ<sub>max</sub>', (r) => fmt(r.h.evals[0], 5)) +
        line('λ<sub>2</sub>', (r) => fmt(r.h.evals[1], 5)) +
        line('smallest Ritz value', (r) => fmt(r.h.lambdaMin, 3)) +
        line('2 / step size', (r) => fmt(2 / r.run.lr, 4)) +
        line('training time', (r) => `${fmt(r.run.ms / 1000, 3)} s`) + '</table>' +
        `<p class="explain">Sharpness: the largest eigenvalue of the Hessian of the loss at θ*, from Lanczos on exact
        Hessian-vector products (${rows[0].h.steps} steps). Plain gradient descent with step size η is stable at a minimum
        only if λ<sub>max</sub> &lt; 2/η; Adam rescales each coordinate, so for it the bound is only a guide.</p>`;
    } catch (e) {
      if (!e.cancelled && g === numGen) $('numbers').textContent = `Error: ${e.message}`;
    }
  }

  return {
    figures: figs,
    render(state, { controlsOnly = false } = {}) {
      renderControls(state);
      if (controlsOnly) return;
      for (const [name, f] of Object.entries(figs)) if (!state.fig || state.fig === name) f.update(state);
      if (!state.fig) updateNumbers(state);
    },
    idle: () => Object.values(figs).every((f) => f.work.idle()),
    resize: () => {},
    basename,
    api: {
      /** The runs of the current view: their training numbers (for tests). */
      runs: () => {
        try {
          return runsFor(engine, page.state()).map(({ run, label }) => ({ label, trained: !!run.trained, loss: run.loss,
            acc: run.acc, P: run.P, lr: run.lr, steps: run.spec.steps, losses: [...run.losses], snapLoss: [...(run.snapLoss || [])] }));
        } catch (e) {
          return [];
        }
      },
      /** Page coordinates of the centre of the (first) 3-D canvas, for dragging in tests. */
      surfaceCentre: (k = 0) => {
        const c = figs.surface.canvases[k];
        const b = c.getBoundingClientRect();
        return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
      },
    },
  };
}
