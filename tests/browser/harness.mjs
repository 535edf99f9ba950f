// harness.mjs - what every browser suite shares: options, the loopback server, Debian's Chromium (headless, via
// playwright-core; no request may leave loopback), console-error collection, waiting for a drawn page, the
// native CLI, number comparison and the "ok"/"not ok" report. A suite is a file tests/browser/suite-<name>.mjs:
//
//   import { runSuite } from './harness.mjs';
//   await runSuite('landscape', { page: async (t) => { ... }, embed: async (t) => { ... } });
//
// CMake registers every suite file as the ctest test browser_<name> (one Chromium at a time). By hand:
//   node tests/browser/suite-<name>.mjs [part|all] --dist dist --cli build/dynlens --out build/browser
// Each part gets t = {context, url, foreign, ok, watch, idle, shot, cli, numDiff, canvasColours, OUT, CLI}.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './static-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const chosenPart = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) || 'all';
export const DIST = resolve(opt('dist', join(root, 'dist')));
export const CLI = resolve(opt('cli', join(root, 'build/dynlens')));
export const OUT = resolve(opt('out', join(root, 'build/browser')));
const CHROMIUM = opt('chromium', process.env.DYN_CHROMIUM || '/usr/bin/chromium');

let passed = 0;
let failed = 0;
export function ok(cond, name, detail = '') {
  if (cond) {
    passed++;
    console.log(`ok - ${name}`);
  } else {
    failed++;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
  }
  return cond;
}

async function loadPlaywright() {
  try {
    return await import(join(root, 'node_modules/playwright-core/index.mjs'));
  } catch (e) {
    console.log(`not ok - playwright-core is not installed (run make deps): ${e.message}`);
    process.exit(1);
  }
}

async function withBrowser(fn) {
  const { chromium } = await loadPlaywright();
  if (!existsSync(CHROMIUM)) {
    console.log(`not ok - no Chromium at ${CHROMIUM} (run make deps)`);
    process.exit(1);
  }
  if (!existsSync(join(DIST, 'index.html'))) {
    console.log(`not ok - no site at ${DIST} (run make dist)`);
    process.exit(1);
  }
  mkdirSync(OUT, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'dynlens-chromium-'));
  const server = await startServer(DIST, 0);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1280, height: 1000 },
    acceptDownloads: true,
  });
  // No request may leave loopback: the site must be self-contained.
  const foreign = [];
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    foreign.push(u.href);
    return route.abort();
  });
  try {
    await fn(context, server.url, foreign);
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Collects a page's console errors, uncaught exceptions and failed requests (every suite checks it is empty). */
export function watch(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  return errors;
}

/** Waits until the page's shown demo has drawn everything (window.dynlensPage.idle()). */
export async function idle(page, timeout = 30000) {
  await page.waitForFunction(() => window.dynlensPage && window.dynlensPage.idle(), null, { timeout });
  // A second look after a frame: a redraw may have queued more work.
  await page.waitForTimeout(50);
  await page.waitForFunction(() => window.dynlensPage.idle(), null, { timeout });
}

/**
 * The URL round trip: the state and one figure's numbers on page, then the same from a fresh tab opened on its
 * link. Returns {link, before: {state, numbers}, after: {state, numbers}, page (the new tab, for the caller to
 * check and close), errors (its console errors)}.
 */
export async function reopenLink(context, page, figure) {
  const snapshot = async (p) => ({
    state: await p.evaluate(() => window.dynlensPage.state()),
    numbers: await p.evaluate((f) => window.dynlensPage.numbers(f), figure),
  });
  const link = page.url();
  const before = await snapshot(page);
  const page2 = await context.newPage();
  const errors = watch(page2);
  await page2.goto(link);
  await idle(page2);
  const after = await snapshot(page2);
  return { link, before, after, page: page2, errors };
}

/** The native CLI's JSON for args (null when the CLI is not built). It writes infinities as 1e999 (JSON.parse
 * reads Infinity) and undefined values as null. */
export function cli(cliArgs) {
  if (!existsSync(CLI)) return null;
  return JSON.parse(execFileSync(CLI, cliArgs, { encoding: 'utf8' }));
}

// How far a page number is from the native one: 0 when they agree exactly (including the same infinity, or
// "undefined" as NaN/null on both sides), Infinity when one is finite and the other not or the infinities differ,
// else the relative error, relative to at least `floor` (1 for correlations, which live in [-1, 1] and are often
// exactly 0, so that 1e-14 against 2e-15 is not a "huge" relative error). NaN never passes silently.
export function numDiff(page, want, floor = 0) {
  const undef = (v) => v === null || v === undefined || Number.isNaN(v);
  if (undef(want) || undef(page)) return undef(want) && undef(page) ? 0 : Infinity;
  if (!Number.isFinite(want) || !Number.isFinite(page)) return Object.is(page, want) ? 0 : Infinity;
  return Math.abs(page - want) / Math.max(Math.abs(want), floor) || 0;
}

// The comparison itself must be able to fail: a small self-test, run once per suite.
export function checkComparator() {
  const bad = [[1, 1 + 2e-6, 1e-6], [Infinity, 1e300, 1e-6], [NaN, 1, 1e-6], [1, null, 1e-6], [Infinity, -Infinity, 1e-6],
    [0.5, 0.5000001, 1e-9]].filter(([a, b, t]) => numDiff(a, b) <= t);
  const good = [[1, 1 + 5e-7, 1e-6], [Infinity, Infinity, 0], [NaN, null, 0], [0, 0, 0], [1e-300, 1e-300, 0]].filter(([a, b, t]) => !(numDiff(a, b) <= t));
  ok(!bad.length && !good.length, 'the native comparison detects disagreements (self-test)', JSON.stringify({ bad, good }));
}

/** How many distinct colours a canvas shows (sampled): a drawn figure has many, a blank one 1. */
export async function canvasColours(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let k = 0; k < d.length; k += 4 * 37) seen.add((d[k] << 16) | (d[k + 1] << 8) | d[k + 2]);
    return seen.size;
  }, selector);
}

/**
 * Runs a suite: parts is {name: async (t) => {...}}, run in order in one browser (or only the part named on the
 * command line). Prints one line per check and "N passed, M failed"; exits 1 if any check failed.
 */
export async function runSuite(suite, parts) {
  const chosen = chosenPart === 'all' ? Object.keys(parts) : [chosenPart];
  if (!chosen.every((p) => parts[p])) {
    console.log(`unknown part ${chosenPart} of suite ${suite}; use ${Object.keys(parts).join(', ')} or all`);
    process.exit(2);
  }
  const t0 = Date.now();
  try {
    await withBrowser(async (context, url, foreign) => {
      const shot = (page, name, opts = {}) => page.screenshot({ path: join(OUT, name), ...opts });
      const t = { context, url, foreign, ok, watch, idle, shot, cli, numDiff, canvasColours, OUT, CLI };
      for (const p of chosen) {
        const t1 = Date.now();
        console.log(`# ${suite}: ${p}`);
        await parts[p](t);
        console.log(`# ${suite}: ${p} took ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      }
    });
  } catch (e) {
    ok(false, `the ${suite} suite finished`, e.stack || e.message);
  }
  console.log(`# screenshots in ${OUT}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  finish();
}

/** Ends a suite (also a node-only one, which uses ok() without a browser): "N passed, M failed", exit 1 on any. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
