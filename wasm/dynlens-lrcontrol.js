// dynlens-lrcontrol.js - the learning rate as a control (core/lrcontrol.h; the "lrcontrol" section of wasm/dynw.c):
// SGD on a noisy quadratic, the SME moment ODE, SGD's exact moments, Monte Carlo runs, the optimal schedule.
//
// For the page panel (every method is on the dynlens instance and may run in a worker through the pool):
//
//   problem  {a: [a_1..a_d] (> 0), sigma2: number or d numbers (>= 0), x0: number or d numbers (default 1),
//             eta (> 0, eta * max a < 2), batch (default 1)}        -- as `dynlens control lr --a --sigma2 --x0 ...`
//   schedule a spec string, as --schedules takes them: 'optimal' (min(1, a m / (eta s^2)) per coordinate, the SME's
//            optimum), 'discrete' (the exact recursion's optimum), 'const:U', 'inv:C' or 'inv:C:T0' (min(1, C/(t+T0))),
//            'direct:K' (a shared u constant on K pieces, optimised on the moment ODE), or {spec: 'given', u: [...]}
//            with one multiplier in [0, 1] per step.
//
//   lrcParse(spec)                         -> {kind, value, t0, pieces, label}   (the core's parser and messages)
//   lrcSteps(eta, T)                       -> N = round(T / eta)
//   lrcCurves(problem, schedule, {T, model: 'ode'|'sgd', substeps})
//                                          -> {t, loss, m, u}: Float64Arrays; loss N + 1, m and u (N + 1) x d
//                                             row-major (u: the multipliers; 'sgd' row k = the ones of step k)
//   lrcSimulate(problem, schedule, {T, runs = 1000, seed = 1, npaths = 0})
//                                          -> {mean, se, paths}: mean/se N + 1, paths npaths x (N + 1) (f of the
//                                             first npaths runs); the seed is used as given (the CLI's schedule j
//                                             uses --seed + j)
//   lrcCostates(problem, schedule, {T})   -> {lambda, grad, dJdu, lossT}: the costates of SGD's moment recursion,
//                                             (N + 1) x d; dJ/du_{k,i}, N x d; dJdu (N): the row sums, the derivative
//                                             for a shared u (0 inside (0, 1) for an optimal law, <= 0 at u = 1)
//   lrcOptimize(problem, {T, pieces, sweeps}) -> {u (N values), lossT}: the direct optimum (shared u)
//   lrcOptimal1d(a, s2, eta, m0, t)        -> {m, u, tSwitch}: the closed form of one coordinate (s2 = sigma2 / batch)
//   lrcCompare(problem, specs, {T = 10, runs = 1000, seed = 1, npaths = 0})
//                                          -> what `dynlens control lr` prints, with the curves: {steps, t, tSwitch,
//                                             lossOptimalClosed, schedules: [{name, ode, sgd, mc, se, u, paths, dJdu,
//                                             lossTOde, lossTSgd, lossTMc, lossTMcSe, maxAbsZ, smeRelGap}], best}
//
// Errors: every C status becomes a thrown DynlensError with the core's message (and, for a bad spec, the parser's
// one-line reason). Typed arrays are copies: WASM memory may move after any call.
const LABEL = 48; // DYN_LRC_LABEL_MAX
const ERR = 200;
const GIVEN = 4; // DYN_LRC_GIVEN
const DIRECT = 5; // DYN_LRC_DIRECT

function seedHalves(seed) {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

// Shape errors become DynlensErrors like the core's (DYN_ERR_NULL -1, DYN_ERR_SIZE -4); values are the core's to check.
function vec(dl, v, d, name, dflt) {
  if (v === undefined || v === null) return new Array(d).fill(dflt);
  if (typeof v === 'number') return new Array(d).fill(v);
  if (v.length !== d) throw dl.error(`problem.${name}: ${v.length} values for ${d} coordinates (give one, or one per a_i)`, -4);
  return Array.from(v);
}

function norm(dl, problem) {
  if (!problem || !problem.a || !problem.a.length)
    throw dl.error('problem.a: give the curvatures a_i as a non-empty array of numbers', -1);
  const a = Array.from(problem.a);
  const d = a.length;
  return { d, a, sigma2: vec(dl, problem.sigma2, d, 'sigma2', 1), x0: vec(dl, problem.x0, d, 'x0', 1),
    eta: problem.eta, batch: problem.batch || 1 };
}

// Runs fn with the problem's arrays and the schedule in WASM memory: fn(P, S) gets the pointer/value arguments.
function withProblem(dl, problem, sched, steps, fn) {
  const p = norm(dl, problem);
  const s = sched ? schedule(dl, sched) : null;
  const nu = s && s.u ? s.u.length : 0;
  return dl.withBuffers([8 * p.d, 8 * p.d, 8 * p.d, 8 * Math.max(1, nu)], ([a, s2, x0, u]) => {
    dl.f64(a, p.d).set(p.a);
    dl.f64(s2, p.d).set(p.sigma2);
    dl.f64(x0, p.d).set(p.x0);
    if (nu) dl.f64(u, nu).set(s.u);
    const P = [p.d, a, s2, x0, p.eta, p.batch];
    const S = s ? [s.kind, s.value, s.t0, s.pieces, nu ? u : 0, nu] : null;
    return fn(P, S, p, s);
  });
}

// A spec (or {spec, u}) -> {kind, value, t0, pieces, label, u}; 'direct:K' is optimised here (it needs the problem).
function schedule(dl, sched) {
  if (sched.kind !== undefined) return sched; // already resolved
  const spec = typeof sched === 'string' ? sched : sched.spec;
  const r = dl.lrcParse(spec);
  if (r.kind === GIVEN) {
    if (!sched.u) throw dl.error(`schedule '${spec}': give its multipliers as {spec: 'given', u: [...]}`, -1);
    r.u = Array.from(sched.u);
  }
  return r;
}

function resolve(dl, problem, sched, steps) {
  const s = schedule(dl, sched);
  if (s.kind === DIRECT && !s.u) {
    const o = optimize(dl, problem, steps, s.pieces, 0);
    s.u = Array.from(o.u);
    s.lossTDirect = o.lossT;
  }
  return s;
}

function stepsOf(dl, problem, opts) {
  if (opts.steps !== undefined) return opts.steps;
  return dl.lrcSteps(problem.eta, opts.T === undefined ? 10 : opts.T);
}

function optimize(dl, problem, steps, pieces, sweeps) {
  return withProblem(dl, problem, null, steps, (P) => dl.withBuffers([8 * steps, 8], ([u, l]) => {
    dl.check(dl.core._dynw_lrc_optimize(...P, steps, pieces, sweeps || 0, u, steps, l),
      `direct optimisation, ${pieces} pieces, ${steps} steps`);
    return { u: Float64Array.from(dl.f64(u, steps)), lossT: dl.f64(l, 1)[0] };
  }));
}

function curves(dl, problem, sched, steps, model, substeps) {
  const s = resolve(dl, problem, sched, steps);
  return withProblem(dl, problem, s, steps, (P, S, p) => {
    const rows = steps + 1;
    return dl.withBuffers([8 * rows, 8 * rows * p.d, 8 * rows * p.d], ([l, m, u]) => {
      dl.check(dl.core._dynw_lrc_curves(...P, ...S, steps, model === 'sgd' ? 1 : 0, substeps || 0, l, rows, m,
        rows * p.d, u, rows * p.d), `${model === 'sgd' ? 'moment recursion' : 'moment ODE'} of ${s.label}`);
      const t = new Float64Array(rows);
      for (let k = 0; k < rows; k++) t[k] = k * p.eta;
      return { t, loss: Float64Array.from(dl.f64(l, rows)), m: Float64Array.from(dl.f64(m, rows * p.d)),
        u: Float64Array.from(dl.f64(u, rows * p.d)) };
    });
  });
}

function simulate(dl, problem, sched, steps, runs, seed, npaths) {
  const s = resolve(dl, problem, sched, steps);
  const [lo, hi] = seedHalves(seed || 0);
  const np = npaths || 0;
  return withProblem(dl, problem, s, steps, (P, S) => {
    const rows = steps + 1;
    return dl.withBuffers([8 * rows, 8 * rows, 8 * Math.max(1, np * rows)], ([mean, se, paths]) => {
      dl.check(dl.core._dynw_lrc_simulate(...P, ...S, steps, runs, lo, hi, mean, rows, se, rows, np, np ? paths : 0,
        np * rows), `Monte Carlo SGD, ${s.label}, ${runs} runs x ${steps} steps`);
      return { mean: Float64Array.from(dl.f64(mean, rows)), se: Float64Array.from(dl.f64(se, rows)),
        paths: Float64Array.from(dl.f64(paths, np * rows)) };
    });
  });
}

export default {
  name: 'lrcontrol',
  heavy: ['lrcSimulate', 'lrcCompare'],
  methods: {
    /** The core's schedule parser: {kind, value, t0, pieces, label}; a DynlensError with its reason otherwise. */
    lrcParse(spec) {
      this.alive();
      const bytes = new TextEncoder().encode(String(spec));
      return this.withBuffers([bytes.length + 1, 4, 16, 4, LABEL, ERR], ([sp, k, vt, pc, lab, err]) => {
        this.u8(sp, bytes.length + 1).set([...bytes, 0]);
        const st = this.core._dynw_lrc_parse(sp, k, vt, pc, lab, LABEL, err, ERR);
        if (st !== 0) throw this.error(this.str(err) || `${this.statusString(st)} (schedule '${spec}')`, st);
        const v = this.f64(vt, 2);
        return { kind: this.i32(k, 1)[0], value: v[0], t0: v[1], pieces: this.i32(pc, 1)[0], label: this.str(lab) };
      });
    },

    /** N = round(T / eta), checked by the core. */
    lrcSteps(eta, T) {
      return this.withBuffers([4], ([n]) => {
        this.check(this.core._dynw_lrc_steps(eta, T, n), `steps for eta=${eta} T=${T}`);
        return this.i32(n, 1)[0];
      });
    },

    /** E f, the second moments and the multipliers on the moment ODE (model 'ode') or SGD's recursion ('sgd'). */
    lrcCurves(problem, sched, opts = {}) {
      return curves(this, problem, sched, stepsOf(this, problem, opts), opts.model || 'ode', opts.substeps);
    },

    /** Monte Carlo SGD: {mean, se, paths}. */
    lrcSimulate(problem, sched, opts = {}) {
      return simulate(this, problem, sched, stepsOf(this, problem, opts), opts.runs || 1000,
        opts.seed === undefined ? 1 : opts.seed, opts.npaths || 0);
    },

    /** Backpropagation through SGD's moment recursion: {lambda, grad, dJdu, lossT} (see the index above). */
    lrcCostates(problem, sched, opts = {}) {
      const steps = stepsOf(this, problem, opts);
      const s = resolve(this, problem, sched, steps);
      return withProblem(this, problem, s, steps, (P, S, p) => {
        const rows = steps + 1;
        return this.withBuffers([8 * rows * p.d, 8 * steps * p.d, 8], ([l, g, j]) => {
          this.check(this.core._dynw_lrc_costates(...P, ...S, steps, l, rows * p.d, g, steps * p.d, j),
            `costates of ${s.label}`);
          const grad = Float64Array.from(this.f64(g, steps * p.d));
          const dJdu = new Float64Array(steps);
          for (let k = 0; k < steps; k++) for (let i = 0; i < p.d; i++) dJdu[k] += grad[k * p.d + i];
          return { lambda: Float64Array.from(this.f64(l, rows * p.d)), grad, dJdu, lossT: this.f64(j, 1)[0] };
        });
      });
    },

    /** The direct optimisation of a shared piecewise-constant u: {u, lossT}. */
    lrcOptimize(problem, opts = {}) {
      return optimize(this, problem, stepsOf(this, problem, opts), opts.pieces || 40, opts.sweeps || 0);
    },

    /** The closed-form optimal trajectory of one coordinate at time t: {m, u, tSwitch}. */
    lrcOptimal1d(a, s2, eta, m0, t) {
      return this.withBuffers([24], ([o]) => {
        this.check(this.core._dynw_lrc_optimal_1d(a, s2, eta, m0, t, o), `closed form a=${a} s2=${s2}`);
        const v = this.f64(o, 3);
        return { m: v[0], u: v[1], tSwitch: v[2] };
      });
    },

    /** Every schedule on the ODE, the recursion and in simulation: what `dynlens control lr` computes. */
    lrcCompare(problem, specs, opts = {}) {
      const steps = stepsOf(this, problem, opts);
      const p = norm(this, problem);
      const runs = opts.runs || 1000;
      const seed = opts.seed === undefined ? 1 : opts.seed;
      const schedules = specs.map((sp, j) => {
        const s = resolve(this, problem, sp, steps);
        const ode = curves(this, problem, s, steps, 'ode', 0);
        const sgd = curves(this, problem, s, steps, 'sgd', 0);
        const mc = simulate(this, problem, s, steps, runs, seed + j, opts.npaths || 0);
        const dJdu = new Float64Array(steps + 1); // as the CLI's NAME_dJdu column: row N is 0
        dJdu.set(this.lrcCostates(problem, s, { steps }).dJdu);
        let maxAbsZ = 0;
        let gap = 0;
        for (let k = 1; k <= steps; k++) {
          if (mc.se[k] > 0) maxAbsZ = Math.max(maxAbsZ, Math.abs(mc.mean[k] - sgd.loss[k]) / mc.se[k]);
          if (sgd.loss[k] > 0) gap = Math.max(gap, Math.abs(ode.loss[k] - sgd.loss[k]) / sgd.loss[k]);
        }
        return { name: s.label, ode: ode.loss, sgd: sgd.loss, mc: mc.mean, se: mc.se, u: sgd.u, paths: mc.paths, dJdu,
          lossTOde: ode.loss[steps], lossTSgd: sgd.loss[steps], lossTMc: mc.mean[steps], lossTMcSe: mc.se[steps],
          lossTDirect: s.lossTDirect, maxAbsZ, smeRelGap: gap };
      });
      const tSwitch = [];
      let closed = 0;
      for (let i = 0; i < p.d; i++) {
        const c = this.lrcOptimal1d(p.a[i], p.sigma2[i] / p.batch, p.eta, p.x0[i] * p.x0[i], steps * p.eta);
        tSwitch.push(c.tSwitch);
        closed += 0.5 * p.a[i] * c.m;
      }
      let best = 0;
      schedules.forEach((s, j) => { if (s.lossTSgd < schedules[best].lossTSgd) best = j; });
      const t = new Float64Array(steps + 1);
      for (let k = 0; k <= steps; k++) t[k] = k * p.eta;
      return { steps, t, tSwitch, lossOptimalClosed: closed, schedules, best: schedules[best].name };
    },
  },
};
