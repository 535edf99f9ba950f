// draw.js - canvas helpers shared by every figure: fonts, nice axis ticks, number formats and typeset labels
// such as "σ_w^2" (subscript and superscript stacked, as in print).

export const FONT = '"Helvetica Neue", Helvetica, Arial, "DejaVu Sans", sans-serif';
export const INK = '#1d1d1f';
export const MUTED = '#5f6368';
export const GRID = '#e6e6e6';

export function font(px, style = '') {
  return `${style} ${px}px ${FONT}`.trim();
}

// The pixel ratio canvases are drawn at: the screen's, or the export's while a PNG for a slide is redrawn
// (withPixelRatio), so an export at 3x has the screen's layout and typography with three times the pixels.
let exportRatio = null;

/** The pixel ratio a canvas drawn now uses: the export's inside withPixelRatio, else the device's (at most 3). */
export function pixelRatio() {
  return exportRatio || Math.min(3, (typeof window !== 'undefined' && window.devicePixelRatio) || 1);
}

// Each canvas's redraw (registered by the component that owns it: Plot, Heatmap, or a demo's own canvas).
const redraws = new WeakMap();

/** Registers how canvas is drawn again (fn may return a promise), so an export can redraw it at another ratio. */
export function redrawable(canvas, fn) {
  redraws.set(canvas, fn);
}

/** Whether canvas can be drawn again at another pixel ratio (see redrawable). */
export const canRedraw = (canvas) => redraws.has(canvas);

/**
 * Runs fn() (it may be async) with every canvas in `canvases` redrawn at pixel ratio `ratio`, then redraws them
 * at the screen's ratio again; canvases without a registered redraw keep their pixels. Returns fn's result.
 */
export async function withPixelRatio(ratio, canvases, fn) {
  const again = () => Promise.all(canvases.map((c) => redraws.has(c) && redraws.get(c)()));
  exportRatio = ratio;
  try {
    await again();
    return await fn();
  } finally {
    exportRatio = null;
    await again();
  }
}

/** A canvas sized to cssW x cssH CSS pixels at pixelRatio(); returns its 2-D context (CSS units). */
export function sizeCanvas(canvas, cssW, cssH) {
  const dpr = pixelRatio();
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  textBoxes.set(canvas, { w: cssW, h: cssH, dpr, out: [] });
  return ctx;
}

// ---- text that runs off its canvas ------------------------------------------------------------------------
// Every text drawn through these helpers (fillText, drawRich, drawTicks, drawIdle) is measured; a box that leaves
// its canvas (by more than half a pixel) is recorded until the canvas is sized again (its next redraw), so a test
// or a curious reader can ask textOverflow() which labels are clipped.
const textBoxes = new WeakMap();
const sized = new Set(); // WeakRefs of the canvases to look at (dropped once they leave the page)
const tracked = new WeakSet();

function record(ctx, text, x, y) {
  const c = ctx.canvas;
  const info = c && textBoxes.get(c);
  if (!info || !text) return;
  if (!tracked.has(c)) {
    tracked.add(c);
    sized.add(new WeakRef(c));
  }
  const m = ctx.measureText(text);
  // the box in the current transform's units, then in the canvas's CSS pixels
  const t = ctx.getTransform();
  const xs = [x - m.actualBoundingBoxLeft, x + m.actualBoundingBoxRight];
  const ys = [y - m.actualBoundingBoxAscent, y + m.actualBoundingBoxDescent];
  const px = [];
  const py = [];
  for (const u of xs) {
    for (const v of ys) {
      px.push((t.a * u + t.c * v + t.e) / info.dpr);
      py.push((t.b * u + t.d * v + t.f) / info.dpr);
    }
  }
  const box = { left: Math.min(...px), right: Math.max(...px), top: Math.min(...py), bottom: Math.max(...py) };
  const tol = 0.5;
  if (box.left < -tol || box.top < -tol || box.right > info.w + tol || box.bottom > info.h + tol) {
    info.out.push({ text, box: Object.fromEntries(Object.entries(box).map(([k, v]) => [k, Math.round(v * 10) / 10])) });
  }
}

/** ctx.fillText, recorded for textOverflow(). */
export function fillText(ctx, text, x, y) {
  ctx.fillText(text, x, y);
  record(ctx, text, x, y);
}

/**
 * The texts drawn outside their canvas in the canvases now in the page: [{canvas (its aria-label or id), width,
 * height (CSS px), text, box: {left, right, top, bottom}}]. Empty when every label fits.
 */
export function textOverflow() {
  const out = [];
  for (const ref of [...sized]) {
    const c = ref.deref();
    if (!c || !c.isConnected || !c.getClientRects().length) { // gone, or not shown (display: none)
      if (c && !c.isConnected) tracked.delete(c);
      if (!c || !c.isConnected) sized.delete(ref);
      continue;
    }
    const info = textBoxes.get(c);
    const name = c.getAttribute('aria-label') || c.id || 'canvas';
    for (const o of info.out) out.push({ canvas: name, width: info.w, height: info.h, ...o });
  }
  return out;
}

/**
 * The most height (CSS px) a canvas now `current` px tall may take in an iframe showing one figure (body.single:
 * a link with fig=NAME), so that the whole frame shows without scrolling; Infinity on the full page. Heatmap and
 * Plot apply it to every figure, whatever the frame's height.
 */
export function roomInFrame(current = 0) {
  const b = typeof document !== 'undefined' && document.body;
  if (!b || !b.classList.contains('single')) return Infinity;
  return window.innerHeight - (b.offsetHeight - current);
}

/** sizeCanvas, then painted white: the start of every redraw of a heatmap or plot. */
export function blankCanvas(canvas, cssW, cssH) {
  const ctx = sizeCanvas(canvas, cssW, cssH);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cssW, cssH);
  return ctx;
}

/** The placeholder text in the middle of rect r (x, y, w, h) while a component has nothing to draw yet. */
export function drawIdle(ctx, r, text, px) {
  ctx.fillStyle = MUTED;
  ctx.font = font(px);
  ctx.textAlign = 'center';
  // centred on the rect, shrunk if it would run off a narrow canvas
  const info = textBoxes.get(ctx.canvas);
  const cx = r.x + r.w / 2;
  const room = info ? 2 * Math.min(cx, info.w - cx) - 8 : Infinity;
  const w = ctx.measureText(text).width;
  if (w > room) ctx.font = font(Math.max(8, (px * room) / w));
  fillText(ctx, text, cx, r.y + r.h / 2);
}

/** About n "nice" ticks (1, 2, 5 x 10^k) covering [a, b]. */
export function niceTicks(a, b, n = 5) {
  if (!(isFinite(a) && isFinite(b)) || a === b) return [a];
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const raw = (hi - lo) / Math.max(1, n);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  const step = (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

/** The smallest "round" step (1, 2 or 5 x 10^k) at least v: arrow-key and slider steps. */
export function niceStep(v) {
  if (!(v > 0 && isFinite(v))) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  const s = [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v * (1 - 1e-9));
  return Number(s.toPrecision(6));
}

/**
 * Draws an axis's ticks (already chosen) with ctx's current stroke, fill and font. axis 'x' or 'y'; at(v) the
 * pixel of value v along the axis, drawn only within [lo - slack, hi + slack]; across [a, b] where the tick's
 * stroke runs (a short tick or a grid line); labelAt where its label goes, across the axis; label(v, step) its
 * text (step: the tick spacing; tickLabel by default).
 */
export function drawTicks(ctx, axis, ticks, { at, lo, hi, slack, across: [a, b], labelAt, label = tickLabel }) {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  const isX = axis === 'x';
  ctx.textAlign = isX ? 'center' : 'right';
  ctx.textBaseline = isX ? 'top' : 'middle';
  for (const v of ticks) {
    const p = at(v);
    if (p < lo - slack || p > hi + slack) continue;
    ctx.beginPath();
    if (isX) {
      ctx.moveTo(p, a);
      ctx.lineTo(p, b);
    } else {
      ctx.moveTo(a, p);
      ctx.lineTo(b, p);
    }
    ctx.stroke();
    if (isX) fillText(ctx, label(v, step), p, labelAt);
    else fillText(ctx, label(v, step), labelAt, p);
  }
}

/** Ticks for a log axis: powers of ten, with 2 and 5 in between when the range is short. */
export function logTicks(a, b) {
  const lo = Math.log10(Math.min(a, b));
  const hi = Math.log10(Math.max(a, b));
  // Less than a factor of five: 1-2-5 steps would leave one tick or none, so use evenly spaced ones.
  if (hi - lo < 0.7) return niceTicks(a, b, 5).filter((v) => v > 0);
  const out = [];
  const mult = hi - lo < 1.2 ? [1, 2, 3, 5] : hi - lo < 2.5 ? [1, 2, 5] : [1];
  const stride = Math.max(1, Math.ceil((hi - lo) / 6));
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    if (mult.length === 1 && e % stride !== 0) continue;
    for (const m of mult) {
      const v = m * Math.pow(10, e);
      const lv = Math.log10(v);
      if (lv >= lo - 1e-9 && lv <= hi + 1e-9) out.push(v);
    }
  }
  if (out.length < 2) return [Math.min(a, b), Math.max(a, b)];
  return out;
}

/** A short, readable number: 0.05, 1.5, 2.3e+4, 1.2e-5. */
export function fmt(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return '−∞';
  const a = Math.abs(v);
  let s;
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) s = v.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  else s = String(Number(v.toPrecision(digits)));
  return s.replace('-', '−');
}

/** A tick label: no more digits than the step needs. */
export function tickLabel(v, step) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return fmt(v, 2);
  const d = step > 0 ? Math.max(0, -Math.floor(Math.log10(step) + 1e-9)) : 2;
  return v.toFixed(Math.min(6, d)).replace('-', '−');
}

// Typeset labels: "σ_w^2", "q^{l-1}", "c^*", "ξ_c". A base character followed by _x/^x (or _{..}/^{..});
// a subscript and a superscript on the same base are stacked.
function parseRich(text) {
  const runs = [];
  let i = 0;
  const group = () => {
    if (text[i] === '{') {
      const j = text.indexOf('}', i);
      const g = text.slice(i + 1, j < 0 ? text.length : j);
      i = j < 0 ? text.length : j + 1;
      return g;
    }
    const ch = text[i];
    i += 1;
    return ch;
  };
  while (i < text.length) {
    const c = text[i];
    if ((c === '_' || c === '^') && runs.length) {
      i += 1;
      const last = runs[runs.length - 1];
      if (c === '_') last.sub = group();
      else last.sup = group();
      continue;
    }
    let j = i + 1;
    while (j < text.length && text[j] !== '_' && text[j] !== '^') j++;
    // Only the last character of a plain run carries scripts: split it off.
    if (j < text.length && j - i > 1) {
      runs.push({ t: text.slice(i, j - 1) });
      runs.push({ t: text[j - 1] });
    } else runs.push({ t: text.slice(i, j) });
    i = j;
  }
  return runs;
}

export function richWidth(ctx, text, px) {
  let w = 0;
  for (const r of parseRich(text)) {
    ctx.font = font(px);
    w += ctx.measureText(r.t).width;
    ctx.font = font(px * 0.7);
    const s = Math.max(r.sub ? ctx.measureText(r.sub).width : 0, r.sup ? ctx.measureText(r.sup).width : 0);
    w += s ? s + 1 : 0;
  }
  return w;
}

/** Draws typeset text with its baseline at y; align 'left' | 'center' | 'right'. */
export function drawRich(ctx, text, x, y, px, align = 'left', color = INK) {
  const w = richWidth(ctx, text, px);
  let cx = align === 'center' ? x - w / 2 : align === 'right' ? x - w : x;
  ctx.save();
  ctx.fillStyle = color;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  for (const r of parseRich(text)) {
    ctx.font = font(px);
    fillText(ctx, r.t, cx, y);
    cx += ctx.measureText(r.t).width;
    if (r.sub || r.sup) {
      ctx.font = font(px * 0.7);
      let sw = 0;
      if (r.sup) {
        fillText(ctx, r.sup, cx + 0.5, y - px * 0.42);
        sw = ctx.measureText(r.sup).width;
      }
      if (r.sub) {
        fillText(ctx, r.sub, cx + 0.5, y + px * 0.28);
        sw = Math.max(sw, ctx.measureText(r.sub).width);
      }
      cx += sw + 1;
    }
  }
  ctx.restore();
  return w;
}

// Words of a label for line breaking: "ε = 0.02," stays together (no break next to "="), and a " · " separator
// is dropped where the line breaks.
function words(text) {
  const out = [];
  for (const w of text.split(' ').filter(Boolean)) {
    const last = out[out.length - 1];
    if (last !== undefined && (w.startsWith('=') || last.endsWith('='))) out[out.length - 1] = `${last} ${w}`;
    else out.push(w);
  }
  return out;
}

/**
 * How typeset text fits in maxW pixels: {lines, px} - one line at px if it fits, else one line shrunk (down to
 * minPx), else lines broken at spaces at minPx (at most maxLines; the last may still be too wide, and then
 * textOverflow reports it).
 */
export function fitText(ctx, text, { maxW, px, minPx = 10, maxLines = 2 }) {
  const w = richWidth(ctx, text, px);
  if (w <= maxW) return { lines: [text], px };
  if ((px * maxW) / w >= minPx) return { lines: [text], px: (px * maxW) / w };
  const lines = [];
  for (const word of words(text)) {
    const cur = lines[lines.length - 1];
    if (cur === undefined || (richWidth(ctx, `${cur} ${word}`, minPx) > maxW && lines.length < maxLines)) lines.push(word);
    else lines[lines.length - 1] = `${cur} ${word}`;
  }
  return { lines: lines.map((l) => l.replace(/^· /, '').replace(/ ·$/, '')), px: minPx };
}

/**
 * Draws typeset text fitted to maxW (fitText): lines go down from baseline y, or up from it when `up` is true.
 * Returns what fitText chose. Titles and notes of Plot and Heatmap use it, so a long title on a phone wraps
 * instead of running off the canvas.
 */
export function drawFitted(ctx, text, x, y, { maxW, px, minPx = 10, maxLines = 2, align = 'left', color = INK, up = false, lineH = 1.25 }) {
  const fit = fitText(ctx, text, { maxW, px, minPx, maxLines });
  const step = fit.px * lineH;
  fit.lines.forEach((l, k) => {
    drawRich(ctx, l, x, up ? y - (fit.lines.length - 1 - k) * step : y + k * step, fit.px, align, color);
  });
  return fit;
}

/** Text as HTML text: &, < and > escaped. */
export const escapeHTML = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The same notation as HTML (for labels and readouts outside the canvas). */
export function richHTML(text) {
  const esc = escapeHTML;
  return parseRich(text).map((r) => {
    let h = esc(r.t);
    if (r.sub && r.sup) {
      h += `<span class="ss"><sup>${esc(r.sup)}</sup><sub>${esc(r.sub)}</sub></span>`;
    } else if (r.sup) h += `<sup>${esc(r.sup)}</sup>`;
    else if (r.sub) h += `<sub>${esc(r.sub)}</sub>`;
    return h;
  }).join('');
}
