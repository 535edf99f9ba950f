// suite-landscape-teach.mjs - browser checks of the loss-landscape demo's teaching: every step of its guide is true
// by the page's own numbers (the verdicts of core/landscape.h, the slices' roughness), the warnings show, and the run
// bar works (the estimate and the cap on heavy settings, Run anyway, Pause, Step, Stop, stale panels). Run by ctest
// as browser_landscape-teach (a suite of its own: with suite-landscape.mjs it would pass ctest's 240 s on a busy
// machine); see harness.mjs for running it by hand.
import { idle, numDiff, ok, runSuite, watch } from './harness.mjs';

const runs = (page) => page.evaluate(() => window.dynlensPage.runs());

// The guide: each step's link, and its claim checked against the page's numbers.
async function testGuide({ context, url }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}#demo=landscape`);
  await idle(page, 60000);
  const guide = await page.evaluate(() => import('./demos/landscape/index.js').then((m) => m.guide));
  ok(guide.length >= 3 && guide.length <= 5, `the guide has 3 to 5 steps (${guide.length})`);
  const claims = [
    (rs, s) => rs[0].verdict.verdict === 'learned' && rs[0].acc >= 0.97 && s.panels[0].facts.bottom,
    (rs) => rs[0].verdict.verdict === 'diverged' && rs[0].loss > 2 * Math.max(rs[0].snapLoss[0], Math.log(2)),
    (rs) => rs[0].verdict.verdict === 'failed to learn' && rs[0].loss >= 0.85 * Math.log(2),
    (rs, s) => rs.length === 2 && rs.every((x) => x.verdict.verdict === 'learned') && s.panels[0].label === 'without skips' &&
      s.panels[0].facts.minima > s.panels[1].facts.minima && s.panels[0].facts.roughness > s.panels[1].facts.roughness &&
      s.sentence.includes('the slice without skips is the rougher one'),
  ];
  for (let k = 0; k < guide.length; k++) {
    const hash = Object.entries(guide[k].set).map(([key, v]) => `&${key}=${v}`).join('');
    await page.goto(`${url}#demo=landscape${hash}`);
    await idle(page, 90000);
    const rs = await runs(page);
    const s = await page.evaluate(() => window.dynlensPage.numbers('slice'));
    const said = rs.map((x) => `${x.label} ${x.verdict && x.verdict.verdict} loss ${x.loss} acc ${x.acc}`).join('; ') +
      ` | ${s && s.panels.map((p) => JSON.stringify(p.facts && { m: p.facts.minima, r: p.facts.roughness })).join(' ')}`;
    ok(!!claims[k] && claims[k](rs, s), `guide step ${k + 1} is true: ${guide[k].text.replace(/<[^>]+>/g, '').slice(0, 70)}…`, said);
    if (rs.some((x) => x.verdict && x.verdict.verdict !== 'learned')) {
      const warn = await page.textContent('#landscape-numbers .ls-warn');
      const note = await page.textContent('#fig-training .rb-note');
      ok(warn.includes(rs[0].verdict.text) && note.includes(rs[0].verdict.text),
        `guide step ${k + 1}: the warning is shown on the training figure and in the numbers`, `${warn} | ${note}`);
    }
  }
  // the preset button sets the guide's last step
  await page.goto(`${url}#demo=landscape`);
  await idle(page, 60000);
  await page.click('#landscape-deep');
  const st = await page.evaluate(() => window.dynlensPage.state());
  const want = guide[guide.length - 1].set;
  ok(Object.entries(want).every(([key, v]) => st[key] === v), 'the “Deep net” preset sets the guide\'s last step', JSON.stringify(st));
  ok(errors.length === 0, 'no console errors in the guide', errors.join(' | '));
  await page.close();
}

// The run bar: the estimate before a run, the cap (the heavy settings do not start until lifted), Stop, Pause and
// Step, and the figures dimmed while their network is retrained.
async function testControls({ context, url }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}#demo=landscape`);
  await idle(page, 60000);
  // stale panels while a new net trains
  await page.evaluate(() => window.dynlensPage.setState({ seed: 2 }));
  const stale = await page.evaluate(() => ['#fig-slice', '#fig-surface', '#fig-boundary', '#fig-interp', '#landscape-numbers-box']
    .map((q) => document.querySelector(q).classList.contains('stale')));
  const label = await page.textContent('#fig-slice .stale-label');
  ok(stale.every(Boolean) && /previous network/.test(label), 'panels of the previous net are dimmed and labelled while it retrains',
    JSON.stringify(stale));
  await idle(page, 60000);
  ok(!(await page.evaluate(() => document.querySelector('.stale'))), 'no panel is dimmed once the new net is drawn');
  // the heaviest settings: capped, with the estimate, nothing trained
  await page.goto(`${url}#demo=landscape&depth=8&width=256&n=2000&steps=20000&batch=32`);
  await page.waitForFunction(() => document.querySelector('#fig-training .runbar').dataset.phase === 'capped', null, { timeout: 30000 });
  await idle(page, 30000);
  const [hr] = await runs(page);
  const capText = await page.textContent('#fig-training .rb-cap');
  ok(hr.phase === 'capped' && !hr.trained && hr.estimate > 60 && /over the 60 s cap, so it has not started/.test(capText) &&
    /Run anyway \(about/.test(capText), `the heavy settings wait under the cap with their estimate (${capText.trim()})`);
  ok(/the new one has not started \(over the time cap\)/.test(await page.textContent('#fig-slice .stale-label')),
    'the slice keeps the previous net, dimmed, and says why');
  const t0 = Date.now();
  await page.click('#fig-training .rb-lift');
  await page.waitForFunction(() => window.dynlensPage.runs()[0].step > 0, null, { timeout: 60000 });
  await page.click('#fig-training .rb-stop');
  await page.waitForFunction(() => ['stopped'].includes(window.dynlensPage.runs()[0].phase), null, { timeout: 30000 });
  await idle(page, 30000);
  console.log(`# lifted, trained a chunk and stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const [sr] = await runs(page);
  ok(sr.phase === 'stopped' && sr.step < 20000, `Stop ends the heavy run (at step ${sr.step})`);
  ok(await page.evaluate(() => document.querySelector('#fig-training .rb-phase').textContent === 'stopped'), 'the bar says stopped');
  // pause, step and stop on a run long enough to catch
  await page.goto(`${url}#demo=landscape&steps=20000&res=21`);
  await page.waitForFunction(() => { const r = window.dynlensPage.runs()[0]; return r && (r.step > 0 || r.phase === 'capped'); },
    null, { timeout: 60000 });
  const capped = (await runs(page))[0].phase === 'capped';
  if (capped) await page.click('#fig-training .rb-lift');
  // past two snapshots of the path (every 202 steps here), so that the stopped path spans the PCA plane
  await page.waitForFunction(() => window.dynlensPage.runs()[0].phase === 'running' && window.dynlensPage.runs()[0].step > 450, null, { timeout: 90000 });
  await page.click('#fig-training .rb-play');
  await page.waitForFunction(() => window.dynlensPage.runs()[0].phase === 'paused', null, { timeout: 10000 });
  await page.waitForTimeout(600);
  const p1 = (await runs(page))[0].step;
  await page.waitForTimeout(600);
  const p2 = (await runs(page))[0].step;
  await page.click('#fig-training .rb-step');
  await page.waitForFunction((s) => window.dynlensPage.runs()[0].step === s + 1, p2, { timeout: 10000 });
  ok(p1 === p2, `Pause holds the run (step ${p1}), and Step advances it by one`);
  await page.click('#fig-training .rb-stop');
  await idle(page, 60000);
  const [pr] = await runs(page);
  ok(pr.phase === 'stopped' && pr.trained && pr.stopped && pr.T >= 3, `Stop keeps the path so far (${pr.T} snapshots) and draws it`,
    JSON.stringify({ ...pr, losses: pr.losses.length, snapLoss: pr.snapLoss.length }));
  const s = await page.evaluate(() => window.dynlensPage.numbers('slice'));
  ok(s.panels[0].complete && numDiff(s.panels[0].facts.centre, pr.loss) <= 1e-6, 'the stopped net is the slice\'s centre',
    `${s.panels[0].complete} ${s.panels[0].facts && s.panels[0].facts.centre} ${pr.loss}`);
  ok(errors.length === 0, 'no console errors with the run bar', errors.join(' | '));
  await page.close();
}

await runSuite('landscape-teach', { guide: testGuide, controls: testControls });
