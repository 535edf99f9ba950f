// guide.js - what the shell draws from a demo's words: its "What to notice" guide (export const guide: numbered
// steps, each a link to the demo's defaults overridden by the step's `set`) and the definitions of its symbols
// (<span class="term" data-term="KEY">, looked up in the demo's export const glossary, then web/glossary.js)
// shown in one popover on hover, keyboard focus and tap.
import { escapeHTML } from './draw.js';
import { glossary as shared } from './glossary.js';
import { parseHash, parsePatch, toHash } from './state.js';

/**
 * The guide's steps as links: [{n, text, set, state (the whole state the step shows), href, error}]. A step whose
 * `set` is not valid for the schema keeps its text and says why in `error` (no link).
 */
export function guideSteps(guide, sch) {
  const defaults = parseHash('', sch).state;
  return guide.map((step, k) => {
    const out = { n: k + 1, text: step.text || '', set: step.set || {} };
    try {
      out.state = { ...defaults, ...parsePatch(out.set, sch) };
      out.href = toHash(out.state, sch);
    } catch (err) {
      out.error = err.message;
    }
    return out;
  });
}

/**
 * Puts the guide (a <details class="guide">, open on wide screens) after the section's introduction and returns
 * mark(state), which flags the step whose settings are shown now. steps: guideSteps().
 */
export function renderGuide(section, steps) {
  const box = document.createElement('details');
  box.className = 'guide';
  box.open = !window.matchMedia('(max-width: 700px)').matches;
  const items = steps.map((s) => {
    const go = s.href
      ? `<a class="guide-go" href="${s.href}" aria-label="Show step ${s.n}">${s.n}</a>`
      : `<span class="guide-go broken" title="${escapeAttr(s.error)}">${s.n}</span>`;
    const err = s.error ? ` <span class="guide-error">(this step's settings are not valid: ${escapeHTML(s.error)})</span>` : '';
    return `<li data-step="${s.n}">${go}<span class="guide-text">${s.text}${err}</span></li>`;
  }).join('');
  box.innerHTML = `<summary>What to notice <span class="guide-count">${steps.length} steps<span class="guide-how">; each number sets the controls</span></span></summary><ol>${items}</ol>`;
  const intros = section.querySelectorAll(':scope > .intro');
  if (intros.length) intros[intros.length - 1].after(box);
  else section.prepend(box);
  return (state) => {
    steps.forEach((s) => {
      const li = box.querySelector(`li[data-step="${s.n}"]`);
      const on = !!s.state && Object.keys(s.state).every((k) => k === 'fig' || JSON.stringify(s.state[k]) === JSON.stringify(state[k]));
      li.classList.toggle('current', on);
      if (on) li.setAttribute('aria-current', 'step');
      else li.removeAttribute('aria-current');
    });
  };
}

const escapeAttr = (t) => escapeHTML(t).replace(/"/g, '&quot;');

/** A term's definition: the demo's glossary first (own), then the shared one; null when neither has it. */
export function lookupTerm(key, own) {
  if (own && Object.prototype.hasOwnProperty.call(own, key)) return own[key];
  return Object.prototype.hasOwnProperty.call(shared, key) ? shared[key] : null;
}

/**
 * Makes every .term in root (now and later) focusable and shows its definition in one popover on hover, focus
 * and tap; Escape or a tap elsewhere closes it. ownGlossary(el) gives the glossary of the demo el belongs to.
 */
export function wireGlossary(root, ownGlossary) {
  const pop = document.createElement('div');
  pop.id = 'term-pop';
  pop.className = 'term-pop';
  pop.setAttribute('role', 'tooltip');
  pop.hidden = true;
  document.body.append(pop);
  let shown = null;
  let pinned = false; // opened by a tap or click: stays until a tap elsewhere

  const prepare = (el) => {
    if (el.dataset.termReady) return;
    el.dataset.termReady = '1';
    el.tabIndex = 0;
    const d = lookupTerm(el.dataset.term, ownGlossary(el));
    if (!d) el.classList.add('term-missing');
  };
  const sweep = (node) => {
    if (node.nodeType !== 1) return;
    if (node.matches('.term')) prepare(node);
    node.querySelectorAll('.term').forEach(prepare);
  };
  sweep(root);
  new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach(sweep))).observe(root, { childList: true, subtree: true });

  function show(el) {
    const d = lookupTerm(el.dataset.term, ownGlossary(el));
    pop.innerHTML = d ? `<b>${d.sym}</b> ${d.def}` : `No definition of “${escapeHTML(el.dataset.term)}” yet.`;
    pop.hidden = false;
    if (shown && shown !== el) shown.removeAttribute('aria-describedby');
    shown = el;
    el.setAttribute('aria-describedby', pop.id);
    const r = el.getBoundingClientRect();
    const w = Math.min(340, window.innerWidth - 16);
    pop.style.width = `${w}px`;
    pop.style.left = `${Math.max(8, Math.min(r.left, window.innerWidth - w - 8))}px`;
    const below = r.bottom + 6;
    pop.style.top = `${below}px`;
    // above the term when there is no room below it
    if (below + pop.offsetHeight > window.innerHeight - 4 && r.top - pop.offsetHeight - 6 > 0) {
      pop.style.top = `${r.top - pop.offsetHeight - 6}px`;
    }
  }
  function hide() {
    pop.hidden = true;
    pinned = false;
    if (shown) shown.removeAttribute('aria-describedby');
    shown = null;
  }
  const termOf = (e) => (e.target instanceof Element ? e.target.closest('.term') : null);
  root.addEventListener('pointerover', (e) => {
    const t = termOf(e);
    if (t && e.pointerType === 'mouse' && !pinned) show(t);
  });
  root.addEventListener('pointerout', (e) => {
    const t = termOf(e);
    if (t && e.pointerType === 'mouse' && !pinned && t === shown && !t.contains(e.relatedTarget)) hide();
  });
  root.addEventListener('focusin', (e) => {
    const t = termOf(e);
    if (t) show(t);
  });
  root.addEventListener('focusout', (e) => {
    if (termOf(e) === shown && !pinned) hide();
  });
  document.addEventListener('click', (e) => {
    const t = termOf(e);
    if (t) {
      e.preventDefault(); // a term inside a <label> must not toggle its control
      if (shown === t && pinned) hide();
      else {
        show(t);
        pinned = true;
      }
    } else if (shown && !pop.contains(e.target)) hide();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && shown) hide();
  });
  window.addEventListener('scroll', () => { if (shown) show(shown); }, { passive: true });
}

/** Every .term under root with its definition or null: [{key, sym, def, el}], for tests and authors. */
export function termReport(root, ownGlossary) {
  return [...root.querySelectorAll('.term')].map((el) => {
    const d = lookupTerm(el.dataset.term, ownGlossary(el));
    return { key: el.dataset.term, text: el.textContent, found: !!d };
  });
}
