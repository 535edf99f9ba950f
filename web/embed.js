// embed.js - the small public JS API for course pages: mount one dynlens figure of any demo in an element, set
// its parameters, read back the numbers it drew.
//
//   import { mount } from './embed.js';          // from wherever dist/ is hosted
//   const fig = await mount(document.querySelector('#here'), { figure: 'phase', act: 'relu', field: 'chi1' });
//   await fig.set({ sw2: 2, sb2: 0.1 });          // resolves once the figure is redrawn
//   fig.numbers();                                 // {figure, act, field, nx, ny, sw2, sb2, values, ...}
//   await fig.exportPNG({ scale: 3 });             // {url, width, height}: redrawn at 3x (or {width: 1920})
//   fig.destroy();
//
// Figures: every name in a demo's `figures` in web/demos/registry.js (FIGURES below). The signal-propagation
// demo's: 'phase' (the phase diagram), 'length' (length map and cobweb), 'corr' (correlation map), 'depth'
// (correlation vs depth with simulation). Parameters are that demo's URL-hash keys (its schema() in
// web/demos/<demo>/index.js); for 'phase' and friends: act, field, sw2, sb2, sw2r: [a, b], sb2r: [a, b], res,
// scale, cmap, vr, width, seeds, depth, q0, c0, seed, dlog. A bad parameter throws an Error that says what is
// allowed. options.onSelect(patch) is called when a reader clicks a clickable figure (for 'phase': {sw2, sb2});
// the figure's own marker moves as well. Under the figure, a small link opens the full page with the same settings
// (options.link: false leaves it out).
import { getEngine } from './engine.js';
import { csvHeader, renderPNG } from './export.js';
import { allFigures, demoNames, demoOfFigure, loadDemo } from './demos/registry.js';
import { linkSchema, parseHash, parsePatch, toHash } from './state.js';

export const FIGURES = allFigures();

export async function mount(el, options = {}) {
  const { figure = 'phase', onSelect, workers, link = true, ...params } = options;
  if (!(el instanceof Element)) throw new Error('dynlens mount: the first argument must be a DOM element');
  const demo = demoOfFigure(figure);
  if (!demo) throw new Error(`dynlens mount: unknown figure "${figure}"; known: ${FIGURES.join(', ')}`);
  const [engine, mod] = await Promise.all([getEngine({ workers }), loadDemo(demo.name)]);
  const Fig = mod && mod.figures[figure];
  if (!Fig) throw new Error(`dynlens mount: the ${demo.label} demo has no figure "${figure}" yet`);
  // The demo's own keys only: demo= and fig= mean nothing to one mounted figure.
  const sch = mod.schema(engine);
  const full = linkSchema(demoNames(), demo.name, sch, demo.figures);
  let state = { ...parseHash('', full).state, fig: '' };

  const host = document.createElement('div');
  host.className = 'dynlens-figure';
  el.append(host);
  const back = document.createElement('a');
  back.className = 'dynlens-open';
  back.target = '_blank';
  back.rel = 'noopener';
  back.textContent = 'Open in dynlens with its controls ↗';
  back.style.cssText = 'display:block;text-align:right;font-size:0.78rem;color:#5f6368;margin:2px 4px';
  if (link) el.append(back);
  const select = (patch) => {
    api.set(patch);
    if (onSelect) onSelect(patch);
  };
  const fig = new Fig(engine, host, { onSelect: select });

  const api = {
    figure,
    demo: demo.name,
    /** Changes parameters; resolves when the figure has drawn them (for 'phase': the full resolution). */
    async set(patch) {
      state = { ...state, ...parsePatch(patch, sch) };
      back.href = new URL(`index.html${toHash(state, full)}`, import.meta.url).href;
      fig.update(state);
      await fig.work.settled();
      return api;
    },
    state: () => JSON.parse(JSON.stringify(state)),
    /** Exactly the numbers the figure drew (for 'phase' the grid values, range and critical line). */
    numbers() {
      const n = fig.numbers();
      if (n && n.gridPoint) delete n.gridPoint;
      return n;
    },
    png: () => fig.png(),
    /** The PNG for a slide, redrawn at opts.scale (2, 3) or opts.width pixels: resolves to {url, width, height}. */
    exportPNG: (opts) => renderPNG(fig, host, opts),
    csv: () => fig.csv(csvHeader(`dynlens ${figure} (embedded)`, state, sch, false)),
    destroy() {
      host.remove();
      back.remove();
    },
  };
  await api.set(params);
  return api;
}
