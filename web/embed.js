// embed.js - the small public JS API for course pages: mount one dynlens figure of any demo in an element, set
// its parameters, read back the numbers it drew.
//
//   import { mount } from './embed.js';          // from wherever dist/ is hosted
//   const fig = await mount(document.querySelector('#here'), { figure: 'phase', act: 'relu', field: 'chi1' });
//   await fig.set({ sw2: 2, sb2: 0.1 });          // resolves once the figure is redrawn
//   fig.numbers();                                 // {figure, act, field, nx, ny, sw2, sb2, values, ...}
//   fig.destroy();
//
// Figures: every name in a demo's `figures` in web/demos/registry.js (FIGURES below). The signal-propagation
// demo's: 'phase' (the phase diagram), 'length' (length map and cobweb), 'corr' (correlation map), 'depth'
// (correlation vs depth with simulation). Parameters are that demo's URL-hash keys (its schema() in
// web/demos/<demo>/index.js); for 'phase' and friends: act, field, sw2, sb2, sw2r: [a, b], sb2r: [a, b], res,
// scale, cmap, vr, width, seeds, depth, q0, c0, seed, dlog. A bad parameter throws an Error that says what is
// allowed. options.onSelect(patch) is called when a reader clicks a clickable figure (for 'phase': {sw2, sb2});
// the figure's own marker moves as well.
import { getEngine } from './engine.js';
import { csvHeader } from './export.js';
import { allFigures, demoNames, demoOfFigure, loadDemo } from './demos/registry.js';
import { linkSchema, parseHash, parsePatch } from './state.js';

export const FIGURES = allFigures();

export async function mount(el, options = {}) {
  const { figure = 'phase', onSelect, workers, ...params } = options;
  if (!(el instanceof Element)) throw new Error('dynlens mount: the first argument must be a DOM element');
  const demo = demoOfFigure(figure);
  if (!demo) throw new Error(`dynlens mount: unknown figure "${figure}"; known: ${FIGURES.join(', ')}`);
  const [engine, mod] = await Promise.all([getEngine({ workers }), loadDemo(demo.name)]);
  const Fig = mod && mod.figures[figure];
  if (!Fig) throw new Error(`dynlens mount: the ${demo.label} demo has no figure "${figure}" yet`);
  // The demo's own keys only: demo= and fig= mean nothing to one mounted figure.
  const sch = mod.schema(engine);
  let state = { ...parseHash('', linkSchema(demoNames(), demo.name, sch, demo.figures)).state, fig: '' };

  const host = document.createElement('div');
  host.className = 'dynlens-figure';
  el.append(host);
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
    csv: () => fig.csv(csvHeader(`dynlens ${figure} (embedded)`, state, sch, false)),
    destroy() {
      host.remove();
    },
  };
  await api.set(params);
  return api;
}
