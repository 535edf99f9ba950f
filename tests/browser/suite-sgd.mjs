// suite-sgd.mjs - browser checks of the SGD-as-Bayesian-inference demo: the posterior heatmap is drawn; the exact
// posterior, eps* and the iterates equal the native CLI's (`dynlens posterior run`) for the same model, data and
// seed; play/pause/step; the URL round trip; a bad hash; click to move the start; the KL/trace/ACF panels;
// export; narrow screen; embedding (mount and the iframe fig= option). Run by ctest as browser_sgd.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canvasColours, checkComparator, CLI, cli, idle, numDiff, ok, reopenLink, runSuite, watch } from './harness.mjs';

// The CLI's iterates for the same run: --burn-in 0 --thin 1, so that row k is step k + 1.
function cliIterates(args) {
  const dir = mkdtempSync(join(tmpdir(), 'dynlens-sgd-'));
  try {
    const out = join(dir, 'it.csv');
    const json = JSON.parse(execFileSync(CLI, [...args, '--csv', out], { encoding: 'utf8' }));
    const rows = readFileSync(out, 'utf8').split('\n').filter((l) => /^[0-9]/.test(l)).map((l) => l.split(',').map(Number));
    return { json, rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const worstMat = (a, b) => Math.max(...a.flat().map((v, k) => numDiff(v, b.flat()[k])));

async function compareWithCli(t, page, label, st) {
  const n = await page.evaluate(() => window.dynlensPage.numbers('posterior'));
  const th = n.theory;
  const steps = n.chains[0].t;
  const args = ['posterior', 'run', '--model', st.model, '--synthetic', String(n.spec.n), '--seed', String(st.seed),
    '--sampler', st.sampler, '--eps', String(n.eps), '--batch', String(st.S), '--batching', st.batching,
    '--steps', String(steps), '--burn-in', '0', '--thin', '1'];
  if (st.start === 'point') args.push('--start', `${st.sx},${st.sy}`);
  const { json, rows } = cliIterates(args);
  const eMean = Math.max(...th.postMean.map((v, k) => numDiff(v, json.post_mean[k])));
  const eCov = worstMat(th.postCov, json.post_cov);
  ok(eMean <= 1e-9 && eCov <= 1e-9, `${label}: exact posterior mean and covariance equal the CLI's (worst ${Math.max(eMean, eCov).toExponential(2)})`,
    JSON.stringify({ page: [th.postMean, th.postCov], cli: [json.post_mean, json.post_cov] }));
  ok(numDiff(n.eps_star, json.eps_star) <= 1e-12, `${label}: ε* equals the CLI's`, `${n.eps_star} vs ${json.eps_star}`);
  ok(worstMat(n.pred_cov_discrete, json.pred_cov_discrete) <= 1e-9 && worstMat(n.pred_cov_continuous, json.pred_cov_continuous) <= 1e-9,
    `${label}: predicted stationary covariances equal the CLI's`);
  // Linear regression's gradients use only + - * /, so its iterates must be bit-identical (the RNG is the core's
  // own, identical natively and in WASM). Logistic regression and the mixture call exp(), whose last bit differs
  // now and then between glibc (native) and Emscripten's musl libm: the chains are bit-identical up to the first
  // such step, which must differ by a last-bit amount (<= 2e-15 relative); after it the difference propagates and
  // the dynamics amplify it (the mixture's momentum chain by ~1e3 over a thousand steps), so the rest must agree
  // to 1e-10 relative.
  const it = n.chains[0].iterates;
  let same = rows.length === steps && n.chains[0].thin === 1;
  let first = -1;
  let firstErr = 0;
  let worst = 0;
  for (let k = 0; k < rows.length && same; k++) {
    if (rows[k][0] !== k + 1) same = false;
    for (let j = 0; j < 2; j++) {
      if (Object.is(rows[k][1 + j], it[2 * k + j])) continue;
      const e = numDiff(it[2 * k + j], rows[k][1 + j]);
      if (first < 0) first = k + 1, firstErr = e;
      worst = Math.max(worst, e);
    }
  }
  if (st.model === 'linreg') {
    ok(same && first < 0, `${label}: ${steps} iterates bit-identical to the CLI's --csv`, `rows ${rows.length}, first difference at step ${first}, worst ${worst}`);
  } else {
    ok(same && (first < 0 || (firstErr <= 2e-15 && worst <= 1e-10)),
      `${label}: ${steps} iterates equal the CLI's --csv: ${first < 0 ? 'bit-identical' : `bit-identical to step ${first - 1}, then a libm last-bit difference (${firstErr.toExponential(1)}) grows to ${worst.toExponential(1)}`}`,
      `rows ${rows.length}, first difference at step ${first} (${firstErr}), worst ${worst}`);
  }
  return n;
}

async function testPage(t) {
  const { context, url } = t;
  checkComparator();
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}#demo=sgd&model=linreg&sampler=sgd&S=10&seed=3&steps=2000&speed=10000`);
  await idle(page);
  ok(await canvasColours(page, '#fig-posterior canvas') > 40, 'posterior heatmap is drawn (many colours)');
  for (const f of ['kl', 'acf', 'trace']) ok(await canvasColours(page, `#fig-${f} canvas`) > 8, `${f} panel is drawn`);
  const st = await page.evaluate(() => window.dynlensPage.state());
  if (!existsSync(CLI)) ok(false, `native CLI ${CLI} is built`);
  else await compareWithCli(t, page, 'linreg sgd', st);
  const nums = await page.evaluate(() => window.dynlensPage.numbers('posterior'));
  ok(nums.hpd_levels && nums.hpd_levels.length === 3 && nums.hpd_levels[0] > nums.hpd_levels[2], 'contour levels from the core (50/90/99 %)');
  const kl = await page.evaluate(() => window.dynlensPage.numbers('kl'));
  const klc = cli(['posterior', 'kl', '--model', 'linreg', '--seed', '3', '--batch', '10', '--eps-range', `${kl.eps[0]}:${kl.eps.at(-1)}`, '--n', String(kl.eps.length)]);
  const eKL = Math.max(...kl.kl_discrete.map((v, k) => numDiff(v, klc.kl_discrete[k])), ...kl.kl_continuous.map((v, k) => numDiff(v, klc.kl_continuous[k])));
  ok(eKL <= 1e-9, `KL curve equals the CLI's (worst ${eKL.toExponential(2)})`);
  await t.shot(page, 'sgd-page.png', { fullPage: true });

  // Logistic and mixture (exact posteriors by quadrature), other samplers, epoch batching, a clicked start.
  for (const [h, label] of [
    ['model=logistic&sampler=sgld&epsr=0.5&S=5&batching=epoch&seed=7&steps=1500', 'logistic sgld epoch'],
    ['model=mixture&sampler=momentum&S=20&seed=2&steps=1200&start=point&sx=1.5&sy=-1', 'mixture momentum from (1.5, −1)'],
    ['model=linreg&sampler=sgd-precond&S=10&seed=4&steps=1000', 'linreg sgd-precond'],
  ]) {
    await page.goto(`${url}#demo=sgd&${h}&speed=10000`);
    await idle(page);
    await compareWithCli(t, page, label, await page.evaluate(() => window.dynlensPage.state()));
  }
  await t.shot(page, 'sgd-precond.png', { fullPage: true });

  // Play, pause, step.
  await page.goto(`${url}#demo=sgd&model=mixture&sampler=sgld&epsr=1&steps=500&speed=100&cmp=1`);
  await idle(page);
  const t0 = await page.evaluate(() => window.dynlensPage.sgdStep());
  ok(t0 === 500, 'the chain runs to the link\'s step count and stops', String(t0));
  await page.click('#sgd-runbar .rb-play');
  await page.waitForTimeout(400);
  ok(await page.evaluate(() => window.dynlensPage.sgdPlaying()), 'Play starts the chain');
  await page.click('#sgd-runbar .rb-play');
  const t1 = await page.evaluate(() => window.dynlensPage.sgdStep());
  await page.waitForTimeout(200);
  const t2 = await page.evaluate(() => window.dynlensPage.sgdStep());
  ok(t1 > t0 && t2 === t1 && !(await page.evaluate(() => window.dynlensPage.sgdPlaying())), 'Pause stops it', `${t0} ${t1} ${t2}`);
  const s1 = await page.evaluate(() => window.dynlensPage.state());
  ok(s1.steps === t1, 'pausing writes the step count into the link', `${s1.steps} vs ${t1}`);
  await page.focus('#sgd-runbar .rb-step');
  await page.keyboard.press('Enter');
  await idle(page);
  ok(await page.evaluate(() => window.dynlensPage.sgdStep()) === t1 + 1, 'Step (keyboard) advances one step');
  const two = await page.evaluate(() => window.dynlensPage.numbers('posterior').chains.length);
  ok(two === 2, 'the other batching runs as a second chain');
  await t.shot(page, 'sgd-mixture-sgld.png', { fullPage: true });

  // Clicking the map moves the start and restarts the chain from there.
  const box = await page.evaluate(() => window.dynlensPage.numbers('posterior').box);
  const target = [box[0] + 0.3 * (box[1] - box[0]), box[2] + 0.7 * (box[3] - box[2])];
  const p = await page.evaluate(([x, y]) => window.dynlensPage.pixelOfTheta(x, y), target);
  await page.mouse.click(p.x, p.y);
  await idle(page);
  const s2 = await page.evaluate(() => window.dynlensPage.state());
  const tol = (box[1] - box[0]) / 100;
  ok(s2.start === 'point' && Math.abs(s2.sx - target[0]) < tol && Math.abs(s2.sy - target[1]) < tol,
    'click moves the starting point', JSON.stringify([s2.sx, s2.sy, target]));
  const it = await page.evaluate(() => window.dynlensPage.numbers('trace').chains[0]);
  ok(it.t === s2.steps, 'the chain restarted from the clicked point', `${it.t} vs ${s2.steps}`);
  await page.focus('#fig-posterior canvas');
  await page.keyboard.press('ArrowLeft');
  await idle(page);
  const s3 = await page.evaluate(() => window.dynlensPage.state());
  ok(s3.sx < s2.sx && s3.sy === s2.sy, 'ArrowLeft on the focused map moves the start left');

  // Every control is labelled.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#sgd-controls select, #sgd-controls input, #sgd-controls button')]
    .filter((e) => e.offsetParent !== null) // shown ones (the run bar's "Run anyway" is hidden until a run is capped)
    .filter((e) => e.tagName === 'BUTTON' ? !e.textContent.trim() : !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).map((e) => e.id));
  ok(unlabelled.length === 0, 'every control has a label', unlabelled.join(', '));

  // URL round trip.
  await page.selectOption('#sgd-sampler', 'sgd');
  await page.fill('#sgd-S', '25');
  await page.dispatchEvent('#sgd-S', 'change');
  await page.click('#sgd-epsstar');
  await idle(page);
  const { link, before: { state: sa, numbers: na }, after: { state: sb, numbers: nb }, page: page2, errors: errors2 } =
    await reopenLink(context, page, 'posterior');
  ok(JSON.stringify(sa) === JSON.stringify(sb), 'the link reproduces the state', `${JSON.stringify(sa)} vs ${JSON.stringify(sb)}`);
  ok(JSON.stringify(na.chains) === JSON.stringify(nb.chains), 'the link reproduces the iterates exactly');
  ok(page2.url() === link, 'the hash is canonical on reload');
  // CSV export with every parameter; PNG export.
  const [dl] = await Promise.all([page2.waitForEvent('download'), page2.click('#fig-posterior [data-export=csv]')]);
  const csv = readFileSync(await dl.path(), 'utf8');
  const head = csv.split('\n').filter((x) => x.startsWith('#')).join('\n');
  ok(['model=', 'sampler=sgd', 'epsr=1', 'S=25', 'batching=', 'seed=', 'sx=', 'steps=', 'burn=', 'eps_star=', 'link:'].every((k) => head.includes(k)),
    'CSV export: header records every parameter', head);
  for (const f of ['posterior', 'kl', 'trace', 'acf']) {
    const [dp] = await Promise.all([page2.waitForEvent('download'), page2.click(`#fig-${f} [data-export=png]`)]);
    const png = readFileSync(await dp.path());
    ok(png.length > 3000 && png.slice(1, 4).toString() === 'PNG', `PNG export of ${f}`);
  }
  ok(errors2.length === 0, 'no console errors in the reopened link', errors2.join(' | '));
  await page2.close();

  // A bad hash value: default plus a notice.
  const page3 = await context.newPage();
  const errors3 = watch(page3);
  await page3.goto(`${url}#demo=sgd&model=gauss&S=0&epsr=-1&seed=5&speed=10000`);
  await idle(page3);
  const s4 = await page3.evaluate(() => window.dynlensPage.state());
  const notice = await page3.textContent('#notice');
  ok(await page3.isVisible('#notice') && ['model=gauss', 'S=0', 'epsr=-1'].every((k) => notice.includes(k)), 'bad hash values show a notice naming them', notice);
  ok(s4.model === 'linreg' && s4.S === 10 && s4.epsr === 1 && s4.seed === 5, 'bad values fall back to defaults, good ones are kept', JSON.stringify(s4));
  await t.shot(page3, 'sgd-bad-hash.png');
  ok(errors3.length === 0, 'no console errors with a bad hash', errors3.join(' | '));
  await page3.close();

  // A phone-sized screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${url}#demo=sgd&model=logistic&speed=10000&steps=1000`);
  await idle(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  ok(overflow <= 0, 'narrow screen: no horizontal overflow', `${overflow}px`);
  await t.shot(page, 'sgd-narrow.png', { fullPage: true });
  ok(errors.length === 0, 'no console errors on the page', errors.join(' | '));
  ok(t.foreign.length === 0, 'no request to any host but the local server', t.foreign.join(', '));
  await page.close();
}

async function testEmbed({ context, url, shot }) {
  const page = await context.newPage();
  const errors = watch(page);
  // mount() in a blank page on the same server
  await page.route(`${url}sgd-embed.html`, (r) => r.fulfill({ contentType: 'text/html', body: `<!doctype html><meta charset="utf-8">
    <link rel="stylesheet" href="style.css"><div id="a" style="width:640px"></div><div id="b" style="width:640px"></div>
    <iframe id="f" src="index.html#demo=sgd&model=mixture&speed=10000&steps=800&fig=posterior" width="700" height="560"></iframe>
    <script type="module">
      import { mount } from './embed.js';
      window.figA = await mount(document.querySelector('#a'), { figure: 'posterior', model: 'logistic', steps: 600, speed: '10000' });
      window.figB = await mount(document.querySelector('#b'), { figure: 'kl', model: 'linreg', sampler: 'sgld' });
      window.embedReady = true;
    </script>` }));
  await page.goto(`${url}sgd-embed.html`);
  await page.waitForFunction(() => window.embedReady, null, { timeout: 30000 });
  const a = await page.evaluate(() => window.figA.numbers());
  ok(a && a.spec.model === 'logistic' && a.chains[0].t === 600 && a.values.length === a.nx * a.ny, 'mount(el, {figure: posterior}) draws and runs the chain');
  const b = await page.evaluate(() => window.figB.numbers());
  ok(b && b.kl_discrete.length > 10, 'mount(el, {figure: kl}) draws the KL curve');
  await page.evaluate(() => window.figA.set({ S: 50 }));
  ok(await page.evaluate(() => window.figA.state().S) === 50, 'embedded figure: set() changes a parameter');
  const bad = await page.evaluate(() => window.figA.set({ sampler: 'adam' }).then(() => '', (e) => e.message));
  ok(/sampler/.test(bad), 'embedded figure: a bad parameter throws a descriptive Error', bad);
  const frame = page.frame({ url: /index\.html/ });
  await frame.waitForFunction(() => window.dynlensPage && window.dynlensPage.idle(), null, { timeout: 30000 });
  const vis = await frame.evaluate(() => ['#fig-posterior', '#fig-kl', '#sgd-controls', 'header.site', '.intro', '#sgd-numbers']
    .map((s) => { const e = document.querySelector(s); return !!(e && e.offsetParent !== null); }));
  ok(vis[0] && !vis.slice(1).some(Boolean), 'iframe with fig=posterior shows only the posterior', JSON.stringify(vis));
  await page.waitForTimeout(200);
  await shot(page, 'sgd-embed.png', { fullPage: true });
  ok(errors.length === 0, 'no console errors when embedded', errors.join(' | '));
  await page.close();
}

await runSuite('sgd', { page: testPage, embed: testEmbed });
