// export.js - PNG and CSV export for any demo: a CSV header that records every parameter and the link, file
// names (one rule: fileName), PNGs for slides (the figure redrawn at 2x, 3x or a width in pixels, same layout and
// typography), the download itself, and the wiring of a panel's [data-export] buttons.
import { canRedraw, pixelRatio, withPixelRatio } from './draw.js';
import { formatValue, toHash } from './state.js';

/** Saves a data:/blob: URL as a file. */
export function download(href, filename) {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
}

/** Saves text as a CSV file. */
export function downloadCSV(text, filename) {
  const href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  download(href, filename);
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}

/** The "# ..." lines that start every CSV: what it is, every parameter of the state, and the link to the view. */
export function csvHeader(title, state, sch, withLink = true) {
  const p = Object.entries(sch).filter(([k]) => k !== 'fig')
    .map(([k, s]) => `${k}=${formatValue(state[k], s)}`).join(' ');
  const lines = [`# ${title}; computed by the dynlens C core (WebAssembly)`, `# parameters: ${p}`];
  if (withLink && typeof location !== 'undefined') lines.push(`# link: ${location.href.split('#')[0]}${toHash(state, sch)}`);
  return lines;
}

/** A number as a file name shows it: 3 significant digits, no float noise (0.30000000000000004 -> 0.3, 1e-5). */
export function roundName(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const s = a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(Number(v.toPrecision(3)));
  return s;
}

/**
 * THE file-name rule of every export: "dynlens-FIGURE-part-part...", where a part is a word ('tanh'), a
 * [name, number] pair (['sw2', 1.5] -> "sw2_1.5", rounded by roundName), or false/null/'' (left out, for parts
 * that only some figures or settings have). Characters a file system may refuse become "_".
 */
export function fileName(figure, ...parts) {
  const words = parts.filter((p) => p !== false && p !== null && p !== undefined && p !== '')
    .map((p) => (Array.isArray(p) ? `${p[0]}_${typeof p[1] === 'number' ? roundName(p[1]) : p[1]}` : String(p)));
  return ['dynlens', figure, ...words].join('-').replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** {width, height} in pixels of a PNG data URL (from its IHDR chunk: bytes 16-23). */
export function pngSize(url) {
  const b = atob(url.slice(url.indexOf(',') + 1, url.indexOf(',') + 1 + 32));
  const u32 = (i) => ((b.charCodeAt(i) << 24) | (b.charCodeAt(i + 1) << 16) | (b.charCodeAt(i + 2) << 8) | b.charCodeAt(i + 3)) >>> 0;
  return { width: u32(16), height: u32(20) };
}

/** The PNG sizes offered next to every PNG button: a scale of the figure as drawn, or a width in pixels. */
export const PNG_SIZES = [
  { key: '1x', scale: 1, text: '1×' }, { key: '2x', scale: 2, text: '2×' }, { key: '3x', scale: 3, text: '3×' },
  { key: '1920px', width: 1920, text: '1920 px' }, { key: '3840px', width: 3840, text: '3840 px' },
];
const MAX_RATIO = 8; // a canvas side stays under browsers' limits (about 16k pixels)

/**
 * A figure's PNG for a slide: every canvas inside host is drawn again at `scale` times its CSS size (or so that
 * the PNG is `width` pixels wide), so text and lines stay sharp and the layout is the one on screen; then the
 * canvases go back to the screen's resolution. Resolves to {url, width, height, ratio, unscaled}: unscaled counts
 * the shown canvases that have no registered redraw (draw.js redrawable) and so keep the screen's pixels.
 */
export async function renderPNG(fig, host, { scale = null, width = null } = {}) {
  const canvases = host ? [...host.querySelectorAll('canvas')] : [];
  let ratio = scale || pixelRatio();
  if (width) {
    const at1 = await withPixelRatio(1, canvases, () => pngSize(fig.png()).width);
    ratio = at1 ? width / at1 : 1;
  }
  if (!(ratio > 0) || ratio > MAX_RATIO) throw new Error(`PNG export: a ${width ? `${width} px wide` : `${scale}×`} image is too large (at most ${MAX_RATIO}× the figure on screen)`);
  const url = await withPixelRatio(ratio, canvases, () => fig.png());
  const unscaled = canvases.filter((c) => c.getClientRects().length && !canRedraw(c)).length;
  if (unscaled) console.warn(`dynlens: ${unscaled} canvas(es) of this figure cannot be redrawn at ${ratio.toFixed(2)}x and keep the screen's resolution`);
  return { url, ...pngSize(url), ratio, unscaled };
}

/**
 * Wires every button with data-export="png|csv" and data-for="FIGURE" inside root: CSV downloads the figure's
 * numbers, PNG its picture at the size chosen in the select put beside it (PNG_SIZES). figure(name) gives the
 * figure object, header(name) its CSV header lines, basename(name) the file name without extension (fileName) and
 * host(name) the element holding its canvases.
 */
export function wireExports(root, { figure, header, basename, host = (n) => root.querySelector(`[data-fig="${n}"]`) }) {
  root.querySelectorAll('[data-export]').forEach((b) => {
    const name = b.dataset.for;
    let size = null;
    if (b.dataset.export === 'png') {
      size = document.createElement('select');
      size.className = 'png-size';
      size.setAttribute('aria-label', `PNG size of the ${name} figure (a scale of the figure as drawn, or a width in pixels)`);
      size.title = 'PNG size: 2× or 3× the figure as drawn, or a width in pixels (same layout and lettering, more pixels)';
      size.innerHTML = PNG_SIZES.map((s) => `<option value="${s.key}"${s.key === '2x' ? ' selected' : ''}>${s.text}</option>`).join('');
      b.before(size);
    }
    b.addEventListener('click', async () => {
      const f = figure(name);
      if (!f) return;
      if (b.dataset.export !== 'png') {
        downloadCSV(f.csv(header(name)), `${basename(name)}.csv`);
        return;
      }
      const s = PNG_SIZES.find((x) => x.key === size.value);
      b.disabled = true;
      try {
        const png = await renderPNG(f, host(name), s);
        download(png.url, `${basename(name)}-${s.key}.png`);
      } catch (err) {
        // said where the reader looks: the figure's own error line (figure.js showError's box)
        const box = b.closest('.fig') && b.closest('.fig').querySelector('.fig-error');
        if (box) Object.assign(box, { textContent: err.message, hidden: false });
        b.title = err.message;
        console.warn('dynlens:', err);
      } finally {
        b.disabled = false;
      }
    });
  });
}
