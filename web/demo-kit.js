// demo-kit.js - what the demos' control panels share: filling a <select>, the "Copy link" and "Reset" buttons.

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
