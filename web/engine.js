// engine.js - the page's one connection to the WASM core: a worker pool for the heavy work and one in-page
// instance for the light, synchronous calls (colormaps, colour ranges). Shared by all figures on a page.
import { createPool, isCancelled } from './wasm/pool.js';

let enginePromise = null;

/** opts.workers: false to compute in the page. The first call decides; later calls share the same engine. */
export function getEngine(opts = {}) {
  if (!enginePromise) {
    enginePromise = (async () => {
      const pool = await createPool({ workers: opts.workers });
      const dl = pool.local;
      return { pool, dl, activations: dl.activations, fields: dl.fields, colormaps: dl.colormaps, phases: dl.phases };
    })();
  }
  return enginePromise;
}

export { isCancelled };
