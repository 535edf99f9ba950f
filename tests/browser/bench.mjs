// bench.mjs - WebAssembly timings for `make bench`, printed next to the native ones: the 256x256 xi_c grid in
// node and in headless Chromium (one worker and all workers), a 128x128 redraw, page load to the first drawn
// heatmap, the size of the .wasm, the landscape slice and the isometry tab's trainability grid (cells/s).
//
//   node tests/browser/bench.mjs --dist dist --cli build/dynlens --out build
// The native side of each ratio is the same grid computed by the native CLI in the same run (the full native
// benchmarks are build/bench_*, which `make bench` runs first).
//   --cli-same-width build/same-width/dynlens (make bench-web builds it): the native CLI compiled without its AVX2
// clones (DYN_NO_VEC_CLONES), so its kernels run 2 doubles per vector (SSE2), as WebAssembly's SIMD128 does. Each
// per-worker ratio is then printed twice: against the native build as shipped (AVX2: 4 doubles per vector on this
// CPU, which no WebAssembly instruction reaches) and "at the same width", which leaves what the WebAssembly
// toolchain (V8, emcc) costs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startServer } from './static-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(`--${n}`) >= 0 ? args[args.indexOf(`--${n}`) + 1] : d);
const DIST = resolve(opt('dist', join(root, 'dist')));
const CLI = resolve(opt('cli', join(root, 'build/dynlens')));
const CLI2 = opt('cli-same-width', null) && resolve(opt('cli-same-width'));
const NATIVES = CLI2 ? [CLI, CLI2] : [CLI];
// "; 0.93 at the same width": a second ratio from the same-width native value v2, r(v2) computing the ratio
const sameWidth = (v2, r) => (v2 === undefined ? '' : `; ${r(v2).toFixed(2)} at the same width`);
// [as shipped, at the same width (undefined without it)]: each native CLI's median over 3 runs of pick(its JSON)
const nativeMedian = (args, pick) => NATIVES.map((cli) => median([0, 1, 2].map(() =>
  pick(JSON.parse(execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))))));
const OUT = resolve(opt('out', join(root, 'build')));
const REPS = 7;
const GRID = { act: 'tanh', field: 'xi_c', sw2: [0.5, 4], sb2: [0, 0.3] };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const rows = [];
const row = (what, ms, note = '') => {
  rows.push({ what, ms, note });
  console.log(`  ${what.padEnd(52)} ${typeof ms === 'number' ? `${ms.toFixed(1).padStart(8)} ms` : String(ms).padStart(11)}  ${note}`);
};

// native: the CLI reports the time of the grid computation alone ("ms" in its JSON)
const native = {}, native2 = {};
for (const n of [128, 256]) {
  for (const cli of NATIVES) {
    const t = [];
    for (let k = 0; k < REPS; k++) {
      const out = execFileSync(cli, ['meanfield', 'phase', '--act', GRID.act, '--field', GRID.field,
        '--sw2', GRID.sw2.join(':'), '--sb2', GRID.sb2.join(':'), '--size', `${n}x${n}`], { encoding: 'utf8' });
      t.push(JSON.parse(out).ms);
    }
    (cli === CLI ? native : native2)[n] = median(t);
  }
}
const vsNative = (ms, n) => `${(ms / native[n]).toFixed(2)}x native (${native[n].toFixed(1)} ms, same run)` +
  sameWidth(native2[n], (v) => ms / v);

console.log('== WebAssembly ==');
const wasm = join(DIST, 'wasm/dynlens-core.wasm');
const size = statSync(wasm).size;
row('.wasm size', `${(size / 1024).toFixed(1)} KiB`, `${(gzipSync(readFileSync(wasm)).length / 1024).toFixed(1)} KiB gzipped`);

// node: one instance, the whole grid in one call
const { createDynlens } = await import(pathToFileURL(join(DIST, 'wasm/dynlens.js')).href);
const dl = await createDynlens();
for (const n of [128, 256]) {
  dl.grid({ ...GRID, nx: n, ny: n });
  const t = [];
  for (let k = 0; k < REPS; k++) {
    const t0 = performance.now();
    dl.grid({ ...GRID, nx: n, ny: n });
    t.push(performance.now() - t0);
  }
  row(`node ${n}x${n} xi_c grid (one instance)`, median(t), `median of ${REPS}; ${vsNative(median(t), n)}`);
}
dl.dispose();

// ---- posterior (SGD as Bayesian inference): sampler steps per second, WASM in node vs native -------------------
// The same runs as build/bench_posterior (linear regression, N = 1000, S = 10, eps* or 1e-5 for SGLD, H*(eps*),
// start theta*), whose native numbers are read from its output in this run; one iterate kept per run (thin = steps).
// WASM/native below 1 means WASM is slower.
{
  const [nat, nat2] = NATIVES.map((cli) => {
    const benchPost = join(dirname(cli), 'bench_posterior'), rates = {};
    try {
      for (const line of execFileSync(benchPost, { encoding: 'utf8' }).split('\n')) {
        const m = line.trim().match(/^(sgd|sgd-precond|sgld|momentum)\s+(\d+)\s+(\S+)/);
        if (m) rates[`${m[1]}:${m[2]}`] = Number(m[3]);
      }
    } catch (e) {
      console.log(`  (no native sampler numbers: ${benchPost} failed: ${e.message})`);
    }
    return rates;
  });
  const pd = await createDynlens();
  for (const d of [2, 20]) {
    const spec = { model: 'linreg', n: 1000, d, seed: 1 };
    const es = pd.postEpsStar(spec, 10);
    const h = pd.postPrecond(spec, 10, 'opt');
    const start = pd.postTheory(spec).mode;
    for (const sampler of pd.postSamplers) {
      const steps = d === 2 ? 2000000 : 400000;
      const s = pd.postSampler(spec, { sampler, eps: sampler === 'sgld' ? 1e-5 : es, batch: 10, batching: 'iid',
        precond: sampler === 'sgd-precond' ? h : null, start, seed: 1 });
      // V8 compiles WASM in tiers (a quick baseline first, optimised code later, in the background): warm up,
      // then take the median of three runs.
      s.run(steps, steps);
      const rates = [0, 1, 2].map(() => {
        const t0 = performance.now();
        s.run(steps, steps);
        return steps / ((performance.now() - t0) / 1000);
      });
      const rate = median(rates);
      s.dispose();
      const n = nat[`${sampler}:${d}`], n2 = nat2 && nat2[`${sampler}:${d}`];
      row(`node ${sampler} D=${d} sampler steps/s`, `${(rate / 1e6).toFixed(2)}e6/s`,
        n ? `native ${(n / 1e6).toFixed(2)}e6/s (same run): WASM/native = ${(rate / n).toFixed(2)}` +
          sameWidth(n2, (v) => rate / v) : 'no native number');
    }
  }
  pd.dispose();
}

// ---- lrcontrol (the learning rate as a control): Monte Carlo SGD and the moment ODE, WASM in node vs the native
// CLI on the same work (`dynlens control lr` reports its compute time as "ms"); median of three after a warm-up.
{
  const ld = await createDynlens();
  const problem = { a: [1, 0.5, 0.2, 2], sigma2: [1, 2, 0.5, 1], x0: 1, eta: 0.01, batch: 1 };
  const specs = ['optimal', 'const:0.5', 'inv:1'];
  const work = () => ld.lrcCompare(problem, specs, { T: 10, runs: 2000, seed: 1 });
  work();
  const t = [0, 1, 2].map(() => { const t0 = performance.now(); work(); return performance.now() - t0; });
  const [nat, nat2] = nativeMedian(['control', 'lr', '--a', '1,0.5,0.2,2', '--sigma2', '1,2,0.5,1', '--eta', '0.01',
    '--T', '10', '--runs', '2000', '--schedules', specs.join(',')], (j) => j.ms);
  row('node lrcCompare (d=4, 1000 steps, 3 x 2000 runs)', median(t),
    `native ${nat.toFixed(1)} ms (same run): WASM/native time = ${(median(t) / nat).toFixed(2)}` +
    sameWidth(nat2, (v) => median(t) / v));
  ld.dispose();
}

// ---- control (training as optimal control): a GD step and an E-MSA sweep on Li et al.'s toy (sin, width 5, 20
// layers, 100 points, zero initialisation), WASM in node vs the native CLI; both time dyn_ctl_train_step alone,
// with its report (the CLI's "seconds", the page's "ms"). The issue's measure: E-MSA in WASM within 1.5x native,
// and E-MSA's cost in GD steps.
{
  const cd = await createDynlens();
  const net = { nIn: 1, nClass: 0, width: 5, layers: 20, delta: 0.25, act: 'tanh', reg: 1e-3 };
  const { train: data, test } = cd.ctlData({ data: 'sin', n: 100, noise: 0, seed: 1 });
  const theta0 = new Float64Array(cd.ctlShape(net).P);
  const perIter = {};
  for (const [method, iters] of [['gd', 400], ['emsa', 20]]) {
    cd.ctlTrain({ net, train: { method }, theta0, data, test, iters: 2 }); // warm-up (V8's tiers)
    const wasm = median([0, 1, 2].map(() => {
      const r = cd.ctlTrain({ net, train: { method }, theta0, data, test, iters });
      return r.ms[iters] / iters;
    }));
    const [nat, nat2] = nativeMedian(['control', 'train', '--method', method, '--iters', String(iters), '--out',
      join(OUT, 'bench-control-out')], (j) => j.seconds * 1000 / iters);
    perIter[method] = { wasm, nat };
    row(`node control ${method} (sin, T=20, d=5, N=100) per iteration`, `${wasm.toFixed(3)} ms`,
      `native ${nat.toFixed(3)} ms (same run): WASM/native time = ${(wasm / nat).toFixed(2)}` +
      sameWidth(nat2, (v) => wasm / v));
  }
  row('node control E-MSA sweep in GD steps', (perIter.emsa.wasm / perIter.gd.wasm).toFixed(1),
    `native ${(perIter.emsa.nat / perIter.gd.nat).toFixed(1)}`);
  cd.dispose();
}

// ---- training steps: WASM in node (one instance) vs the native CLI's training time, same run --------------------
// 3 x 32 tanh + skips on 400 spirals (batch 32), 4 x 256 tanh + skips on 2000 (batch 128) and 8 x 256 on 2000 (batch
// 32, issue 12's 20000-step run, extrapolated), Adam, seed 1: the page's small default and mid-size nets. The native
// side is the CLI's "train_ms" (the training loop alone).
{
  const cases = [{ n: 400, depth: 3, width: 32, batch: 32, steps: 2000 }, { n: 2000, depth: 4, width: 256, batch: 128, steps: 60 },
    { n: 2000, depth: 8, width: 256, batch: 32, steps: 100 }];
  const td = await createDynlens();
  for (const c of cases) {
    const [natMs, natMs2] = nativeMedian(['landscape', 'train', '--n', String(c.n), '--depth', String(c.depth), '--width',
      String(c.width), '--skip', '--batch', String(c.batch), '--steps', String(c.steps), '--snapshots', '2', '--out',
      join(OUT, 'bench-train-out')], (j) => j.train_ms);
    const data = td.toyData({ toy: 'spirals', n: c.n, noise: 0.1, seed: 1 });
    const net = { depth: c.depth, width: c.width, act: 'tanh', skip: 1 };
    const st = td.trainStart({ net, data, seed: 1, opt: 'adam', batch: c.batch });
    td.trainRun({ data, blob: st.blob, P: st.P, from: 0, targets: [c.steps] }); // warm-up (V8's tiers)
    const ms = median([0, 1, 2].map(() => {
      const t0 = performance.now();
      td.trainRun({ data, blob: st.blob, P: st.P, from: 0, targets: [c.steps] });
      return performance.now() - t0;
    }));
    row(`node training ${c.depth} x ${c.width} tanh, batch ${c.batch}, n=${c.n}`, `${(c.steps / ms * 1000).toFixed(0)} steps/s`,
      `native ${(c.steps / natMs * 1000).toFixed(0)} steps/s (same run): WASM/native = ${(natMs / ms).toFixed(2)}` +
      `${sameWidth(natMs2, (v) => v / ms)}; 20000 steps: ${(20 * ms / c.steps).toFixed(0)} s WASM, ` +
      `${(20 * natMs / c.steps).toFixed(0)} s native`);
  }
  td.dispose();
}

// Chromium: the worker pool from a page on a loopback server
const { chromium } = await import(join(root, 'node_modules/playwright-core/index.mjs'));
const server = await startServer(DIST, 0);
const profile = mkdtempSync(join(tmpdir(), 'dynlens-bench-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
  viewport: { width: 1280, height: 1000 },
});
try {
  const page = await ctx.newPage();
  await page.route(`${server.url}bench.html`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }));
  await page.goto(`${server.url}bench.html`);
  const res = await page.evaluate(async ({ GRID, REPS }) => {
    const { createPool } = await import('./wasm/pool.js');
    const out = { cores: navigator.hardwareConcurrency };
    const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    for (const size of [1, navigator.hardwareConcurrency]) {
      const pool = await createPool({ size });
      await pool.ready; // time the workers, not the in-page start-up
      for (const n of [128, 256]) {
        await pool.grid({ ...GRID, nx: n, ny: n }, null, { progressive: false });
        const t = [];
        for (let k = 0; k < REPS; k++) {
          const t0 = performance.now();
          await pool.grid({ ...GRID, nx: n, ny: n }, null, { progressive: false });
          t.push(performance.now() - t0);
        }
        out[`w${size}_${n}`] = med(t);
      }
      out[`mode${size}`] = pool.mode;
      pool.dispose();
    }
    return out;
  }, { GRID, REPS });
  row('chromium 256x256 xi_c grid, 1 worker', res.w1_256, `${res.mode1}; ${vsNative(res.w1_256, 256)}`);
  row(`chromium 256x256 xi_c grid, ${res.cores} workers`, res[`w${res.cores}_256`], res[`mode${res.cores}`]);
  row('chromium 128x128 redraw, 1 worker', res.w1_128, vsNative(res.w1_128, 128));
  row(`chromium 128x128 redraw, ${res.cores} workers`, res[`w${res.cores}_128`]);
  // Page load to the first drawn heatmap (the coarse 64x64), and to the full 256x256 one.
  const loads = [];
  for (let k = 0; k < 3; k++) {
    const p = await ctx.newPage();
    await p.goto(`${server.url}#act=tanh&field=xi_c&sw2=1.5&sb2=0.05&res=256`);
    await p.waitForFunction(() => window.dynlensPage && window.dynlensPage.timings().full !== null, null, { timeout: 30000 });
    loads.push(await p.evaluate(() => window.dynlensPage.timings()));
    await p.close();
  }
  row('page load to first drawn heatmap (64x64 coarse)', median(loads.map((l) => l.first)), 'ms since navigation start');
  row('page load to full 256x256 heatmap', median(loads.map((l) => l.full)));

  // ---- landscape (issue 4): 2-D slice throughput in WASM next to native -------------------------------------
  // Same problem as build/bench_landscape's first row: spirals n=400, 3 x 32 tanh + skips, a 41x41 slice along
  // filter-normalised random directions around a net trained 200 steps. Native: the CLI's slice timing.
  {
    const LS = { n: 400, depth: 3, width: 32, steps: 200, nx: 41 };
    const [nat, nat2] = nativeMedian(['landscape', 'slice', '--n', String(LS.n), '--depth', String(LS.depth), '--width',
      String(LS.width), '--skip', '--steps', String(LS.steps), '--dirs', 'random', '--size', `${LS.nx}x${LS.nx}`, '--out',
      join(OUT, 'bench-landscape-out')], (j) => j.points_per_s);
    const lsRes = await page.evaluate(async (LS) => {
      const { createPool } = await import('./wasm/pool.js');
      const out = { cores: navigator.hardwareConcurrency };
      for (const size of [1, navigator.hardwareConcurrency]) {
        const pool = await createPool({ size });
        await pool.ready;
        const dl = pool.local;
        const data = dl.toyData({ toy: 'spirals', n: LS.n, noise: 0.1, seed: 1 });
        const net = { depth: LS.depth, width: LS.width, act: 'tanh', skip: 1 };
        const st = dl.trainStart({ net, data, seed: 1, opt: 'adam', batch: 32 });
        const r = dl.trainRun({ data, blob: st.blob, P: st.P, from: 0, targets: [LS.steps] });
        const theta = r.snaps;
        const dirs = dl.randomDirs({ net, data, theta, norm: 'filter', seed: 7 });
        const req = { net, data, center: theta, dirs, a: [-1, 1], b: [-1, 1], nx: LS.nx, ny: LS.nx };
        const ms = [];
        for (let k = 0; k < 3; k++) {
          const t0 = performance.now();
          await pool.grid(req, null, { method: 'slice', progressive: false, channel: 'bench-ls' });
          ms.push(performance.now() - t0);
        }
        out[`w${size}`] = [...ms].sort((a, b) => a - b)[1];
        pool.dispose();
      }
      return out;
    }, LS);
    const pts = LS.nx * LS.nx;
    const pps = (ms) => pts / (ms / 1000);
    row(`landscape 41x41 slice, native (CLI, 1 core)`, `${nat.toFixed(0)} pts/s`, '3 x 32 tanh + skips, n=400 (as bench_landscape)');
    row(`landscape 41x41 slice, chromium 1 worker`, `${pps(lsRes.w1).toFixed(0)} pts/s`,
      `${(pps(lsRes.w1) / nat).toFixed(2)}x native${sameWidth(nat2, (v) => pps(lsRes.w1) / v)}`);
    row(`landscape 41x41 slice, chromium ${lsRes.cores} workers`, `${pps(lsRes[`w${lsRes.cores}`]).toFixed(0)} pts/s`,
      `${(pps(lsRes[`w${lsRes.cores}`]) / nat).toFixed(2)}x native (1 core)`);
  }

  // ---- trainability (issue 9): cells per second of the isometry tab's default grid, in the page (its worker pool,
  // both initialisations) and natively (`dynlens trainability grid` on every core, the same cells)
  {
    const TG = ['--act', 'tanh', '--sb2', '0.05', '--depth', '5:60', '--ny', '6', '--sw2', '1:4', '--nx', '9', '--width',
      '16', '--steps', '150', '--batch', '32', '--lr', '0.03', '--seed', '1'];
    const nat = [];
    for (const w of ['gaussian', 'orthogonal']) {
      nat.push(JSON.parse(execFileSync(CLI, ['trainability', 'grid', ...TG, '--weights', w], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })));
    }
    const natCps = (nat[0].cells + nat[1].cells) / ((nat[0].ms + nat[1].ms) / 1000);
    const p = await ctx.newPage();
    // The tab's other figures share the pool while the grid runs (its density figure alone holds a worker for
    // seconds), so the page's wall-clock rate understates the workers; each worker reports its own time per task
    // (worker.js's "ms"): summed over the isoCell tasks, it gives the rate per worker while computing cells.
    await p.addInitScript(() => {
      window.benchCellMs = 0;
      const post = Worker.prototype.postMessage;
      Worker.prototype.postMessage = function (m, ...rest) {
        if (!this.benchHooked) {
          this.benchHooked = true;
          this.benchIds = new Set();
          this.addEventListener('message', (e) => {
            if (e.data && this.benchIds.delete(e.data.id) && e.data.ms >= 0) window.benchCellMs += e.data.ms;
          });
        }
        if (m && m.method === 'isoCell') this.benchIds.add(m.id);
        return post.call(this, m, ...rest);
      };
    });
    await p.goto(`${server.url}#demo=isometry&act=tanh&sw2=0&sb2=0.05&depth=16&width=32&nets=1&seed=1`);
    await p.waitForFunction(() => window.dynlensPage && (window.dynlensPage.numbers('train') || {}).state === 'done', null,
      { timeout: 180000 });
    const n = await p.evaluate(() => window.dynlensPage.numbers('train'));
    const cellMs = await p.evaluate(() => window.benchCellMs);
    await p.close();
    row(`trainability 6x9 grid x 2 inits, native (${nat[0].threads} threads)`, `${natCps.toFixed(2)} cells/s`,
      'width 16, 150 SGD steps, digits (the isometry tab\'s defaults)');
    row(`trainability 6x9 grid x 2 inits, chromium ${n.workers} workers`, `${n.cellsPerSec.toFixed(2)} cells/s`,
      `${(n.cellsPerSec / natCps).toFixed(2)}x native; ${(n.ms / 1000).toFixed(1)} s for ${n.done} cells, ` +
      `${(n.flops / n.ms / 1e6).toFixed(2)} GFLOP/s`);
    const perWorker = n.done / (cellMs / 1000);
    row('trainability, chromium, per worker while computing cells', `${perWorker.toFixed(2)} cells/s`,
      `x ${n.workers} workers = ${(perWorker * n.workers / natCps).toFixed(2)}x native (${nat[0].threads} threads)`);
  }
  // the SGD tab replays a link's steps without animating: page load to drawn, against the core's estimate
  // (dyn_post_run_work at DYN_WORK_RATE, what the run bar shows and caps at 60 s)
  for (const h of ['model=linreg&steps=1000000', 'model=logistic&steps=1000000']) {
    const p = await ctx.newPage();
    const t0 = performance.now();
    await p.goto(`${server.url}#demo=sgd&${h}`);
    await p.waitForFunction(() => window.dynlensPage && window.dynlensPage.idle(), null, { timeout: 180000 });
    const ms = performance.now() - t0;
    const est = await p.evaluate(() => window.dynlensPage.sgdEstimate());
    await p.close();
    row(`sgd link ${h.replace('&', ', ')}: load to drawn`, ms, `the core estimated ${est.toFixed(2)} s for the chain`);
  }
} finally {
  await ctx.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
writeFileSync(join(OUT, 'bench_wasm.json'), `${JSON.stringify(rows, null, 1)}\n`);
console.log(`(also written to ${join(OUT, 'bench_wasm.json')})`);
