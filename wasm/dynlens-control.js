// dynlens-control.js - training as optimal control (core/control.h; the "control" section of wasm/dynw.c):
// residual nets as forward Euler, states and costates, the per-layer Hamiltonians and the check that
// dJ/dtheta = -grad H, decision regions seen at each layer, where a step folds the plane, invertibility margins,
// perturbation growth, and training runs (gd, sgd, adam, msa, emsa) in a C-owned session.
//
// Shapes shared by the methods (plain objects, so they travel to workers):
//   net   {nIn, nClass, width, layers, delta, act, arch, gamma, embed, readout, reg}   (0 / omitted = the core's
//         default; act, arch, embed, readout by name)
//   train {method, lr, beta1, beta2, eps, batch, rho, innerIters, lbfgsM, seed}        (0 = the core's default)
//   data  {x: Float64Array(n nIn), y: Float64Array(n), n, d, nClass}
// A refused descriptor throws a DynlensError whose message is the core's reason (dyn_ctl_why, dyn_ctl_train_why).

const SHAPE_DOUBLES = 8;
const CHECK_DOUBLES = 6;
const INFO_DOUBLES = 12;
const REPORT_DOUBLES = 6;
const WHY_BYTES = 256;

const halves = (seed) => [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];

// The eleven CTLARGS of dynw.c, in order.
function ctlArgs(dl, net) {
  const act = dl.index(dl.activations, net.act || 'tanh', 'activation');
  const arch = dl.index(dl.ctlArchs, net.arch || 'plain', 'architecture');
  const embed = dl.index(dl.ctlEmbeds, net.embed || 'auto', 'embedding');
  const readout = dl.index(dl.ctlReadouts, net.readout || 'auto', 'read-out');
  return [net.nIn | 0, net.nClass | 0, net.width | 0, net.layers | 0, +net.delta || 0, act, arch, +net.gamma || 0,
    embed, readout, +net.reg || 0];
}

function trainArgs(dl, t) {
  const m = dl.index(dl.ctlMethods, t.method || 'gd', 'method');
  return [m, +t.lr || 0, +t.beta1 || 0, +t.beta2 || 0, +t.eps || 0, t.batch | 0, +t.rho || 0, t.innerIters | 0,
    t.lbfgsM | 0, ...halves(t.seed || 0)];
}

const netText = (n) => `width=${n.width} layers=${n.layers} delta=${n.delta} act=${n.act} arch=${n.arch}`;

// Throws the core's reason when the system descriptor is refused; returns its args otherwise.
function checkedArgs(dl, net) {
  dl.alive();
  const args = ctlArgs(dl, net);
  dl.withBuffers([WHY_BYTES], ([why]) => {
    const s = dl.core._dynw_ctl_why(...args, why, WHY_BYTES);
    if (s !== 0) throw dl.error(`network: ${dl.str(why) || dl.statusString(s)}`, s);
  });
  return args;
}

function checkedTrainArgs(dl, args, train) {
  const targs = trainArgs(dl, train);
  dl.withBuffers([WHY_BYTES], ([why]) => {
    const s = dl.core._dynw_ctl_train_why(...args, ...targs, why, WHY_BYTES);
    if (s !== 0) throw dl.error(`training (${train.method}): ${dl.str(why) || dl.statusString(s)}`, s);
  });
  return targs;
}

// Copies theta into a WASM buffer and data (x, y) into two more, then runs fn(pTheta, px, py, rest).
function withTheta(dl, theta, data, extra, fn) {
  const P = theta.length;
  const n = data ? data.n : 0;
  const d = data ? data.d : 0;
  return dl.withBuffers([8 * P, 8 * n * d, 8 * n, ...extra], ([pt, px, py, ...rest]) => {
    dl.f64(pt, P).set(theta);
    if (data) {
      dl.f64(px, n * d).set(data.x);
      dl.f64(py, n).set(data.y);
    }
    return fn(pt, px, py, rest);
  });
}

export default {
  name: 'control',
  init(dl) {
    dl.ctlArchs = dl.names(dl.core._dynw_ctl_arch_count, dl.core._dynw_ctl_arch_name);
    dl.ctlMethods = dl.names(dl.core._dynw_ctl_method_count, dl.core._dynw_ctl_method_name);
    dl.ctlEmbeds = dl.names(dl.core._dynw_ctl_embed_count, dl.core._dynw_ctl_embed_name);
    dl.ctlReadouts = dl.names(dl.core._dynw_ctl_readout_count, dl.core._dynw_ctl_readout_name);
  },
  // A training run takes tens of ms to seconds: workers only.
  heavy: ['ctlTrain'],
  methods: {
    /** The core's reason a network descriptor is refused, or '' when it is valid. */
    ctlWhy(net) {
      this.alive();
      const args = ctlArgs(this, net);
      return this.withBuffers([WHY_BYTES], ([why]) => {
        this.core._dynw_ctl_why(...args, why, WHY_BYTES);
        return this.str(why);
      });
    },

    /** The core's reason a training descriptor is refused on this network, or ''. */
    ctlTrainWhy(net, train) {
      const args = checkedArgs(this, net);
      return this.withBuffers([WHY_BYTES], ([why]) => {
        this.core._dynw_ctl_train_why(...args, ...trainArgs(this, train), why, WHY_BYTES);
        return this.str(why);
      });
    },

    /** {P, Pt, k, nOut, width, embed, readout, delta}, the defaults resolved by the core. */
    ctlShape(net) {
      const args = checkedArgs(this, net);
      return this.withBuffers([8 * SHAPE_DOUBLES], ([out]) => {
        this.check(this.core._dynw_ctl_shape(...args, out, SHAPE_DOUBLES), `shape ${netText(net)}`);
        const v = this.f64(out, SHAPE_DOUBLES);
        return { P: v[0], Pt: v[1], k: v[2], nOut: v[3], width: v[4], embed: this.ctlEmbeds[v[5]],
          readout: this.ctlReadouts[v[6]], delta: v[7] };
      });
    },

    /** What iters iterations of train on n examples cost, by the core's estimate (core/work.h; the CLI's budget
     * check uses the same numbers): {ops, bytes, seconds}. */
    ctlTrainWork(net, train, n, iters) {
      const args = checkedArgs(this, net);
      const targs = checkedTrainArgs(this, args, train);
      return this.withBuffers([24], ([out]) => {
        this.check(this.core._dynw_ctl_train_work(...args, ...targs, n, iters, out, 3), `training cost ${train.method} ${netText(net)}`);
        const v = this.f64(out, 3);
        return { ops: v[0], bytes: v[1], seconds: v[2] };
      });
    },

    /** The seeded initial controls (Float64Array(P)): matrices ~ N(0, sw2/k), biases ~ N(0, sb2). */
    ctlInitParams(net, { sw2 = 0, sb2 = 0, seed = 1 } = {}) {
      const { P } = this.ctlShape(net);
      const args = ctlArgs(this, net);
      return this.withBuffers([8 * P], ([th]) => {
        this.check(this.core._dynw_ctl_init_params(...args, sw2, sb2, ...halves(seed), th, P),
          `initial controls sw2=${sw2} sb2=${sb2} seed=${seed}`);
        return Float64Array.from(this.f64(th, P));
      });
    },

    /** The seed of a generated training set's test set (the core's rule, dyn_ctl_test_seed). */
    ctlTestSeed(seed) {
      this.alive();
      return this.withBuffers([8], ([out]) => {
        this.check(this.core._dynw_ctl_test_seed(...halves(seed), out, 2), 'test seed');
        const [lo, hi] = this.u32(out, 2);
        return hi * 4294967296 + lo;
      });
    },

    /** Li et al.'s toy: n points x ~ U[-pi, pi], y = sin x + N(0, noise^2); {x, y, n, d: 1, nClass: 0}. */
    ctlSin({ n, seed = 1, noise = 0 }) {
      this.alive();
      return this.withBuffers([8 * n, 8 * n], ([x, y]) => {
        this.check(this.core._dynw_ctl_sin(n, ...halves(seed), noise, x, n, y, n), `sin toy n=${n} noise=${noise}`);
        return { x: Float64Array.from(this.f64(x, n)), y: Float64Array.from(this.f64(y, n)), n, d: 1, nClass: 0 };
      });
    },

    /** A generated training set and its test set (seed: dyn_ctl_test_seed), as the CLI makes them. */
    ctlData({ data, n, noise = 0.1, seed = 1 }) {
      const make = (s) => (data === 'sin' ? this.ctlSin({ n, seed: s, noise })
        : this.toyData({ toy: data, n, noise, seed: s }));
      return { train: make(seed), test: make(this.ctlTestSeed(seed)) };
    },

    /** {loss, obj, acc} of theta on data (acc NaN for regression; non-finite values for a diverged net). */
    ctlEval(net, theta, data) {
      const args = checkedArgs(this, net);
      return withTheta(this, theta, data, [24], (pt, px, py, [out]) => {
        this.check(this.core._dynw_ctl_eval(...args, pt, theta.length, px, py, data.n, out, 3), `eval ${netText(net)}`);
        const v = this.f64(out, 3);
        return { loss: v[0], obj: v[1], acc: v[2] };
      });
    },

    /**
     * Pontryagin's view of theta on data: states and costates ((T + 1) x n x d), H_t (T), dJ/dtheta (P), and the
     * core's checks: gradHDiff = max |dJ/dtheta_t + grad H_t|, gradMax = max |dJ/dtheta|, fdRel (finite
     * differences of J at the largest coordinate of each layer, relative), fdCount.
     */
    ctlFwdBwd(net, theta, data) {
      const args = checkedArgs(this, net);
      const { width: d, P } = this.ctlShape(net);
      const T = net.layers;
      const S = (T + 1) * data.n * d;
      return withTheta(this, theta, data, [8 * S, 8 * S, 8 * T, 8 * P, 8 * CHECK_DOUBLES],
        (pt, px, py, [xs, ps, h, g, chk]) => {
          this.check(this.core._dynw_ctl_fwdbwd(...args, pt, theta.length, px, py, data.n, xs, S, ps, S, h, T, g, P,
            chk, CHECK_DOUBLES), `states and costates ${netText(net)}`);
          const c = this.f64(chk, CHECK_DOUBLES);
          return { states: Float64Array.from(this.f64(xs, S)), costates: Float64Array.from(this.f64(ps, S)),
            hamil: Float64Array.from(this.f64(h, T)), grad: Float64Array.from(this.f64(g, P)), loss: c[0], obj: c[1],
            gradHDiff: c[2], gradMax: c[3], fdRel: c[4], fdCount: c[5], n: data.n, d, T };
        });
    },

    /** {norm, margin}: Float64Arrays of T values (|M_t|_2 and delta |M_t|_2 max|phi'|; < 1: invertible step). */
    ctlNorms(net, theta) {
      const args = checkedArgs(this, net);
      const T = net.layers;
      return withTheta(this, theta, null, [8 * T, 8 * T], (pt, px, py, [nr, mg]) => {
        this.check(this.core._dynw_ctl_layer_norms(...args, pt, theta.length, nr, mg, T), `layer norms ${netText(net)}`);
        return { norm: Float64Array.from(this.f64(nr, T)), margin: Float64Array.from(this.f64(mg, T)) };
      });
    },

    /** Growth of an infinitesimal perturbation of the inputs of data over depth: Float64Array(T + 1). */
    ctlPerturb(net, theta, data, seed = 1) {
      const args = checkedArgs(this, net);
      const T = net.layers;
      return withTheta(this, theta, data, [8 * (T + 1)], (pt, px, py, [gr]) => {
        this.check(this.core._dynw_ctl_perturb(...args, pt, theta.length, px, data.n, ...halves(seed), gr, T + 1),
          `perturbation growth ${netText(net)}`);
        return Float64Array.from(this.f64(gr, T + 1));
      });
    },

    /**
     * The wide-net mean-field prediction of ctlPerturb at random initialisation (controls drawn with sw2, sb2), or
     * null where the core's theory does not apply (hamiltonian layers, gamma != 0, an activation that is not odd).
     */
    ctlPerturbTheory(net, sw2, sb2, data) {
      const args = checkedArgs(this, net);
      const T = net.layers;
      return withTheta(this, new Float64Array(1), data, [8 * (T + 1)], (pt, px, py, [gr]) => {
        const s = this.core._dynw_ctl_perturb_theory(...args, sw2, sb2, px, data.n, gr, T + 1);
        if (s === -3) return null; // DYN_ERR_RANGE: outside the theory
        this.check(s, `perturbation theory ${netText(net)} sw2=${sw2} sb2=${sb2}`);
        return Float64Array.from(this.f64(gr, T + 1));
      });
    },

    /**
     * Everything the flow figure draws for 2-D inputs, in one call: the states of data at every layer, a frame
     * [x, y] holding them all, the decision regions (class and confidence, nx x nx) seen at every layer
     * l = 0..T, and for width 2 the sign picture of every step's Jacobian determinant (T grids), with the
     * layer norms and margins.
     */
    ctlFlow({ net, theta, data, nx = 96 }) {
      const args = checkedArgs(this, net);
      const { width: d } = this.ctlShape(net);
      const T = net.layers;
      const fb = this.ctlFwdBwd(net, theta, data);
      const xs = fb.states;
      let lo = [Infinity, Infinity];
      let hi = [-Infinity, -Infinity];
      for (let i = 0; i < (T + 1) * data.n; i++) {
        for (let k = 0; k < 2; k++) {
          const v = xs[i * d + k];
          if (Number.isFinite(v)) {
            lo[k] = Math.min(lo[k], v);
            hi[k] = Math.max(hi[k], v);
          }
        }
      }
      if (!(hi[0] > lo[0])) { lo = [-1, -1]; hi = [1, 1]; }
      const pad = [0, 1].map((k) => 0.08 * (hi[k] - lo[k]) + 1e-9);
      const x = [lo[0] - pad[0], hi[0] + pad[0]];
      const y = [lo[1] - pad[1], hi[1] + pad[1]];
      const N = nx * nx;
      const cls = [];
      const conf = [];
      const det = [];
      withTheta(this, theta, null, [4 * N, 4 * N], (pt, px, py, [pc, pf]) => {
        for (let l = 0; l <= T; l++) {
          // One frame for every layer (the embedded inputs are the states at layer 0), so the picture holds still.
          this.check(this.core._dynw_ctl_grid2d(...args, pt, theta.length, l, ...x, ...y, nx, nx, pc, pf, N),
            `decision regions at layer ${l}`);
          cls.push(Float32Array.from(this.f32(pc, N)));
          conf.push(Float32Array.from(this.f32(pf, N)));
          if (d === 2 && l < T) {
            this.check(this.core._dynw_ctl_jacdet(...args, pt, theta.length, l, ...x, ...y, nx, nx, pc, N),
              `Jacobian determinant of step ${l}`);
            det.push(Float32Array.from(this.f32(pc, N)));
          }
        }
      });
      const norms = this.ctlNorms(net, theta);
      return { states: xs, d, T, n: data.n, x, y, nx, ny: nx, cls, conf, det, norm: norms.norm, margin: norms.margin };
    },

    /**
     * A training run in a session owned by the C side (created, stepped, read and freed within this call):
     * iters iterations of train.method from theta0 on data, with the test set's loss before every update.
     * Returns per point k = 0..iters (the controls after k iterations): loss, acc, testLoss, testAcc, ms (cumulative
     * time in dyn_ctl_train_step alone; the evaluations are not timed); per iteration: obj, feasX, feasP, hgrad, inner and the T-value rows
     * layerHgrad, layerGain (iters x T); theta (final), info (the resolved descriptor), diverged, divergedAt, and
     * optimizer ({m1, m2, b1t, b2t, iter}): pass it back as `resume` with the returned theta as theta0 to go on with
     * the next iterations in another call, bit for bit as one long run (full-batch training only).
     */
    ctlTrain({ net, train, theta0, data, test = null, iters, resume = null }) {
      const args = checkedArgs(this, net);
      const targs = checkedTrainArgs(this, args, train);
      const T = net.layers;
      const P = theta0.length;
      const nt = test ? test.n : 0;
      const c = this.core;
      const L = iters + 1;
      const res = {
        loss: new Float64Array(L).fill(NaN), testLoss: new Float64Array(L).fill(NaN),
        testAcc: new Float64Array(L).fill(NaN), acc: new Float64Array(L).fill(NaN), ms: new Float64Array(L).fill(NaN),
        obj: new Float64Array(iters).fill(NaN), feasX: new Float64Array(iters).fill(NaN),
        feasP: new Float64Array(iters).fill(NaN), hgrad: new Float64Array(iters).fill(NaN),
        inner: new Float64Array(iters), layerHgrad: new Float64Array(iters * T).fill(NaN),
        layerGain: new Float64Array(iters * T).fill(NaN), diverged: false, divergedAt: -1, iters, T,
      };
      const sizes = [8 * P, 8 * data.n * data.d, 8 * data.n, 8 * nt * data.d, 8 * nt, 4, 8 * REPORT_DOUBLES,
        8 * T, 8 * T, 8 * INFO_DOUBLES, 32, 8 * P, 8 * P, 24];
      let done = 0;
      this.withBuffers(sizes, ([pt, px, py, pxt, pyt, ph, rep, lh, lg, info, ev, pm1, pm2, psc]) => {
        this.f64(pt, P).set(theta0);
        this.f64(px, data.n * data.d).set(data.x);
        this.f64(py, data.n).set(data.y);
        if (nt) {
          this.f64(pxt, nt * data.d).set(test.x);
          this.f64(pyt, nt).set(test.y);
        }
        this.check(c._dynw_ctl_session_create(...args, ...targs, pt, P, px, py, data.n, nt ? pxt : 0, nt ? pyt : 0, nt,
          ph), `training session ${train.method} ${netText(net)}`);
        const h = this.u32(ph, 1)[0];
        // Adam's moments and the iteration count of an earlier call (0: a fresh run)
        const optimizer = (set) => {
          if (set) {
            this.f64(pm1, P).set(resume.m1);
            this.f64(pm2, P).set(resume.m2);
            this.f64(psc, 3).set([resume.b1t, resume.b2t, resume.iter]);
          }
          this.check(c._dynw_ctl_session_optimizer(h, set, pm1, pm2, P, psc, 3), `${set ? 'resuming' : 'reading'} ${train.method}`);
          if (set) return null;
          const v = this.f64(psc, 3);
          return { m1: Float64Array.from(this.f64(pm1, P)), m2: Float64Array.from(this.f64(pm2, P)), b1t: v[0], b2t: v[1], iter: v[2] };
        };
        try {
          if (resume) optimizer(1);
          let ms = 0;
          res.ms[0] = 0;
          // The losses of the controls after k iterations (untimed), then iteration k + 1 (timed).
          const evalAt = (k) => {
            this.check(c._dynw_ctl_session_eval(h, ev, 4), `evaluating ${train.method} after ${k} iterations`);
            const e = this.f64(ev, 4);
            res.loss[k] = e[0];
            res.acc[k] = e[1];
            res.testLoss[k] = e[2];
            res.testAcc[k] = e[3];
          };
          for (let k = 0; k < iters; k++) {
            evalAt(k);
            const t0 = performance.now();
            const s = c._dynw_ctl_session_step(h, rep, REPORT_DOUBLES, lh, lg, T);
            ms += performance.now() - t0;
            if (s === -2) { // DYN_ERR_NAN: the loss before this update was not finite
              res.diverged = true;
              res.divergedAt = k;
              break;
            }
            this.check(s, `${train.method} iteration ${k + 1}`);
            const r = this.f64(rep, REPORT_DOUBLES);
            res.obj[k] = r[1];
            res.feasX[k] = r[2];
            res.feasP[k] = r[3];
            res.hgrad[k] = r[4];
            res.inner[k] = r[5];
            res.layerHgrad.set(this.f64(lh, T), k * T);
            res.layerGain.set(this.f64(lg, T), k * T);
            res.ms[k + 1] = ms;
            done = k + 1;
          }
          if (!res.diverged) evalAt(done);
          this.check(c._dynw_ctl_session_get(h, pt, P, info, INFO_DOUBLES), 'training session state');
          const v = this.f64(info, INFO_DOUBLES);
          res.info = { iter: v[0], method: this.ctlMethods[v[1]], lr: v[2], beta1: v[3], beta2: v[4], eps: v[5],
            batch: v[6], rho: v[7], innerIters: v[8], lbfgsM: v[9], P: v[10], T: v[11] };
          res.theta = Float64Array.from(this.f64(pt, P));
          res.optimizer = optimizer(0);
        } finally {
          c._dynw_ctl_session_free(h);
        }
      });
      res.done = done;
      return res;
    },
  },
};
