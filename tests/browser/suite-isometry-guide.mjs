// suite-isometry-guide.mjs - the dynamical-isometry demo's "what to notice" guide, step by step, with its claims
// checked against the numbers the page computes, and its glossary (its own suite file, so that browser_isometry
// stays within ctest's 240 s on a busy machine). Run by ctest as browser_isometry-guide.
import { ok, runSuite, watch } from './harness.mjs';

// a tiny trainability grid (no claim of the guide uses it), so that the pages settle quickly
const SMALL = 'tdepth=2:6&tny=2&tsw2=1:3&tnx=3&twidth=8&tsteps=20&tlr=0.02';

// The "what to notice" guide (web/demos/isometry/index.js): each step's link (with a tiny trainability grid added,
// which no claim uses) opens, and its text's claims are checked against the numbers the page computes. The
// glossary covers every marked term. Screenshots of step 1 at 1440x900 and step 2 at 390x844.
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
  for (const [k, s] of steps.entries()) {
    const hash = Object.entries(s.set).map(([a, b]) => `${a}=${b}`).join('&');
    if (k === 1) await page.setViewportSize({ width: 390, height: 844 }); // step 2 on a phone, the others on a desktop
    if (k === 2) await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${t.url}#demo=isometry&${hash}&${SMALL}`);
    await t.idle(page, 120000);
    if (k < 2) await t.shot(page, `isometry-guide-${k + 1}-${k ? 390 : 1440}.png`, { fullPage: true });
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
  ok(!errors.length, 'guide: no console errors', errors.join('\n'));
  await page.close();
}

await runSuite('isometry-guide', { guide: testGuide });
