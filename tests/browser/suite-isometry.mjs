// suite-isometry.mjs - browser checks of the dynamical-isometry demo: both figures are drawn; the theory and the
// sampled moments equal the native CLI's (`dynlens isometry spectrum|density|gradients`, the same core and seeds);
// the isometry verdict; the URL round trip; fig= embedding; no console errors. Run by ctest as browser_isometry.
import { canvasColours, checkComparator, numDiff, ok, reopenLink, runSuite, watch } from './harness.mjs';

const ST = { act: 'tanh', sw2: 0, sb2: 0.05, depth: 6, width: 48, nets: 2, seed: 3 };
const HASH = `demo=isometry&act=${ST.act}&sw2=${ST.sw2}&sb2=${ST.sb2}&depth=${ST.depth}&width=${ST.width}` +
  `&nets=${ST.nets}&seed=${ST.seed}`;

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
  await page.goto(`${t.url}#demo=isometry&act=linear&sw2=1&sb2=0&depth=8&width=32&nets=1&seed=1`);
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
  ok(!errors.length, 'no console errors', errors.join('\n'));
  await page.close();
}

await runSuite('isometry', { page: testPage });
