// suite-shell.mjs - browser checks of the page shell every demo relies on: tabs from web/demos/registry.js,
// honest placeholders ("soon" tabs), lazy loading of a demo's module, demo= in the hash (unknown -> notice), a demo's state
// kept across tab switches, and the embed API's figure lookup. Run by ctest as browser_shell.
import { idle, runSuite, watch } from './harness.mjs';

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

await runSuite('shell', { tabs: testTabs });
