// demo-kit.js - what the demos' control panels share: filling a <select>, numeric inputs checked against the URL
// schema, the "Copy link" and "Reset" buttons.

import { allowed, allowedText } from './state.js';

/**
 * Wires a panel's copy-link and reset buttons. on(id, event, fn) listens on the panel's control with that
 * short id (the demo adds its prefix); status(msg) shows a message in the panel; page is mount()'s page.
 */
export function wireLinkButtons(on, status, page) {
  on('copy-link', 'click', async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      status('Link copied.');
    } catch {
      status(`Link: ${location.href}`);
    }
  });
  on('reset', 'click', () => page.reset());
}

/**
 * Wires numeric inputs: on change, a value its schema entry (state.js) allows goes to setState; any other value
 * is refused with a status line saying what is allowed, and the panel shows the state again (restore()).
 */
export function wireNumbers(on, keys, sch, { setState, status, restore }) {
  for (const k of keys) {
    on(k, 'change', (e) => {
      const v = e.target.value.trim() === '' ? NaN : Number(e.target.value);
      if (!allowed(v, sch[k])) {
        status(`${sch[k].what}: ${e.target.value} is not allowed (${allowedText(sch[k])})`);
        restore();
        return;
      }
      status('');
      setState({ [k]: v });
    });
  }
}

/** Replaces a <select>'s options with values, each shown as label(value). */
export function fillSelect(sel, values, label = (v) => v) {
  sel.innerHTML = '';
  for (const v of values) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = label(v);
    sel.append(o);
  }
}
