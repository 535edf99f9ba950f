// embed.js - the small public JS API for course pages: mount one dynlens figure in an element, set its
// parameters, read back the numbers it drew.
//
//   import { mount } from './embed.js';          // from wherever dist/ is hosted
//   const fig = await mount(document.querySelector('#here'), { figure: 'phase', act: 'relu', field: 'chi1' });
//   await fig.set({ sw2: 2, sb2: 0.1 });          // resolves once the figure is redrawn
//   fig.numbers();                                 // {figure, act, field, nx, ny, sw2, sb2, values, ...}
//   fig.destroy();
//
// Figures: 'phase' (the phase diagram), 'length' (length map and cobweb), 'corr' (correlation map),
// 'depth' (correlation vs depth with simulation). Parameters are the page's URL-hash keys (see state.js):
// act, field, sw2, sb2, sw2r: [a, b], sb2r: [a, b], res, scale, cmap, vr, width, seeds, depth, q0, c0, seed.
// A bad parameter throws an Error that says what is allowed. options.onSelect({sw2, sb2}) is called when a
// reader clicks the phase diagram (the figure's own marker moves as well).
import { getEngine } from './engine.js';
import { FIGURE_CLASSES } from './figures.js';
import { defaults, formatValue, parseHash, schema } from './state.js';

export const FIGURES = Object.keys(FIGURE_CLASSES);

export async function mount(el, options = {}) {
  const { figure = 'phase', onSelect, workers, ...params } = options;
  if (!(el instanceof Element)) throw new Error('dynlens mount: the first argument must be a DOM element');
  if (!FIGURE_CLASSES[figure]) throw new Error(`dynlens mount: unknown figure "${figure}"; known: ${FIGURES.join(', ')}`);
  const engine = await getEngine({ workers });
  const sch = schema(engine);
  let state = defaults(sch);

  // Values are checked by the same code that checks the page's links.
  const validate = (patch) => {
    const text = Object.entries(patch).map(([k, v]) => {
      if (!sch[k]) throw new Error(`dynlens: unknown parameter "${k}"; known: ${Object.keys(sch).join(', ')}`);
      return `${k}=${v === null ? 'auto' : Array.isArray(v) ? v.join(':') : String(v)}`;
    }).join('&');
    const r = parseHash(text, sch);
    if (r.notices.length) throw new Error(`dynlens: ${r.notices.join(' ')}`);
    const out = {};
    for (const k of Object.keys(patch)) out[k] = r.state[k];
    return out;
  };

  const host = document.createElement('div');
  host.className = 'dynlens-figure';
  el.append(host);
  let fig = null;
  const select = (p) => {
    api.set({ sw2: p.sw2, sb2: p.sb2 });
    if (onSelect) onSelect(p);
  };
  fig = new FIGURE_CLASSES[figure](engine, host, figure === 'phase' ? { onSelect: select } : {});

  const api = {
    figure,
    /** Changes parameters; resolves when the figure has drawn them (for 'phase': the full resolution). */
    async set(patch) {
      state = { ...state, ...validate(patch) };
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
    csv: () => fig.csv([`# dynlens ${figure} (embedded)`, `# parameters: ${Object.entries(sch)
      .map(([k, s]) => `${k}=${formatValue(state[k], s)}`).join(' ')}`]),
    destroy() {
      host.remove();
    },
  };
  await api.set(params);
  return api;
}
