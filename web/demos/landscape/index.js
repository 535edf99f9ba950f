// index.js - the loss-landscape demo: its URL-hash schema, its figures and its controller, loaded by the page
// (web/app.js) when the tab is opened and by the embed API (web/embed.js) for its figures.
import { fillSelect, wireLinkButtons, wireNumbers } from '../../demo-kit.js';
import { fmt } from '../../draw.js';
import { allowed } from '../../state.js';
import { markStale } from '../../runbar.js';
import { csvSlot, FIGURE_CLASSES, forgetRuns, runsFor, setAnimate } from './figures.js';
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
    width: { kind: 'int', min: 2, max: 256, def: 32, what: 'width' },
    act: { kind: 'enum', values: names.activations, def: 'tanh', what: 'activation' },
    skip: { kind: 'enum', values: ['0', '1'], def: '0', what: 'skip connections' },
    sw2: { kind: 'num', min: 0, minOpen: true, max: 10, def: 1, what: 'initial weight variance σw²' },
    sb2: { kind: 'num', min: 0, max: 10, def: 0, what: 'initial bias variance σb²' },
    opt: { kind: 'enum', values: names.dl.optimisers, def: 'adam', what: 'optimiser' },
    lr: { kind: 'num', min: 0, max: 10, def: 0.03, what: 'step size (0: the optimiser’s default)' },
    batch: { kind: 'int', min: 0, max: 2000, def: 0, what: 'batch size (0: all examples)' },
    steps: { kind: 'int', min: 10, max: 20000, def: 1000, what: 'training steps' },
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

/** The "Deep net: skips vs none" preset: 8 hidden layers of 16 tanh units, where both nets train on the spirals
 * (measured: 97.5 % without skips, 96.5 % with, full batch, Adam 0.01, 1000 steps), so their slices compare. */
const DEEP_PRESET = { depth: 8, width: 16, act: 'tanh', cmp: 'skip', dirs: 'random', norm: 'filter', lr: 0.01, batch: 0, steps: 1000 };

/** File names of exports (the one rule: fileName in web/export.js): data, net, optimiser, step size and steps. */
export function basename(name, s) {
  return fileName(name, s.data, `${s.depth}x${s.width}`, s.act, s.cmp === 'skip' ? 'skip-vs-none' : s.skip === '1' && 'skip',
    s.opt, s.lr > 0 ? ['lr', s.lr] : 'lr_default', `${s.steps}steps`, (name === 'slice' || name === 'surface') && s.dirs,
    ['seed', s.seed]);
}

/** The sentence under the numbers: the sharpness against 2/η, from the numbers in the table. */
function sharpSentence(rows) {
  const words = rows.map(({ run, h, label }) => {
    const lam = h.evals[0];
    const bound = 2 / run.lr;
    // A Hessian at rounding level (every unit saturated, as after a divergence) has no curvature to compare.
    if (!(Math.abs(lam) > 1e-8 * Math.max(1, run.loss))) {
      return `${label ? `${label}: ` : ''}λ<sub>max</sub> = ${fmt(lam, 3)}: the Hessian is zero to rounding at θ*, the loss is flat there (its units are saturated).`;
    }
    const rel = lam < bound ? `below 2/η = ${fmt(bound, 3)} (${fmt((100 * lam) / bound, 2)} % of it)` : `above 2/η = ${fmt(bound, 3)}`;
    const neg = h.lambdaMin < 0 ? `; the smallest Ritz value ${fmt(h.lambdaMin, 3)} is negative: a direction of negative curvature, θ* is a saddle or not yet converged along it`
      : `; the smallest Ritz value ${fmt(h.lambdaMin, 3)} is not negative: no direction of negative curvature found`;
    return `${label ? `${label}: ` : ''}λ<sub>max</sub> = ${fmt(lam, 3)} is ${rel}${neg}.`;
  });
  return `${words.join(' ')} Sharpness λ<sub>max</sub>: the largest eigenvalue of the Hessian of the loss at θ*, from
    Lanczos on exact Hessian-vector products (${rows[0].h.steps} steps). Plain gradient descent with step size η is stable at a
    minimum only if λ<sub>max</sub> &lt; 2/η; ${rows[0].run.spec.train.opt === 'adam' ? 'Adam rescales each coordinate, so for it the bound is only a guide.' : 'this run used ' + rows[0].run.spec.train.opt + '.'}`;
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
    figs[name] = new FIGURE_CLASSES[name](engine, host, name === 'surface' ? { onSelect: (v) => page.setState(v) }
      : name === 'training' ? { onRerun: ({ fresh }) => { if (fresh) forgetRuns(engine); page.setState({}); } } : {});
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
  on('deep', 'click', () => setState({ ...DEEP_PRESET, rng: null }));
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

  // ---- the numbers panel: loss, accuracy, sharpness and the verdict of each run ----------------------------------
  let numGen = 0;
  const numBox = $('numbers-box');
  let numShown = false;
  async function updateNumbers(st) {
    const g = ++numGen;
    let runs;
    try {
      runs = runsFor(engine, st);
    } catch (e) {
      $('numbers').textContent = e.message;
      return;
    }
    if (numShown) markStale(numBox, true, runs.some((r) => r.run.phase === 'capped')
      ? 'previous network: the new one has not started (over the time cap)' : 'previous network: retraining…');
    else $('numbers').textContent = 'training…';
    try {
      const rows = await Promise.all(runs.map(async ({ run, label }) => {
        await run.done;
        const h = await run.hessian();
        return { label, run, h };
      }));
      if (g !== numGen) return;
      const head = rows.map((r) => `<th>${r.label || 'value'}</th>`).join('');
      const line = (name, f) => `<tr><th>${name}</th>${rows.map((r) => `<td>${f(r)}</td>`).join('')}</tr>`;
      const warn = rows.filter((r) => r.run.verdict.verdict !== 'learned')
        .map((r) => `<p class="ls-warn" role="alert">The net${r.label ? ` ${r.label}` : ''} ${r.run.verdict.text}.</p>`).join('');
      $('numbers').innerHTML = `${warn}<table><tr><th></th>${head}</tr>` +
        line('<span class="term" data-term="verdict">verdict</span>', (r) => (r.run.verdict.verdict === 'learned' ? 'learned' : `<b class="ls-err">${r.run.verdict.verdict}</b>`)) +
        line('parameters P', (r) => r.run.P) +
        line('training loss', (r) => fmt(r.run.loss, 6)) +
        line(`chance loss ln ${fmt(1 / rows[0].run.verdict.chanceAcc, 2)}`, (r) => fmt(r.run.verdict.reference, 4)) +
        line('accuracy', (r) => `${fmt(100 * r.run.acc, 4)} %`) +
        line(`sharpness <span class="term" data-term="lambdaMax">λ<sub>max</sub></span>`, (r) => fmt(r.h.evals[0], 5)) +
        line('λ<sub>2</sub>', (r) => fmt(r.h.evals[1], 5)) +
        line('<span class="term" data-term="ritzMin">smallest Ritz value</span>', (r) => fmt(r.h.lambdaMin, 3)) +
        line('2 / step size', (r) => fmt(2 / r.run.lr, 4)) +
        line('training time', (r) => `${fmt(r.run.ms / 1000, 3)} s`) + '</table>' +
        `<p class="explain">${sharpSentence(rows)}</p>`;
      numShown = true;
      markStale(numBox, false);
    } catch (e) {
      if (e.capped && g === numGen) {
        if (!numShown) $('numbers').textContent = e.message;
        else if (e.stale) markStale(numBox, true, e.stale);
      }
      else if (!e.cancelled && g === numGen) {
        markStale(numBox, false);
        $('numbers').textContent = `Error: ${e.message}`;
      }
    }
  }

  let rendered = false;
  return {
    figures: figs,
    render(state, { controlsOnly = false } = {}) {
      renderControls(state);
      if (controlsOnly) return;
      // the first render replays a link: compute, then show; every later change animates its training
      setAnimate(engine, rendered);
      rendered = true;
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
            acc: run.acc, P: run.P, lr: run.lr, steps: run.spec.steps, losses: [...run.losses], snapLoss: [...(run.snapLoss || [])],
            phase: run.phase, step: run.step, verdict: run.verdict || null, stopped: !!run.stopped, T: run.T,
            estimate: run.viewTotal }));
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

/** What to notice, step by step (the shell renders it; each link = the defaults overridden by `set`). Each claim
 * is checked against the page's numbers in tests/browser/suite-landscape.mjs. */
export const guide = [
  { set: {}, text: 'The default net (3 × 32 tanh units, Adam on all 200 examples, 1000 steps) <b>learns</b> the two ' +
    'spirals: the training figure says so, the accuracy is at least 97 %, and in the slice along the path\'s principal ' +
    'directions the path runs from θ<sub>0</sub> (white dot) down into a basin whose lowest point is θ* (red dot).' },
  { set: { lr: 5 }, text: 'A step size of 5 is far too large: the loss ends more than twice as high as where it started ' +
    'and the page says the run <b>diverged</b>. Compare the sharpness λ<sub>max</sub> with 2/η in the numbers.' },
  { set: { depth: 8, width: 16, lr: 0.1 }, text: 'Eight layers of 16 units without skips and a step size of 0.1: the ' +
    'loss stays at the chance loss ln 2 and the page says the net <b>failed to learn</b>; its slice is the landscape ' +
    'around an untrained net.' },
  { set: { ...DEEP_PRESET }, text: 'With a smaller step (0.01) both deep nets, without and with skips, learn. Their ' +
    'random filter-normalised slices share one colour scale: the one <b>without skips is rougher</b>, with more local ' +
    'minima and a larger roughness, as Li et al. (2018) found.' },
];

/** The demo's own symbols (θ, η, L are the shell's). */
export const glossary = {
  thetaStar: { sym: 'θ*', def: 'The trained parameters: where training stopped. Every slice is centred on it (a = b = 0).' },
  theta0: { sym: 'θ<sub>0</sub>', def: 'The initial parameters, drawn with W ~ N(0, σ<sub>w</sub><sup>2</sup>/fan-in), b ~ N(0, σ<sub>b</sub><sup>2</sup>).' },
  sharpness: { sym: 'sharpness', def: 'The largest eigenvalue λ<sub>max</sub> of the Hessian of the loss at θ*: the curvature along the steepest direction of the basin.' },
  lambdaMax: { sym: 'λ<sub>max</sub>', def: 'The largest Hessian eigenvalue at θ* (the sharpness), from Lanczos on exact Hessian-vector products. Gradient descent with step η is stable there only if λ<sub>max</sub> &lt; 2/η.' },
  ritzMin: { sym: 'smallest Ritz value', def: 'The smallest eigenvalue of the small tridiagonal matrix Lanczos builds: an estimate of the Hessian\'s most negative eigenvalue. Negative means a direction in which the loss curves down: θ* is a saddle there, or training has not converged along it.' },
  filterNorm: { sym: 'filter normalisation', def: 'Each unit\'s incoming weights in a random direction are rescaled to the norm of that unit\'s weights in θ* (biases zeroed; Li et al. 2018), so that slices of nets with different weight scales are comparable.' },
  pca: { sym: 'PCA directions', def: 'The two orthonormal directions that hold most of the training path\'s displacement from θ* (its top principal components); the percentages are each one\'s share.' },
  roughness: { sym: 'roughness', def: 'The mean absolute discrete Laplacian of log L over the slice grid (core: dyn_ls_roughness): near 0 for a smooth bowl, larger with every bump. Local minima: grid points lower than all eight neighbours.' },
  verdict: { sym: 'verdict', def: 'The core\'s one rule (dyn_train_verdict): diverged if the loss is not finite or ends above twice both its start and ln C; failed to learn if it keeps 85 % of the chance loss ln C or the accuracy is within a quarter of the way from chance 1/C to 100 %; learned otherwise.' },
};
