// suite-sgd.mjs - browser checks of the SGD-as-Bayesian-inference demo: the posterior heatmap is drawn; the exact
// posterior, eps* and the iterates equal the native CLI's (`dynlens posterior run`) for the same model, data and
// seed; play/pause/step; the URL round trip; a bad hash; click to move the start; the KL/trace/ACF panels;
// export; narrow screen; embedding (mount and the iframe fig= option); the words under every figure against the
// numbers they cite, the legends (every mark of the map, none over a data point), the guide's claims, and links
// computed without animating (with the core's estimate and the cap for 1e8 steps). Run by ctest as browser_sgd.
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

// ---------------------------------------------------------------------------------------------------------
// The words: every sentence under a figure is computed from its numbers; the guide's claims hold; legends.
const sdr = (a, b, j) => Math.sqrt(a[j][j] / b[j][j]); // ratio of standard deviations along axis j
const facts = (page) => page.evaluate(() => {
  const n = window.dynlensPage.numbers('posterior');
  return { f: n.facts, text: n.explanation, legend: n.legend, title: n.title, redraws: n.redraws,
    kl: window.dynlensPage.numbers('kl'), acf: window.dynlensPage.numbers('acf'),
    words: Object.fromEntries(['kl', 'acf', 'trace'].map((k) => [k, document.querySelector(`#fig-${k} .explain`).textContent])) };
});
// the posterior mass in the modes other than theta*'s (modes a Gaussian centred on theta* cannot represent)
const missed = (cover) => cover.modes.filter((_, k) => k !== cover.owner).reduce((a, m) => a + m.mass, 0);
// fmt(v, 3) as the page prints it (3 significant digits, no trailing zeros)
const f3 = (v) => String(Number(v.toPrecision(3)));

async function testWords(t) {
  const { context, url } = t;
  const page = await context.newPage();
  const errors = watch(page);
  // The issue's case: eps = eps* on the two-mode mixture must not say "about as wide as the posterior" without the
  // numbers, and must say what the Gaussian misses, with the masses the core measured on the grid.
  await page.goto(`${url}#demo=sgd&model=mixture&sampler=sgd&epsr=1`);
  await idle(page);
  let { f, text, words, kl } = await facts(page);
  ok(f.cover && f.cover.modes.length === 2, 'mixture: the core finds two modes on the posterior grid', JSON.stringify(f.cover));
  const other = missed(f.cover);
  ok(/has 2 modes/.test(text) && /cannot represent/.test(text) && text.includes(`${f3(100 * other)} %`) &&
    text.includes(`${f3(100 * f.cover.inside)} %`), 'mixture: the explanation names the two modes, the mass inside the 2σ ellipse and the other mode’s mass', text);
  for (const j of [0, 1]) {
    const r = sdr(f.pred, f.post.cov, j);
    const word = Math.abs(r - 1) <= 0.1 ? 'about as wide' : r > 1 ? `${f3(r)}× wider` : `${f3(r)}× as wide (narrower)`;
    ok(text.includes(word), `mixture: the width word for θ${j + 1} follows the ratio ${r.toFixed(3)} of predicted to posterior sd`, text);
  }
  // the KL words: the minimum they name is the curve's
  const i = kl.kl_discrete.reduce((b, v, k) => (Number.isFinite(v) && (b < 0 || v < kl.kl_discrete[b]) ? k : b), -1);
  ok(words.kl.includes(`KL = ${f3(kl.kl_discrete[i])} nats`) && words.kl.includes(`ε = ${f3(kl.eps[i])}`), 'KL words: the minimum of the discrete curve, where it is', words.kl);
  const a = (await facts(page)).acf;
  ok(words.acf.includes(`ESS = ${f3(a.ess[0])}`) && words.acf.includes(`τ = ${f3(a.tau[1])}`), 'ACF words: τ and ESS as computed', words.acf);
  ok(/band/.test(words.trace) && /averages/.test(words.trace), 'trace words: the band and the averages', words.trace);

  // linreg: one mode, so no word about modes; the 2σ mass is compared with a Gaussian's 86.5 %
  await page.goto(`${url}#demo=sgd`);
  await idle(page);
  ({ f, text } = await facts(page));
  ok(f.cover.modes.length === 1 && !/modes/.test(text) && text.includes('86.5 %'), 'linreg: one mode; its 2σ mass against 1 − e⁻² = 86.5 %', text);
  // 1 - exp(-2) of a Gaussian lies within 2 sd; the predicted ellipse is narrower here, so it must hold less
  ok(f.cover.inside < 0.865 && sdr(f.pred, f.post.cov, 0) < 1, 'linreg: a narrower prediction holds less than 86.5 % of the posterior', String(f.cover.inside));

  // Legends: every mark of the map has an entry (burn-in points, the path of the last moves, the start ring)
  await page.goto(`${url}#demo=sgd&start=point&sx=0.9&sy=-0.7&cmp=1`);
  await idle(page);
  const { legend } = await facts(page);
  for (const want of ['burn-in iterates', 'last 20 moves', 'start', 'predicted 2σ, discrete', 'predicted 2σ, continuous',
    'i.i.d. batches', 'reshuffled epochs', 'posterior 50/90/99']) {
    ok(legend.some((l) => l.includes(want)), `posterior legend has an entry for "${want}"`, legend.join(' | '));
  }
  // legendPos 'best': no legend box over any drawn data point of the KL, ACF and trace plots (both widths); on the
  // KL plot in particular not over the curve's minimum, the point of that plot
  for (const [w, h] of [[1440, 900], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(300);
    await idle(page);
    const bad = await page.evaluate(() => {
      const out = [];
      for (const [name, p] of Object.entries(window.dynlensPage.sgdPlots())) {
        const s = p.spec;
        const r = { ...p.rect(), h: p.rect().h - (p.placed ? p.placed.extra : 0) };
        const ly = s.y.log ? Math.log10 : (v) => v;
        const X = (v) => r.x + ((v - s.x.min) / (s.x.max - s.x.min)) * r.w;
        const Y = (v) => r.y + ((ly(s.y.max) - ly(v)) / (ly(s.y.max) - ly(s.y.min))) * r.h;
        for (const b of [p.placed && p.placed.legend, p.placed && p.placed.note].filter(Boolean)) {
          for (const ser of s.series.filter((x) => x.type === 'line' || x.type === 'points')) {
            ser.xs.forEach((x, k) => {
              const px = X(x), py = Y(ser.ys[k]);
              if (px >= b.x && px <= b.x + b.w && py >= b.y && py <= b.y + b.h) out.push(`${name}: ${ser.label} at ${px.toFixed(0)},${py.toFixed(0)}`);
            });
          }
        }
        if (!p.placed) out.push(`${name}: not placed by 'best'`);
      }
      return out;
    });
    ok(bad.length === 0, `${w} px: no legend or note of the KL, ACF and trace plots covers a data point`, bad.slice(0, 5).join('; '));
    // the title of the map fits a phone: the heatmap shrinks a title to 10 px at least, so it must fit at 10 px
    const fits = await page.evaluate(() => {
      const c = document.querySelector('#fig-posterior canvas');
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = '10px sans-serif';
      const title = window.dynlensPage.numbers('posterior').title.replace(/[_^{}]/g, '');
      return { need: ctx.measureText(title).width, room: c.getBoundingClientRect().width - 66 - 6 };
    });
    ok(fits.need <= fits.room, `${w} px: the map's title fits its canvas`, JSON.stringify(fits));
  }
  await page.setViewportSize({ width: 1280, height: 1000 });
  ok(errors.length === 0, 'no console errors (words, legends)', errors.join(' | '));
  await page.close();
}

// The guide (web/demos/sgd/index.js): each step's claim checked against the numbers the page computes for its link.
async function testGuide(t) {
  const { context, url } = t;
  const page = await context.newPage();
  const errors = watch(page);
  const open = async (set) => {
    await page.goto(`${url}#demo=sgd&${new URLSearchParams(Object.entries(set).map(([k, v]) => [k, String(v)]))}`);
    await idle(page);
    return facts(page);
  };
  await open({});
  const guide = await page.evaluate(() => import('./demos/sgd/index.js').then((m) => m.guide));
  ok(guide.length >= 3 && guide.length <= 5, 'the guide has 3 to 5 steps', String(guide.length));
  // the steps checked below, in the guide's order, with the links they check
  const sets = [{}, { epsr: 10 }, { sampler: 'sgd-precond' }, { epsr: 0.1 }, { model: 'mixture', sampler: 'sgld' }];
  ok(JSON.stringify(guide.map((g) => g.set)) === JSON.stringify(sets), 'every guide step is checked below', JSON.stringify(guide.map((g) => g.set)));
  const ratios = (a, b) => [0, 1].map((j) => sdr(a, b, j));
  // 1. defaults: the cloud fills the prediction (within 10 %), both narrower than the posterior; KL at eps* is the minimum
  let { f, kl, acf } = await open({});
  const tau1 = acf.tau;
  const samp = f.chains[0].moments.cov;
  ok(ratios(samp, f.pred).every((r) => Math.abs(r - 1) <= 0.1) && ratios(f.pred, f.post.cov).every((r) => r < 0.9 && r > 0.7),
    'guide 1: the cloud matches the prediction within 10 %, both about 0.8× the posterior', JSON.stringify([ratios(samp, f.pred), ratios(f.pred, f.post.cov)]));
  const klmin = Math.min(...kl.kl_discrete.filter(Number.isFinite));
  ok(Math.abs(f.predFit.kl / klmin - 1) < 0.01, 'guide 1: the KL at ε* is the curve’s minimum', `${f.predFit.kl} vs ${klmin}`);
  // 2. ten times eps*: both more than twice as wide as the posterior, KL over ten times its minimum
  ({ f, kl } = await open({ epsr: 10 }));
  ok(ratios(f.pred, f.post.cov).every((r) => r > 2) && ratios(f.chains[0].moments.cov, f.post.cov).every((r) => r > 2) &&
    f.predFit.kl > 10 * Math.min(...kl.kl_discrete.filter(Number.isFinite)), 'guide 2: at 10 ε* the prediction and the cloud are over twice as wide, KL over 10× its minimum',
    JSON.stringify([ratios(f.pred, f.post.cov), f.predFit.kl]));
  // 3. Mandt's preconditioner: the prediction matches the posterior within 2 %, KL < 1e-3
  ({ f } = await open({ sampler: 'sgd-precond' }));
  ok(ratios(f.pred, f.post.cov).every((r) => Math.abs(r - 1) < 0.02) && f.predFit.kl < 1e-3, 'guide 3: with H* the prediction matches the posterior (2 %, KL < 0.001)',
    JSON.stringify([ratios(f.pred, f.post.cov), f.predFit.kl]));
  // 4. a tenth of eps*: tau several (>= 2.5) times longer, ESS below 10
  ({ f, acf } = await open({ epsr: 0.1 }));
  ok(acf.tau.every((v, j) => v >= 2.5 * tau1[j]) && Math.min(...acf.ess) < 10 && f.chains[0].count === 2500,
    'guide 4: at ε*/10 τ is several times longer and the 2500 kept iterates are worth fewer than 10 draws', JSON.stringify([acf.tau, tau1, acf.ess]));
  // 5. the mixture with SGLD: two modes, the prediction misses over 30 %; the chain's sd 0.85 to 1.3× the posterior's
  ({ f } = await open({ model: 'mixture', sampler: 'sgld' }));
  const miss = missed(f.cover);
  ok(f.cover.modes.length === 2 && miss > 0.3 && ratios(f.chains[0].moments.cov, f.post.cov).every((r) => r > 0.85 && r < 1.3),
    'guide 5: mixture, SGLD: two modes, the Gaussian misses over 30 %, the chain spreads like the posterior', JSON.stringify([f.cover, ratios(f.chains[0].moments.cov, f.post.cov)]));
  ok(errors.length === 0, 'no console errors (guide)', errors.join(' | '));
  await page.close();
}

// A link replays at once: its steps are computed without animating, long runs wait behind the cap with an estimate.
async function testReplay(t) {
  const { context, url } = t;
  const page = await context.newPage();
  const errors = watch(page);
  // 300000 steps at 1 step a frame would animate for over an hour; computed at once, the map is drawn a few times
  await page.goto(`${url}#demo=sgd&steps=300000&speed=1`);
  await idle(page, 120000);
  const r = await facts(page);
  ok(r.f.chains[0].t === 300000 && r.redraws < 12, 'a link with 300000 steps is computed without animating (few redraws)', `t ${r.f.chains[0].t}, ${r.redraws} redraws`);
  // 1e8 steps: the core estimates more than the cap, so nothing runs until "Run anyway"
  await page.goto(`${url}#demo=sgd&steps=100000000&seed=2`); // a new chain (another seed)
  await idle(page);
  const cap = await page.evaluate(() => ({ capped: window.dynlensPage.sgdCapped(), est: window.dynlensPage.sgdEstimate(), t: window.dynlensPage.sgdStep(),
    lift: document.querySelector('#sgd-runbar .rb-lift').textContent, shown: !document.querySelector('#sgd-runbar .rb-cap').hidden }));
  ok(cap.capped && cap.est > 60 && cap.t === 0 && cap.shown && /Run anyway \(about/.test(cap.lift), 'steps=1e8: capped with the estimate, not started', JSON.stringify(cap));
  const said = (await facts(page)).text;
  ok(/not computed: 100000000 steps would take about/.test(said), 'steps=1e8: the words under the map say why the chain is missing', said);
  await page.fill('#sgd-steps', '20000');
  await page.dispatchEvent('#sgd-steps', 'change');
  await idle(page);
  ok(await page.evaluate(() => !window.dynlensPage.sgdCapped() && window.dynlensPage.sgdStep() === 20000), 'a smaller step count runs at once');
  await t.shot(page, 'sgd-replayed.png');
  ok(errors.length === 0, 'no console errors (replay)', errors.join(' | '));
  await page.close();
}

await runSuite('sgd', { page: testPage, words: testWords, guide: testGuide, replay: testReplay, embed: testEmbed });
