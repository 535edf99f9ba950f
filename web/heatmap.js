// heatmap.js - the one heatmap component every demo shares: a canvas with the image, axes, ticks, typeset
// titles, a colorbar (or a legend of categories), line overlays, a selection marker, a hover readout, and
// mouse, touch and keyboard selection. It only draws: values and colours come from the caller (the WASM core).
import { blankCanvas, drawFitted, drawIdle, drawRich, drawTicks, fillText, fmt, font, INK, logTicks, MUTED, niceStep, niceTicks, redrawable, richHTML, richWidth, roomInFrame, tickLabel } from './draw.js';

const M = { left: 66, right: 104, top: 34, bottom: 54 };

/** Integer ticks in [a, b], about n of them: niceTicks' step rounded up to a whole number. */
function wholeTicks(a, b, n) {
  const t = niceTicks(a, b, n);
  // one nice tick only (a long axis on a narrow canvas): keep it, rather than a tick at every integer
  if (t.length < 2) return t.map(Math.round).filter((v) => v >= a && v <= b);
  const step = Math.max(1, Math.ceil(t[1] - t[0]));
  const out = [];
  for (let v = Math.ceil(a / step) * step; v <= b; v += step) out.push(v);
  return out;
}

/** A ring of radius r (CSS px) around (x, y): a white halo (line width halo) under a black line (width ink), visible
 * on any colormap. The selection marker and the {ring} overlay. */
function ring(ctx, x, y, r, halo, ink) {
  ctx.save();
  ctx.beginPath();
  ctx.arc(x, y, r, 0, 2 * Math.PI);
  ctx.lineWidth = halo;
  ctx.strokeStyle = '#fff';
  ctx.stroke();
  ctx.lineWidth = ink;
  ctx.strokeStyle = '#000';
  ctx.stroke();
  ctx.restore();
}

export class Heatmap {
  /**
   * @param {HTMLElement} container  the heatmap fills its width
   * @param {object} opts  label (accessible name), onSelect({x, y}), onHover(info|null), aspect (h / w),
   *                      wholeNumbers (integer ticks on both axes)
   */
  constructor(container, opts = {}) {
    this.opts = opts;
    this.root = document.createElement('div');
    this.root.className = 'heatmap';
    this.canvas = document.createElement('canvas');
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', opts.label || 'heatmap');
    this.readout = document.createElement('div');
    this.readout.className = 'readout';
    this.readout.setAttribute('aria-live', 'polite');
    this.readout.innerHTML = '&nbsp;';
    this.root.append(this.canvas, this.readout);
    container.append(this.root);
    this.data = null;
    this.marker = null;
    this.image = document.createElement('canvas'); // nx x ny pixels, scaled up when drawn
    this.cssW = 0;
    this.cssH = 0;
    this.bind();
    redrawable(this.canvas, () => this.draw());
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.root);
    this.resize();
  }

  bind() {
    const c = this.canvas;
    c.addEventListener('pointermove', (e) => this.hover(this.dataAt(e.offsetX, e.offsetY)));
    c.addEventListener('pointerleave', () => this.hover(null));
    c.addEventListener('click', (e) => {
      const d = this.dataAt(e.offsetX, e.offsetY);
      if (d && this.opts.onSelect) this.opts.onSelect({ x: d.x, y: d.y });
    });
    // Keyboard: arrows move the selection to the next multiple of a round step (1, 2 or 5 x 10^k) at least one
    // cell wide (Shift: ten cells), so the figure is usable without a mouse and lands on readable numbers.
    c.addEventListener('keydown', (e) => {
      if (!this.data || !this.marker) return;
      const k = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
      if (!k) return;
      e.preventDefault();
      const d = this.data;
      const n = e.shiftKey ? 10 : 1;
      const clamp = (v, a, b) => Math.min(b, Math.max(a, v));
      const move = (v, dir, lo, hi, cells) => {
        if (!dir) return v;
        const s = niceStep((n * (hi - lo)) / (cells - 1));
        const base = dir > 0 ? Math.floor(v / s + 1e-9) : Math.ceil(v / s - 1e-9);
        return clamp(Number(((base + dir) * s).toPrecision(12)), lo, hi);
      };
      const x = move(this.marker.x, k[0], d.x[0], d.x[1], d.nx);
      const y = move(this.marker.y, k[1], d.y[0], d.y[1], d.ny);
      if (this.opts.onSelect) this.opts.onSelect({ x: round(x), y: round(y) });
    });
  }

  resize() {
    const w = Math.max(280, Math.floor(this.root.clientWidth));
    const aspect = this.opts.aspect || 0.72;
    const maxH = this.opts.maxHeight ? this.opts.maxHeight() : 620;
    // opts.stripBelow(width): px kept free under the x axis (a figure's legend on narrow screens)
    this.strip = this.opts.stripBelow ? this.opts.stripBelow(w) : 0;
    const h = Math.round(Math.min(Math.max(240, w * aspect), maxH, Math.max(200, roomInFrame(this.cssH) - this.strip))) + this.strip;
    if (w === this.cssW && h === this.cssH) return;
    this.cssW = w;
    this.cssH = h;
    this.draw();
  }

  /** The plot rectangle in CSS pixels. */
  rect() {
    const narrow = this.cssW < 420;
    const m = narrow ? { ...M, right: 86, left: 58 } : M;
    return { x: m.left, y: m.top, w: this.cssW - m.left - m.right, h: this.cssH - m.top - m.bottom - (this.strip || 0) };
  }

  /**
   * d: { values (Float32Array nx*ny, top row first), rgba (Uint8ClampedArray), nx, ny, x: [min, max],
   *      y: [min, max], xLabel, yLabel, title, valueLabel, scale: {vmin, vmax, log, ramp (rgba of 256 colours)}
   *      or categories: [{name, rgba}], overlays: [{xs, ys, color, dash, width, label}], format(v),
   *      nanLabel (optional: the colour bar's entry for cells without a value, e.g. 'unbounded') }
   */
  set(d) {
    this.data = d;
    this.image.width = d.nx;
    this.image.height = d.ny;
    const ictx = this.image.getContext('2d');
    ictx.putImageData(new ImageData(d.rgba, d.nx, d.ny), 0, 0);
    this.draw();
  }

  setMarker(m) {
    this.marker = m;
    this.draw();
  }

  /** Data coordinates and the drawn value under CSS pixel (px, py), or null outside the plot. */
  dataAt(px, py) {
    const d = this.data;
    if (!d) return null;
    const r = this.rect();
    const u = (px - r.x) / r.w;
    const v = (py - r.y) / r.h;
    if (u < 0 || u > 1 || v < 0 || v > 1) return null;
    // Cell centres sit at the grid points: column j covers [j - 1/2, j + 1/2] / (nx - 1) of the width.
    const j = Math.min(d.nx - 1, Math.max(0, Math.round(u * (d.nx - 1))));
    const i = Math.min(d.ny - 1, Math.max(0, Math.round(v * (d.ny - 1))));
    const x = d.x[0] + (u * (d.x[1] - d.x[0]));
    const y = d.y[1] - (v * (d.y[1] - d.y[0]));
    const gx = d.x[0] + (j * (d.x[1] - d.x[0])) / (d.nx - 1);
    const gy = d.y[1] - (i * (d.y[1] - d.y[0])) / (d.ny - 1);
    return { x, y, i, j, gridX: gx, gridY: gy, value: d.values[i * d.nx + j] };
  }

  /** The CSS pixel of grid point (row i, column j): the inverse of dataAt. */
  pixelOf(i, j) {
    const d = this.data;
    const r = this.rect();
    return { x: r.x + (j / (d.nx - 1)) * r.w, y: r.y + (i / (d.ny - 1)) * r.h };
  }

  hover(info) {
    const d = this.data;
    if (!info || !d) {
      this.readout.innerHTML = this.opts.idleText || 'Move over the map to read values; click to select a network.';
    } else {
      const v = d.categories ? (d.categories[Math.round(info.value)] || {}).name || '—' : (d.format || fmt)(info.value);
      this.readout.innerHTML = `${richHTML(d.xLabel)} = ${fmt(info.gridX, 4)}, ${richHTML(d.yLabel)} = ` +
        `${fmt(info.gridY, 4)}: <b>${richHTML(d.valueLabel || '')} = ${v}</b>`;
    }
    if (this.opts.onHover) this.opts.onHover(info);
  }

  toX(x) {
    const r = this.rect();
    const d = this.data;
    return r.x + ((x - d.x[0]) / (d.x[1] - d.x[0])) * r.w;
  }
  toY(y) {
    const r = this.rect();
    const d = this.data;
    return r.y + ((d.y[1] - y) / (d.y[1] - d.y[0])) * r.h;
  }

  draw() {
    if (!this.cssW) return;
    const ctx = blankCanvas(this.canvas, this.cssW, this.cssH);
    const d = this.data;
    const r = this.rect();
    if (!d) {
      drawIdle(ctx, r, 'computing…', 14);
      return;
    }
    if (d.title) { // a long title shrinks (down to 10 px), then wraps onto a second line starting at the left edge
      const room = this.cssW - r.x - 6;
      const two = richWidth(ctx, d.title, 10) > room;
      drawFitted(ctx, d.title, two ? 8 : r.x, two ? 13 : 20, { maxW: two ? this.cssW - 12 : room, px: 15, minPx: 10 });
    }
    // The grid points are the cell centres, so the image extends half a cell beyond the first and last ones.
    const hx = r.w / (d.nx - 1) / 2;
    const hy = r.h / (d.ny - 1) / 2;
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.w, r.h);
    ctx.clip();
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.image, r.x - hx, r.y - hy, r.w + 2 * hx, r.h + 2 * hy);
    for (const o of d.overlays || []) this.drawOverlay(ctx, o);
    ctx.restore();
    ctx.strokeStyle = '#444';
    ctx.lineWidth = 1;
    ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
    this.drawMarker(ctx, r, d);
    this.drawAxes(ctx, r, d);
    if (d.categories) this.drawLegend(ctx, r, d);
    else if (d.scale) this.drawColorbar(ctx, r, d);
    if (this.readout.innerHTML === '&nbsp;') this.hover(null);
  }

  drawOverlay(ctx, o) {
    if (o.ring) { // one marked point: {ring: true, x, y, r} (a ring like the selection's, a little heavier)
      ring(ctx, this.toX(o.x), this.toY(o.y), o.r || 8, 3.5, 2);
      return;
    }
    if (o.points) { // data points: {points: true, xs, ys, fill: [colour per point], r, edge (white rim width)}
      ctx.save();
      ctx.lineWidth = o.edge || 1.2;
      ctx.strokeStyle = '#ffffff';
      for (let k = 0; k < o.xs.length; k++) {
        if (!(Number.isFinite(o.xs[k]) && Number.isFinite(o.ys[k]))) continue;
        ctx.beginPath();
        ctx.arc(this.toX(o.xs[k]), this.toY(o.ys[k]), o.r || 3.2, 0, 2 * Math.PI);
        ctx.fillStyle = o.fill[k];
        ctx.fill();
        ctx.stroke();
      }
      ctx.restore();
      return;
    }
    ctx.save();
    ctx.lineWidth = o.width || 2;
    ctx.setLineDash(o.dash || []);
    ctx.strokeStyle = o.color || '#fff';
    ctx.fillStyle = o.color || '#fff';
    let pen = false;
    let drawn = 0;
    let lone = null;
    ctx.beginPath();
    for (let k = 0; k < o.xs.length; k++) {
      const x = o.xs[k];
      const y = o.ys[k];
      if (!(isFinite(x) && isFinite(y))) {
        pen = false;
        continue;
      }
      const px = this.toX(x);
      const py = this.toY(y);
      if (pen) ctx.lineTo(px, py);
      else {
        ctx.moveTo(px, py);
        lone = [px, py];
      }
      pen = true;
      drawn++;
    }
    if (o.halo) {
      ctx.save();
      ctx.setLineDash([]);
      ctx.strokeStyle = o.halo;
      ctx.lineWidth = (o.width || 2) + 2.5;
      ctx.stroke();
      ctx.restore();
    }
    ctx.stroke();
    // A critical "line" that is a single point (ReLU, linear: only at sb2 = 0) is shown as a dot.
    if (drawn === 1 && lone) {
      ctx.beginPath();
      ctx.arc(lone[0], lone[1], 5, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
  }

  /**
   * The selected point: a ring. Outside the plotted range (after a zoom), an arrow on the nearest edge points to
   * it, with its coordinates; this.markerOff then says where it went ({side: 'left'|'right'|'above'|'below'|...}).
   */
  drawMarker(ctx, r, d) {
    const m = this.marker;
    this.markerOff = null;
    if (!m || !Number.isFinite(m.x) || !Number.isFinite(m.y)) return;
    const mx = this.toX(m.x);
    const my = this.toY(m.y);
    const slack = 0.5;
    const h = [mx < r.x - slack ? 'left' : '', mx > r.x + r.w + slack ? 'right' : ''].join('');
    const v = [my < r.y - slack ? 'above' : '', my > r.y + r.h + slack ? 'below' : ''].join('');
    ctx.save();
    if (!h && !v) {
      ctx.beginPath();
      ctx.rect(r.x, r.y, r.w, r.h);
      ctx.clip();
      ring(ctx, mx, my, 6, 3, 1.5);
      ctx.restore();
      return;
    }
    const clamp = (a, lo, hi) => Math.min(hi, Math.max(lo, a));
    const ax = clamp(mx, r.x + 12, r.x + r.w - 12);
    const ay = clamp(my, r.y + 12, r.y + r.h - 12);
    const ang = Math.atan2(my - ay, mx - ax);
    const [cs, sn] = [Math.cos(ang), Math.sin(ang)];
    ctx.beginPath(); // a triangle pointing towards the point, its tip on the edge
    ctx.moveTo(ax + 10 * cs, ay + 10 * sn);
    ctx.lineTo(ax - 6 * cs - 7 * sn, ay - 6 * sn + 7 * cs);
    ctx.lineTo(ax - 6 * cs + 7 * sn, ay - 6 * sn - 7 * cs);
    ctx.closePath();
    ctx.fillStyle = '#000';
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2;
    ctx.stroke();
    ctx.fill();
    const text = `selected: ${d.xLabel} = ${fmt(m.x, 4)}, ${d.yLabel} = ${fmt(m.y, 4)}`;
    const px = 11;
    const w = richWidth(ctx, text, px);
    const tx = clamp(ax - w / 2 - cs * (w / 2 + 14), r.x + 4, r.x + r.w - w - 4);
    const ty = clamp(ay - sn * 20 + 4, r.y + 16, r.y + r.h - 6);
    ctx.fillStyle = 'rgba(255,255,255,0.88)';
    ctx.fillRect(tx - 3, ty - 12, w + 6, 17);
    drawRich(ctx, text, tx, ty, px, 'left', INK);
    ctx.restore();
    this.markerOff = { side: [h, v].filter(Boolean).join(' and '), x: ax, y: ay, text };
  }

  drawAxes(ctx, r, d) {
    ctx.fillStyle = INK;
    ctx.strokeStyle = '#444';
    ctx.font = font(12);
    // Short ticks outside the image. Axes of whole numbers (opts.wholeNumbers: layers, units) get integer ticks
    // only, a little denser, labelled as plain integers.
    const whole = this.opts.wholeNumbers;
    const ticks = whole ? wholeTicks : niceTicks;
    const label = whole ? { label: (v) => String(v) } : {};
    drawTicks(ctx, 'x', ticks(d.x[0], d.x[1], Math.max(3, Math.floor(r.w / (whole ? 60 : 80)))), {
      at: (v) => this.toX(v), lo: r.x, hi: r.x + r.w, slack: 0.5, across: [r.y + r.h, r.y + r.h + 5], labelAt: r.y + r.h + 7,
      ...label,
    });
    drawTicks(ctx, 'y', ticks(d.y[0], d.y[1], Math.max(whole ? 2 : 3, Math.floor(r.h / (whole ? 40 : 60)))), {
      at: (v) => this.toY(v), lo: r.y, hi: r.y + r.h, slack: 0.5, across: [r.x - 5, r.x], labelAt: r.x - 7,
      ...label,
    });
    drawRich(ctx, d.xLabel, r.x + r.w / 2, r.y + r.h + 42, 15, 'center');
    ctx.save();
    ctx.translate(Math.max(r.x - 46, 17), r.y + r.h / 2); // room for a superscript on a narrow canvas
    ctx.rotate(-Math.PI / 2);
    drawRich(ctx, d.yLabel, 0, 0, 15, 'center');
    ctx.restore();
  }

  /**
   * The colour bar, low to high. Values beyond its range (drawn in its end colours) get a "≥ vmax" / "≤ vmin"
   * label and an arrow cap at that end; with d.nanLabel, cells without a value (NaN, the core's grey) get a swatch
   * under the bar with that label.
   */
  drawColorbar(ctx, r, d) {
    const s = d.scale;
    const bx = r.x + r.w + 14;
    const bw = 14;
    const clip = this.clipOf(d);
    const nanAt = d.nanLabel ? d.values.findIndex((v) => Number.isNaN(v)) : -1;
    const bh = r.h - (nanAt >= 0 ? 30 : 0);
    const ramp = s.ramp; // 256 colours, low to high
    const n = ramp.length / 4;
    const rgb = (k) => `rgb(${ramp[4 * k]},${ramp[4 * k + 1]},${ramp[4 * k + 2]})`;
    for (let k = 0; k < n; k++) {
      const y0 = r.y + bh - ((k + 1) / n) * bh;
      ctx.fillStyle = rgb(k);
      ctx.fillRect(bx, y0, bw, bh / n + 0.6);
    }
    ctx.strokeStyle = '#444';
    ctx.lineWidth = 1;
    ctx.strokeRect(bx + 0.5, r.y + 0.5, bw - 1, bh - 1);
    for (const [on, y, dir, k] of [[clip.hi, r.y, -1, n - 1], [clip.lo, r.y + bh, 1, 0]]) {
      if (!on) continue;
      ctx.beginPath(); // an arrow cap: the bar goes on beyond this end
      ctx.moveTo(bx, y);
      ctx.lineTo(bx + bw / 2, y + dir * 7);
      ctx.lineTo(bx + bw, y);
      ctx.closePath();
      ctx.fillStyle = rgb(k);
      ctx.fill();
      ctx.stroke();
    }
    const pos = (v) => (s.log
      ? (Math.log(v) - Math.log(s.vmin)) / (Math.log(s.vmax) - Math.log(s.vmin))
      : (v - s.vmin) / (s.vmax - s.vmin));
    const ticks = s.log ? logTicks(s.vmin, s.vmax) : niceTicks(s.vmin, s.vmax, Math.max(3, Math.floor(bh / 50)));
    const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 1;
    const label = (v) => (s.log ? fmt(v, 2) : tickLabel(v, step));
    const ends = [];
    if (clip.hi) ends.push({ y: r.y, text: `≥ ${fmt(s.vmax, 3)}` });
    if (clip.lo) ends.push({ y: r.y + bh, text: `≤ ${fmt(s.vmin, 3)}` });
    ctx.fillStyle = INK;
    ctx.font = font(11);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const tick = (y, text) => {
      ctx.beginPath();
      ctx.moveTo(bx + bw, y);
      ctx.lineTo(bx + bw + 4, y);
      ctx.stroke();
      fillText(ctx, text, bx + bw + 6, y);
    };
    for (const v of ticks) {
      const t = pos(v);
      if (!(t >= -1e-6 && t <= 1 + 1e-6)) continue;
      const y = r.y + bh - t * bh;
      if (ends.some((e) => Math.abs(e.y - y) < 13)) continue; // the end's own label says it
      tick(y, label(v));
    }
    for (const e of ends) tick(e.y, e.text);
    if (nanAt >= 0) {
      const y = r.y + r.h - 14;
      ctx.fillStyle = `rgb(${d.rgba[4 * nanAt]},${d.rgba[4 * nanAt + 1]},${d.rgba[4 * nanAt + 2]})`;
      ctx.fillRect(bx, y, bw, 14);
      ctx.strokeRect(bx + 0.5, y + 0.5, bw - 1, 13);
      const room = this.cssW - (bx + bw + 6) - 2;
      const px = Math.max(8, Math.min(11, (11 * room) / richWidth(ctx, d.nanLabel, 11)));
      drawRich(ctx, d.nanLabel, bx + bw + 6, y + 11, px, 'left', INK);
    }
    ctx.save();
    ctx.translate(this.cssW - 10, r.y + bh / 2);
    ctx.rotate(-Math.PI / 2);
    drawRich(ctx, (d.valueLabel || '') + (s.log ? ' (log scale)' : ''), 0, 0, 13, 'center', MUTED);
    ctx.restore();
  }

  /** {lo, hi}: whether some drawn value lies below vmin / above vmax (shown in the end colours), cached per set. */
  clipOf(d) {
    if (this.clipFor === d) return this.clip;
    const { vmin, vmax, log } = d.scale;
    const top = vmax + 1e-6 * (log ? vmax : vmax - vmin);
    const bottom = vmin - 1e-6 * (log ? vmin : vmax - vmin);
    let lo = false;
    let hi = false;
    for (const v of d.values) {
      if (v > top) hi = true;
      else if (v < bottom && !(log && v <= 0)) lo = true; // <= 0 on a log scale is grey, not clipped
    }
    this.clipFor = d;
    this.clip = { lo, hi };
    return this.clip;
  }

  drawLegend(ctx, r, d) {
    const bx = r.x + r.w + 12;
    ctx.font = font(12);
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    d.categories.forEach((c, k) => {
      const y = r.y + 10 + k * 24;
      ctx.fillStyle = `rgb(${c.rgba[0]},${c.rgba[1]},${c.rgba[2]})`;
      ctx.fillRect(bx, y - 7, 14, 14);
      ctx.strokeStyle = '#444';
      ctx.strokeRect(bx + 0.5, y - 6.5, 13, 13);
      ctx.fillStyle = INK;
      fillText(ctx, c.name, bx + 19, y);
    });
  }

  toDataURL() {
    return this.canvas.toDataURL('image/png');
  }

  destroy() {
    this.ro.disconnect();
    this.root.remove();
  }
}

function round(v) {
  return Number(v.toPrecision(6));
}
