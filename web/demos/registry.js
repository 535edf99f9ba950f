// registry.js - the one list of demos: tab order and label, the demo= value in the URL hash, the figures a link
// (fig=NAME) or the embed API (mount(el, {figure})) may ask for, and the module loaded when the tab is opened.
//
// A demo without a module is an honest placeholder: its tab says "soon" and its panel shows `soon` (HTML).
// Registering a demo = giving its entry `module` and `figures` (and deleting `soon`); see web/demos/README.md.
// The demo's own hash keys live in its module's schema(), so the hash is demo=<name> plus that demo's keys.
// Figure names are global (the embed API finds the demo by figure), so they must differ between demos.

export const DEMOS = [
  {
    name: 'signal',
    label: 'Signal propagation',
    module: './signal/index.js',
    figures: ['phase', 'length', 'corr', 'depth'],
  },
  {
    name: 'landscape',
    label: 'Loss landscapes',
    module: './landscape/index.js',
    figures: ['training', 'slice', 'surface', 'boundary', 'interp'],
  },
  {
    name: 'sgd',
    label: 'SGD as Bayesian inference',
    module: './sgd/index.js',
    figures: ['posterior', 'kl', 'trace', 'acf'],
  },
  {
    name: 'isometry',
    label: 'Dynamical isometry',
    module: './isometry/index.js',
    figures: ['spectrum', 'gradients', 'train'],
  },
  {
    name: 'control',
    label: 'Training as optimal control',
    module: './control/index.js',
    figures: ['flow', 'curves', 'costates', 'hamiltonian', 'stability', 'lr'],
  },
];

/** The demo a link without demo= shows (links from before demo= existed are all signal-propagation links). */
export const DEFAULT_DEMO = 'signal';

export const demoNames = () => DEMOS.map((d) => d.name);
export const findDemo = (name) => DEMOS.find((d) => d.name === name) || null;
/** The demo that draws a figure, or null. */
export const demoOfFigure = (figure) => DEMOS.find((d) => d.figures.includes(figure)) || null;
export const allFigures = () => DEMOS.flatMap((d) => d.figures);

const loaded = new Map();
/** The demo's module (imported once, on first use); null for a placeholder. */
export function loadDemo(name) {
  const d = findDemo(name);
  if (!d || !d.module) return Promise.resolve(null);
  if (!loaded.has(name)) loaded.set(name, import(new URL(d.module, import.meta.url).href));
  return loaded.get(name);
}
