// dynlens-landscape.js - loss landscapes of small networks (core/net.h, data.h, landscape.h, render3d.h; the
// "landscape" section of wasm/dynw.c): toy and CSV data, resumable chunked training, slice directions, 2-D and
// 1-D slices (tiled by the pool), the Hessian's top eigenvalues, the decision boundary and the 3-D surface.
//
// Shapes shared by the methods (plain objects, so they travel to workers):
//   data  {x: Float64Array(n d), y: Float64Array(n), n, d, nClass}      (CSV features are standardised)
//   net   {depth, width, act, skip, loss}   (n_in and n_out come from the data)
// Training state lives in a blob (Uint8Array) that every trainRun call takes and returns, so any worker can run
// the next chunk: the result is bit-identical to one uninterrupted run (core/net.h, dyn_train_run).

const LOSSES = ['xent', 'mse'];
const CMAPS = ['viridis', 'rdbu', 'greys'];

// The seven ints of a net descriptor, in dynw.c's NETARGS order.
function netArgs(dl, net, data) {
  const act = dl.index(dl.activations, net.act || 'tanh', 'activation');
  const loss = dl.index(LOSSES, net.loss || 'xent', 'loss');
  const nOut = data.nClass ? data.nClass : 1;
  return [data.d, nOut, net.depth | 0, net.width | 0, act, net.skip ? 1 : 0, data.nClass ? loss : 1];
}
const netText = (net) => `depth=${net.depth} width=${net.width} act=${net.act} skip=${net.skip ? 1 : 0}`;

// Copies data into WASM buffers (x, y) and runs fn(px, py) (inside withBuffers: freed afterwards).
function withData(dl, data, extra, fn) {
  const { n, d } = data;
  return dl.withBuffers([8 * n * d, 8 * n, ...extra], ([px, py, ...rest]) => {
    dl.f64(px, n * d).set(data.x);
    dl.f64(py, n).set(data.y);
    return fn(px, py, rest);
  });
}

function seedHalves(seed) {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

// 16 doubles of render options, dynw.c's r3d_of order.
function r3dOpts(o) {
  return [o.width, o.height, o.azimuth, o.elevation, o.vmin ?? 0, o.vmax ?? 0, o.log ? 1 : 0, o.contours ?? 0,
    o.supersample ?? 0, CMAPS.indexOf(o.cmap || 'viridis'), o.a ? o.a[0] : 0, o.a ? o.a[1] : 0, o.b ? o.b[0] : 0,
    o.b ? o.b[1] : 0, o.zScale ?? 0, o.distance ?? 0];
}

export default {
  name: 'landscape',
  init(dl) {
    dl.toys = dl.names(dl.core._dynw_toy_count, dl.core._dynw_toy_name);
    dl.optimisers = dl.names(dl.core._dynw_opt_count, dl.core._dynw_opt_name);
    dl.dirnorms = dl.names(dl.core._dynw_dirnorm_count, dl.core._dynw_dirnorm_name);
    dl.verdicts = dl.names(dl.core._dynw_verdict_count, dl.core._dynw_verdict_name);
  },
  // A training chunk, a slice band, a Hessian and a 3-D picture take tens of ms to seconds: workers only.
  heavy: ['trainRun', 'slice', 'hessian', 'surface'],
  methods: {
    /** A seeded toy set: {x, y, n, d: 2, nClass}. */
    toyData({ toy, n, classes = 0, noise = 0.1, seed = 1 }) {
      this.alive();
      const k = this.index(this.toys, toy, 'data set');
      const [lo, hi] = seedHalves(seed);
      return this.withBuffers([16 * n, 8 * n, 4], ([x, y, nc]) => {
        this.check(this.core._dynw_toy(k, n, classes, noise, lo, hi, x, y, nc),
          `toy data ${toy} n=${n} classes=${classes} noise=${noise}`);
        return { x: Float64Array.from(this.f64(x, 2 * n)), y: Float64Array.from(this.f64(y, n)), n, d: 2,
          nClass: this.i32(nc, 1)[0] };
      });
    },

    /** CSV bytes (Uint8Array) -> data with standardised features, or a DynlensError with the core's message. */
    csvData(bytes, classify = true) {
      this.alive();
      const len = bytes.length;
      return this.withBuffers([len + 1, 16, 160], ([buf, info, err]) => {
        this.u8(buf, len).set(bytes);
        const s = this.core._dynw_csv_scan(buf, len, classify ? 1 : 0, info, err, 160);
        if (s !== 0) {
          const msg = this.str(err);
          throw this.error(msg ? `CSV: ${msg}` : `CSV: ${this.statusString(s)}`, s);
        }
        const [rows, cols, nClass] = this.i32(info, 3);
        return this.withBuffers([8 * rows * cols, 8 * rows, 8 * 256], ([x, y, cv]) => {
          this.check(this.core._dynw_csv_parse(buf, len, classify ? 1 : 0, x, rows * cols, y, rows, cv), 'CSV parse');
          return { x: Float64Array.from(this.f64(x, rows * cols)), y: Float64Array.from(this.f64(y, rows)), n: rows,
            d: cols, nClass, classValues: Array.from(this.f64(cv, nClass)) };
        });
      });
    },

    /** P, the number of parameters of net on data of this shape. */
    paramCount(net, data) {
      this.alive();
      return this.withBuffers([4], ([out]) => {
        this.check(this.core._dynw_net_params(...netArgs(this, net, data), out), `network ${netText(net)}`);
        return this.i32(out, 1)[0];
      });
    },

    /** What a training run costs, by the core's estimate (core/work.h; the CLI refuses by the same numbers):
     * {ops, bytes, seconds}. opts: {batch (0: full), steps, snapshots}. */
    trainWork({ net, data, batch = 32, steps, snapshots = 0 }) {
      this.alive();
      return this.withBuffers([24], ([out]) => {
        this.check(this.core._dynw_train_work(...netArgs(this, net, data), data.n, batch, steps, snapshots, out, 3),
          `training cost ${netText(net)} steps=${steps}`);
        const v = this.f64(out, 3);
        return { ops: v[0], bytes: v[1], seconds: v[2] };
      });
    },

    /** What a view costs after training, by the core's estimates: {slice, hessian}, each {ops, bytes, seconds}. */
    viewWork({ net, data, nx, ny, lanczos = 40 }) {
      this.alive();
      return this.withBuffers([48], ([out]) => {
        this.check(this.core._dynw_view_work(...netArgs(this, net, data), data.n, nx, ny, lanczos, out, 6),
          `view cost ${netText(net)} ${nx}x${ny}`);
        const v = this.f64(out, 6);
        return { slice: { ops: v[0], bytes: v[1], seconds: v[2] }, hessian: { ops: v[3], bytes: v[4], seconds: v[5] } };
      });
    },

    /**
     * The seeded initialisation and a fresh training state: {theta0, blob, lr (resolved), P}.
     * opts: {sw2, sb2, seed, opt, lr (0: default), momentum, wd, batch (0: full)}.
     */
    trainStart({ net, data, sw2 = 1, sb2 = 0, seed = 1, opt = 'adam', lr = 0, momentum = 0.9, wd = 0, batch = 32 }) {
      this.alive();
      const na = netArgs(this, net, data);
      const o = this.index(this.optimisers, opt, 'optimiser');
      const P = this.paramCount(net, data);
      const bytes = this.core._dynw_train_blob_bytes(...na, data.n, o, batch);
      if (bytes <= 0) throw this.error(`training options out of range (${opt}, batch ${batch})`, -3);
      return withData(this, data, [8 * P, bytes, 8], (x, y, [th, blob, lrOut]) => {
        this.check(this.core._dynw_train_start(...na, x, y, data.n, data.nClass, sw2, sb2, seed >>> 0, o, lr, momentum,
          wd, batch, th, P, blob, bytes, lrOut),
        `train start ${netText(net)} sw2=${sw2} sb2=${sb2} opt=${opt} lr=${lr} batch=${batch} wd=${wd}`);
        return { theta0: Float64Array.from(this.f64(th, P)), blob: Uint8Array.from(this.u8(blob, bytes)),
          lr: this.f64(lrOut, 1)[0], P };
      });
    },

    /**
     * Resumes the blob from step `from` and runs to each of `targets` (ascending), returning {blob, losses (the
     * minibatch loss of each step), snaps (targets x P thetas), snapLoss, snapAcc, step, diverged}. Only the first
     * `snapshots` targets (default: all) take a snapshot and a full-data evaluation; later ones just hand the state back.
     */
    trainRun({ data, blob, P, from, targets, snapshots = targets.length }) {
      this.alive();
      const m = targets.length;
      const nsteps = Math.max(0, targets[m - 1] - from);
      return withData(this, data, [blob.length, 4 * m, 8 * nsteps, 8 * m * P, 8 * m, 8 * m, 4],
        (x, y, [b, tg, ls, sn, sl, sa, done]) => {
          this.u8(b, blob.length).set(blob);
          this.i32(tg, m).set(targets);
          this.f64(ls, nsteps).fill(NaN);
          this.f64(sl, m).fill(NaN);
          const s = this.core._dynw_train_run(x, y, data.n, data.d, data.nClass, b, blob.length, tg, m, snapshots, ls, nsteps, sn,
            m * P, sl, sa, done);
          const diverged = s === -2;
          if (!diverged) this.check(s, `train run from step ${from} to ${targets[m - 1]}`);
          const step = this.i32(done, 1)[0];
          return { blob: Uint8Array.from(this.u8(b, blob.length)), losses: Float64Array.from(this.f64(ls, nsteps)),
            snaps: Float64Array.from(this.f64(sn, m * P)), snapLoss: Float64Array.from(this.f64(sl, m)),
            snapAcc: Float64Array.from(this.f64(sa, m)), step, diverged };
        });
    },

    /** {loss, acc} of theta on the data. */
    evalNet({ net, data, theta }) {
      this.alive();
      const na = netArgs(this, net, data);
      return withData(this, data, [8 * theta.length, 16], (x, y, [th, out]) => {
        this.f64(th, theta.length).set(theta);
        this.check(this.core._dynw_eval(...na, x, y, data.n, data.nClass, th, out), `eval ${netText(net)}`);
        const v = this.f64(out, 2);
        return { loss: v[0], acc: v[1] };
      });
    },

    /** Two random directions (2 P, d1 then d2) normalised against theta ('filter', 'layer', 'none'). */
    randomDirs({ net, data, theta, norm = 'filter', seed = 7 }) {
      this.alive();
      const na = netArgs(this, net, data);
      const k = this.index(this.dirnorms, norm, 'normalisation');
      const P = theta.length;
      return this.withBuffers([8 * P, 16 * P], ([th, dirs]) => {
        this.f64(th, P).set(theta);
        this.check(this.core._dynw_random_dirs(...na, th, k, seed >>> 0, dirs, 2 * P), `random directions ${norm}`);
        return Float64Array.from(this.f64(dirs, 2 * P));
      });
    },

    /** PCA of a path (T x P, center = its last row by default): {dirs (2 P), varFrac: [v1, v2]}. */
    pca({ path, T, P, center = null }) {
      this.alive();
      return this.withBuffers([8 * T * P, 8 * P, 16 * P, 16], ([pa, c, dirs, vf]) => {
        this.f64(pa, T * P).set(path);
        if (center) this.f64(c, P).set(center);
        this.check(this.core._dynw_pca(pa, T, P, center ? c : 0, dirs, vf), `PCA of a path of ${T} points`);
        return { dirs: Float64Array.from(this.f64(dirs, 2 * P)), varFrac: Array.from(this.f64(vf, 2)) };
      });
    },

    /** The path's (a, b) coordinates in the plane center + a d1 + b d2: Float64Array(2 T), interleaved. */
    project({ path, T, P, center, dirs }) {
      this.alive();
      return this.withBuffers([8 * T * P, 8 * P, 16 * P, 16 * T], ([pa, c, d, ab]) => {
        this.f64(pa, T * P).set(path);
        this.f64(c, P).set(center);
        this.f64(d, 2 * P).set(dirs);
        this.check(this.core._dynw_project(pa, T, P, c, d, d + 8 * P, ab), 'projecting the path');
        return Float64Array.from(this.f64(ab, 2 * T));
      });
    },

    /** The default slice window [-r, r] around a projected path (ab: 2 T interleaved), the core's rule: r. */
    pathWindow(ab) {
      this.alive();
      const T = ab.length / 2;
      return this.withBuffers([8 * ab.length, 8], ([p, out]) => {
        this.f64(p, ab.length).set(ab);
        this.check(this.core._dynw_path_window(p, T, out), `the window of a path of ${T} points`);
        return this.f64(out, 1)[0];
      });
    },

    /**
     * Rows [rowBegin, rowEnd) of L(center + a d1 + b d2) on an nx x ny grid over a x b (row 0 = b max); with
     * dirs of length P (one direction) and ny = 1 the 1-D slice. acc: true returns {loss, acc} instead.
     */
    slice({ net, data, center, dirs, a, b = [0, 0], nx, ny, rowBegin = 0, rowEnd = ny, acc = false }) {
      this.alive();
      const na = netArgs(this, net, data);
      const P = center.length;
      const two = dirs.length >= 2 * P;
      const n = nx * (rowEnd - rowBegin);
      if (!(n > 0)) throw this.error(`bad slice size ${nx}x${ny} rows ${rowBegin}..${rowEnd}`, -4);
      return withData(this, data, [8 * P, 8 * dirs.length, 4 * n, 4 * n], (x, y, [c, d, lo, ac]) => {
        this.f64(c, P).set(center);
        this.f64(d, dirs.length).set(dirs);
        this.check(this.core._dynw_slice(...na, x, y, data.n, data.nClass, c, d, two ? d + 8 * P : 0, a[0], a[1], b[0],
          b[1], nx, ny, rowBegin, rowEnd, lo, acc ? ac : 0, n),
        `slice ${netText(net)} ${nx}x${ny} rows ${rowBegin}:${rowEnd} a=${a[0]}:${a[1]} b=${b[0]}:${b[1]}`);
        const loss = Float32Array.from(this.f32(lo, n));
        return acc ? { loss, acc: Float32Array.from(this.f32(ac, n)) } : loss;
      });
    },

    /** Top-k Hessian eigenvalues at theta: {evals, resid, lambdaMin, steps}. */
    hessian({ net, data, theta, k = 2, steps = 40, seed = 1 }) {
      this.alive();
      const na = netArgs(this, net, data);
      const P = theta.length;
      return withData(this, data, [8 * P, 8 * (3 * k + 2)], (x, y, [th, out]) => {
        this.f64(th, P).set(theta);
        this.check(this.core._dynw_hessian(...na, x, y, data.n, data.nClass, th, k, steps, seed >>> 0, out, 3 * k + 2),
          `Hessian ${netText(net)} k=${k} steps=${steps}`);
        const v = this.f64(out, 3 * k + 2);
        return { evals: Array.from(v.slice(0, k)), resid: Array.from(v.slice(k, 2 * k)), lambdaMin: v[2 * k],
          steps: v[2 * k + 1] };
      });
    },

    /** The decision grid of a 2-input net: {cls, conf} (Float32Array nx ny each, row 0 = y max). */
    boundary({ net, data, theta, x, y, nx, ny }) {
      this.alive();
      const na = netArgs(this, net, data);
      const P = theta.length;
      return this.withBuffers([8 * P, 4 * nx * ny, 4 * nx * ny], ([th, cls, conf]) => {
        this.f64(th, P).set(theta);
        this.check(this.core._dynw_boundary(...na, th, x[0], x[1], y[0], y[1], nx, ny, cls, conf, nx * ny),
          `decision boundary ${nx}x${ny}`);
        return { cls: Float32Array.from(this.f32(cls, nx * ny)), conf: Float32Array.from(this.f32(conf, nx * ny)) };
      });
    },

    /**
     * The 3-D surface of grid (nx x ny, row 0 on top) as RGBA (Uint8Array, width x height). o: {width, height,
     * azimuth, elevation, vmin, vmax, log, contours, supersample, cmap, a, b, path: Float64Array (a, b pairs)}.
     */
    surface({ grid, nx, ny, ...o }) {
      this.alive();
      const scr = this.core._dynw_surface_bytes(o.width, o.height, o.supersample ?? 0, nx, ny);
      if (scr <= 0) throw this.error(`3-D surface: bad size ${o.width}x${o.height} for a ${nx}x${ny} grid`, -4);
      const path = o.path || new Float64Array(0);
      const npath = path.length >> 1;
      const pix = 4 * o.width * o.height;
      return this.withBuffers([4 * nx * ny, 128, 8 * path.length, pix, scr], ([g, op, pa, rgba, sc]) => {
        this.f32(g, nx * ny).set(grid);
        this.f64(op, 16).set(r3dOpts(o));
        this.f64(pa, path.length).set(path);
        this.check(this.core._dynw_surface(g, nx, ny, op, pa, npath, rgba, pix, sc, scr),
          `3-D surface ${o.width}x${o.height} az=${o.azimuth} el=${o.elevation}`);
        return Uint8Array.from(this.u8(rgba, pix));
      });
    },

    /**
     * The core's one verdict on a training run (landscape.h, dyn_train_verdict): {verdict: 'learned' | 'failed to
     * learn' | 'diverged', reference (ln C), chanceAcc, text (its sentence from the numbers)}.
     * loss0: the loss at the initialisation; nClass: classes of the cross-entropy classifier (0: other losses).
     */
    trainVerdict({ loss0 = NaN, loss, acc = NaN, nClass, diverged = false }) {
      this.alive();
      return this.withBuffers([24, 256], ([out, txt]) => {
        this.check(this.core._dynw_train_verdict(loss0, loss, acc, nClass, diverged ? 1 : 0, out, 3, txt, 256),
          `the verdict on a run (loss ${loss}, accuracy ${acc}, ${nClass} classes)`);
        const v = this.f64(out, 3);
        return { verdict: this.verdicts[v[0]], reference: v[1], chanceAcc: v[2], text: this.str(txt) };
      });
    },

    /** How rugged a slice grid is (landscape.h, dyn_ls_roughness): {minima, roughness}. */
    roughness(grid, nx, ny) {
      this.alive();
      return this.withBuffers([4 * nx * ny, 16], ([g, out]) => {
        this.f32(g, nx * ny).set(grid);
        this.check(this.core._dynw_roughness(g, nx, ny, out, 2), `the roughness of a ${nx}x${ny} slice`);
        const v = this.f64(out, 2);
        return { minima: v[0], roughness: v[1] };
      });
    },

    /** Where the box point (u, v, h) of a surface lands on its picture: {x, y, depth} or null (behind). */
    surfacePoint(o, u, v, h) {
      this.alive();
      return this.withBuffers([128, 24], ([op, out]) => {
        this.f64(op, 16).set(r3dOpts(o));
        const s = this.core._dynw_surface_project(op, u, v, h, out);
        if (s === -6) return null;
        this.check(s, '3-D projection');
        const r = this.f64(out, 3);
        return { x: r[0], y: r[1], depth: r[2] };
      });
    },
  },
};
