// export.js - PNG and CSV export for any demo: a CSV header that records every parameter and the link, file
// names, the download itself, and the wiring of a panel's [data-export] buttons.
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

/**
 * Wires every button with data-export="png|csv" and data-for="FIGURE" inside root to
 * exportFigure(figure, kind); figure(name) gives the figure object, header(name) its CSV header lines and
 * basename(name) the file name without extension.
 */
export function wireExports(root, { figure, header, basename }) {
  root.querySelectorAll('[data-export]').forEach((b) => b.addEventListener('click', () => {
    const name = b.dataset.for;
    const f = figure(name);
    if (!f) return;
    if (b.dataset.export === 'png') download(f.png(), `${basename(name)}.png`);
    else downloadCSV(f.csv(header(name)), `${basename(name)}.csv`);
  }));
}
