// suite-shell.mjs - browser checks of the page shell every demo relies on: tabs from web/demos/registry.js,
// honest placeholders ("soon" tabs), lazy loading of a demo's module, demo= in the hash (unknown -> notice), a demo's state
// kept across tab switches, and the embed API's figure lookup; each demo's guide (every step a link that sets its
// settings) and glossary (every marked symbol has a definition, shown on hover, focus and tap); PNG exports for
// slides (redrawn at a scale or a width) and their file names; iframes that size themselves and link back.
// Run by ctest as browser_shell.
import { readFileSync } from 'node:fs';
import { idle, runSuite, watch } from './harness.mjs';

const { DEMOS } = await import(new URL('../../web/demos/registry.js', import.meta.url).href);
const SLOW = 180000; // a demo that trains before it draws (landscape, control) on a busy machine

async function testTabs({ context, url, ok, shot }) {
  const page = await context.newPage();
  const errors = watch(page);
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const { DEMOS } = await import(new URL('../../web/demos/registry.js', import.meta.url).href);

  // A demo's link (the last tab's, once a placeholder): its panel, and no module of another demo is fetched.
  await page.goto(`${url}#demo=control`);
  await idle(page, 120000);
  const tabs = await page.$$eval('[role=tab]', (ts) => ts.map((t) => [t.dataset.demo, t.getAttribute('aria-selected'),
    t.textContent.includes('soon')]));
  ok(JSON.stringify(tabs.map((t) => t[0])) === JSON.stringify(DEMOS.map((d) => d.name)), 'one tab per registry entry, in order',
    JSON.stringify(tabs));
  ok(tabs.every(([name, , soon]) => soon === !DEMOS.find((d) => d.name === name).module), 'tabs without a module say "soon"');
  ok(tabs.find((t) => t[0] === 'control')[1] === 'true' && await page.isVisible('#demo-control') &&
    await page.isVisible('#control-controls'), 'demo=control shows its panel');
  ok(!requested.some((p) => p.includes('/demos/signal/')) && requested.some((p) => p.endsWith('/demos/control/index.js')),
    'a demo link loads its own module and no other (lazy loading)', requested.filter((p) => p.includes('/demos/')).join(', '));
  ok(!(await page.isVisible('#notice')) && page.url().includes('#demo=control&data='), 'demo link: no notice, canonical hash',
    page.url());

  // Opening the signal tab loads its module and draws; its state survives a round trip through another tab.
  await page.click('#tab-signal');
  await idle(page);
  ok(requested.some((p) => p.endsWith('/demos/signal/index.js')) && page.url().includes('demo=signal&act=tanh'),
    'opening the signal tab loads its module and puts its keys in the link', page.url());
  await page.evaluate(() => window.dynlensPage.setState({ sw2: 2.25, res: '64' }));
  await idle(page);
  await page.click('#tab-control');
  await idle(page, 120000);
  ok(page.url().includes('#demo=control&') && await page.isVisible('#demo-control') && !(await page.isVisible('#demo-signal')),
    'switching to another demo shows only it', page.url());
  await page.focus('#tab-control');
  await page.keyboard.press('Home');
  await idle(page);
  const st = await page.evaluate(() => window.dynlensPage.state());
  ok(st.demo === 'signal' && st.sw2 === 2.25 && st.res === '64', 'Home moves to the first tab; the signal state is kept',
    JSON.stringify(st));

  // An unknown demo falls back to the default with a notice; the demo's own keys still apply.
  await page.goto(`${url}#demo=nope&act=relu&res=64`);
  await idle(page);
  const notice = await page.textContent('#notice');
  const st2 = await page.evaluate(() => window.dynlensPage.state());
  ok(await page.isVisible('#notice') && notice.includes('demo=nope') && st2.demo === 'signal' && st2.act === 'relu',
    'an unknown demo= gives a notice and the default demo with the link\'s keys', `${notice} ${JSON.stringify(st2)}`);
  await shot(page, 'shell-bad-demo.png');

  // The embed API finds a figure's demo through the registry and names every figure it knows.
  const msg = await page.evaluate(() => import('./embed.js').then((m) => m.mount(document.body, { figure: 'nope' })
    .then(() => '', (e) => e.message)));
  ok(/unknown figure "nope"; known: phase, length, corr, depth/.test(msg), 'embed: an unknown figure names the known ones', msg);
  ok(errors.length === 0, 'no console errors in the shell checks', errors.join(' | '));
  await page.close();
}

// The guide and glossary mechanism (each demo's own guide and terms are checked in suite-guides.mjs, which opens
// every demo anyway), and the file-name rule on two demos' settings.
async function testGuides({ context, url, ok }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}#demo=signal&res=64`);
  await idle(page);
  const land = await page.evaluate(() => import('./demos/landscape/index.js').then((m) => m.basename('slice',
    { data: 'moons', depth: 3, width: 16, act: 'relu', cmp: 'off', skip: '1', opt: 'sgd', lr: 0.30000000000000004, steps: 500, dirs: 'pca', seed: 2 })));
  ok(land === 'dynlens-slice-moons-3x16-relu-skip-sgd-lr_0.3-500steps-pca-seed_2',
    'a landscape file name says the net, the optimiser, its step size and the number of steps', land);
  const sig = await page.evaluate(() => import('./demos/signal/index.js').then((m) => m.basename('phase',
    { act: 'tanh', field: 'chi1', sw2: 1.2345678901234567, sb2: 1e-5 })));
  ok(sig === 'dynlens-phase-tanh-chi1-sw2_1.23-sb2_1e-5', 'a signal file name has rounded numbers (3 significant digits)', sig);

  // The mechanism itself, on a made-up guide: links are the defaults overridden by `set`; a bad step says why.
  const made = await page.evaluate(async () => {
    const { guideSteps } = await import('./guide.js');
    const { linkSchema, parseHash } = await import('./state.js');
    const sch = linkSchema(['signal'], 'signal', { a: { kind: 'num', min: 0, max: 10, def: 1, what: 'a' },
      b: { kind: 'enum', values: ['x', 'y'], def: 'x', what: 'b' } }, []);
    const steps = guideSteps([{ set: { a: 2.5 }, text: 'one' }, { set: { nope: 1 }, text: 'two' }, { set: { a: 11 }, text: 'three' }], sch);
    return steps.map((s) => ({ href: s.href || null, error: s.error || null, state: s.href ? parseHash(s.href, sch).state : null }));
  });
  ok(made[0].href === '#demo=signal&a=2.5&b=x' && made[0].state.a === 2.5 && !made[0].error &&
    /unknown parameter "nope"/.test(made[1].error) && !made[1].href && /a=11/.test(made[2].error),
  'guide steps: the defaults overridden by `set`; an unknown key or a bad value makes an error, not a link', JSON.stringify(made));

  // The popover: a marked symbol is focusable and shows its definition on focus, hover and tap.
  await page.evaluate(() => {
    const p = document.querySelector('#demo-signal .intro p');
    p.insertAdjacentHTML('afterbegin', '<span class="term" data-term="chi1" id="t-chi1">χ<sub>1</sub></span> <span class="term" data-term="nope" id="t-nope">?</span> ');
  });
  await page.waitForFunction(() => document.getElementById('t-chi1').tabIndex === 0);
  await page.focus('#t-chi1');
  const focused = await page.evaluate(() => ({ shown: !document.getElementById('term-pop').hidden,
    text: document.getElementById('term-pop').textContent, desc: document.getElementById('t-chi1').getAttribute('aria-describedby') }));
  ok(focused.shown && /critical line/.test(focused.text) && focused.desc === 'term-pop',
    'glossary: keyboard focus on a symbol shows its shared definition (web/glossary.js), linked by aria-describedby', JSON.stringify(focused));
  await page.keyboard.press('Escape');
  ok(await page.evaluate(() => document.getElementById('term-pop').hidden), 'glossary: Escape closes the definition');
  await page.hover('#t-chi1');
  const hovered = await page.isVisible('#term-pop');
  await page.mouse.move(5, 5);
  ok(hovered && !(await page.isVisible('#term-pop')), 'glossary: hovering shows the definition, moving away hides it');
  await page.click('#t-chi1');
  const tapped = await page.isVisible('#term-pop');
  await page.click('#demo-signal .intro h2');
  ok(tapped && !(await page.isVisible('#term-pop')), 'glossary: a tap shows the definition, a tap elsewhere hides it');
  const nope = await page.evaluate(() => window.dynlensPage.terms().filter((t) => !t.found).map((t) => t.key));
  ok(JSON.stringify(nope) === '["nope"]' && await page.evaluate(() => document.getElementById('t-nope').classList.contains('term-missing')),
    'glossary: a symbol without a definition is reported (and marked), not hidden', JSON.stringify(nope));
  ok(errors.length === 0, 'no console errors in the guide and glossary checks', errors.join(' | '));
  await page.close();
}

// PNGs for slides: redrawn at 3x or at a width in pixels (not upscaled), the page's canvases back at screen size.
async function testExport({ context, url, ok }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.goto(`${url}#demo=signal&res=64`);
  await idle(page);
  const before = await page.evaluate(() => [...document.querySelectorAll('#demo-signal canvas')].map((c) => [c.width, c.height]));
  const css = await page.evaluate(() => {
    const c = document.querySelector('#fig-length canvas');
    return [c.clientWidth, c.clientHeight];
  });
  const at3 = await page.evaluate(() => window.dynlensPage.png('length', { scale: 3 }).then(({ width, height, ratio, unscaled }) => ({ width, height, ratio, unscaled })));
  ok(at3.width === Math.round(css[0] * 3) && at3.height === Math.round(css[1] * 3) && at3.unscaled === 0,
    'PNG at 3x: three times the figure\'s CSS size, redrawn', `${JSON.stringify(at3)} for ${css}`);
  const wide = await page.evaluate(() => window.dynlensPage.png('phase', { width: 1920 }).then(({ width }) => width));
  ok(Math.abs(wide - 1920) <= 2, 'PNG at a width: 1920 px wide (within rounding)', String(wide));
  const after = await page.evaluate(() => [...document.querySelectorAll('#demo-signal canvas')].map((c) => [c.width, c.height]));
  ok(JSON.stringify(before) === JSON.stringify(after), 'after an export the canvases are back at the screen\'s resolution',
    `${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
  // The same lettering, more pixels: the 3x image, shrunk back to 1x, matches the 1x image (an upscaled 1x image
  // would too, but it would not be sharper; so also ask that the 3x image has detail a 1x image cannot have).
  const sharp = await page.evaluate(async () => {
    const load = (u) => new Promise((r) => { const i = new Image(); i.onload = () => r(i); i.src = u; });
    const one = await load((await window.dynlensPage.png('length', { scale: 1 })).url);
    const three = await load((await window.dynlensPage.png('length', { scale: 3 })).url);
    const c = document.createElement('canvas');
    c.width = three.width;
    c.height = three.height;
    const x = c.getContext('2d');
    x.drawImage(three, 0, 0);
    const d = x.getImageData(0, 0, c.width, c.height).data;
    // pixels that differ from their right-hand neighbour within a 3x3 block: 0 in a nearest-neighbour upscale
    let inside = 0;
    for (let y = 0; y < c.height; y += 3) {
      for (let px = 0; px + 2 < c.width; px += 3) {
        const k = 4 * (y * c.width + px);
        if (d[k] !== d[k + 4] || d[k + 4] !== d[k + 8]) inside++;
      }
    }
    return { one: [one.width, one.height], inside };
  });
  ok(sharp.inside > 200, 'PNG at 3x is drawn at 3x (edges inside every 3-pixel block), not an enlarged 1x image', JSON.stringify(sharp));
  // The button: a download named by the file-name rule, at the size chosen beside it.
  await page.evaluate(() => window.dynlensPage.setState({ sw2: 0.30000000000000004 }));
  await idle(page);
  await page.selectOption('#fig-length select.png-size', '3x');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#fig-length [data-export=png]')]);
  const name = dl.suggestedFilename();
  const buf = readFileSync(await dl.path());
  const w = buf.readUInt32BE(16);
  ok(name === 'dynlens-length-tanh-sw2_0.3-sb2_0.05-q0_1-3x.png' && w === Math.round(css[0] * 3),
    'the PNG button downloads the chosen size under a name that says what it is', `${name}, ${w} px wide`);
  ok(errors.length === 0, 'no console errors in the export checks', errors.join(' | '));
  await page.close();
}

// The embedding example: frames that size themselves (postMessage), nothing cut off (the slice's x axis at 480 px
// included), a link back to the full page with the same settings, code that is the code shown, every figure listed.
async function testEmbed({ context, url, ok, shot }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.setViewportSize({ width: 900, height: 900 });
  await page.goto(`${url}embed-example.html`);
  const frames = ['frame-phase', 'frame-slice'];
  await page.waitForFunction((ids) => ids.every((id) => {
    const w = document.getElementById(id).contentWindow;
    return w.dynlensPage && w.dynlensPage.idle();
  }) && window.dynlensEmbed, frames, { timeout: SLOW });
  await page.waitForTimeout(600);
  for (const id of frames) {
    const f = await page.evaluate((fid) => {
      const el = document.getElementById(fid);
      const w = el.contentWindow;
      const doc = w.document;
      const fig = doc.querySelector('.fig.only');
      const link = doc.querySelector('#embed-open a');
      const canv = [...fig.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect().bottom);
      return { frame: el.clientHeight, body: Math.ceil(doc.body.getBoundingClientRect().height), inner: w.innerHeight,
        figBottom: fig.getBoundingClientRect().bottom, canvasBottom: Math.max(...canv), link: link && link.href,
        linkShown: !!link && link.offsetParent !== null, hash: w.location.hash, overflow: w.dynlensPage.textOverflow() };
    }, id);
    ok(Math.abs(f.frame - f.body) <= 2 && f.frame < 900, `${id}: the frame is as tall as its content (postMessage height)`, JSON.stringify(f));
    ok(f.figBottom <= f.inner + 1 && f.canvasBottom <= f.inner, `${id}: the whole figure, x axis included, is inside the frame`,
      JSON.stringify(f));
    ok(!f.overflow.length, `${id}: no text runs off its canvas in the frame`, JSON.stringify(f.overflow));
    const back = f.link && new URL(f.link);
    ok(f.linkShown && back.pathname.endsWith('/index.html') && back.hash === f.hash.replace(/&fig=[a-z]+/, ''),
      `${id}: a link back to the full page with the same settings`, `${f.link} for ${f.hash}`);
  }
  await shot(page, 'embed-example-frames.png', { fullPage: true });
  const code = await page.textContent('#frames-code');
  const srcs = await page.$$eval('#frames iframe', (fs) => fs.map((f) => f.getAttribute('src')));
  ok(srcs.every((s) => code.includes(s.replace(/&/g, '&amp;'))) && code.includes("'dynlens:height'"),
    'the example\'s iframe code is the code of its frames and listener', code.slice(0, 300));
  const api = await page.textContent('#api-code');
  ok(api.includes("figure: 'phase', act: 'tanh', field: 'xi_c'") && api.includes("from './embed.js'"),
    'the example\'s API code is the script that draws its figure', api.slice(0, 200));
  const apiLink = await page.getAttribute('#api-figure .dynlens-open', 'href');
  ok(/index\.html#demo=signal&act=tanh&field=xi_c/.test(apiLink || ''), 'a figure mounted with the JS API links back to the full page', apiLink);
  const all = DEMOS.filter((d) => d.module).flatMap((d) => d.figures.map((f) => `#demo=${d.name}&fig=${f}`));
  const listed = await page.$$eval('#fig-list a', (as) => as.map((a) => a.getAttribute('href').replace(/^index\.html/, '')));
  ok(JSON.stringify(listed) === JSON.stringify(all), 'the example lists every figure of every demo (from the registry)', listed.join(' '));
  await page.goto(`${url}#demo=signal&res=64`);
  await idle(page);
  const foot = await page.$$eval('#fig-list a', (as) => as.map((a) => a.getAttribute('href')));
  ok(JSON.stringify(foot) === JSON.stringify(all), 'the page footer lists every figure of every demo', foot.join(' '));
  ok(errors.length === 0, 'no console errors in the embedding checks', errors.join(' | '));
  await page.close();
}

// On a phone the controls come after the figures; a floating button jumps to them and hides once they are in view.
async function testPhone({ context, url, ok }) {
  const page = await context.newPage();
  const errors = watch(page);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${url}#demo=signal&res=64`);
  await idle(page);
  const shown = await page.isVisible('.to-controls');
  await page.click('.to-controls');
  await page.waitForTimeout(300);
  const top = await page.evaluate(() => document.querySelector('#demo-signal .controls').getBoundingClientRect().top);
  ok(shown && top >= -1 && top < 100 && !(await page.isVisible('.to-controls')),
    'phone: the Settings button jumps to the controls, then hides', `shown ${shown}, controls at ${top}`);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  ok(!(await page.isVisible('.to-controls')), 'laptop: no Settings button (the controls are beside the figures)');
  ok(errors.length === 0, 'no console errors in the phone checks', errors.join(' | '));
  await page.close();
}

await runSuite('shell', { tabs: testTabs, phone: testPhone, guides: testGuides, export: testExport, embed: testEmbed });
