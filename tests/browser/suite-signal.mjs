// suite-signal.mjs - browser checks of the signal-propagation demo: the page (heatmap values against the native
// CLI, linked panels, keyboard, URL round trip, bad hash, export, narrow screen), the embed example and the
// page without Web Workers. Run by ctest as browser_signal; see harness.mjs for running it by hand.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canvasColours, checkComparator, cli, CLI, idle, numDiff, ok, OUT, reopenLink, runSuite, watch } from './harness.mjs';

// The native core's numbers for (act, sw2, sb2), from the CLI (null when it is not built).
function nativePoint(act, sw2, sb2) {
  return cli(['meanfield', 'point', '--act', act, '--sw2', String(sw2), '--sb2', String(sb2)]);
}

// Worst disagreement of the page's point (every key the CLI prints) with the CLI's: {worst, where}.
const POINT_KEYS = ['q_star', 'c_star', 'chi1', 'chi_c', 'chi_q', 'xi_q', 'xi_c', 'xi_grad', 'depth_trainable'];
function comparePoint(pt, nat) {
  let worst = pt.phase === nat.phase ? 0 : Infinity;
  let where = pt.phase === nat.phase ? '' : `phase: page ${pt.phase}, native ${nat.phase}`;
  for (const k of POINT_KEYS) {
    const e = numDiff(pt[k], nat[k], k === 'c_star' ? 1 : 0);
    if (!(e <= worst)) {
      worst = e;
      where = `${k}: page ${pt[k]}, native ${nat[k]}`;
    }
  }
  return { worst, where };
}

// Compares grid values at chosen pixels with the native CLI to 1e-6 relative (the grid uses the core's tables;
// the CLI the exact solver): six spread-out pixels, whose hover readouts are also checked, and the pixels just
// either side of the critical line, where the depth scales diverge and errors are amplified most.
async function checkValues(page, label) {
  const n = await page.evaluate(() => window.dynlensPage.numbers('phase'));
  ok(n && n.stage === 'full' && n.values.length === n.nx * n.ny, `${label}: full-resolution grid drawn`,
    n ? `stage ${n.stage}` : 'no numbers');
  if (!n) return;
  const picks = [[0, 0], [n.ny - 1, 0], [n.ny >> 1, n.nx >> 3], [n.ny >> 2, (3 * n.nx) >> 2], [n.ny - 1, n.nx - 1],
    [(3 * n.ny) >> 2, n.nx >> 1]];
  for (const [i, j] of picks) {
    // The hover readout at that pixel reports the same grid point.
    const p = await page.evaluate(([a, b]) => window.dynlensPage.pixelOf(a, b), [i, j]);
    await page.mouse.move(p.x, p.y);
    const text = await page.textContent('#fig-phase .readout');
    ok(/=/.test(text) && text.includes(n.field === 'xi_c' ? 'ξ' : ''), `${label}: hover readout at (${i}, ${j})`, text);
  }
  const cl = n.criticalLine;
  for (const i of [n.ny >> 3, n.ny >> 1]) {
    // criticalLine runs bottom (sb2 min) to top; row i counts from the top.
    const k = Math.round(((n.ny - 1 - i) / (n.ny - 1)) * (cl.sw2.length - 1));
    const jc = ((cl.sw2[k] - n.sw2[0]) / (n.sw2[1] - n.sw2[0])) * (n.nx - 1);
    if (Number.isFinite(jc) && jc >= 1 && jc < n.nx - 1) picks.push([i, Math.floor(jc)], [i, Math.ceil(jc)]);
  }
  if (!existsSync(CLI)) {
    ok(false, `${label}: native CLI ${CLI} is built (needed to compare numbers)`);
    return;
  }
  let worst = 0;
  let where = '';
  for (const [i, j] of picks) {
    const sw2 = n.sw2[0] + (j * (n.sw2[1] - n.sw2[0])) / (n.nx - 1);
    const sb2 = n.sb2[1] - (i * (n.sb2[1] - n.sb2[0])) / (n.ny - 1);
    const v = n.values[i * n.nx + j];
    const nat = nativePoint(n.act, sw2, sb2);
    let want = nat[n.field];
    if (n.field === 'phase') want = ['ordered', 'chaotic', 'unbounded'].indexOf(want);
    // meanfield.h: a grid has NaN wherever the network is unbounded, where the point solver reports q* = inf.
    if (nat.phase === 'unbounded' && n.field !== 'phase') want = null;
    const e = numDiff(v, want, n.field === 'c_star' ? 1 : 0);
    if (!(e <= worst)) {
      worst = e;
      where = `--act ${n.act} --sw2 ${sw2} --sb2 ${sb2} (pixel ${i}, ${j}): page ${v}, native ${want}`;
    }
  }
  ok(worst <= 1e-6, `${label}: ${picks.length} pixels match the native CLI to 1e-6 relative (worst ${worst.toExponential(2)})`, where);
}

// ---------------------------------------------------------------------------------------------------------
async function testPage({ context, url, foreign }) {
  const page = await context.newPage();
  const errors = watch(page);
  const t0 = Date.now();
  await page.goto(`${url}#act=tanh&field=xi_c&sw2=1.5&sb2=0.05&res=256`);
  await idle(page);
  console.log(`# page load to full heatmap: ${Date.now() - t0} ms`);
  const eng = await page.evaluate(() => window.dynlensPage.engine);
  ok(eng.mode === 'workers' && eng.workers >= 1, 'computes in Web Workers', JSON.stringify(eng));
  ok(await canvasColours(page, '#fig-phase canvas') > 40, 'phase diagram canvas is drawn (many colours)');
  for (const f of ['length', 'corr', 'depth']) {
    ok(await canvasColours(page, `#fig-${f} canvas`) > 8, `${f} panel canvas is drawn`);
  }
  await checkValues(page, 'xi_c tanh');

  // The selected network's numbers (the exact solver, in WASM) against the native CLI's: every key, to 1e-12.
  checkComparator();
  const sel = await page.evaluate(() => window.dynlensPage.selected());
  const cmp = comparePoint(sel, nativePoint('tanh', 1.5, 0.05));
  ok(cmp.worst <= 1e-12, `selected network numbers equal the native CLI (worst ${cmp.worst.toExponential(2)})`, cmp.where);

  // Clicking a point in the chaotic phase selects it and updates every linked panel.
  const before = await page.evaluate(() => window.dynlensPage.numbers('depth'));
  const n = await page.evaluate(() => window.dynlensPage.numbers('phase'));
  const ci = n.ny >> 2;
  const cj = n.nx - 20;
  const p = await page.evaluate(([a, b]) => window.dynlensPage.pixelOf(a, b), [ci, cj]);
  await page.mouse.click(p.x, p.y);
  await idle(page);
  const st = await page.evaluate(() => window.dynlensPage.state());
  const wantSw2 = n.sw2[0] + (cj * (n.sw2[1] - n.sw2[0])) / (n.nx - 1);
  ok(Math.abs(st.sw2 - wantSw2) < (n.sw2[1] - n.sw2[0]) / n.nx, 'click selects the clicked σw²', `${st.sw2} vs ${wantSw2}`);
  const after = {
    length: await page.evaluate(() => window.dynlensPage.numbers('length')),
    corr: await page.evaluate(() => window.dynlensPage.numbers('corr')),
    depth: await page.evaluate(() => window.dynlensPage.numbers('depth')),
    sel: await page.evaluate(() => window.dynlensPage.selected()),
  };
  ok(after.sel.phase === 'chaotic' && after.sel.sw2 === st.sw2, 'selected-network panel follows the click', JSON.stringify(after.sel));
  ok(after.length.point.sw2 === st.sw2 && after.corr.point.sw2 === st.sw2 && after.depth.point.sw2 === st.sw2,
    'length, correlation and depth panels follow the click');
  ok(after.corr.point.c_star < 1 && Math.abs(after.corr.cobweb_c.at(-1) - after.corr.point.c_star) < 1e-2,
    'correlation cobweb converges to c* < 1 in the chaotic phase');
  ok(after.depth.sim && after.depth.sim.c_mean.length === after.depth.depth + 1 &&
    before.depth_trainable !== after.depth.depth_trainable, 'depth panel has a simulation and a new trainable depth');
  const cmp2 = comparePoint(after.sel, nativePoint('tanh', st.sw2, st.sb2));
  ok(cmp2.worst <= 1e-12, `the clicked network's numbers equal the native CLI (worst ${cmp2.worst.toExponential(2)})`, cmp2.where);
  // Simulation and theory agree within the band (a loose, width-256 check at layer 10).
  const d = after.depth;
  const l = Math.min(10, d.depth);
  ok(Math.abs(d.sim.c_mean[l] - d.c_theory[l]) < 4 * d.sim.c_se[l] + 0.03, 'finite-width simulation follows the theory',
    `layer ${l}: sim ${d.sim.c_mean[l]} ± ${d.sim.c_se[l]}, theory ${d.c_theory[l]}`);

  // Keyboard: the heatmap takes focus and the arrow keys move the selection.
  await page.focus('#fig-phase canvas');
  await page.keyboard.press('ArrowLeft');
  await idle(page);
  const st2 = await page.evaluate(() => window.dynlensPage.state());
  ok(st2.sw2 < st.sw2, 'ArrowLeft on the focused heatmap lowers σw²', `${st2.sw2} vs ${st.sw2}`);
  // Controls: change the field and activation from the keyboard-accessible selects.
  await page.selectOption('#field', 'chi1');
  await page.selectOption('#act', 'erf');
  await page.fill('#sw2min', '0.8');
  await page.dispatchEvent('#sw2min', 'change');
  await idle(page);
  const labelled = await page.evaluate(() => [...document.querySelectorAll('#controls select, #controls input')]
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.id));
  ok(labelled.length === 0, 'every control has a label', labelled.join(', '));
  await checkValues(page, 'chi1 erf');
  await page.screenshot({ path: join(OUT, 'page-chi1-erf.png'), fullPage: true });

  // URL round trip: a fresh tab on the same link shows the same state and the same numbers.
  const { link, before: { state: s1, numbers: v1 }, after: { state: s2, numbers: v2 }, page: page2, errors: errors2 } =
    await reopenLink(context, page, 'phase');
  ok(JSON.stringify(s1) === JSON.stringify(s2), 'the link reproduces the state', `${JSON.stringify(s1)} vs ${JSON.stringify(s2)}`);
  ok(v1.values.every((x, k) => Object.is(x, v2.values[k])) && v1.colour.vmin === v2.colour.vmin,
    'the link reproduces the drawn numbers and colour range');
  ok(page2.url() === link, 'the hash is stable (canonical) on reload');

  // CSV export: the header records every parameter.
  const [dl] = await Promise.all([page2.waitForEvent('download'), page2.click('#fig-phase [data-export=csv]')]);
  const csv = readFileSync(await dl.path(), 'utf8');
  const head = csv.split('\n').filter((x) => x.startsWith('#')).join('\n');
  ok(['act=erf', 'field=chi1', 'sw2r=0.8:4', 'sb2r=0:0.3', 'res=256', 'width=', 'seed=', 'link:'].every((k) => head.includes(k)) &&
    csv.split('\n').filter((x) => /^[0-9]/.test(x)).length === 256 * 256, 'CSV export: header with every parameter and 65536 rows');
  const [dp] = await Promise.all([page2.waitForEvent('download'), page2.click('#fig-depth [data-export=png]')]);
  const png = readFileSync(await dp.path());
  ok(png.length > 5000 && png.slice(1, 4).toString() === 'PNG', 'PNG export of the depth figure');
  ok(errors2.length === 0, 'no console errors in the reopened link', errors2.join(' | '));
  await page2.close();

  // A bad value in the hash: default plus a visible notice.
  const page3 = await context.newPage();
  const errors3 = watch(page3);
  await page3.goto(`${url}#act=softsign&sw2=-2&sb2=0.1&sw2r=4:1&bogus=1`);
  await idle(page3);
  const s3 = await page3.evaluate(() => window.dynlensPage.state());
  const notice = await page3.textContent('#notice');
  ok(await page3.isVisible('#notice'), 'bad hash values show a notice');
  ok(s3.act === 'tanh' && s3.sw2 === 1.5 && s3.sb2 === 0.1 && s3.sw2r.join(':') === '0.5:4',
    'bad hash values fall back to their defaults, good ones are kept', JSON.stringify(s3));
  ok(['act=softsign', 'sw2=-2', 'sw2r=4:1', 'bogus'].every((k) => notice.includes(k)), 'the notice names every bad value', notice);
  ok(!page3.url().includes('softsign'), 'the hash is rewritten with the defaults');
  await page3.screenshot({ path: join(OUT, 'page-bad-hash.png') });
  ok(errors3.length === 0, 'no console errors with a bad hash', errors3.join(' | '));
  await page3.close();

  // More fields against the native CLI: infinite and undefined values (ReLU is unbounded for σw² > 2).
  for (const [act, field] of [['relu', 'q_star'], ['tanh', 'xi_q'], ['tanh', 'c_star']]) {
    await page.evaluate((p) => window.dynlensPage.setState(p), { act, field, res: '128', sw2r: [0.5, 4], vr: null });
    await idle(page);
    await checkValues(page, `${field} ${act}`);
  }

  // A phone-sized screen: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${url}#act=tanh&field=xi_c&sw2=1.5&sb2=0.05&res=128`);
  await idle(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  ok(overflow <= 0, 'narrow screen: no horizontal overflow', `${overflow}px`);
  await page.screenshot({ path: join(OUT, 'page-narrow.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.goto(`${url}#act=tanh&field=xi_c&sw2=1.5&sb2=0.05&res=256`);
  await idle(page);
  await page.screenshot({ path: join(OUT, 'page.png'), fullPage: true });
  // The log view of 1 - c^l: the core's e, which keeps full precision where c^l rounds to 1.
  await page.click('#dlog');
  await idle(page);
  const lg = await page.evaluate(() => window.dynlensPage.numbers('depth'));
  ok(lg.view === 'log 1-c' && page.url().includes('dlog=1') && lg.e_theory.every((e, l) => e > 0 &&
    Math.abs(e - (1 - lg.c_theory[l])) <= 1e-12), 'log view of 1 − c^l: in the link, and e = 1 − c from the core');
  await page.locator('#fig-depth').screenshot({ path: join(OUT, 'page-depth-log.png') });
  ok(errors.length === 0, 'no console errors on the page', errors.join(' | '));
  ok(foreign.length === 0, 'no request to any host but the local server', foreign.join(', '));
  await page.close();
}

async function testEmbed({ context, url, foreign }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}embed-example.html`);
  await page.waitForFunction(() => window.dynlensEmbed, null, { timeout: 30000 });
  const n = await page.evaluate(() => window.dynlensEmbed.numbers());
  ok(n.field === 'xi_c' && n.nx === 128 && n.values.length === 128 * 128, 'embed API: mount draws the requested grid');
  await page.click('#api-toggle');
  await page.waitForFunction(() => window.dynlensEmbed.numbers().field === 'chi1' &&
    window.dynlensEmbed.numbers().stage === 'full', null, { timeout: 30000 });
  ok((await page.textContent('#api-out')).startsWith('chi1'), 'embed API: set() changes the field and numbers() reads it back');
  const nat = nativePoint('tanh', 0.5, 0.3);
  const m = await page.evaluate(() => window.dynlensEmbed.numbers());
  ok(numDiff(m.values[0], nat.chi1) <= 1e-6, 'embed API: numbers() match the native CLI', `${m.values[0]} vs ${nat.chi1}`);
  const bad = await page.evaluate(() => window.dynlensEmbed.set({ act: 'nope' }).then(() => '', (e) => e.message));
  ok(/activation/.test(bad), 'embed API: a bad parameter throws a descriptive Error', bad);
  // The iframe shows the phase diagram only.
  const frame = page.frame({ url: /index\.html/ });
  await frame.waitForFunction(() => window.dynlensPage && window.dynlensPage.idle(), null, { timeout: 30000 });
  const vis = await frame.evaluate(() => ['#fig-phase', '#fig-depth', '#controls', 'header.site', '.intro']
    .map((s) => { const e = document.querySelector(s); return !!(e && e.offsetParent !== null); }));
  ok(vis[0] && !vis.slice(1).some(Boolean), 'iframe with fig=phase shows the phase diagram and nothing else', JSON.stringify(vis));
  ok(await frame.evaluate(() => window.dynlensPage.numbers('phase').field) === 'chi1', 'iframe takes its settings from the hash');
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(OUT, 'embed-example.png'), fullPage: true });
  ok(errors.length === 0, 'no console errors on the embed example', errors.join(' | '));
  ok(foreign.length === 0, 'embed example: no request to another host', foreign.join(', '));
  await page.close();
}

async function testNoWorkers({ context, url }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.addInitScript(() => { delete window.Worker; });
  await page.goto(`${url}#act=tanh&field=xi_c&sw2=1.5&sb2=0.05&res=128&width=64&seeds=4&depth=40`);
  await idle(page, 60000);
  const eng = await page.evaluate(() => window.dynlensPage.engine);
  ok(eng.mode === 'inline' && /unavailable/.test(eng.fallbackReason), 'without Workers the page computes in the page', JSON.stringify(eng));
  ok(await canvasColours(page, '#fig-phase canvas') > 40, 'without Workers the heatmap is drawn');
  await checkValues(page, 'no workers');
  const dep = await page.evaluate(() => window.dynlensPage.numbers('depth'));
  ok(dep && dep.sim && dep.sim.c_mean.length === 41, 'without Workers the simulation runs');
  await page.screenshot({ path: join(OUT, 'page-no-workers.png'), fullPage: true });
  ok(errors.length === 0, 'no console errors without Workers', errors.join(' | '));
  await page.close();
}


// ---------------------------------------------------------------------------------------------------------
// The "what to notice" guide (web/demos/signal/index.js): every step's link opens, and what its text claims is
// checked against the numbers the page computes for those settings. The glossary covers every marked term.
async function testGuide(t) {
  const page = await t.context.newPage();
  const errors = watch(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${t.url}#demo=signal`);
  await idle(page);
  const { steps, keys } = await page.evaluate(async () => {
    const m = await import('./demos/signal/index.js');
    const g = await import('./glossary.js');
    return { steps: m.guide, keys: [...Object.keys(g.glossary), ...Object.keys(m.glossary)] };
  });
  ok(steps.length >= 3 && steps.length <= 5 && steps.every((s) => s.set && s.text), `guide: ${steps.length} steps, each with settings and text`);
  const num = (name) => page.evaluate((n) => window.dynlensPage.numbers(n), name);
  const sel = () => page.evaluate(() => window.dynlensPage.selected());
  const at = [];
  for (let k = 0; k < steps.length; k++) {
    const hash = Object.entries(steps[k].set).map(([a, b]) => `${a}=${b}`).join('&');
    await page.goto(`${t.url}#demo=signal&${hash}`);
    await idle(page);
    at.push({ phase: await num('phase'), corr: await num('corr'), depth: await num('depth'), sel: await sel(),
      legend: await page.textContent('#fig-phase .fig-legend') });
  }
  // 1: ordered left of the critical line, chaotic right; σw² = 1.2 ordered, c* = 1, the cobweb runs into it
  {
    const { phase, corr, sel: s } = at[0];
    const lab = Object.fromEntries(phase.labels.map((l) => [l.phase, l]));
    ok(lab.ordered && lab.chaotic && lab.ordered.u < lab.chaotic.u && /left of the dashed critical line are ordered/.test(phase.say),
      'guide 1: the ordered label is left of the chaotic one, and the sentence says so', JSON.stringify(phase.labels));
    const cw = corr.cobweb_c;
    ok(s.phase === 'ordered' && corr.point.c_star === 1 && cw.at(-1) > cw[0] && 1 - cw.at(-1) < 0.05,
      `guide 1: σw² = 1.2 is ordered with c* = 1 and the cobweb approaches it (c^25 = ${cw.at(-1)})`);
  }
  // 2: ξ_c from about 6 (step 1) to over 1e5 on the line; brightest along the line; the colour bar is clipped (≥)
  {
    const { phase, sel: s } = at[1];
    ok(Math.abs(at[0].sel.xi_c - 6) < 0.5 && s.xi_c > 1e5, `guide 2: ξc ${at[0].sel.xi_c} at σw² = 1.2, ${s.xi_c} on the line`);
    let near = 0;
    const rows = [phase.ny >> 2, phase.ny >> 1, (3 * phase.ny) >> 2];
    for (const i of rows) {
      let best = 0;
      for (let j = 1; j < phase.nx; j++) if (phase.values[i * phase.nx + j] > phase.values[i * phase.nx + best]) best = j;
      const sb2 = phase.sb2[1] - (i * (phase.sb2[1] - phase.sb2[0])) / (phase.ny - 1);
      const k = Math.round(((sb2 - phase.criticalLine.sb2[0]) / (phase.criticalLine.sb2.at(-1) - phase.criticalLine.sb2[0])) * 160);
      const jc = ((phase.criticalLine.sw2[k] - phase.sw2[0]) / (phase.sw2[1] - phase.sw2[0])) * (phase.nx - 1);
      if (Math.abs(best - jc) <= 2) near++;
    }
    ok(near === rows.length, `guide 2: in ${near} of ${rows.length} rows ξc is largest within two cells of the critical line`);
    ok(phase.clip && phase.clip.hi && /≥ on the colour bar/.test(phase.say), 'guide 2: the colour bar is clipped at its top, and the sentence says so');
  }
  // 3: chaotic at σw² = 3: c* ≈ 0.3 < 1, theory and simulation end there
  {
    const { depth, sel: s } = at[2];
    const L = depth.depth;
    ok(s.phase === 'chaotic' && Math.abs(s.c_star - 0.3) < 0.05, `guide 3: chaotic with c* = ${s.c_star} ≈ 0.3`);
    ok(L === 60 && Math.abs(depth.c_theory[L] - s.c_star) < 0.01 && Math.abs(depth.sim.c_mean[L] - s.c_star) < 0.05,
      `guide 3: theory (${depth.c_theory[L]}) and simulation (${depth.sim && depth.sim.c_mean[L]}) end near c*`);
  }
  // 4: ReLU: no chaotic cell, an unbounded region whose edge is at σw² = 2; at 1.9 χ1 = 0.95, ξc ≈ 19.5
  {
    const { phase, sel: s } = at[3];
    const codes = phase.phases.codes;
    const edge = phase.unboundedEdge ? phase.unboundedEdge.sw2.filter(Number.isFinite) : [];
    const cell = (phase.sw2[1] - phase.sw2[0]) / (phase.nx - 1);
    ok(!codes.includes(phase.phases.names.indexOf('chaotic')) && codes.includes(phase.phases.names.indexOf('unbounded')),
      'guide 4: ReLU has unbounded cells and no chaotic one');
    ok(edge.length === phase.ny && edge.every((x) => Math.abs(x - 2) <= cell), `guide 4: the unbounded edge is at σw² = 2 in every row (within a cell, ${cell})`);
    ok(Math.abs(s.chi1 - 0.95) < 1e-9 && Math.abs(s.xi_c - 19.5) < 0.05, `guide 4: χ1 = ${s.chi1}, ξc = ${s.xi_c}`);
    const { legend } = at[3];
    ok(/edge of the unbounded region/.test(legend) && /unbounded: no fixed point/.test(legend) && /critical point/.test(legend),
      'guide 4: the legend names the edge, the grey region and the critical point', legend);
  }
  // 5: the log view: 1 - c^l a straight line of slope -1/ξc (natural log)
  {
    const { depth, sel: s } = at[4];
    const slope = (Math.log(depth.e_theory[40]) - Math.log(depth.e_theory[10])) / 30;
    ok(depth.view === 'log 1-c' && Math.abs(slope * s.xi_c + 1) < 0.05 && Math.abs(s.xi_c - 5.9) < 0.1,
      `guide 5: ln(1 − c^l) falls with slope ${slope.toFixed(4)} = −1/ξc (ξc = ${s.xi_c})`);
  }
  // every marked term has a definition (the shared glossary or the demo's)
  const terms = await page.evaluate(() => [...document.querySelectorAll('#demo-signal .term')].map((e) => e.dataset.term));
  const missing = [...new Set(terms)].filter((k) => !keys.includes(k));
  ok(terms.length > 20 && !missing.length, `glossary: ${new Set(terms).size} marked terms, each defined`, missing.join(', '));
  ok(!errors.length, 'guide: no console errors', errors.join(' | '));
  await page.close();
}

// The phase map's marks: labels inside their regions, an edge arrow for a selection outside the window, and
// arrow keys that land on round numbers (the slider and the heatmap). Screenshots at 1440x900 and 390x844.
async function testMarks(t) {
  const page = await t.context.newPage();
  const errors = watch(page);
  for (const [w, h] of [[1440, 900], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const act of ['tanh', 'relu']) {
      await page.goto(`${t.url}#demo=signal&act=${act}&field=xi_c`);
      await idle(page);
      const n = await page.evaluate(() => window.dynlensPage.numbers('phase'));
      const g = n.phases;
      // every phase cell under a label's box is of the label's phase
      const bad = n.labels.filter((l) => {
        for (let i = 0; i < g.ny; i++) {
          for (let j = 0; j < g.nx; j++) {
            const u = j / (g.nx - 1);
            const v = i / (g.ny - 1);
            if (Math.abs(u - l.u) <= l.hu && Math.abs(v - l.v) <= l.hv && g.names[g.codes[i * g.nx + j]] !== l.phase) return true;
          }
        }
        return false;
      });
      const present = [...new Set(g.codes)].map((c) => g.names[c]).sort();
      ok(!bad.length && n.labels.map((l) => l.phase).sort().join() === present.join(),
        `${act} ${w}px: one label per phase present (${present}), each box inside its region`, JSON.stringify(n.labels));
      await t.shot(page, `signal-phase-${act}-${w}.png`, { fullPage: false });
      await page.locator('#fig-phase').screenshot({ path: join(t.OUT, `signal-phase-fig-${act}-${w}.png`) });
    }
  }
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`${t.url}#demo=signal&sw2=3.5&sw2r=0.5:2&sb2r=0:0.1`);
  await idle(page);
  const z = await page.evaluate(() => window.dynlensPage.numbers('phase'));
  ok(z.markerOff && z.markerOff.side === 'right' && /outside this window \(right\)/.test(z.say),
    'zoomed past the selection: an arrow on the right edge and a sentence say where it is', JSON.stringify(z.markerOff));
  await page.locator('#fig-phase').screenshot({ path: join(t.OUT, 'signal-phase-offmap.png') });
  // arrow keys: the σw² slider steps by 0.01 on [0.5, 4]; the heatmap by a round step a cell wide
  await page.goto(`${t.url}#demo=signal&sw2=1.5`);
  await idle(page);
  await page.focus('#sw2-range');
  await page.keyboard.press('ArrowRight');
  await idle(page);
  const s1 = await page.evaluate(() => window.dynlensPage.state().sw2);
  ok(s1 === 1.51, `the σw² slider's arrow step is 0.01 (1.5 → ${s1})`);
  await page.focus('#fig-phase canvas');
  await page.keyboard.press('ArrowLeft');
  await idle(page);
  const s2 = await page.evaluate(() => window.dynlensPage.state().sw2);
  ok(s2 === 1.5, `the heatmap's arrow step is a round 0.02 from a multiple of it (1.51 → ${s2})`);
  ok(!errors.length, 'marks: no console errors', errors.join(' | '));
  await page.close();
}

await runSuite('signal', { page: testPage, embed: testEmbed, noworkers: testNoWorkers, guide: testGuide, marks: testMarks });
