// dynlens-posterior.js - SGD as approximate Bayesian inference (core/posterior.h, linalg.h; the "posterior" section
// of wasm/dynw.c): models on seeded synthetic data, exact posteriors and density grids, stationary covariances,
// KL curves, samplers advanced in chunks, and the diagnostics (moments, autocorrelation, ESS, KL, ellipses).
//
// A model is named by a spec {model: 'linreg'|'logistic'|'mixture', n, d = 2, seed}: its data are exactly the
// CLI's `dynlens posterior ... --model M --synthetic n --seed seed` (dyn_post_synthesize). Each instance keeps a
// few models (data, theta*, A, BB^T, the exact posterior once computed) in a small cache, freed by dispose.
const CACHE = 4;
// A sampler gets the user's seed; the core salts it for the sampler's stream (dyn_post_sampler_seed), as the CLI.

function seedHalves(seed) {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return [lo, hi];
}

function modelHandle(dl, spec) {
  dl.alive();
  const kind = dl.index(dl.postModels, spec.model, 'model');
  const d = kind === 0 ? spec.d || 2 : 2;
  const key = JSON.stringify([kind, spec.n, d, spec.seed, spec.noiseVar || 0, spec.priorVar || 0]);
  const hit = dl.postHandles.get(key);
  if (hit) {
    dl.postHandles.delete(key); // most recently used last
    dl.postHandles.set(key, hit);
    return hit;
  }
  const [lo, hi] = seedHalves(spec.seed);
  const ptr = dl.withBuffers([4], ([out]) => {
    dl.check(dl.core._dynw_post_create(kind, spec.n, d, spec.noiseVar || 0, spec.priorVar || 0, lo, hi, out),
      `model ${spec.model} n=${spec.n} d=${d} seed=${spec.seed}`);
    return dl.u32(out, 1)[0];
  });
  const h = { ptr, d, n: spec.n, kind, spec: { ...spec, d }, samplers: 0 };
  dl.postHandles.set(key, h);
  // Evict the oldest model without live samplers (a sampler points at its model's data).
  for (const [k, v] of dl.postHandles) {
    if (dl.postHandles.size <= CACHE) break;
    if (v.samplers === 0 && v !== h) {
      dl.core._dynw_post_destroy(v.ptr);
      dl.postHandles.delete(k);
    }
  }
  return h;
}

const mat = (v, d) => Array.from({ length: d }, (_, i) => Array.from(v.slice(i * d, i * d + d)));

export default {
  name: 'posterior',
  init(dl) {
    dl.postHandles = new Map();
    dl.postModels = dl.names(dl.core._dynw_post_model_count, dl.core._dynw_post_model_name);
    dl.postSamplers = dl.names(dl.core._dynw_post_sampler_count, dl.core._dynw_post_sampler_name);
  },
  dispose(dl) {
    for (const h of dl.postHandles.values()) dl.core._dynw_post_destroy(h.ptr);
    dl.postHandles.clear();
  },
  heavy: [],
  methods: {
    /** theta*, A, BB^T, lam_max(A), the exact posterior mean and covariance (arrays of rows), log Z, the window. */
    postTheory(spec) {
      const h = modelHandle(this, spec);
      const len = this.core._dynw_post_info_doubles(h.d);
      return this.withBuffers([8 * len], ([out]) => {
        this.check(this.core._dynw_post_info(h.ptr, out, len), `exact posterior of ${spec.model} n=${spec.n}`);
        const v = Array.from(this.f64(out, len));
        const d = h.d;
        let p = 8;
        const take = (k) => { const r = v.slice(p, p + k); p += k; return r; };
        const mode = take(d);
        const a = take(d * d);
        const bb = take(d * d);
        const pm = take(d);
        const pc = take(d * d);
        return { n: v[0], d, lamMax: v[2], logZ: v[3], quadBox: v.slice(4, 8), mode, hessian: mat(a, d),
          gradCov: mat(bb, d), postMean: pm, postCov: mat(pc, d) };
      });
    },

    /** Mandt's eps* = 2 (S/N) D / Tr(BB^T). */
    postEpsStar(spec, batch) {
      const h = modelHandle(this, spec);
      return this.withBuffers([8], ([out]) => {
        this.check(this.core._dynw_post_eps_star(h.ptr, batch, out), `eps* for S=${batch}`);
        return this.f64(out, 1)[0];
      });
    },

    /** H*(eps*) (which 'opt') or its diagonal ('diag'), row-major Float64Array of d*d. */
    postPrecond(spec, batch, which = 'opt') {
      const h = modelHandle(this, spec);
      return this.withBuffers([8 * h.d * h.d], ([out]) => {
        this.check(this.core._dynw_post_precond(h.ptr, batch, which === 'diag' ? 1 : 0, out, h.d * h.d),
          `preconditioner ${which} S=${batch}`);
        return Float64Array.from(this.f64(out, h.d * h.d));
      });
    },

    /** [x0, x1, y0, y1]: theta* +- nsd sd of the Laplace approximation (both mixture modes). */
    postBox(spec, nsd) {
      const h = modelHandle(this, spec);
      return this.withBuffers([32], ([out]) => {
        this.check(this.core._dynw_post_box(h.ptr, nsd, out), `window nsd=${nsd}`);
        return Array.from(this.f64(out, 4));
      });
    },

    /** Rows [rowBegin, rowEnd) of the normalised posterior density; box: [x0, x1, y0, y1]; top row = y1. */
    postDensity({ spec, box, nx, ny, rowBegin = 0, rowEnd = ny }) {
      const h = modelHandle(this, spec);
      const rows = rowEnd - rowBegin;
      if (!(Number.isInteger(nx) && Number.isInteger(ny) && rows > 0 && nx > 0)) {
        throw this.error(`bad grid size nx=${nx} ny=${ny} rows ${rowBegin}..${rowEnd}`, -4);
      }
      const n = nx * rows;
      return this.withBuffers([4 * n], ([out]) => {
        this.check(this.core._dynw_post_density(h.ptr, box[0], box[1], box[2], box[3], nx, ny, rowBegin, rowEnd, out, n),
          `density ${spec.model} ${nx}x${ny} rows=${rowBegin}:${rowEnd}`);
        return Float32Array.from(this.f32(out, n));
      });
    },

    /** Density levels enclosing probabilities probs of a grid's mass (for contour lines). */
    postHpd(values, probs) {
      const n = values.length;
      const k = probs.length;
      return this.withBuffers([4 * n, 8 * k, 8 * k, 4 * n], ([g, p, l, s]) => {
        this.f32(g, n).set(values);
        this.f64(p, k).set(probs);
        this.check(this.core._dynw_post_hpd(g, n, p, k, l, s), `hpd levels ${probs.join(',')}`);
        return Array.from(this.f64(l, k));
      });
    },

    /**
     * What the Gaussian N(mean, cov) covers of a density grid (rows top first, over box [x0, x1, y0, y1]), by
     * dyn_post_grid_cover: {modes: [{theta, mass}] (most massive first, maxima at least minRel of the highest),
     * inside (the grid mass within nsd sd of the Gaussian), owner (index of the mode whose basin holds the mean, -1)}.
     */
    postCover(values, nx, ny, box, mean, cov, nsd = 2, minRel = 0.01) {
      const n = nx * ny;
      const len = 3 + 3 * 8;
      return this.withBuffers([4 * n, 32, 16, 32, 8 * len, 4 * n], ([g, b, m, c, out, s]) => {
        this.f32(g, n).set(values);
        this.f64(b, 4).set(box);
        this.f64(m, 2).set(mean);
        this.f64(c, 4).set(cov.flat());
        this.check(this.core._dynw_post_cover(g, nx, ny, b, m, c, nsd, minRel, out, len, s), 'posterior modes and coverage');
        const v = this.f64(out, len);
        const modes = Array.from({ length: v[0] }, (_, k) => ({ theta: [v[3 + 3 * k], v[4 + 3 * k]], mass: v[5 + 3 * k] }));
        return { modes, inside: v[1], owner: v[2] };
      });
    },

    /** What `steps` steps of a sampler keeping `keep` iterates cost (dyn_post_run_work): {ops, bytes, seconds}. */
    postRunWork(spec, sampler, batch, steps, keep) {
      const h = modelHandle(this, spec);
      const k = this.index(this.postSamplers, sampler, 'sampler');
      return this.withBuffers([24], ([out]) => {
        this.check(this.core._dynw_post_run_work(h.ptr, k, batch, steps, keep, out, 3), `run cost of ${steps} steps`);
        const v = this.f64(out, 3);
        return { ops: v[0], bytes: v[1], seconds: v[2] };
      });
    },

    /**
     * Predicted stationary covariances {cont, disc, exact} (arrays of rows, NaN where none) for
     * desc {sampler, eps, batch, momentum, gamma, precond (d*d, for sgd-precond)}.
     */
    postStationary(spec, desc) {
      const h = modelHandle(this, spec);
      const d = h.d;
      const k = this.index(this.postSamplers, desc.sampler, 'sampler');
      const dd = d * d;
      return this.withBuffers([8 * dd, 8 * dd, 8 * dd, 8 * dd], ([pc, c, di, e]) => {
        if (desc.precond) this.f64(pc, dd).set(desc.precond);
        this.check(this.core._dynw_post_stationary(h.ptr, k, desc.eps, desc.batch, desc.momentum || 0,
          desc.gamma || 0, desc.precond ? pc : 0, c, di, e, dd), `stationary covariance ${desc.sampler} eps=${desc.eps}`);
        return { cont: mat(Array.from(this.f64(c, dd)), d), disc: mat(Array.from(this.f64(di, dd)), d),
          exact: mat(Array.from(this.f64(e, dd)), d) };
      });
    },

    /**
     * The core's step rules (dyn_post_steps) for desc {sampler, eps (0: the automatic step), batch, batching,
     * momentum, gamma}: {epsStar, epsRef, epsAuto, lamMax, drift, stab, stabBound, epsMax, hasStationary, hasExact}.
     */
    postSteps(spec, desc) {
      const h = modelHandle(this, spec);
      const k = this.index(this.postSamplers, desc.sampler, 'sampler');
      return this.withBuffers([80], ([out]) => {
        this.check(this.core._dynw_post_steps(h.ptr, k, desc.batch, desc.batching === 'epoch' ? 1 : 0, desc.eps || 0,
          desc.momentum || 0, desc.gamma || 0, out, 10), `step rules ${desc.sampler} eps=${desc.eps} S=${desc.batch}`);
        const v = this.f64(out, 10);
        return { epsStar: v[0], epsRef: v[1], epsAuto: v[2], lamMax: v[3], drift: v[4], stab: v[5], stabBound: v[6],
          epsMax: v[7], hasStationary: v[8] !== 0, hasExact: v[9] !== 0 };
      });
    },

    /** KL(predicted || posterior) at each eps: {cont, disc} (NaN where no stationary law). */
    postKL(spec, desc, eps) {
      const h = modelHandle(this, spec);
      const k = this.index(this.postSamplers, desc.sampler, 'sampler');
      const n = eps.length;
      const dd = h.d * h.d;
      return this.withBuffers([8 * dd, 8 * n, 8 * n, 8 * n], ([pc, e, c, di]) => {
        if (desc.precond) this.f64(pc, dd).set(desc.precond);
        this.f64(e, n).set(eps);
        this.check(this.core._dynw_post_kl_curve(h.ptr, k, desc.batch, desc.momentum || 0, desc.precond ? pc : 0, e, n,
          c, di), `KL curve ${desc.sampler} S=${desc.batch}`);
        return { cont: Float64Array.from(this.f64(c, n)), disc: Float64Array.from(this.f64(di, n)) };
      });
    },

    /**
     * A chain in this instance (use it in the page, not through the pool: it keeps state between calls).
     * desc {sampler, eps, batch, batching: 'iid'|'epoch', momentum, sgldB, gamma, precond, start (null: theta*),
     * seed (as the CLI's --seed)}. Returns {d, run(steps, thin) -> {values: Float64Array, written, diverged},
     * setTheta(theta), state() -> {t, theta}, dispose()}.
     */
    postSampler(spec, desc) {
      const dl = this;
      const h = modelHandle(this, spec);
      const d = h.d;
      const k = this.index(this.postSamplers, desc.sampler, 'sampler');
      const [lo, hi] = seedHalves(desc.seed);
      const ptr = this.withBuffers([8 * d * d, 8 * d, 4], ([pc, st, out]) => {
        if (desc.precond) this.f64(pc, d * d).set(desc.precond);
        if (desc.start) this.f64(st, d).set(desc.start);
        this.check(this.core._dynw_sampler_create(h.ptr, k, desc.eps, desc.batch, desc.batching === 'epoch' ? 1 : 0,
          desc.momentum || 0, desc.sgldB || 0, desc.gamma || 0, desc.precond ? pc : 0, desc.start ? st : 0,
          lo, hi, out),
        `sampler ${desc.sampler} eps=${desc.eps} S=${desc.batch} batching=${desc.batching}`);
        return this.u32(out, 1)[0];
      });
      h.samplers++;
      let alive = true;
      return {
        d,
        run(steps, thin = 1) {
          if (!alive) throw dl.error('this sampler was disposed', -101);
          const count = Math.floor(steps / thin) + 1;
          return dl.withBuffers([8 * d * count, 4], ([out, w]) => {
            const s = dl.core._dynw_sampler_run(ptr, steps, thin, out, d * count, w);
            const written = dl.i32(w, 1)[0];
            const values = Float64Array.from(dl.f64(out, d * written));
            if (s === -7) return { values, written, diverged: true }; // DYN_ERR_NO_CONVERGE: the iterates diverged
            dl.check(s, `sampler run steps=${steps} thin=${thin}`);
            return { values, written, diverged: false };
          });
        },
        setTheta(theta) {
          dl.withBuffers([8 * d], ([p]) => {
            dl.f64(p, d).set(theta);
            dl.check(dl.core._dynw_sampler_set_theta(ptr, p), 'set theta');
          });
        },
        state() {
          return dl.withBuffers([8 * (d + 1)], ([p]) => {
            dl.check(dl.core._dynw_sampler_state(ptr, p, d + 1), 'sampler state');
            const r = Array.from(dl.f64(p, d + 1));
            return { t: r[0], theta: r.slice(1) };
          });
        },
        dispose() {
          if (!alive) return;
          alive = false;
          dl.core._dynw_sampler_destroy(ptr);
          h.samplers--;
        },
      };
    },

    /** Sample mean and covariance (arrays of rows) of count = samples.length / d iterates. */
    postMoments(samples, d) {
      const count = Math.floor(samples.length / d);
      return this.withBuffers([8 * count * d, 8 * d, 8 * d * d], ([s, m, c]) => {
        this.f64(s, count * d).set(samples.subarray ? samples.subarray(0, count * d) : samples.slice(0, count * d));
        this.check(this.core._dynw_post_moments(s, count, d, m, c), `moments of ${count} iterates`);
        return { mean: Array.from(this.f64(m, d)), cov: mat(Array.from(this.f64(c, d * d)), d) };
      });
    },

    /** Autocorrelation of coordinate j, lags 0..maxlag, and its effective sample size {acf, ess, tau}. */
    postAutocorr(samples, d, j, maxlag) {
      const count = Math.floor(samples.length / d);
      return this.withBuffers([8 * count * d, 8 * (maxlag + 1), 16], ([s, a, e]) => {
        this.f64(s, count * d).set(samples.subarray ? samples.subarray(0, count * d) : samples.slice(0, count * d));
        this.check(this.core._dynw_post_autocorr(s + 8 * j, count, d, maxlag, a), `autocorrelation maxlag=${maxlag}`);
        this.check(this.core._dynw_post_ess(s + 8 * j, count, d, e), `ESS of ${count} iterates`);
        const v = this.f64(e, 2);
        return { acf: Array.from(this.f64(a, maxlag + 1)), ess: v[0], tau: v[1] };
      });
    },

    /** {kl: KL(N(m0, S0) || N(m1, S1)), w2} for means and covariances given as arrays (of rows). */
    postGaussKL(m0, s0, m1, s1) {
      const d = m0.length;
      const flat = (s) => (Array.isArray(s[0]) ? s.flat() : Array.from(s));
      return this.withBuffers([8 * d, 8 * d * d, 8 * d, 8 * d * d, 16], ([a, b, c, e, out]) => {
        this.f64(a, d).set(m0);
        this.f64(b, d * d).set(flat(s0));
        this.f64(c, d).set(m1);
        this.f64(e, d * d).set(flat(s1));
        this.check(this.core._dynw_post_gauss_kl(d, a, b, c, e, out), 'Gaussian KL');
        const v = this.f64(out, 2);
        return { kl: v[0], w2: v[1] };
      });
    },

    /** The nsd-sd ellipse of a 2 x 2 covariance [[a, b], [b, c]] around mean: {xs, ys}, a closed polyline. */
    postEllipse(mean, cov, nsd = 2, npts = 97) {
      return this.withBuffers([16, 32, 8 * npts], ([m, c, xy]) => {
        this.f64(m, 2).set(mean.slice(0, 2));
        this.f64(c, 4).set([cov[0][0], cov[0][1], cov[1][0], cov[1][1]]);
        this.check(this.core._dynw_post_ellipse(m, c, nsd, npts, xy), 'covariance ellipse');
        const v = this.f32(xy, 2 * npts);
        const xs = new Array(npts);
        const ys = new Array(npts);
        for (let k = 0; k < npts; k++) { xs[k] = v[2 * k]; ys[k] = v[2 * k + 1]; }
        return { xs, ys };
      });
    },
  },
};
