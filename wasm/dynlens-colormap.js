// dynlens-colormap.js - the core colormaps and contour lines (core/colormap.h, contour.h; the "colormap" section
// of wasm/dynw.c), so the canvas and the CLI's PNG get the same colours and the same level lines.
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

    /** n contour levels strictly inside (vmin, vmax), evenly spaced (in log v when logScale): core/contour.h. */
    contourLevels(vmin, vmax, n, logScale = false) {
      this.alive();
      return this.withBuffers([8 * n], ([lv]) => {
        this.check(this.core._dynw_contour_levels(vmin, vmax, logScale ? 1 : 0, n, lv, n),
          `contour levels ${n} in ${vmin}:${vmax}${logScale ? ' log' : ''}`);
        return Array.from(this.f64(lv, n));
      });
    },

    /**
     * The level lines of values (nx x ny, row 0 on top) at levels, by the core's marching squares (cells with a
     * non-finite corner have none): {xs, ys}, three points per segment (start, end, NaN), in the coordinates of
     * box = [x of the first column, x of the last, y of the bottom row, y of the top row].
     */
    contours(values, nx, ny, box, levels) {
      this.alive();
      const nl = levels.length;
      const n = values.length;
      return this.withBuffers([4 * n, 8 * nl, 4], ([g, lv, np]) => {
        this.f32(g, n).set(values);
        this.f64(lv, nl).set(levels);
        const what = `contours of a ${nx}x${ny} grid at ${nl} levels`;
        this.check(this.core._dynw_contour(g, n, nx, ny, box[0], box[1], box[2], box[3], lv, nl, 0, 0, 0, np), what);
        const m = this.i32(np, 1)[0];
        return this.withBuffers([8 * m, 8 * m], ([x, y]) => {
          this.check(this.core._dynw_contour(g, n, nx, ny, box[0], box[1], box[2], box[3], lv, nl, x, y, m, np), what);
          return { xs: Float64Array.from(this.f64(x, m)), ys: Float64Array.from(this.f64(y, m)) };
        });
      });
    },
  },
};
