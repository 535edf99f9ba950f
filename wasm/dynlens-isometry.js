// dynlens-isometry.js - dynamical isometry (core/isometry.h; the "isometry" section of wasm/dynw.c): the theory of the
// Jacobian spectrum, its density, sampled spectra, gradients over depth and trainability cells.
import { mfHandle } from './dynlens-meanfield.js'; // its dynw_mf handle per activation (meanfield's dispose frees it)
const THEORY_KEYS = ['sw2', 'sb2', 'q', 'mu1', 'mu2', 'p_atom', 'chi1', 's1', 'log_m1', 'rel_var', 'log_m2',
  'isometric'];
const QUANT_LEVELS = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99]; // DYN_ISO_QUANT_LEVELS

function orthIndex(dl, weights) {
  if (weights === 'gaussian') return 0;
  if (weights === 'orthogonal') return 1;
  throw dl.error(`unknown weights "${weights}"; known: gaussian, orthogonal`, -8);
}

function seedHalves(seed) {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

export default {
  name: 'isometry',
  // sampled spectra, gradients and training runs take up to seconds: workers only
  heavy: ['isoSpectrum', 'isoGradients', 'isoCell'],
  methods: {
    /** The large-width theory {sw2, sb2, q, mu1, mu2, p_atom, chi1, s1, log_m1, rel_var, log_m2, isometric};
     * sw2 = 0 means the critical sw2 at sb2. */
    isoTheory({ act, weights = 'gaussian', sw2 = 0, sb2, depth }) {
      const h = mfHandle(this, act);
      const o = orthIndex(this, weights);
      return this.withBuffers([8 * THEORY_KEYS.length], ([out]) => {
        this.check(this.core._dynw_iso_theory(h, o, sw2, sb2, depth, out),
          `isometry theory act=${act} weights=${weights} sw2=${sw2} sb2=${sb2} depth=${depth}`);
        const v = this.f64(out, THEORY_KEYS.length);
        const r = {};
        THEORY_KEYS.forEach((k, i) => { r[k] = v[i]; });
        r.isometric = r.isometric === 1;
        return r;
      });
    },

    /** Float64Array: the density of x = lambda / chi1^L at each x (NaN where the solver did not converge). */
    isoDensity({ act, weights = 'gaussian', sw2 = 0, sb2, depth, x }) {
      const h = mfHandle(this, act);
      const o = orthIndex(this, weights);
      const n = x.length;
      return this.withBuffers([8 * n, 8 * n], ([xp, rp]) => {
        this.f64(xp, n).set(x);
        this.check(this.core._dynw_iso_density(h, o, sw2, sb2, depth, xp, n, rp),
          `isometry density act=${act} weights=${weights} sw2=${sw2} sb2=${sb2} depth=${depth} n=${n}`);
        return Float64Array.from(this.f64(rp, n));
      });
    },

    /** A sampled spectrum: {lnX (ln(lambda / chi1^L), nets x width), log_m1, se_log_m1, log_m2 (of lambda),
     * rel_var, se_rel_var, frac_zero, levels, lnQuantiles (of lambda / chi1^L)}. */
    isoSpectrum({ act, weights = 'gaussian', sw2 = 0, sb2, width, depth, nets = 1, seed = 1 }) {
      const h = mfHandle(this, act);
      const o = orthIndex(this, weights);
      const n = width * nets;
      const ns = 6 + QUANT_LEVELS.length;
      const [lo, hi] = seedHalves(seed);
      return this.withBuffers([8 * n, 8 * ns], ([xp, sp]) => {
        this.check(this.core._dynw_iso_spectrum(h, o, sw2, sb2, width, depth, nets, lo, hi, xp, sp),
          `isometry spectrum act=${act} weights=${weights} sw2=${sw2} sb2=${sb2} width=${width} depth=${depth} ` +
          `nets=${nets}`);
        const s = this.f64(sp, ns);
        return {
          lnX: Float64Array.from(this.f64(xp, n)), log_m1: s[0], se_log_m1: s[1], log_m2: s[2], rel_var: s[3],
          se_rel_var: s[4], frac_zero: s[5], levels: QUANT_LEVELS.slice(), lnQuantiles: Array.from(s.subarray(6)),
        };
      });
    },

    /** Float64Array of nets x (depth + 1) ratios |dL/dh^l|^2 / |dL/dh^L|^2 (index 0 of each net is NaN). */
    isoGradients({ act, weights = 'gaussian', sw2 = 0, sb2, width, depth, nets = 8, seed = 1 }) {
      const h = mfHandle(this, act);
      const o = orthIndex(this, weights);
      const n = nets * (depth + 1);
      const [lo, hi] = seedHalves(seed);
      return this.withBuffers([8 * n], ([rp]) => {
        this.check(this.core._dynw_iso_gradients(h, o, sw2, sb2, width, depth, nets, lo, hi, rp),
          `isometry gradients act=${act} weights=${weights} sw2=${sw2} sb2=${sb2} width=${width} depth=${depth}`);
        return Float64Array.from(this.f64(rp, n));
      });
    },

    /** One trainability cell: the training accuracy of a depth-L net at sw2 after `steps` SGD steps on
     * {x (n x d, standardised), y (labels 0..nClass-1)}; the number `dynlens trainability grid` writes for that cell. */
    isoCell({ act = 'tanh', weights = 'gaussian', sb2, width = 32, steps = 300, batch = 32, lr = 0.01, seed = 1,
      x, y, n, d, nClass, depth, sw2, cell }) {
      const a = this.index(this.activations, act, 'activation');
      const o = orthIndex(this, weights);
      const [lo, hi] = seedHalves(seed);
      return this.withBuffers([8 * n * d, 8 * n, 8], ([xp, yp, ap]) => {
        this.f64(xp, n * d).set(x);
        this.f64(yp, n).set(y);
        this.check(this.core._dynw_iso_cell(a, o, sb2, width, steps, batch, lr, lo, hi, xp, yp, n, d, nClass, depth,
          sw2, cell, ap), `trainability cell ${cell} depth=${depth} sw2=${sw2}`);
        return this.f64(ap, 1)[0];
      });
    },

    /** Floating-point operations of one trainability cell (dyn_iso_cell_work): the page's estimate before a grid. */
    isoCellWork({ act = 'tanh', weights = 'gaussian', sb2, width = 32, steps = 300, batch = 32, lr = 0.01, n, d,
      nClass, depth }) {
      const a = this.index(this.activations, act, 'activation');
      const w = this.core._dynw_iso_cell_work(a, orthIndex(this, weights), sb2, width, steps, batch, lr, n, d, nClass,
        depth);
      if (!(w > 0)) throw this.error(`trainability cell: no cost for width=${width} depth=${depth} steps=${steps}`, -4);
      return w;
    },

    /** Data for the trainability grid from CSV bytes (Uint8Array), gzip-compressed or not, read as the CLI reads
     * `--data`: the core's gzip decoder (core/gz.h) and CSV parser, features standardised per column. */
    isoData(bytes) {
      this.alive();
      let csv = bytes;
      if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
        // ISIZE of the last member (the size mod 2^32) sizes the first try; the core refuses past the cap
        const n = bytes.length;
        const hint = n >= 4 ? (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0 : 0;
        const cap = 256 * 1024 * 1024;
        let size = Math.min(cap, Math.max(1024, hint + 16));
        for (;;) {
          const r = this.withBuffers([n, size, 4, 160], ([ip, op, lp, ep]) => {
            this.u8(ip, n).set(bytes);
            const s = this.core._dynw_gz_inflate(ip, n, op, size, lp, ep, 160);
            if (s === -4 && size < cap) return null; // DYN_ERR_SIZE: larger than this buffer
            if (s !== 0) throw this.error(`gzip: ${this.str(ep) || this.statusString(s)}`, s);
            return Uint8Array.from(this.u8(op, this.i32(lp, 1)[0]));
          });
          if (r) { csv = r; break; }
          size = Math.min(cap, size * 4);
        }
      }
      return this.csvData(csv, true);
    },

    /** true when worker k of n (1-based) computes cell c: the CLI's --shard rule (core/isometry.h). */
    isoShardOwns(cell, k, n) {
      return this.core._dynw_iso_shard_owns(cell, k, n) === 1;
    },
  },
};
