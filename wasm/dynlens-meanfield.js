// dynlens-meanfield.js - mean-field signal propagation (core/meanfield.h; the "meanfield" section of wasm/dynw.c):
// fixed points, the phase-diagram grid (tiled by the pool), trajectories, the maps and finite-width simulations.
const POINT_KEYS = ['sw2', 'sb2', 'q_star', 'c_star', 'chi1', 'chi_c', 'chi_q', 'xi_q', 'xi_c', 'xi_grad',
  'depth_trainable', 'phase'];

// The dynw_mf* for an activation, created on first use and kept for the instance's life (freed by dispose).
export function mfHandle(dl, act) {
  dl.alive();
  const a = dl.index(dl.activations, act, 'activation');
  let h = dl.mfHandles.get(a);
  if (h) return h;
  h = dl.withBuffers([4], ([out]) => {
    dl.check(dl.core._dynw_mf_create(a, 0, out), `initialising mean field for ${dl.activations[a]}`);
    return dl.u32(out, 1)[0];
  });
  dl.mfHandles.set(a, h);
  return h;
}

export default {
  name: 'meanfield',
  init(dl) {
    dl.mfHandles = new Map(); // activation index -> dynw_mf*
    dl.fields = dl.names(dl.core._dynw_field_count, dl.core._dynw_field_name);
    dl.phases = [0, 1, 2].map((p) => dl.str(dl.core._dynw_phase_name(p)));
  },
  dispose(dl) {
    for (const h of dl.mfHandles.values()) dl.core._dynw_mf_destroy(h);
    dl.mfHandles.clear();
  },
  // simulate costs up to seconds: while the workers start, the page does not take it.
  heavy: ['simulate'],
  methods: {
    /** Everything dyn_mf_point computes, by name; phase as its name ("ordered", "chaotic", "unbounded"). */
    point(act, sw2, sb2) {
      const h = mfHandle(this, act);
      return this.withBuffers([8 * POINT_KEYS.length], ([out]) => {
        this.check(this.core._dynw_point(h, sw2, sb2, out), `point act=${act} sw2=${sw2} sb2=${sb2}`);
        const v = this.f64(out, POINT_KEYS.length);
        const r = {};
        POINT_KEYS.forEach((k, i) => { r[k] = v[i]; });
        r.phase = this.phases[r.phase];
        r.act = this.activations[this.index(this.activations, act, 'activation')];
        return r;
      });
    },

    /** {sw2, q_star} on the critical line at bias variance sb2. */
    critical(act, sb2) {
      const h = mfHandle(this, act);
      return this.withBuffers([16], ([out]) => {
        this.check(this.core._dynw_critical(h, sb2, out), `critical act=${act} sb2=${sb2}`);
        const v = this.f64(out, 2);
        return { sw2: v[0], q_star: v[1] };
      });
    },

    /** Float64Array of n critical sw2 values at sb2 evenly spaced over [sb2Min, sb2Max] (NaN where none). */
    criticalLine(act, sb2Min, sb2Max, n) {
      const h = mfHandle(this, act);
      return this.withBuffers([8 * n], ([out]) => {
        this.check(this.core._dynw_critical_line(h, sb2Min, sb2Max, n, out),
          `critical line act=${act} sb2=${sb2Min}:${sb2Max} n=${n}`);
        return Float64Array.from(this.f64(out, n));
      });
    },

    /** Rows [rowBegin, rowEnd) of the nx x ny grid of one field; top row = sb2 max. */
    grid({ act, field, sw2, sb2, nx, ny, rowBegin = 0, rowEnd = ny }) {
      const h = mfHandle(this, act);
      const f = this.index(this.fields, field, 'field');
      const rows = rowEnd - rowBegin;
      if (!(Number.isInteger(nx) && Number.isInteger(ny) && rows > 0 && nx > 0)) {
        throw this.error(`bad grid size nx=${nx} ny=${ny} rows ${rowBegin}..${rowEnd}`, -4);
      }
      const n = nx * rows;
      return this.withBuffers([4 * n], ([out]) => {
        this.check(this.core._dynw_grid(h, f, sw2[0], sw2[1], sb2[0], sb2[1], nx, ny, rowBegin, rowEnd, out, n),
          `grid act=${act} field=${field} sw2=${sw2[0]}:${sw2[1]} sb2=${sb2[0]}:${sb2[1]} size=${nx}x${ny} ` +
          `rows=${rowBegin}:${rowEnd}`);
        return Float32Array.from(this.f32(out, n));
      });
    },

    /** {q, c, e}: Float64Arrays of depth + 1 values from q0, c0; e = 1 - c at full relative precision. */
    trajectory(act, sw2, sb2, q0, c0, depth) {
      const h = mfHandle(this, act);
      const n = depth + 1;
      return this.withBuffers([8 * n, 8 * n, 8 * n], ([q, c, e]) => {
        this.check(this.core._dynw_trajectory(h, sw2, sb2, q0, c0, depth, q, c, e),
          `trajectory act=${act} sw2=${sw2} sb2=${sb2} q0=${q0} c0=${c0} depth=${depth}`);
        return { q: Float64Array.from(this.f64(q, n)), c: Float64Array.from(this.f64(c, n)),
          e: Float64Array.from(this.f64(e, n)) };
      });
    },

    /** One step of the length map at each of qIn and of the correlation map (inputs of length qC) at each cIn. */
    maps(act, sw2, sb2, qIn, qC, cIn) {
      const h = mfHandle(this, act);
      const nq = qIn.length;
      const nc = cIn.length;
      return this.withBuffers([8 * nq, 8 * nq, 8 * nc, 8 * nc], ([qi, qo, ci, co]) => {
        this.f64(qi, nq).set(qIn);
        this.f64(ci, nc).set(cIn);
        this.check(this.core._dynw_maps(h, sw2, sb2, qi, nq, qo, qC, ci, nc, co),
          `maps act=${act} sw2=${sw2} sb2=${sb2} q=${qC}`);
        return { q: Float64Array.from(this.f64(qo, nq)), c: Float64Array.from(this.f64(co, nc)) };
      });
    },

    /** Finite-width random networks: per-layer mean and standard error of q and c, and c per network. */
    simulate({ act, width, depth, seeds, seed = 1, sw2, sb2, q0 = 1, c0 = 0.5, each = true }) {
      this.alive();
      const a = this.index(this.activations, act, 'activation');
      const n = depth + 1;
      const scratchLen = this.core._dynw_sim_scratch_doubles(width);
      if (scratchLen <= 0) throw this.error(`a size or count was zero, negative or over its limit (width=${width})`, -4);
      const eachLen = each ? seeds * n : 0;
      const lo = seed >>> 0;
      const hi = Math.floor(seed / 4294967296) >>> 0;
      return this.withBuffers([8 * scratchLen, 8 * n, 8 * n, 8 * n, 8 * n, 8 * eachLen],
        ([scr, qm, qs, cm, cs, ce]) => {
          this.check(this.core._dynw_simulate(a, width, depth, seeds, lo, hi, sw2, sb2, q0, c0, scr, scratchLen,
            qm, qs, cm, cs, each ? ce : 0),
          `simulate act=${act} width=${width} depth=${depth} seeds=${seeds} sw2=${sw2} sb2=${sb2} q0=${q0} c0=${c0}`);
          return {
            qMean: Float64Array.from(this.f64(qm, n)), qSe: Float64Array.from(this.f64(qs, n)),
            cMean: Float64Array.from(this.f64(cm, n)), cSe: Float64Array.from(this.f64(cs, n)),
            cEach: each ? Float64Array.from(this.f64(ce, eachLen)) : null,
          };
        });
    },
  },
};
