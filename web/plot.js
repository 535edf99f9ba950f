// plot.js - a small line-plot component (axes, ticks, typeset titles, lines, bands, points, markers, legend)
// for the linked panels; like the heatmap it only draws what it is given.
import { blankCanvas, drawFitted, drawIdle, drawRich, drawTicks, fitText, fmt, font, GRID, INK, logTicks, MUTED, niceTicks, redrawable, richWidth, roomInFrame, tickLabel } from './draw.js';

const ROW = 16; // a legend entry's height
const NOTE_H = 17;

/** The pixel maps of spec s in plot rectangle r; y.log: a logarithmic axis (values <= 0 map to NaN, a break). */
function axesOf(s, r) {
  const ly = s.y.log ? (v) => (v > 0 ? Math.log10(v) : NaN) : (v) => v;
  return {
    X: (v) => r.x + ((v - s.x.min) / (s.x.max - s.x.min)) * r.w,
    Y: (v) => r.y + ((ly(s.y.max) - ly(v)) / (ly(s.y.max) - ly(s.y.min))) * r.h,
  };
}

/** Whether series ser draws anything inside box b (pixels): its points, or its lines sampled every 4 px. */
function coversMark(ser, X, Y, r, b) {
  const pad = ser.type === 'points' ? (ser.r || 3) + 2 : 4;
  const x0 = b.x - pad, x1 = b.x + b.w + pad, y0 = b.y - pad, y1 = b.y + b.h + pad;
  const inside = (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
  const seg = (ax, ay, bx, by) => {
    if (!(isFinite(ax) && isFinite(ay) && isFinite(bx) && isFinite(by))) return false;
    if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) return false;
    const n = Math.min(256, Math.ceil(Math.hypot(bx - ax, by - ay) / 4));
    for (let i = 0; i <= n; i++) if (inside(ax + ((bx - ax) * i) / (n || 1), ay + ((by - ay) * i) / (n || 1))) return true;
    return false;
  };
  const poly = (xs, ys) => {
    for (let k = 0; k < xs.length; k++) {
      const ax = X(xs[k]), ay = Y(ys[k]);
      if (isFinite(ax) && isFinite(ay) && inside(ax, ay)) return true;
      if (k && seg(X(xs[k - 1]), Y(ys[k - 1]), ax, ay)) return true;
    }
    return false;
  };
  if (ser.type === 'vline') return isFinite(ser.x) && seg(X(ser.x), r.y, X(ser.x), r.y + r.h);
  if (ser.type === 'hline') return seg(r.x, Y(ser.y), r.x + r.w, Y(ser.y));
  if (ser.type === 'points') return ser.xs.some((x, k) => inside(X(x), Y(ser.ys[k])));
  if (ser.type === 'band') return poly(ser.xs, ser.hi) || poly(ser.xs, ser.lo);
  return ser.type === 'line' && poly(ser.xs, ser.ys);
}

/** One legend entry with its top left at (x, y): the series' symbol, then its label. */
function drawEntry(ctx, it, x, y) {
  ctx.save();
  ctx.strokeStyle = it.color || INK;
  ctx.fillStyle = it.color || INK;
  ctx.lineWidth = it.type === 'band' ? 8 : it.width || 1.8;
  ctx.globalAlpha = it.type === 'band' ? 0.35 : 1;
  ctx.setLineDash(it.dash || []);
  ctx.beginPath();
  if (it.type === 'points') {
    ctx.arc(x + 12, y + 6, 3.5, 0, 2 * Math.PI);
    ctx.fill();
  } else {
    ctx.moveTo(x + 2, y + 6);
    ctx.lineTo(x + 22, y + 6);
    ctx.stroke();
  }
  ctx.restore();
  drawRich(ctx, it.label, x + 28, y + 10, 11, 'left', INK);
}

export class Plot {
  constructor(container, opts = {}) {
    this.opts = opts;
    this.root = document.createElement('div');
    this.root.className = 'plot';
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', opts.label || 'plot');
    this.root.append(this.canvas);
    container.append(this.root);
    this.spec = null;
    this.cssW = 0;
    redrawable(this.canvas, () => this.draw());
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.root);
    this.resize();
  }

  resize() {
    const w = Math.max(260, Math.floor(this.root.clientWidth));
    // at least 260 px tall on a phone, where a legend and a note would otherwise cover the curves
    // (in a frame, fitting its height: the legend rows 'best' puts under the plot come on top of plotH)
    const room = roomInFrame(this.cssH || 0) - ((this.placed && this.placed.extra) || 0);
    const h = Math.round(Math.min(Math.max(w < 420 ? 260 : 220, w * (this.opts.aspect || 0.78)), 420, Math.max(180, room)));
    if (w === this.cssW && h === this.plotH) return;
    this.cssW = w;
    this.plotH = h;
    this.cssH = h;
    this.draw();
  }

  /**
   * spec: { title, x: {min, max, label}, y: {min, max, label}, series: [
   *   {type: 'line', xs, ys, color, width, dash, label} | {type: 'band', xs, lo, hi, color, label}
   *   | {type: 'points', xs, ys, color, r, label} | {type: 'vline', x, color, dash, label}
   *   | {type: 'hline', y, color, dash, label} ], note,
   *   legendPos: 'top' (top right) | 'bottom' (bottom right) | 'best' (where it covers no data: placeLegend) }
   */
  set(spec) {
    this.spec = spec;
    this.draw();
  }

  rect() {
    return { x: 58, y: 32, w: this.cssW - 58 - 14, h: this.cssH - 32 - 50 };
  }

  draw() {
    if (!this.cssW) return;
    const s = this.spec;
    this.cssH = this.plotH;
    // legendPos 'best' may put the legend under the plot: the canvas then grows by its rows
    const place = s && s.legendPos === 'best' ? this.placeLegend(this.canvas.getContext('2d'), s, this.rect()) : null;
    if (place) this.cssH += place.extra;
    this.placed = place; // where 'best' put the legend (read by the browser suites)
    const ctx = blankCanvas(this.canvas, this.cssW, this.cssH);
    const r = this.rect();
    if (place) r.h -= place.extra; // the plot keeps its height; the legend rows go under it
    if (!s) {
      drawIdle(ctx, r, this.opts.idleText || 'click the phase diagram to select a network', 13);
      return;
    }
    const { X, Y } = axesOf(s, r);
    if (s.title) {
      // A long title on a narrow screen shrinks, then wraps onto a second line, rather than run off the canvas.
      const room = this.cssW - r.x - 4;
      const two = richWidth(ctx, s.title, 10) > room;
      drawFitted(ctx, s.title, two ? 8 : r.x, two ? 12 : 20, { maxW: two ? this.cssW - 12 : room, px: 14, minPx: 10 });
    }
    // grid and ticks
    const xt = niceTicks(s.x.min, s.x.max, Math.max(3, Math.floor(r.w / 70)));
    const yt = s.y.log ? logTicks(s.y.min, s.y.max) : niceTicks(s.y.min, s.y.max, Math.max(3, Math.floor(r.h / 45)));
    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.font = font(11);
    ctx.fillStyle = INK;
    // Grid lines across the plot, on whole pixels.
    drawTicks(ctx, 'x', xt, {
      at: (v) => Math.round(X(v)) + 0.5, lo: r.x, hi: r.x + r.w, slack: 1, across: [r.y, r.y + r.h], labelAt: r.y + r.h + 6,
    });
    drawTicks(ctx, 'y', yt, {
      at: (v) => Math.round(Y(v)) + 0.5, lo: r.y, hi: r.y + r.h, slack: 1, across: [r.x, r.x + r.w], labelAt: r.x - 6,
      label: s.y.log ? (v) => fmt(v, 1) : tickLabel,
    });
    ctx.save();
    ctx.beginPath();
    ctx.rect(r.x, r.y, r.w, r.h);
    ctx.clip();
    for (const ser of s.series) this.drawSeries(ctx, ser, X, Y, r);
    ctx.restore();
    ctx.strokeStyle = '#444';
    ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
    drawRich(ctx, s.x.label, r.x + r.w / 2, r.y + r.h + 38, 14, 'center');
    ctx.save();
    ctx.translate(16, r.y + r.h / 2);
    ctx.rotate(-Math.PI / 2);
    drawRich(ctx, s.y.label, 0, 0, 14, 'center');
    ctx.restore();
    if (place) this.drawPlaced(ctx, s, place);
    else this.drawLegend(ctx, s, r);
  }

  /**
   * legendPos 'best': the legend (and the note) go where they cover no data. Candidates are the plot's four inner
   * corners, scored by the data marks under them (line vertices and the points between them every 4 px, points,
   * and the vertical and horizontal lines crossing); the first free one wins (top right, top left, bottom right,
   * bottom left). When no corner is free the legend goes outside, in rows under the x-axis label, and the canvas
   * grows by `extra` px to hold them. Returns {extra, legend: {x, y, w, h} | null, note: {x, y, w, h} | null, items,
   * below: [{it | note, x, y}]}.
   */
  placeLegend(ctx, s, r0) {
    const items = s.series.filter((x) => x.label);
    const iw = items.map((it) => richWidth(ctx, it.label, 11) + 30);
    const lw = Math.max(0, ...iw) + 8;
    const lh = items.length * ROW + 4;
    const nw = s.note ? richWidth(ctx, s.note, 11) + 6 : 0;
    const { X, Y } = axesOf(s, r0);
    const corners = (w, h) => [
      { x: r0.x + r0.w - w - 6, y: r0.y + 6 }, { x: r0.x + 6, y: r0.y + 6 },
      { x: r0.x + r0.w - w - 6, y: r0.y + r0.h - h - 6 }, { x: r0.x + 6, y: r0.y + r0.h - h - 6 },
    ].map((c) => ({ ...c, w, h }));
    const free = (b) => s.series.every((ser) => !coversMark(ser, X, Y, r0, b));
    const apart = (a, b) => a.x + a.w < b.x || b.x + b.w < a.x || a.y + a.h < b.y || b.y + b.h < a.y;
    const legend = items.length ? corners(lw, lh).find((b) => b.w < r0.w && b.h < r0.h && free(b)) : null;
    const note = s.note && (legend || !items.length)
      ? corners(nw, NOTE_H).find((b) => b.w < r0.w && (!legend || apart(b, legend)) && free(b)) : null;
    if ((legend || !items.length) && (note || !s.note)) return { extra: 0, legend, note, items, below: [] };
    // outside: every entry (and the note, cut at its '; ' and ' · ') flows in rows under the x-axis label, across the
    // whole canvas
    const notes = note || !s.note ? [] : s.note.split(/;\s+|\s+·\s+/).map((t) => ({ note: t, w: richWidth(ctx, t, 11) + 16 }));
    const flow = [...(legend ? [] : items.map((it, k) => ({ it, w: iw[k] + 10 }))), ...notes];
    const below = [];
    const left = 8;
    let x = left;
    let row = 0;
    for (const f of flow) {
      if (x > left && x + f.w > this.cssW - left) x = left, row++;
      below.push({ ...f, x, y: r0.y + r0.h + 46 + row * ROW });
      x += f.w;
    }
    return { extra: (row + 1) * ROW + 4, legend, note, items, below };
  }

  drawPlaced(ctx, s, place) {
    const entry = (it, x, y) => drawEntry(ctx, it, x, y);
    const noteAt = (x, y, text = s.note) => drawRich(ctx, text, x + 3, y + 12, 11, 'left', MUTED);
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    if (place.legend) {
      const b = place.legend;
      ctx.fillRect(b.x, b.y, b.w, b.h);
      place.items.forEach((it, k) => entry(it, b.x + 2, b.y + 4 + k * ROW));
    }
    if (place.note) {
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(place.note.x, place.note.y, place.note.w, place.note.h);
      noteAt(place.note.x, place.note.y);
    }
    for (const b of place.below) {
      if (b.it) entry(b.it, b.x, b.y);
      else noteAt(b.x, b.y, b.note);
    }
  }

  drawSeries(ctx, ser, X, Y, r) {
    ctx.save();
    ctx.strokeStyle = ser.color || INK;
    ctx.fillStyle = ser.color || INK;
    ctx.lineWidth = ser.width || 1.8;
    ctx.setLineDash(ser.dash || []);
    ctx.globalAlpha = ser.alpha === undefined ? 1 : ser.alpha;
    if (ser.type === 'line') {
      ctx.beginPath();
      let pen = false;
      for (let k = 0; k < ser.xs.length; k++) {
        const x = X(ser.xs[k]);
        const y = Y(ser.ys[k]);
        if (!(isFinite(x) && isFinite(y))) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
      }
      ctx.stroke();
    } else if (ser.type === 'band') {
      ctx.beginPath();
      for (let k = 0; k < ser.xs.length; k++) ctx.lineTo(X(ser.xs[k]), Y(ser.hi[k]));
      for (let k = ser.xs.length - 1; k >= 0; k--) ctx.lineTo(X(ser.xs[k]), Y(ser.lo[k]));
      ctx.closePath();
      ctx.fill();
    } else if (ser.type === 'points') {
      for (let k = 0; k < ser.xs.length; k++) {
        if (!(isFinite(X(ser.xs[k])) && isFinite(Y(ser.ys[k])))) continue;
        ctx.beginPath();
        ctx.arc(X(ser.xs[k]), Y(ser.ys[k]), ser.r || 3, 0, 2 * Math.PI);
        ctx.fill();
        if (ser.stroke) {
          ctx.strokeStyle = ser.stroke;
          ctx.lineWidth = 1.5;
          ctx.stroke();
        }
      }
    } else if (ser.type === 'vline' && isFinite(ser.x)) {
      const x = X(ser.x);
      ctx.beginPath();
      ctx.moveTo(x, r.y);
      ctx.lineTo(x, r.y + r.h);
      ctx.stroke();
      if (ser.text) {
        ctx.globalAlpha = 1;
        const left = x > r.x + r.w - 110;
        drawRich(ctx, ser.text, left ? x - 5 : x + 5, r.y + 32, 12, left ? 'right' : 'left', ser.color);
      }
    } else if (ser.type === 'hline' && isFinite(Y(ser.y))) {
      const y = Y(ser.y);
      ctx.beginPath();
      ctx.moveTo(r.x, y);
      ctx.lineTo(r.x + r.w, y);
      ctx.stroke();
    }
    ctx.restore();
  }

  drawLegend(ctx, s, r) {
    const items = s.series.filter((x) => x.label);
    if (!items.length && !s.note) return;
    // The legend sits under the title line, right-aligned, one entry per row.
    ctx.font = font(11);
    const widths = items.map((it) => ctx.measureText(it.label.replace(/[_^{}]/g, '')).width + 30);
    const w = Math.max(0, ...widths) + 8;
    const x0 = r.x + r.w - w - 6;
    let y = r.y + 8;
    if (s.legendPos === 'bottom') y = r.y + r.h - 8 - items.length * 16;
    ctx.fillStyle = 'rgba(255,255,255,0.85)';
    if (items.length) ctx.fillRect(x0 - 2, y - 4, w + 4, items.length * 16 + 4);
    for (const it of items) {
      drawEntry(ctx, it, x0, y);
      y += 16;
    }
    if (s.note) {
      // The note goes in the corner away from the curves' usual place: bottom left beside a bottom legend (or
      // above it when there is no room beside it), else bottom left; on a white box so lines do not cross it.
      // A note wider than the plot is broken into lines (going up from the bottom).
      const opt = { maxW: r.w - 14, px: 11, minPx: 10, maxLines: 3 };
      const fit = fitText(ctx, s.note, opt);
      const nw = Math.max(...fit.lines.map((l) => richWidth(ctx, l, fit.px)));
      const lh = fit.px * 1.25;
      const legTop = r.y + r.h - 12 - items.length * 16;
      const beside = s.legendPos !== 'bottom' || !items.length || r.x + 6 + nw + 8 < x0;
      const nx = beside ? r.x + 6 : Math.max(r.x + 6, r.x + r.w - nw - 8);
      const ny = beside ? r.y + r.h - 8 : legTop - 8;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(nx - 3, ny - 12 - (fit.lines.length - 1) * lh, nw + 6, 17 + (fit.lines.length - 1) * lh);
      drawFitted(ctx, s.note, nx, ny, { ...opt, color: MUTED, up: true });
    }
  }

  toDataURL() {
    return this.canvas.toDataURL('image/png');
  }

  destroy() {
    this.ro.disconnect();
    this.root.remove();
  }
}

export { fmt };
