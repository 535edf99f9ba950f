// suite-lrcontrol.mjs - the learning-rate-as-control WebAssembly API (wasm/dynlens-lrcontrol.js) against the native
// CLI (`dynlens control lr`): the moment ODE, SGD's exact moments, the Monte Carlo runs (same seed, same random
// stream), the direct optimum and the closed form, curve by curve; and the core's error messages for bad specs.
// It runs the WASM core in node (no browser: the page panel that uses this API brings its own browser suite).
// Run by ctest as browser_lrcontrol (it needs dist/, which `make test` builds):
//   node tests/browser/suite-lrcontrol.mjs --dist dist --cli build/dynlens
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (n, d) => (args.indexOf(`--${n}`) >= 0 ? args[args.indexOf(`--${n}`) + 1] : d);
const DIST = resolve(opt('dist', join(root, 'dist')));
const CLI = resolve(opt('cli', join(root, 'build/dynlens')));
let passed = 0;
let failed = 0;
const ok = (cond, name, detail = '') => {
  if (cond) passed++;
  else failed++;
  console.log(`${cond ? 'ok' : 'not ok'} - ${name}${cond || !detail ? '' : `: ${detail}`}`);
};
// relative difference, with an absolute floor for values near 0
const rel = (a, b) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300);
const worst = (xs, ys) => xs.reduce((w, x, k) => Math.max(w, rel(x, ys[k])), 0);

function cli(cliArgs) {
  const dir = mkdtempSync(join(tmpdir(), 'dynlens-lrc-'));
  try {
    const csv = join(dir, 'lr.csv');
    const json = JSON.parse(execFileSync(CLI, ['control', 'lr', ...cliArgs, '--csv', csv], { encoding: 'utf8' }));
    const lines = readFileSync(csv, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const head = lines[0].split(',');
    const rows = lines.slice(1).map((l) => l.split(',').map(Number));
    const col = (name) => rows.map((r) => r[head.indexOf(name)]);
    return { json, col };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { createDynlens } = await import(pathToFileURL(join(DIST, 'wasm/dynlens.js')).href);
const dl = await createDynlens();

const cases = [
  { name: '1-D default', problem: { a: [1], sigma2: 1, x0: 1, eta: 0.01, batch: 1 }, T: 10, runs: 300, seed: 1,
    specs: ['optimal', 'discrete', 'const:0.25', 'inv:1:2', 'direct:20'] },
  { name: '3-D, batch 4, given', problem: { a: [1, 0.2, 3], sigma2: [1, 2, 0.5], x0: [1, -2, 0.5], eta: 0.02, batch: 4 },
    T: 6, runs: 200, seed: 7, specs: ['optimal', 'const:1', { spec: 'given', u: null }] },
];
for (const c of cases) {
  const p = c.problem;
  const steps = dl.lrcSteps(p.eta, c.T);
  const cliArgs = ['--a', p.a.join(','), '--sigma2', [].concat(p.sigma2).join(','), '--x0', [].concat(p.x0).join(','),
    '--eta', String(p.eta), '--batch', String(p.batch), '--T', String(c.T), '--runs', String(c.runs), '--seed',
    String(c.seed), '--schedules', c.specs.map((s) => (typeof s === 'string' ? s : s.spec)).join(',')];
  let dir = null;
  for (const s of c.specs) {
    if (typeof s !== 'string') {
      // a given schedule: a saw-tooth, written to a file for the CLI
      s.u = Array.from({ length: steps }, (_, k) => 0.2 + 0.7 * ((k * 7) % 13) / 12);
      dir = mkdtempSync(join(tmpdir(), 'dynlens-lrc-u-'));
      const f = join(dir, 'u.csv');
      execFileSync('sh', ['-c', `cat > ${f}`], { input: s.u.map(String).join('\n') + '\n' });
      cliArgs.push('--u', f);
    }
  }
  const nat = cli(cliArgs);
  if (dir) rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const w = dl.lrcCompare(p, c.specs, { T: c.T, runs: c.runs, seed: c.seed });
  const ms = performance.now() - t0;
  ok(w.steps === nat.json.steps, `${c.name}: steps`, `${w.steps} vs ${nat.json.steps}`);
  ok(worst(w.tSwitch, nat.json.t_switch) < 1e-14, `${c.name}: t_switch`);
  ok(rel(w.lossOptimalClosed, nat.json.loss_T_optimal_closed) < 1e-14, `${c.name}: closed form`);
  ok(w.best === nat.json.best, `${c.name}: best schedule`, `${w.best} vs ${nat.json.best}`);
  w.schedules.forEach((s, j) => {
    const n = nat.json.schedules[j];
    ok(s.name === n.name, `${c.name}: schedule ${j} name`, `${s.name} vs ${n.name}`);
    // exp and log may differ in the last bit between glibc and Emscripten's libm: 1e-12 relative
    const wo = worst(s.ode, nat.col(`${n.name}_ode`));
    const ws = worst(s.sgd, nat.col(`${n.name}_sgd`));
    const wm = worst(s.mc, nat.col(`${n.name}_mc`));
    const we = worst(s.se.slice(1), nat.col(`${n.name}_se`).slice(1));
    const wu = worst(s.u.filter((_, k) => k % p.a.length === 0), nat.col(`${n.name}_u1`));
    ok(wo < 1e-12, `${c.name} ${n.name}: ODE curve`, `worst rel diff ${wo}`);
    ok(ws < 1e-12, `${c.name} ${n.name}: SGD moment curve`, `worst rel diff ${ws}`);
    ok(wm < 1e-10 && we < 1e-9, `${c.name} ${n.name}: Monte Carlo mean and SE (same stream)`, `${wm} ${we}`);
    ok(wu < 1e-12, `${c.name} ${n.name}: multipliers`, `worst rel diff ${wu}`);
    const wg = worst(s.dJdu, nat.col(`${n.name}_dJdu`));
    ok(wg < 1e-12, `${c.name} ${n.name}: switching function dJ/du`, `worst rel diff ${wg}`);
    console.log(`# ${c.name} ${n.name}: worst relative WASM-native differences: ode ${wo}, sgd ${ws}, mc ${wm}, se ${we}`);
    ok(rel(s.maxAbsZ, n.max_abs_z) < 1e-6 && s.maxAbsZ < 4.5, `${c.name} ${n.name}: MC within 4.5 SE of theory`,
      `${s.maxAbsZ}`);
    if (n.loss_T_direct_opt !== undefined)
      ok(rel(s.lossTDirect, n.loss_T_direct_opt) < 1e-12, `${c.name} ${n.name}: direct optimum`);
  });
  console.log(`# ${c.name}: WASM (node) ${ms.toFixed(1)} ms, native ${nat.json.ms.toFixed(1)} ms for the same work`);
}

// costates: dJ/du_k (shared) by central differences of the recursion under a given schedule, in WASM
{
  const p = { a: [1.2, 0.3], sigma2: [0.7, 2], x0: [1.5, -2], eta: 0.05, batch: 2 };
  const u = Array.from({ length: 80 }, (_, k) => 0.3 + 0.6 * ((k * 5) % 11) / 10);
  const c = dl.lrcCostates(p, { spec: 'given', u }, { T: 4 });
  const J = (uu) => dl.lrcCurves(p, { spec: 'given', u: uu }, { T: 4, model: 'sgd' }).loss[80];
  ok(Math.abs(c.lossT - J(u)) === 0, 'costates: J is the recursion\'s final loss');
  let w = 0;
  for (const k of [0, 7, 33, 79]) {
    const h = 1e-6;
    const up = u.slice(); up[k] += h;
    const um = u.slice(); um[k] -= h;
    const fd = (J(up) - J(um)) / (2 * h);
    w = Math.max(w, Math.abs(fd - c.dJdu[k]) / (Math.abs(c.dJdu[k]) + 1e-3 * c.lossT));
  }
  ok(w < 1e-6, 'costates: dJ/du against central differences', `worst rel error ${w}`);
}

// errors: the core's one-line reasons, thrown as DynlensError
for (const [spec, frag] of [['fast', 'unknown schedule'], ['const:2', 'const:U'], ['inv:0', 'inv:C'], ['given:1', 'no parameter']]) {
  let msg = '';
  try { dl.lrcParse(spec); } catch (e) { msg = `${e.name}: ${e.message}`; }
  ok(msg.startsWith('DynlensError') && msg.includes(frag), `lrcParse('${spec}') throws`, msg);
  let cmsg = '';
  try { execFileSync(CLI, ['control', 'lr', '--schedules', spec], { stdio: 'pipe' }); } catch (e) { cmsg = String(e.stderr); }
  ok(cmsg.includes(msg.replace('DynlensError: ', '')), `the CLI says the same for '${spec}'`, cmsg);
}
let bad = '';
try { dl.lrcCurves({ a: [10], sigma2: 1, eta: 0.5 }, 'optimal', { T: 1 }); } catch (e) { bad = e.message; }
ok(/outside its allowed range/.test(bad), 'eta a >= 2 is refused by the core', bad);
try { bad = ''; dl.lrcSimulate({ a: [1], eta: 0.1 }, 'optimal', { T: 1, runs: 1 }); } catch (e) { bad = e.message; }
ok(/size or count/.test(bad), 'one run is refused', bad);
try { bad = ''; dl.lrcCurves({ a: [1, 2], sigma2: [1, 2, 3], eta: 0.1 }, 'optimal', { T: 1 }); } catch (e) { bad = `${e.name}: ${e.message}`; }
ok(/^DynlensError: problem.sigma2: 3 values for 2 coordinates/.test(bad), 'a shape error is a DynlensError', bad);
try { bad = ''; dl.lrcCurves({ eta: 0.1 }, 'optimal', { T: 1 }); } catch (e) { bad = `${e.name}: ${e.message}`; }
ok(/^DynlensError: problem.a/.test(bad), 'a missing problem.a is a DynlensError', bad);
const c1 = dl.lrcOptimal1d(1, 1, 0.01, 4, 0);
ok(rel(c1.tSwitch, 0.5 * Math.log(799)) < 1e-14, 'closed-form switch time', `${c1.tSwitch}`);
dl.dispose();
console.log(`lrcontrol: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
