// suite-layout.mjs - every demo at a phone's size (360x740, 390x844) and a laptop's (1440x900): screenshots of each
// (layout-DEMO-WxH.png, to look at), and checks that on a phone the first figure comes before the controls and
// the tabs stay on one line, that no element runs past the right edge of the window, and that no text drawn on
// a canvas runs off it (draw.js records every such text: window.dynlensPage.textOverflow()). Run by ctest as
// browser_layout.
import { runSuite } from './harness.mjs';

const SIZES = [[360, 740], [390, 844], [1440, 900]];

// Elements whose right edge is past the window's (ignoring what sits in a sideways-scrolling box such as the tab
// line, or is hidden): [{what, right}] for the first few.
function overflowing() {
  const W = document.documentElement.clientWidth;
  const out = [];
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (!r.width || r.right <= W + 1 || clipped(el)) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.position === 'fixed') continue;
    out.push({ what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().replace(/\s+/g, '.')}` : ''}`,
      right: Math.round(r.right), width: W });
    if (out.length >= 5) break;
  }
  return { out, scrollWidth: document.documentElement.scrollWidth, W };
}

async function layout({ context, url, ok, watch, idle, shot }) {
  const { DEMOS } = await import(new URL('../../web/demos/registry.js', import.meta.url).href);
  for (const d of DEMOS.filter((x) => x.module)) {
    const page = await context.newPage();
    const errors = watch(page);
    await page.setViewportSize({ width: SIZES[0][0], height: SIZES[0][1] });
    await page.goto(`${url}#demo=${d.name}`);
    await idle(page, 180000);
    for (const [w, h] of SIZES) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(300); // the figures follow their boxes' new widths (ResizeObservers)
      await idle(page, 180000);
      const tag = `${d.name} at ${w}x${h}`;
      await shot(page, `layout-${d.name}-${w}x${h}.png`);
      await shot(page, `layout-${d.name}-${w}x${h}-full.png`, { fullPage: true });
      const o = await page.evaluate(overflowing);
      ok(o.scrollWidth <= o.W && !o.out.length, `${tag}: nothing runs past the window's right edge`, JSON.stringify(o));
      const text = await page.evaluate(() => window.dynlensPage.textOverflow());
      ok(!text.length, `${tag}: every text drawn on a canvas fits in it`, JSON.stringify(text.slice(0, 6)));
      if (w < 900) {
        const pos = await page.evaluate((name) => {
          const sec = document.getElementById(`demo-${name}`);
          const top = (sel) => sec.querySelector(sel).getBoundingClientRect().top;
          const tabs = [...document.querySelectorAll('[role=tab]')].map((t) => t.getBoundingClientRect().top);
          return { fig: top('.fig'), controls: top('.controls'), tabRows: new Set(tabs.map(Math.round)).size };
        }, d.name);
        ok(pos.fig < pos.controls, `${tag}: the first figure comes before the controls`, JSON.stringify(pos));
        ok(pos.tabRows === 1, `${tag}: the tabs are on one line`, JSON.stringify(pos));
      }
    }
    ok(errors.length === 0, `${d.name}: no console errors while resizing`, errors.join(' | '));
    await page.close();
  }
}

await runSuite('layout', { layout });
