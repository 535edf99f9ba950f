// dynlens-colormap.js - the core colormaps (core/colormap.h; the "colormap" section of wasm/dynw.c), so the
// canvas and the CLI's PNG get the same colours.
export default {
  name: 'colormap',
  init(dl) {
    dl.colormaps = dl.names(dl.core._dynw_cmap_count, dl.core._dynw_cmap_name);
  },
  methods: {
    /** RGBA bytes (Uint8ClampedArray, ready for ImageData) of values through a core colormap. */
    colormap(cmap, values, vmin, vmax, logScale = false) {
      this.alive();
      const c = this.index(this.colormaps, cmap, 'colormap');
      const n = values.length;
      return this.withBuffers([4 * n, 4 * n], ([v, rgba]) => {
        this.f32(v, n).set(values);
        this.check(this.core._dynw_cmap_apply(c, v, n, vmin, vmax, logScale ? 1 : 0, rgba),
          `colormap ${this.colormaps[c]} range=${vmin}:${vmax}${logScale ? ' log' : ''}`);
        return new Uint8ClampedArray(this.u8(rgba, 4 * n));
      });
    },

    /** {vmin, vmax, ok}: the core's robust colour range (1st..99th percentile); ok false when no value is usable. */
    autoRange(values, logScale = false) {
      this.alive();
      const n = values.length;
      return this.withBuffers([4 * n, 4 * n, 16], ([v, scr, out]) => {
        this.f32(v, n).set(values);
        const s = this.core._dynw_cmap_auto_range(v, n, logScale ? 1 : 0, out, scr);
        const r = this.f64(out, 2);
        if (s !== 0 && s !== -2) this.check(s, `auto range of ${n} values`);
        return { vmin: r[0], vmax: r[1], ok: s === 0 };
      });
    },
  },
};
