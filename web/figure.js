// figure.js - what every demo's figures share: work tracking (so tests and embedding pages can wait until a
// figure is drawn), the figure frame with its error line, and the colouring of a grid through the core's
// colormaps (colour scale, robust range, diverging maps centred on a value, categories) for the Heatmap.
//
// A figure class, in any demo: new Fig(engine, hostElement, {onSelect}) with
//   update(state)   draw for this state (the demo's URL-hash state); cheap when nothing it uses changed
//   work            a Work: work.idle(), await work.settled()
//   numbers()       exactly the numbers it drew (plain JSON-able object, with `figure: NAME`), or null
//   csv(header)     its numbers as CSV text, header lines (an array of "# ..." strings) first
//   png()           a data: URL of its canvas (Heatmap and Plot have toDataURL())
// setupFigure(this, engine, el, cls) at the top of the constructor sets engine, errorBox and work.
// onSelect(patch), if the figure is clickable, receives a state patch ({sw2, sb2} for the phase diagram).
import { isCancelled } from './engine.js';

/** Several canvases side by side in one PNG data URL (a figure with panels); missing or empty ones are left out. */
export function joinPNG(canvases) {
  const cs = canvases.filter((c) => c && c.width);
  const w = cs.reduce((s, c) => s + c.width, 0);
  const h = Math.max(...cs.map((c) => c.height));
  const out = document.createElement('canvas');
  out.width = w;
  out.height = h;
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  let x = 0;
  for (const c of cs) {
    ctx.drawImage(c, x, 0);
    x += c.width;
  }
  return out.toDataURL('image/png');
}

export function linspace(a, b, n) {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

// Counts a figure's work in flight, so a test (or an embedding page) can wait until everything is drawn.
export class Work {
  constructor() {
    this.n = 0;
    this.waiters = [];
  }
  track(p) {
    this.n++;
    return p.finally(() => {
      this.n--;
      if (!this.n) this.waiters.splice(0).forEach((f) => f());
    });
  }
  idle() {
    return this.n === 0;
  }
  settled() {
    return this.n === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}

/** Shows err in the figure's error line (a cancelled request is not an error). */
export function showError(fig, err) {
  if (isCancelled(err)) return;
  fig.errorBox.hidden = false;
  fig.errorBox.textContent = `Error: ${err.message || err}`;
  console.warn('dynlens:', err);
}

/** The body of a figure inside el: {box (draw here), err (the error line: fig.errorBox)}. */
export function figureFrame(el, cls) {
  const box = document.createElement('div');
  box.className = `figure-body ${cls}`;
  const err = document.createElement('p');
  err.className = 'fig-error';
  err.setAttribute('role', 'alert');
  err.hidden = true;
  el.append(box, err);
  return { box, err };
}

/**
 * What every figure's constructor starts with: fig.engine, the frame inside el (its error line becomes
 * fig.errorBox) and fig.work. Returns the box to draw in.
 */
export function setupFigure(fig, engine, el, cls) {
  fig.engine = engine;
  const { box, err } = figureFrame(el, cls);
  fig.errorBox = err;
  fig.work = new Work();
  return box;
}

/**
 * Colours grid values through the core: returns {rgba, ramp (256 colours for the colorbar), cmap, vmin, vmax,
 * log} or, for categories, {rgba, categories: [{name, rgba}], ...}; pass rgba/ramp/categories to Heatmap.set.
 *   dl        engine.dl (the in-page instance: colormaps are light and synchronous)
 *   values    Float32Array
 *   opts      scale: 'auto'|'linear'|'log', cmap: 'auto'|name, vr: [min, max] or null (automatic range),
 *             info: {scale, cmap, center} the defaults for 'auto' (center: the value a diverging map is centred
 *             on when the range is automatic), categories: [names] (values are 0..n-1 indices)
 */
export function colourGrid(dl, values, { scale = 'auto', cmap = 'auto', vr = null, info = {}, categories = null } = {}) {
  if (categories) {
    const c = cmap === 'auto' ? 'viridis' : cmap;
    const top = categories.length - 1;
    const cat = dl.colormap(c, Float32Array.from(categories.map((_, k) => k)), 0, top);
    return {
      rgba: dl.colormap(c, values, 0, top),
      categories: categories.map((name, k) => ({ name, rgba: cat.slice(4 * k, 4 * k + 4) })),
      cmap: c, vmin: 0, vmax: top, log: false,
    };
  }
  const log = scale === 'auto' ? info.scale === 'log' : scale === 'log';
  const c = cmap === 'auto' ? info.cmap || 'viridis' : cmap;
  let vmin;
  let vmax;
  if (vr && (!log || vr[0] > 0)) [vmin, vmax] = vr;
  else {
    const r = dl.autoRange(values, log);
    vmin = r.vmin;
    vmax = r.vmax;
    // A diverging map is centred on the value that separates two regimes (chi = 1, xi_grad = 0).
    if (info.center !== undefined && cmap === 'auto') {
      if (log) {
        const m = Math.max(vmax / info.center, info.center / vmin, 1.01);
        vmin = info.center / m;
        vmax = info.center * m;
      } else {
        const m = Math.max(Math.abs(vmax - info.center), Math.abs(vmin - info.center), 1e-9);
        vmin = info.center - m;
        vmax = info.center + m;
      }
    }
  }
  const t = linspace(0, 1, 256);
  const rampVals = Float32Array.from(t.map((u) => (log ? vmin * Math.pow(vmax / vmin, u) : vmin + u * (vmax - vmin))));
  return {
    rgba: dl.colormap(c, values, vmin, vmax, log),
    ramp: dl.colormap(c, rampVals, vmin, vmax, log),
    cmap: c, vmin, vmax, log,
  };
}

/**
 * A figure's legend as HTML list items (for marks drawn on a heatmap, whose canvas has no room for them): each item
 * {mark, label (HTML)} with mark 'line' ({color, dash: [on, off], bg: the colour under it}), 'swatch' ({color}),
 * 'dot' ({color, bg}), 'ring' (the selection marker) or 'gradient' ({stops: [colours]}). uid makes gradient ids unique on the page.
 */
export function legendHTML(items, uid) {
  const svg = (body) => `<svg width="34" height="12" aria-hidden="true">${body}</svg>`;
  const icon = (it, k) => {
    if (it.mark === 'line') {
      return svg(`<rect width="34" height="12" fill="${it.bg || '#fff'}"/><line x1="2" y1="6" x2="32" y2="6" ` +
        `stroke="${it.color}" stroke-width="2.5" stroke-dasharray="${(it.dash || []).join(' ')}"/>`);
    }
    if (it.mark === 'dot') return svg(`<rect width="34" height="12" fill="${it.bg || '#fff'}"/><circle cx="17" cy="6" r="5" fill="${it.color}"/>`);
    if (it.mark === 'swatch') return svg(`<rect x="0.5" y="0.5" width="33" height="11" fill="${it.color}" stroke="#444"/>`);
    if (it.mark === 'ring') {
      return svg('<circle cx="17" cy="6" r="5" fill="none" stroke="#fff" stroke-width="3"/>' +
        '<circle cx="17" cy="6" r="5" fill="none" stroke="#000" stroke-width="1.5"/>');
    }
    const id = `${uid}-g${k}`;
    const stops = it.stops.map((c, i) => `<stop offset="${i / (it.stops.length - 1)}" stop-color="${c}"/>`).join('');
    return svg(`<defs><linearGradient id="${id}">${stops}</linearGradient></defs><rect width="34" height="12" fill="url(#${id})"/>`);
  };
  return items.map((it, k) => `<li>${icon(it, k)}${it.label}</li>`).join('');
}

/** The explanation line under a figure (its sentence is computed from the numbers drawn): a <p> appended to box. */
export function explainBox(box) {
  const p = document.createElement('p');
  p.className = 'explain';
  p.setAttribute('aria-live', 'polite');
  box.append(p);
  return p;
}

/** Plot options' aspect (height / width) for the screen the plot is made on: `desktop` on a wide one, at least 0.9 on
 * a phone, where a plot is narrow and its legend would otherwise cover the curves: new Plot(box, {label, ...plotAspect(0.62)}). */
export function plotAspect(desktop) {
  return { aspect: window.innerWidth < 500 ? Math.max(desktop, 0.9) : desktop };
}
