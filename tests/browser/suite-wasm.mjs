// suite-wasm.mjs - the WebAssembly exports (wasm/dynw.c) called directly in node with hostile arguments: sizes
// whose byte counts pass 2^32, output lengths shorter than the call writes, damaged training blobs, non-integer
// render options. Each must return a status (never write out of bounds, never trap); the good path must still
// agree with itself. No browser: it loads dist/wasm/dynlens-core.{mjs,wasm} (run by ctest as browser_wasm).
//   node tests/browser/suite-wasm.mjs --dist dist
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, DIST, finish, ok, OUT } from './harness.mjs';

globalThis.self = globalThis; // the module is built for web and worker environments; node passes for a worker
const { default: create } = await import(join(DIST, 'wasm/dynlens-core.mjs'));
const core = await create({ wasmBinary: readFileSync(join(DIST, 'wasm/dynlens-core.wasm')) });
const C = (name) => core[`_dynw_${name}`];
const mem = (bytes) => core._malloc(Math.max(8, bytes));
const f64 = (p, n) => new Float64Array(core.HEAPF64.buffer, p, n);
const i32 = (p, n) => new Int32Array(core.HEAP32.buffer, p, n);
const u8 = (p, n) => new Uint8Array(core.HEAPU8.buffer, p, n);
// the status codes, by their messages (core/status.h is the one list)
const status = (s) => core.UTF8ToString(C('status_str')(s));
const OK = 0;

// ---- posterior: n d past 2^32 / 8 -------------------------------------------------------------------------
{
  const out = mem(4);
  const s = C('post_create')(0, 10000000, 54, 0, 0, 1, 0, out);
  ok(s !== OK && i32(out, 1)[0] === 0, `post_create(n = 1e7, d = 54): 4.3 GB of features is refused (${status(s)})`);
  const s2 = C('post_create')(0, 200, 2, 0, 0, 1, 0, out);
  const h = i32(out, 1)[0];
  ok(s2 === OK && h !== 0, 'post_create(n = 200, d = 2) still works');
  const st = mem(8 * 3);
  ok(C('post_precond')(h, 10, 0, st, 3) !== OK, 'post_precond with 3 doubles for a 2 x 2 result is refused');
  ok(C('post_precond')(h, 10, 0, st, -1) !== OK, 'a negative output length is refused');
  const four = mem(8 * 4 * 3);
  ok(C('post_stationary')(h, 0, 0.01, 10, 0, 0, 0, four, four + 32, four + 64, 3) !== OK,
    'post_stationary with 3-double outputs is refused');
  ok(C('post_stationary')(h, 0, 0.01, 10, 0, 0, 0, four, four + 32, four + 64, 4) === OK, 'and works with 4');
  C('post_destroy')(h);
}

// ---- landscape: the training blob --------------------------------------------------------------------------
const N = 60;
const x = mem(16 * N);
const y = mem(8 * N);
const nc = mem(4);
ok(C('toy')(1, N, 0, 0.1, 3, 0, x, y, nc) === OK, 'toy moons');
const NET = [2, 2, 2, 8, 0, 0, 0]; // n_in, n_out, depth, width, act, skip, loss
const P = 2 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2;
const bytes = C('train_blob_bytes')(...NET, N, 2, 10);
ok(bytes > 1024, `blob bytes ${bytes}`);
const th = mem(8 * P);
const lr = mem(8);
function start() {
  const blob = mem(bytes);
  const s = C('train_start')(...NET, x, y, N, 2, 1, 0, 1, 2, 0, 0.9, 0, 10, th, P, blob, bytes, lr);
  return { blob, s };
}
ok(C('train_start')(...NET, x, y, N, 2, 1, 0, 1, 2, 0, 0.9, 0, 10, th, P - 1, mem(bytes), bytes, lr) !== OK,
  'train_start with a theta0 one double short is refused');
const STEPS = 40;
const tg = mem(8);
const losses = mem(8 * STEPS);
const snaps = mem(8 * P);
const sl = mem(8);
const sa = mem(8);
const done = mem(4);
function run(blob, target, lossLen = STEPS, snapLen = P, blen = bytes) {
  i32(tg, 1)[0] = target;
  return C('train_run')(x, y, N, 2, 2, blob, blen, tg, 1, 1, losses, lossLen, snaps, snapLen, sl, sa, done);
}
{
  const a = start();
  ok(a.s === OK && run(a.blob, STEPS) === OK, 'a 40-step run');
  const ref = Float64Array.from(f64(snaps, P));
  // the same run in two chunks, the blob moved to other memory in between (another worker's heap)
  const b = start();
  ok(run(b.blob, STEPS / 2) === OK, 'the first 20 steps');
  const moved = mem(bytes + 64) + 8; // another address, still 8-byte aligned
  u8(moved, bytes).set(u8(b.blob, bytes));
  u8(b.blob, bytes).fill(0xa5);
  ok(run(moved, STEPS) === OK, 'the last 20 from a moved copy');
  const same = f64(snaps, P).every((v, i) => Object.is(v, ref[i]));
  ok(same, 'moved and resumed = uninterrupted, bit for bit');
  ok(run(moved, STEPS + 10, 5) !== OK && i32(done, 1)[0] === STEPS, 'a losses buffer shorter than the steps is refused before a step');
  ok(run(moved, STEPS + 1, STEPS, P - 1) !== OK, 'a snapshot buffer shorter than P is refused');
  ok(run(moved, STEPS - 1) !== OK, 'a target behind the steps done is refused');
  ok(run(moved, STEPS, STEPS, P, 900) !== OK, 'a blob length shorter than its header is refused');
  ok(run(moved, STEPS, STEPS, P, bytes - 8) !== OK, 'a blob length shorter than its workspace is refused');
  // damage: the tag, the step count, a layer width, and a permutation entry (the perm follows 4 P doubles)
  const damaged = (fn, what) => {
    const c = mem(bytes);
    u8(c, bytes).set(u8(moved, bytes));
    fn(c);
    const s = run(c, STEPS + 1);
    ok(s !== OK, `a blob with ${what} is refused (${status(s)})`);
  };
  damaged((c) => { u8(c, 1)[0] ^= 1; }, 'a damaged tag');
  damaged((c) => { i32(c + 4096 + 32 * P, 1)[0] = 1 << 30; }, 'a permutation entry past the data'); // 4096: DYNW_BLOB_HDR (wasm/dynw.c)
  damaged((c) => { i32(c + 16, 1)[0] = 9; }, 'a layer width that does not match the layout'); // net.dim[1]
  damaged((c) => { i32(c + 8, 1)[0] = 99; }, 'a depth out of range'); // net.depth
}

// ---- render3d options: a double is never cast to int unchecked -------------------------------------------
{
  const o = mem(8 * 16);
  const set = (v) => f64(o, 16).set(v);
  const base = [64, 48, -60, 35, 0, 0, 0, 0, 1, 0, -1, 1, -1, 1, 0, 0];
  const out = mem(24);
  set(base);
  ok(C('surface_project')(o, 0, 0, 0.5, out) === OK, 'surface_project with sane options');
  for (const [i, v, what] of [[9, NaN, 'a NaN colormap'], [9, 0.5, 'a fractional colormap'], [9, 3, 'colormap 3'],
    [0, NaN, 'a NaN width'], [1, 1e300, 'a height of 1e300'], [7, Infinity, 'infinite contours'],
    [8, -1e12, 'supersample -1e12']]) {
    const b = base.slice();
    b[i] = v;
    set(b);
    const s = C('surface_project')(o, 0, 0, 0.5, out);
    ok(s !== OK, `${what} is refused (${status(s)})`);
  }
}

// ---- decision boundary and Hessian output lengths -----------------------------------------------------
{
  const cls = mem(4 * 16);
  ok(C('boundary')(...NET, th, -1, 1, -1, 1, 4, 4, cls, cls, 15) !== OK, 'boundary with 15 floats for 4 x 4 is refused');
  ok(C('boundary')(...NET, th, -1, 1, -1, 1, 4, 4, cls, 0, 16) === OK, 'and works with 16');
  const h = mem(8 * 8);
  ok(C('hessian')(...NET, x, y, N, 2, th, 2, 10, 1, h, 7) !== OK, 'hessian k = 2 with 7 doubles (needs 8) is refused');
  const d = mem(16 * P);
  ok(C('random_dirs')(...NET, th, 0, 1, d, 2 * P - 1) !== OK, 'random_dirs one double short is refused');
}

// ---- contours: the core's marching squares through the export (core/contour.h; tests/test_contour.c has the
// geometry): the plane v = column at level 2.5 is x = 2.5 in every row of cells; a NaN corner removes its cells
{
  const nx = 6;
  const ny = 4;
  const g = mem(4 * nx * ny);
  const f = new Float32Array(core.HEAPF32.buffer, g, nx * ny);
  for (let i = 0; i < nx * ny; i++) f[i] = i % nx;
  const lv = mem(8);
  f64(lv, 1)[0] = 2.5;
  const np = mem(4);
  const xs = mem(8 * 64);
  const ys = mem(8 * 64);
  ok(C('contour')(g, nx * ny, nx, ny, -1, 1, 0, 3, lv, 1, xs, ys, 64, np) === OK && i32(np, 1)[0] === 9, 'three segments');
  const X = Array.from(f64(xs, 9));
  ok(X.every((v, i) => (i % 3 === 2 ? Number.isNaN(v) : v === 0)), 'on x = -1 + 2 (2.5 / 5) = 0, NaN-separated', X.join(' '));
  f[nx + 2] = NaN;
  ok(C('contour')(g, nx * ny, nx, ny, -1, 1, 0, 3, lv, 1, xs, ys, 64, np) === OK && i32(np, 1)[0] === 3,
    'a NaN corner removes the two crossed cells it touches');
  ok(C('contour')(g, nx * ny - 1, nx, ny, -1, 1, 0, 3, lv, 1, xs, ys, 64, np) !== OK, 'a grid one float short is refused');
  ok(C('contour')(g, nx * ny, nx, ny, -1, 1, 0, 3, lv, 1, xs, ys, 2, np) !== OK, 'an output shorter than one segment is refused');
  ok(C('contour_levels')(0, 1, 0, 3, lv, 1) !== OK, 'three levels into a buffer of one are refused');
}

// ---- the posterior's step rules: one core function (dyn_post_steps) behind the CLI's JSON and the page ----------
if (ok(existsSync(CLI), `the native CLI ${CLI} is built`)) {
  const j = JSON.parse(execFileSync(CLI, ['posterior', 'run', '--model', 'linreg', '--synthetic', '300', '--seed', '4',
    '--sampler', 'momentum', '--momentum', '0.5', '--eps', '0.01', '--batch', '10', '--steps', '2000']).toString());
  const out = mem(4);
  ok(C('post_create')(0, 300, 2, 0, 0, 4, 0, out) === OK, 'the same model in WebAssembly');
  const h = i32(out, 1)[0];
  const r = mem(80);
  ok(C('post_steps')(h, 3, 10, 0, 0.01, 0.5, 0, r, 9) !== OK, 'post_steps with 9 doubles for 10 is refused');
  ok(C('post_steps')(h, 3, 10, 0, 0.01, 0.5, 0, r, 10) === OK, 'post_steps');
  const v = f64(r, 10);
  const rel = (a, b) => Math.abs(a - b) / Math.abs(b);
  ok(rel(v[0], j.eps_star) < 1e-12, `eps* as the CLI's (${v[0]} vs ${j.eps_star})`);
  ok(rel(v[5], j.eps_lam_max) < 1e-12, `the stability number as the CLI's eps_lam_max (${v[5]} vs ${j.eps_lam_max})`);
  ok(v[6] === 3 && v[8] === 1 && v[9] === 0, 'momentum 0.5: bound 2 (1 + mu) = 3, a stationary prediction, no exact one');
  C('post_destroy')(h);
}

// ---- bounded work: the CLI refuses a training run by the core's estimate, which the page gets through dynw ----
if (ok(existsSync(CLI), `the native CLI ${CLI} is built`)) {
  let msg = '';
  try {
    execFileSync(CLI, ['landscape', 'train', '--data', 'moons', '--n', '200', '--depth', '2', '--width', '8', '--batch',
      '16', '--steps', '2000', '--snapshots', '11', '--max-seconds', '1e-9', '--out', join(OUT, 'wasm-never')],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    msg = e.stderr.toString();
  }
  const cliOps = Number((/about ([0-9.e+]+) operations/.exec(msg) || [])[1]);
  const out = mem(24);
  // moons: 2 inputs, 2 classes; depth 2, width 8, tanh, no skips, xent; 200 examples
  ok(C('train_work')(2, 2, 2, 8, 0, 0, 0, 200, 16, 2000, 11, out, 2) !== OK, 'train_work into 2 doubles is refused');
  ok(C('train_work')(2, 2, 2, 8, 0, 0, 0, 200, 16, 2000, 11, out, 3) === OK, 'train_work');
  const ops = f64(out, 3)[0];
  ok(Math.abs(ops - cliOps) <= 5e-3 * ops, `the page's estimate is the CLI's (${ops} vs ${cliOps}: ${msg.trim()})`);
}

// ---- the PCA slice's window: one core rule (dyn_ls_path_window) behind the CLI's range and the page's ----------
if (ok(existsSync(CLI), `the native CLI ${CLI} is built`)) {
  const dir = join(OUT, 'wasm-window');
  const j = JSON.parse(execFileSync(CLI, ['landscape', 'slice', '--data', 'moons', '--n', '100', '--depth', '1',
    '--width', '8', '--steps', '100', '--snapshots', '11', '--dirs', 'pca', '--size', '3x3', '--png-size', '320x240',
    '--out', dir]).toString());
  const rows = readFileSync(join(dir, 'path_ab.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const ab = mem(16 * rows.length);
  rows.forEach((r, i) => f64(ab, 2 * rows.length).set([Number(r[2]), Number(r[3])], 2 * i));
  const out = mem(8);
  ok(C('path_window')(ab, rows.length, out) === OK, 'path_window');
  const r = f64(out, 1)[0];
  ok(r === j.a[1] && -r === j.a[0] && r === j.b[1], `the window of the CLI's path is the CLI's range (${r} vs ${j.a})`);
}

// ---- control: states past 2^31 bytes, short outputs, a session's own checks ----------------------------------
{
  // CTLARGS: n_in 2, 2 classes, width 2, 4 layers, delta 0.25, tanh, plain, gamma 0, auto embed and read-out, reg 0
  const A = [2, 2, 2, 4, 0.25, 0, 0, 0, 0, 0, 0];
  const shape = mem(64);
  ok(C('ctl_shape')(...A, shape, 8) === OK, 'ctl_shape');
  const P = f64(shape, 8)[0];
  const th = mem(8 * P);
  ok(C('ctl_init_params')(...A, 1, 0, 1, 0, th, P) === OK, 'ctl_init_params');
  ok(C('ctl_init_params')(...A, 1, 0, 1, 0, th, P - 1) !== OK, 'ctl_init_params into P - 1 doubles is refused');
  // width 32, 10 layers, 1e6 examples: (T + 1) m d = 3.5e8 doubles of states, 2.8 GB, past 2^31 bytes
  const A2 = [2, 2, 32, 10, 0.25, 0, 0, 0, 0, 0, 0];
  ok(C('ctl_shape')(...A2, shape, 8) === OK, 'ctl_shape (width 32)');
  const P2 = f64(shape, 8)[0];
  const th2 = mem(8 * P2);
  ok(C('ctl_init_params')(...A2, 1, 0, 1, 0, th2, P2) === OK, 'ctl_init_params (width 32)');
  const m = 1000000;
  const u = mem(16 * m);
  const big = C('ctl_fwdbwd')(...A2, th2, P2, u, u, m, u, 2147483647, u, 2147483647, u, 10, u, P2, u, 6);
  ok(big !== OK, `ctl_fwdbwd of ${m} examples at width 32 (2.8 GB of states) is refused (${status(big)})`);
  core._free(u);
  const x = mem(16 * 4);
  f64(x, 8).set([0, 0, 1, 1, -1, 0.5, 0.3, -0.2]);
  const y = mem(8 * 4);
  f64(y, 4).set([0, 1, 0, 1]);
  const S = 5 * 4 * 2;
  const xs = mem(8 * S);
  const ps = mem(8 * S);
  const hh = mem(8 * 4);
  const g = mem(8 * P);
  const chk = mem(8 * 6);
  ok(C('ctl_fwdbwd')(...A, th, P, x, y, 4, xs, S - 1, ps, S, hh, 4, g, P, chk, 6) !== OK, 'ctl_fwdbwd with a short states buffer is refused');
  ok(C('ctl_fwdbwd')(...A, th, P, x, y, 4, xs, S, ps, S, hh, 3, g, P, chk, 6) !== OK, 'ctl_fwdbwd with T - 1 Hamiltonians is refused');
  ok(C('ctl_fwdbwd')(...A, th, P, x, y, 4, xs, S, ps, S, hh, 4, g, P, chk, 6) === OK, 'ctl_fwdbwd with the right lengths works');
  const grid = mem(4 * 16);
  ok(C('ctl_grid2d')(...A, th, P, 2, -1, 1, -1, 1, 4, 4, grid, grid, 15) !== OK, 'ctl_grid2d into 15 of 16 floats is refused');
  ok(C('ctl_grid2d')(...A, th, P, 2, -1, 1, -1, 1, 100000, 100000, grid, grid, 16) !== OK, 'a 1e5 x 1e5 grid is refused');
  ok(C('ctl_layer_norms')(...A, th, P, hh, hh, 3) !== OK, 'ctl_layer_norms into 3 of 4 values is refused');
  const h = mem(4);
  // TRAINARGS: emsa (4), defaults, seed 1
  const TA = [4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0];
  ok(C('ctl_session_create')(...A, ...TA, th, P, x, y, 4, 0, 0, 0, h) === OK, 'ctl_session_create');
  const sess = i32(h, 1)[0];
  const rep = mem(8 * 6);
  ok(C('ctl_session_step')(sess, rep, 5, 0, 0, 0) !== OK, 'a session step into 5 report doubles is refused');
  ok(C('ctl_session_step')(sess, rep, 6, hh, hh, 3) !== OK, 'a session step with T - 1 layer values is refused');
  ok(C('ctl_session_step')(sess, rep, 6, hh, hh, 4) === OK, 'a session step works');
  ok(C('ctl_session_get')(sess, th, P - 1, 0, 0) !== OK, 'ctl_session_get into P - 1 doubles is refused');
  C('ctl_session_free')(sess);
  ok(C('ctl_session_create')(...A, ...TA, th, P, x, y, 2000000, 0, 0, 0, h) !== OK && i32(h, 1)[0] === 0,
    'a session on 2e6 examples (more than the core allows) is refused and hands back no handle');
}

finish();
