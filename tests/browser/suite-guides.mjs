// suite-guides.mjs - what every demo gives the shell to show, checked on the page: every marked symbol
// (<span class="term" data-term=KEY>) has a definition (the demo's glossary, then web/glossary.js); the "What to
// notice" guide has 3 to 5 steps, each a link that sets exactly its settings (a demo without a guide yet is
// reported, not failed: the claims in a guide's words are checked by that demo's own suite); and export file names
// follow the one rule (fileName in web/export.js). Run by ctest as browser_guides.
import { runSuite } from './harness.mjs';

const { DEMOS } = await import(new URL('../../web/demos/registry.js', import.meta.url).href);
const SLOW = 180000; // a demo that trains before it draws (landscape, control) on a busy machine

async function guides({ context, url, ok, watch, idle }) {
  for (const d of DEMOS.filter((x) => x.module)) {
    const page = await context.newPage();
    const errors = watch(page);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${url}#demo=${d.name}`);
    await idle(page, SLOW);
    const terms = await page.evaluate(() => window.dynlensPage.terms());
    const missing = terms.filter((t) => !t.found).map((t) => t.key);
    ok(!missing.length, `${d.name}: every marked symbol (${terms.length}) has a definition`, `missing: ${[...new Set(missing)].join(', ')}`);
    if (!terms.length) console.log(`# ${d.name}: no symbol marked as a term yet`);
    const names = await page.evaluate((figs) => figs.map((f) => window.dynlensPage.basename(f)), d.figures);
    ok(names.every((n, k) => n.startsWith(`dynlens-${d.figures[k]}-`) && /^[A-Za-z0-9._-]+$/.test(n) && !/\d\.\d{4}/.test(n)),
      `${d.name}: export file names name the figure, with at most 3 significant digits`, names.join(' '));
    const guide = await page.evaluate(() => window.dynlensPage.guide());
    if (!guide) console.log(`# ${d.name}: no guide yet (export const guide in web/demos/${d.name}/index.js)`);
    else {
      ok(guide.length >= 3 && guide.length <= 5 && guide.every((g) => g.href && !g.error),
        `${d.name}: a guide of 3 to 5 valid steps`, JSON.stringify(guide.map((g) => g.error || g.href)));
      for (const g of guide.filter((x) => x.href)) {
        await page.click(`#demo-${d.name} .guide li[data-step="${g.n}"] a`);
        await idle(page, SLOW);
        const st = await page.evaluate(() => window.dynlensPage.state());
        const off = Object.keys(g.state).filter((k) => JSON.stringify(st[k]) !== JSON.stringify(g.state[k]));
        const cur = await page.getAttribute(`#demo-${d.name} .guide li[data-step="${g.n}"]`, 'aria-current');
        ok(!off.length && cur === 'step', `${d.name}: guide step ${g.n} sets its settings (${JSON.stringify(g.set)})`,
          off.map((k) => `${k}: ${JSON.stringify(st[k])} instead of ${JSON.stringify(g.state[k])}`).join('; '));
      }
    }
    ok(errors.length === 0, `${d.name}: no console errors`, errors.join(' | '));
    await page.close();
  }
}

await runSuite('guides', { guides });
