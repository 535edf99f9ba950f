// worker.js - a Web Worker (module type) holding one dynlens module instance; runs one pool task at a time: any
// method of any wasm/dynlens-<module>.js (REMOTE_METHODS), so adding a module changes nothing here.
import { createDynlens, REMOTE_METHODS } from './dynlens.js';

let dl = null;

// The typed arrays of a result (itself, or its own properties one level down) move to the page without a copy.
function transferables(result) {
  const set = new Set();
  const add = (v) => { if (ArrayBuffer.isView(v)) set.add(v.buffer); };
  if (ArrayBuffer.isView(result)) add(result);
  else if (result && typeof result === 'object') Object.values(result).forEach(add);
  return [...set];
}

self.onmessage = async (e) => {
  const m = e.data;
  if (m.type === 'init') {
    try {
      dl = await createDynlens({ wasmModule: m.wasmModule });
      self.postMessage({ type: 'ready' });
    } catch (err) {
      self.postMessage({ type: 'init-error', error: String(err && err.message || err) });
    }
    return;
  }
  if (m.type === 'dispose') {
    if (dl) dl.dispose();
    dl = null;
    self.close();
    return;
  }
  const t0 = performance.now();
  try {
    if (!REMOTE_METHODS.includes(m.method)) throw new Error(`unknown method ${m.method}`);
    const result = dl[m.method](...m.args);
    self.postMessage({ id: m.id, result, ms: performance.now() - t0 }, transferables(result));
  } catch (err) {
    self.postMessage({ id: m.id, error: String(err && err.message || err), status: err && err.status });
  }
};
