// suite-signal-guide.mjs - the signal-propagation demo's "what to notice" guide (each step's claims checked against
// the numbers the page computes), its glossary, and the phase map's marks (phase labels inside their regions, the
// edge arrow for a selection outside the window, round arrow-key steps), with screenshots at 1440x900 and 390x844.
// Its own suite file, so that browser_signal stays within ctest's 240 s. Run by ctest as browser_signal-guide.
import { join } from 'node:path';
import { idle, ok, runSuite, watch } from './harness.mjs';

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

await runSuite('signal-guide', { guide: testGuide, marks: testMarks });
