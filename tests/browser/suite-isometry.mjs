// suite-isometry.mjs - browser checks of the dynamical-isometry demo: the figures are drawn; the theory and the
// sampled moments equal the native CLI's (`dynlens isometry spectrum|density|gradients`, the same core and seeds);
// the isometry verdict; the trainability grid (filled by the workers at the page's default settings, every cell
// equal to `dynlens trainability grid`'s, its sentence, Stop, the cost guard); the URL round trip; fig= embedding;
// screenshots at 1440x900 and 390x844; no console errors. Run by ctest as browser_isometry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canvasColours, checkComparator, numDiff, ok, reopenLink, runSuite, watch } from './harness.mjs';

const ST = { act: 'tanh', sw2: 0, sb2: 0.05, depth: 6, width: 48, nets: 2, seed: 3 };
// a tiny trainability grid here (the train part checks the real one), so that these pages settle quickly
const SMALL = 'tdepth=2:6&tny=2&tsw2=1:3&tnx=3&twidth=8&tsteps=20&tlr=0.02';
const HASH = `demo=isometry&act=${ST.act}&sw2=${ST.sw2}&sb2=${ST.sb2}&depth=${ST.depth}&width=${ST.width}` +
  `&nets=${ST.nets}&seed=${ST.seed}&${SMALL}`;

async function testPage(t) {
  checkComparator();
  const page = await t.context.newPage();
  const errors = watch(page);
  await page.goto(`${t.url}#${HASH}`);
  await t.idle(page, 120000);
  ok(await page.isVisible('#demo-isometry'), 'the isometry tab is shown');
  for (const f of ['spectrum', 'gradients']) {
    ok(await canvasColours(page, `#fig-${f} canvas`) > 8, `${f}: the figure is drawn`);
  }
  const n = await page.evaluate(() => window.dynlensPage.numbers('spectrum'));
  ok(n && n.gaussian && n.orthogonal, 'spectrum: numbers() gives both weight kinds', JSON.stringify(n).slice(0, 200));
  for (const w of ['gaussian', 'orthogonal']) {
    const args = ['isometry', 'spectrum', '--act', ST.act, '--weights', w, '--sw2', 'critical', '--sb2', String(ST.sb2),
      '--depth', String(ST.depth), '--width', String(ST.width), '--nets', String(ST.nets), '--seed', String(ST.seed)];
    const c = t.cli(args);
    if (!c) continue;
    // the same core and seeds: only libm's last bits (tanh, exp) may differ between glibc and Emscripten's musl
    const e = Math.max(numDiff(n[w].summary.log_m1, c.log_m1, 1), numDiff(n[w].summary.rel_var, c.rel_var),
      numDiff(n[w].theory.rel_var, c.rel_var_theory), numDiff(n[w].theory.sw2, c.sw2));
    ok(e <= 1e-9, `spectrum ${w}: sampled moments and theory equal the CLI's (worst ${e.toExponential(2)})`,
      JSON.stringify({ page: n[w].summary, cli: [c.log_m1, c.rel_var] }));
    const xs = n[w].ux.slice(10, 13).map((u) => 10 ** u);
    const d = t.cli(['isometry', 'density', '--act', ST.act, '--weights', w, '--sw2', 'critical', '--sb2', String(ST.sb2),
      '--depth', String(ST.depth), '--x', xs.map((x) => x.toPrecision(17)).join(',')]);
    const pageRho = n[w].density.slice(10, 13).map((v, i) => v / (xs[i] * Math.LN10));
    const ed = Math.max(...pageRho.map((v, i) => numDiff(v, d.density[i])));
    ok(ed <= 1e-8, `density ${w}: the page's curve equals the CLI's density (worst ${ed.toExponential(2)})`,
      JSON.stringify({ page: pageRho, cli: d.density }));
  }
  const g = await page.evaluate(() => window.dynlensPage.numbers('gradients'));
  const cg = t.cli(['isometry', 'gradients', '--act', ST.act, '--sw2', 'critical', '--sb2', String(ST.sb2), '--depth',
    String(ST.depth), '--width', String(ST.width), '--nets', String(g.nets), '--seed', String(ST.seed)]);
  if (cg) {
    const e = Math.max(...g.gaussian.mean.map((v, i) => numDiff(v, cg.ratio[i])));
    ok(e <= 1e-9, `gradients: the page's ratios equal the CLI's (worst ${e.toExponential(2)})`);
  }
  ok(/not isometric|dynamically isometric/.test(await page.textContent('#isometry-verdict')), 'the verdict line is shown');
  // orthogonal linear nets at sw2 = 1 are isometric by the core's rule; Gaussian ones are not
  await page.goto(`${t.url}#demo=isometry&act=linear&sw2=1&sb2=0&depth=8&width=32&nets=1&seed=1&${SMALL}`);
  await t.idle(page, 120000);
  const v = await page.textContent('#isometry-verdict');
  ok(/Gaussian weights.*not isometric.*orthogonal weights.*dynamically isometric/.test(v), 'linear: orthogonal is isometric, Gaussian not', v);
  await t.shot(page, 'isometry.png', { fullPage: true });
  const rt = await reopenLink(t.context, page, 'spectrum');
  ok(JSON.stringify(rt.before.state) === JSON.stringify(rt.after.state), 'URL round trip: the same state');
  ok(JSON.stringify(rt.before.numbers) === JSON.stringify(rt.after.numbers), 'URL round trip: the same numbers');
  ok(!rt.errors.length, 'URL round trip: no console errors', rt.errors.join('\n'));
  await rt.page.close();
  // fig= embedding shows one figure alone
  await page.goto(`${t.url}#${HASH}&fig=gradients`);
  await t.idle(page, 120000);
  ok(await page.isVisible('#fig-gradients') && !(await page.isVisible('#fig-spectrum')), 'fig=gradients shows that figure alone');
  // linked with the signal demo: its selected network opens here with the same act, sw2, sb2 (and back)
  await page.goto(`${t.url}#demo=signal&act=erf&sw2=2.5&sb2=0.1&depth=40`);
  await t.idle(page, 120000);
  const href = await page.getAttribute('#sel-isometry', 'href');
  ok(/^#demo=isometry&act=erf&sw2=2.5&sb2=0.1&depth=40$/.test(href), 'signal -> isometry: the link carries the selection', href);
  await page.goto(`${t.url}${href}&${SMALL}`);
  await t.idle(page, 120000);
  const s1 = await page.evaluate(() => window.dynlensPage.state());
  ok(await page.isVisible('#demo-isometry') && s1.act === 'erf' && s1.sw2 === 2.5 && s1.sb2 === 0.1 && s1.depth === 40,
    'signal -> isometry: the isometry tab opens on that network', JSON.stringify(s1));
  const back = await page.getAttribute('#isometry-signal-link', 'href');
  ok(/^#demo=signal&act=erf&sw2=2.5&sb2=0.1&depth=40$/.test(back), 'isometry -> signal: the link carries the network', back);
  await page.click('#isometry-signal-link');
  await page.waitForFunction(() => window.dynlensPage.state().field !== undefined, null, { timeout: 30000 });
  const s2 = await page.evaluate(() => window.dynlensPage.state());
  ok(s2.act === 'erf' && s2.sw2 === 2.5 && s2.sb2 === 0.1 && s2.depth === 40, 'isometry -> signal: the phase diagram selects it',
    JSON.stringify(s2));
  await t.idle(page, 120000);
  ok(!errors.length, 'no console errors', errors.join('\n'));
  await page.close();
}

// the deepest depth with accuracy >= 50 % (the page's sentence uses the same rule)
function deepest(acc, n, st) {
  let best = 0;
  acc.forEach((a, c) => { if (a >= 0.5) best = Math.max(best, n.depths[Math.floor(c / st.nx)]); });
  return best;
}

// `dynlens trainability grid` at the page's settings: {json, acc (by cell)}; null without the CLI
function cliCells(t, w, st, n) {
  const csv = join(t.OUT, `isometry-train-${w}.csv`);
  const json = t.cli(['trainability', 'grid', '--weights', w, '--act', st.act, '--sb2', String(st.sb2), '--depth',
    st.depth.join(':'), '--ny', String(st.ny), '--sw2', st.sw2.join(':'), '--nx', String(st.nx), '--width',
    String(st.width), '--steps', String(st.steps), '--batch', String(st.batch), '--lr', String(st.lr), '--seed',
    String(st.seed), '--threads', '2', '--csv', csv]);
  if (!json) return null;
  const rows = readFileSync(csv, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).slice(1)
    .map((l) => l.split(',').map(Number));
  const laid = rows.length === st.nx * st.ny && rows.every(([cell, depth, sw2]) =>
    depth === n.depths[Math.floor(cell / st.nx)] && numDiff(sw2, n.sw2s[cell % st.nx]) <= 1e-12);
  ok(laid, `train ${w}: the CLI's cells have the page's depths and σw² (${st.ny} x ${st.nx})`);
  const acc = [];
  for (const [cell, , , a] of rows) acc[cell] = a;
  return { json, acc };
}

// The trainability panel at the page's defaults (which must finish well within a minute on two workers).
async function testTrain(t) {
  const page = await t.context.newPage();
  const errors = watch(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  const t0 = Date.now();
  await page.goto(`${t.url}#demo=isometry&act=tanh&sw2=0&sb2=0.05&depth=16&width=32&nets=1&seed=1`);
  await t.idle(page, 120000);
  const wall = (Date.now() - t0) / 1000;
  const n = await page.evaluate(() => window.dynlensPage.numbers('train'));
  const st = n && n.settings;
  ok(n && n.state === 'done' && n.done === 2 * st.nx * st.ny, 'train: the default grid fills (both inits, every cell)',
    JSON.stringify(n && { state: n.state, done: n.done }));
  ok(wall < 60, `train: the default grid finishes within a minute (${wall.toFixed(1)} s with page load, ` +
    `${(n.ms / 1000).toFixed(1)} s of training on ${n.workers} workers, ${n.cellsPerSec.toFixed(2)} cells/s)`);
  for (const w of ['gaussian', 'orthogonal']) {
    ok(await canvasColours(page, `#fig-train .iso-train-${w[0]} canvas`) > 8, `train ${w}: the heatmap is drawn`);
  }
  ok(n.gaussian.concat(n.orthogonal).every((a) => a >= 0 && a <= 1), 'train: accuracies are fractions');
  // every cell against the CLI (the same core cell, dyn_iso_cell, with the same (seed, cell) streams). The softmax's
  // exp and log are libm's, whose last bits differ between glibc and Emscripten's libc; deep nets near the critical
  // line amplify that over hundreds of SGD steps, so at the defaults the maps agree cell by cell only statistically.
  // The exact check is on a short run below (the round-trip grid).
  for (const w of ['gaussian', 'orthogonal']) {
    const c = cliCells(t, w, st, n);
    if (!c) continue;
    const diffs = c.acc.map((a, cell) => Math.abs(a - n[w][cell]));
    const mean = diffs.reduce((x, y) => x + y, 0) / diffs.length;
    const same = diffs.filter((d) => d === 0).length;
    const shallow = diffs.slice((st.ny - 1) * st.nx).every((d) => d === 0);
    ok(shallow && mean < 0.05, `train ${w}: the page's cells match the CLI's at the defaults (shallowest row identical, ` +
      `${same}/${diffs.length} cells identical, mean |difference| ${mean.toFixed(4)}, worst ${Math.max(...diffs).toFixed(4)})`,
    JSON.stringify(diffs));
    ok(Math.abs(deepest(n[w], n, st) - deepest(c.acc, n, st)) <= (st.depth[1] - st.depth[0]) / (st.ny - 1) + 1,
      `train ${w}: the deepest trained depth agrees with the CLI's within a row (page ${deepest(n[w], n, st)}, CLI ` +
      `${deepest(c.acc, n, st)})`);
    console.log(`# train ${w}: CLI ${c.json.cells_per_s.toFixed(2)} cells/s on ${c.json.threads} threads; page ` +
      `${(n.cellsPerSec).toFixed(2)} cells/s (both inits) on ${n.workers} workers`);
  }
  // the sentence under the maps is computed from the cells
  const say = await page.textContent('#fig-train .iso-train-say');
  const deep = (w) => deepest(n[w], n, st);
  ok(new RegExp(`Gaussian: L = ${deep('gaussian')} .*orthogonal: L = ${deep('orthogonal')} `).test(say),
    `train: the sentence names the deepest trained depth per init (${deep('gaussian')}, ${deep('orthogonal')})`, say);
  ok(deep('orthogonal') >= deep('gaussian'), 'train: orthogonal initialisation trains at least as deep as Gaussian');
  // the review's claim in the page's own numbers: cells below 6 xi_c train far more often than cells above it
  const sh = n.shares;
  const frac = (x) => x.k / x.n;
  ok(sh && ['gaussian', 'orthogonal'].every((w) => sh.above[w].n > 0 && frac(sh.below[w]) > frac(sh.above[w]) + 0.2) &&
    /Below 6 ξc, \d+ % of the Gaussian and \d+ % of the orthogonal cells trained; above it/.test(say),
  'train: below 6 ξc far more cells train than above it, and the sentence says so', JSON.stringify(sh));
  const legend = await page.textContent('#fig-train .iso-train-legend');
  ok(['ξc', '2 ξc', '6 ξc', 'digits', 'not computed yet', 'selected'].every((k) => legend.includes(k)),
    'train: the legend names every mark and the data', legend);
  await t.shot(page, 'isometry-train-1440.png', { fullPage: true });
  await page.locator('#fig-train').screenshot({ path: join(t.OUT, 'isometry-train-fig-1440.png') });
  // URL round trip of the grid's settings and its cells (a small grid)
  await page.goto(`${t.url}#demo=isometry&act=tanh&sw2=1.5&sb2=0.1&depth=12&width=32&nets=1&seed=2&tdepth=3:9&tny=3` +
    '&tsw2=1:3&tnx=4&twidth=8&tsteps=30&tlr=0.05');
  await t.idle(page, 120000);
  const rt = await reopenLink(t.context, page, 'train');
  const strip = (x) => x && { ...x, ms: 0, cellsPerSec: 0, workers: 0 };
  // a short run: every cell equals the CLI's bit for bit
  const ns = await page.evaluate(() => window.dynlensPage.numbers('train'));
  for (const w of ['gaussian', 'orthogonal']) {
    const c = cliCells(t, w, ns.settings, ns);
    if (!c) continue;
    const worst = Math.max(...c.acc.map((a, cell) => Math.abs(a - ns[w][cell])));
    ok(ns.done === 2 * c.acc.length && worst === 0, `train ${w}: every cell of a 30-step grid equals the CLI's ` +
      `(worst difference ${worst})`, JSON.stringify({ page: ns[w], cli: c.acc }));
  }
  ok(JSON.stringify(rt.before.state) === JSON.stringify(rt.after.state), 'train: URL round trip, the same state');
  ok(JSON.stringify(strip(rt.before.numbers)) === JSON.stringify(strip(rt.after.numbers)),
    'train: URL round trip, the same cells');
  ok(!rt.errors.length, 'train: URL round trip, no console errors', rt.errors.join('\n'));
  await rt.page.close();
  // clicking a cell selects that network for the panels above
  const pick = await page.evaluate(() => {
    const hm = document.querySelector('#fig-train .iso-train-o canvas');
    const r = hm.getBoundingClientRect();
    return { x: r.left + r.width * 0.5, y: r.top + r.height * 0.5 };
  });
  await page.mouse.click(pick.x, pick.y);
  await page.waitForTimeout(300);
  const sel = await page.evaluate(() => window.dynlensPage.state());
  ok([3, 6, 9].includes(sel.depth) && [1, 5 / 3, 7 / 3, 3].some((v) => Math.abs(v - sel.sw2) < 1e-5),
    'train: a click on a cell selects its network (depth, σw²)', JSON.stringify({ depth: sel.depth, sw2: sel.sw2 }));
  await t.idle(page, 120000);
  // a long grid is not started by itself: the cost is shown with a Start button; Stop halts a started run
  await page.goto(`${t.url}#demo=isometry&act=tanh&sw2=0&sb2=0.05&depth=16&width=32&nets=1&seed=1&tdepth=10:100` +
    '&tny=10&tsw2=1:4&tnx=13&twidth=32&tsteps=300&tlr=0.01');
  await t.idle(page, 120000);
  const cost = await page.textContent('#fig-train .iso-train-cost');
  const nl = await page.evaluate(() => window.dynlensPage.numbers('train'));
  ok(nl.state === 'ready' && nl.done === 0 && /Press Start/.test(cost), 'train: a long grid waits for Start, with its cost', cost);
  await page.click('#fig-train .iso-train-start');
  await page.waitForFunction(() => window.dynlensPage.numbers('train').done >= 2, null, { timeout: 60000 });
  await page.click('#fig-train .iso-train-stop');
  await page.waitForTimeout(1500);
  const a = await page.evaluate(() => window.dynlensPage.numbers('train'));
  await page.waitForTimeout(1500);
  const b = await page.evaluate(() => window.dynlensPage.numbers('train'));
  ok(a.state === 'stopped' && a.done === b.done && a.done < 2 * 130, `train: Stop halts the run (at ${a.done} cells)`,
    JSON.stringify({ a: a.state, b: b.done }));
  ok(/Stopped at/.test(await page.textContent('#fig-train .iso-train-cost')), 'train: the status says stopped');
  // the phone layout: the two maps stack
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${t.url}#demo=isometry&act=tanh&sw2=0&sb2=0.05&depth=16&width=32&nets=1&seed=1&tdepth=3:9&tny=3` +
    '&tsw2=1:3&tnx=4&twidth=8&tsteps=30&tlr=0.05');
  await t.idle(page, 120000);
  for (const w of ['g', 'o']) ok(await canvasColours(page, `#fig-train .iso-train-${w} canvas`) > 8, `train 390 px: ${w} drawn`);
  const fits = await page.evaluate(() => [...document.querySelectorAll('#fig-train canvas')].every((c) =>
    c.getBoundingClientRect().right <= window.innerWidth + 1));
  ok(fits, 'train 390 px: the heatmaps fit the screen');
  await page.locator('#fig-train').screenshot({ path: join(t.OUT, 'isometry-train-fig-390.png') });
  await t.shot(page, 'isometry-train-390.png', { fullPage: true });
  ok(!errors.length, 'train: no console errors', errors.join('\n'));
  await page.close();
}


// The "what to notice" guide (web/demos/isometry/index.js): each step's link (with a tiny trainability grid added,
// which no claim uses) opens, and its text's claims are checked against the numbers the page computes. The
// glossary covers every marked term. Screenshots at 1440x900 and 390x844.
async function testGuide(t) {
  const page = await t.context.newPage();
  const errors = watch(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${t.url}#demo=isometry&${SMALL}`);
  await t.idle(page, 120000);
  const { steps, keys } = await page.evaluate(async () => {
    const m = await import('./demos/isometry/index.js');
    const g = await import('./glossary.js');
    return { steps: m.guide, keys: [...Object.keys(g.glossary), ...Object.keys(m.glossary)] };
  });
  ok(steps.length >= 3 && steps.length <= 5 && steps.every((s) => s.set && s.text), `guide: ${steps.length} steps, each with settings and text`);
  const at = [];
  for (const s of steps) {
    const hash = Object.entries(s.set).map(([a, b]) => `${a}=${b}`).join('&');
    await page.goto(`${t.url}#demo=isometry&${hash}&${SMALL}`);
    await t.idle(page, 120000);
    at.push({
      sp: await page.evaluate(() => window.dynlensPage.numbers('spectrum')),
      gr: await page.evaluate(() => window.dynlensPage.numbers('gradients')),
      verdict: await page.textContent('#isometry-verdict'),
      say: await page.textContent('#fig-spectrum .explain'),
    });
  }
  const rv = (x, w, kind) => (kind === 'theory' ? x.sp[w].theory.rel_var : x.sp[w].summary.rel_var);
  // 1: mean λ = χ1^L = 1 for both; Gaussian var/mean² about four times the orthogonal one (theory and samples)
  {
    const x = at[0];
    const rt = rv(x, 'gaussian', 'theory') / rv(x, 'orthogonal', 'theory');
    const rs = rv(x, 'gaussian', 'sample') / rv(x, 'orthogonal', 'sample');
    ok(['gaussian', 'orthogonal'].every((w) => Math.abs(x.sp[w].theory.log_m1) < 1e-6) && rt > 3 && rt < 5 && rs > 3 && rs < 5,
      `guide 1: mean λ = 1 for both; Gaussian var/mean² ${rt.toFixed(2)}× (theory), ${rs.toFixed(2)}× (samples) the orthogonal`);
  }
  // 2: linear, σw² = 1: orthogonal isometric (var/mean² 0 to rounding), Gaussian about L = 16 (Fuss–Catalan: exactly L)
  {
    const x = at[1];
    ok(x.sp.orthogonal.theory.isometric && rv(x, 'orthogonal', 'sample') < 1e-9 &&
      /orthogonal weights: .*dynamically isometric/.test(x.verdict), `guide 2: orthogonal isometric (var/mean² ${rv(x, 'orthogonal', 'sample')})`);
    ok(rv(x, 'gaussian', 'theory') === 16 && Math.abs(rv(x, 'gaussian', 'sample') / 16 - 1) < 0.25,
      `guide 2: Gaussian var/mean² L = 16 (theory ${rv(x, 'gaussian', 'theory')}, samples ${rv(x, 'gaussian', 'sample')})`);
  }
  // 3: depth 64: Gaussian theory 64, the samples' larger than at 16; orthogonal still isometric
  {
    const [a, b] = [at[1], at[2]];
    ok(rv(b, 'gaussian', 'theory') === 64 && rv(b, 'gaussian', 'sample') > rv(a, 'gaussian', 'sample') &&
      b.sp.orthogonal.theory.isometric && rv(b, 'orthogonal', 'sample') < 1e-9,
    `guide 3: Gaussian ${rv(a, 'gaussian', 'sample')} → ${rv(b, 'gaussian', 'sample')}; orthogonal ${rv(b, 'orthogonal', 'sample')}`);
  }
  // 4: ReLU at σw² = 2: μ2/μ1² = 2, orthogonal var/mean² = L = 16 and not isometric
  {
    const th = at[3].sp.orthogonal.theory;
    ok(Math.abs(th.sw2 - 2) < 1e-9 && Math.abs(th.mu2 / th.mu1 ** 2 - 2) < 1e-9 && Math.abs(th.rel_var - 16) < 1e-6 &&
      !th.isometric && /orthogonal weights: .*not isometric/.test(at[3].verdict), 'guide 4: ReLU: μ2/μ1² = 2, orthogonal var/mean² = L, not isometric',
    JSON.stringify(th));
  }
  // 5: chaotic σw² = 3: gradients grow about tenfold back to layer 1 with both kinds; χ1^(L-1) ≈ 17
  {
    const g = at[4].gr;
    ok(Math.abs(g.chi1 - 1.2) < 0.05 && Math.abs(g.theory[0] - 17) < 1.5 && [g.gaussian.mean[0], g.orthogonal.mean[0]].every((v) => v > 5 && v < 35),
      `guide 5: χ1 = ${g.chi1}, χ1^15 = ${g.theory[0]}; layer-1 ratios ${g.gaussian.mean[0]}, ${g.orthogonal.mean[0]}`);
  }
  const terms = await page.evaluate(() => [...document.querySelectorAll('#demo-isometry .term')].map((e) => e.dataset.term));
  const missing = [...new Set(terms)].filter((k) => !keys.includes(k));
  ok(terms.length > 15 && !missing.length, `glossary: ${new Set(terms).size} marked terms, each defined`, missing.join(', '));
  // the sentences under the figures are there and carry the page's numbers
  ok(/middle 90 %/.test(at[0].say) && at[0].say.includes(String(Number(rv(at[0], 'gaussian', 'sample').toPrecision(3)))),
    'spectrum: the sentence under the figure quotes its var/mean²', at[0].say);
  for (const [w, h] of [[1440, 900], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.goto(`${t.url}#demo=isometry&act=tanh&sw2=0&sb2=0.05&depth=16&${SMALL}`);
    await t.idle(page, 120000);
    await t.shot(page, `isometry-guide-${w}.png`, { fullPage: true });
  }
  ok(!errors.length, 'guide: no console errors', errors.join('\n'));
  await page.close();
}

await runSuite('isometry', { page: testPage, train: testTrain, guide: testGuide });
