// app.js - the page shell: tabs from the demo registry (web/demos/registry.js), the URL hash (demo=<name> plus
// that demo's keys, checked by its schema), lazy loading of a demo's module when its tab is opened, notices,
// each demo's "What to notice" guide and glossary (web/guide.js), PNG/CSV export buttons, the single-figure
// (iframe) mode with its height messages and its link back to the full page, and window.dynlensPage for tests and
// curious readers. Nothing here knows a particular demo.
import { textOverflow } from './draw.js';
import { getEngine } from './engine.js';
import { csvHeader, fileName, renderPNG, wireExports } from './export.js';
import { DEFAULT_DEMO, DEMOS, demoNames, findDemo, loadDemo } from './demos/registry.js';
import { guideSteps, renderGuide, termReport, wireGlossary } from './guide.js';
import { demoOfHash, linkSchema, parseHash, toHash } from './state.js';

const $ = (id) => document.getElementById(id);
const NAMES = demoNames();

function showNotices(list) {
  const box = $('notice');
  if (!list.length) return;
  const text = $('notice-text');
  text.innerHTML = '';
  for (const n of list) {
    const p = document.createElement('p');
    p.textContent = n;
    text.append(p);
  }
  box.hidden = false;
}

// ---- tabs and their panels, from the registry ----------------------------------------------------------------
function buildTabs(onPick) {
  const nav = $('tabs');
  const main = document.querySelector('main');
  for (const d of DEMOS) {
    const b = document.createElement('button');
    b.setAttribute('role', 'tab');
    b.id = `tab-${d.name}`;
    b.dataset.demo = d.name;
    b.setAttribute('aria-controls', `demo-${d.name}`);
    b.textContent = d.label;
    if (!d.module) b.insertAdjacentHTML('beforeend', ' <span class="soon">soon</span>');
    b.addEventListener('click', () => onPick(d.name));
    b.addEventListener('keydown', (e) => {
      // the WAI-ARIA tabs pattern: arrows move (wrapping), Home and End jump to the ends
      const i = NAMES.indexOf(d.name), n = NAMES.length;
      const to = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      const next = NAMES[to];
      onPick(next);
      $(`tab-${next}`).focus();
    });
    nav.append(b);
    const sec = document.createElement('section');
    sec.id = `demo-${d.name}`;
    sec.className = d.module ? 'demo' : 'demo soon-panel';
    sec.setAttribute('role', 'tabpanel');
    sec.setAttribute('aria-labelledby', b.id);
    sec.hidden = true;
    if (!d.module) sec.innerHTML = d.soon || `<h2>${d.label}: not built yet</h2>`;
    main.append(sec);
  }
}

// The footer's list of figures a link can show alone (fig=NAME), from the registry.
function listFigures() {
  const ul = $('fig-list');
  if (!ul) return;
  ul.innerHTML = DEMOS.filter((d) => d.module).map((d) => `<li>${d.label}: ${d.figures.map((f) =>
    `<a href="#demo=${d.name}&amp;fig=${f}"><code>${f}</code></a>`).join(', ')}</li>`).join('');
}

// On a phone the introduction shows its first lines only (style.css) until "More" is pressed, so the figures
// are on the first screen.
function foldIntro(section) {
  const intros = section.querySelectorAll(':scope > .intro');
  if (!intros.length) return;
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'intro-more';
  b.setAttribute('aria-expanded', 'false');
  b.textContent = 'More of the introduction';
  b.addEventListener('click', () => {
    const open = section.classList.toggle('intro-open');
    b.setAttribute('aria-expanded', String(open));
    b.textContent = open ? 'Less' : 'More of the introduction';
  });
  intros[intros.length - 1].append(b);
}

// On a phone the controls come after the figures: a small floating button jumps to them while they are below the
// screen (and not in single-figure mode).
function controlsButton() {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'to-controls';
  b.textContent = 'Settings ↓';
  b.hidden = true;
  document.body.append(b);
  let target = null;
  const io = new IntersectionObserver(([e]) => {
    b.hidden = !target || document.body.classList.contains('single') || e.isIntersecting || e.boundingClientRect.top < 0;
  });
  b.addEventListener('click', () => {
    if (!target) return;
    target.scrollIntoView({ block: 'start' });
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus({ preventScroll: true });
  });
  return (section) => { // follow this demo's controls
    const c = section && section.querySelector('.controls');
    if (c === target) return;
    if (target) io.unobserve(target);
    target = c;
    b.hidden = true;
    if (c) io.observe(c);
  };
}

// In an iframe showing one figure: the page's height goes to the embedding page (a message
// {type: 'dynlens:height', height, fig}) whenever it changes, so that page can size the frame (embed-example.html).
function postHeight(fig) {
  if (window.parent === window) return;
  const height = Math.ceil(document.body.getBoundingClientRect().height);
  window.parent.postMessage({ type: 'dynlens:height', height, fig }, '*');
}

async function main() {
  const params = new URLSearchParams(location.search);
  const first = demoOfHash(location.hash, NAMES, DEFAULT_DEMO);
  let pick = () => {}; // tabs work once the first demo is shown
  buildTabs((name) => pick(name));
  listFigures();
  const followControls = controlsButton();
  // The first demo's module loads while the WebAssembly core compiles and the workers start.
  loadDemo(first.demo).catch(() => {});
  let engine;
  try {
    engine = await getEngine({ workers: params.get('workers') === '0' ? false : undefined });
  } catch (err) {
    $('loading').textContent = `Could not start the WebAssembly core: ${err.message}`;
    $('loading').classList.add('error');
    throw err;
  }
  $('notice-close').addEventListener('click', () => { $('notice').hidden = true; });
  // Definitions of every <span class="term" data-term=KEY>: the demo's own glossary, then web/glossary.js.
  const ownGlossary = (el) => {
    const sec = el.closest('section.demo');
    const e = sec && demos.get(sec.id.replace(/^demo-/, ''));
    return e && e.mod ? e.mod.glossary : null;
  };
  wireGlossary(document.querySelector('main'), ownGlossary);

  // Per demo: {schema, controller, state}; a demo's state survives switching tabs (the hash shows one demo).
  const demos = new Map();
  let current = null; // the name of the demo shown
  let state = null; // its state (demo, its own keys, fig)
  let sch = null;
  let timer = null;

  // Loads a demo's module (once), makes its schema and mounts it in its panel. null for a placeholder.
  async function ensure(name) {
    if (demos.has(name)) return demos.get(name);
    const d = findDemo(name);
    const mod = await loadDemo(name);
    const entry = { mod, schema: linkSchema(NAMES, name, mod ? mod.schema(engine) : {}, d.figures), controller: null };
    demos.set(name, entry);
    if (mod) {
      const section = $(`demo-${name}`);
      entry.controller = await mod.mount(section, {
        engine,
        schema: entry.schema,
        state: () => (current === name ? state : entry.state),
        setState,
        reset: () => {
          const fig = state.fig;
          state = parseHash('', sch).state;
          state.fig = fig;
          commit();
        },
      });
      wireExports(section, {
        figure: (n) => entry.controller.figures[n],
        header: (n) => exportHeader(n),
        basename: (n) => exportName(entry, n),
      });
      foldIntro(section);
      // The guide goes after the introduction; a demo without one (yet) shows none, and page.guide() says so.
      if (Array.isArray(mod.guide) && mod.guide.length) {
        entry.steps = guideSteps(mod.guide, entry.schema);
        entry.markGuide = renderGuide(section, entry.steps);
      }
    }
    return entry;
  }
  // An export's file name: the demo's basename (built with fileName) or the figure's name alone.
  const exportName = (entry, n) => (entry.controller.basename ? entry.controller.basename(n, state) : fileName(n));
  const exportHeader = (n) => csvHeader(`dynlens ${findDemo(current).label.toLowerCase()}, figure: ${n}`, state, sch);

  // Shows demo `name` with the state parsed from `hash` (or its remembered state when hash is null).
  let showGen = 0;
  let showing = 0; // demos being loaded: the page is not idle until they are shown
  async function show(name, hash, notices = []) {
    showing++;
    try {
      await showNow(name, hash, notices);
    } finally {
      showing--;
    }
  }
  async function showNow(name, hash, notices) {
    const g = ++showGen;
    if (current && demos.has(current)) demos.get(current).state = state;
    let entry;
    try {
      entry = await ensure(name);
    } catch (err) {
      showNotices([`Could not load the ${findDemo(name).label} demo: ${err.message}`]);
      throw err;
    }
    if (g !== showGen) return;
    current = name;
    sch = entry.schema;
    if (hash !== null) {
      const r = parseHash(hash, sch, { skip: ['demo'], quiet: !entry.mod });
      state = r.state;
      notices = [...notices, ...r.notices];
    } else state = entry.state || parseHash('', sch).state;
    showNotices(notices);
    $('loading').hidden = true;
    commit();
  }

  function setState(patch, delay = 0) {
    state = { ...state, ...patch };
    if (delay) {
      clearTimeout(timer);
      const c = demos.get(current).controller;
      if (c) c.render(state, { controlsOnly: true });
      timer = setTimeout(commit, delay);
    } else commit();
  }
  function commit() {
    history.replaceState(null, '', toHash(state, sch));
    render();
  }
  function render() {
    const nav = $('tabs');
    document.querySelectorAll('[role=tab]').forEach((t) => {
      const on = t.dataset.demo === current;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      // the open tab in view on the (sideways scrolling) tab line, without scrolling the page
      if (on && (t.offsetLeft < nav.scrollLeft || t.offsetLeft + t.offsetWidth > nav.scrollLeft + nav.clientWidth)) {
        nav.scrollLeft = t.offsetLeft - (nav.clientWidth - t.offsetWidth) / 2;
      }
    });
    document.querySelectorAll('.demo').forEach((d) => { d.hidden = d.id !== `demo-${current}`; });
    // Single-figure mode for iframes: everything but one figure is hidden; a small link opens the full page
    // with the same state.
    document.body.classList.toggle('single', !!state.fig);
    document.querySelectorAll('.fig').forEach((f) => f.classList.toggle('only', f.dataset.fig === state.fig));
    const back = $('embed-open');
    back.hidden = !state.fig;
    if (state.fig) back.querySelector('a').href = `${location.href.split('#')[0]}${toHash({ ...state, fig: '' }, sch)}`;
    const e = demos.get(current);
    if (e.markGuide) e.markGuide(state);
    if (e.controller) e.controller.render(state);
    followControls($(`demo-${current}`));
    if (state.fig) postHeight(state.fig);
  }

  pick = (name) => {
    if (name !== current) show(name, null);
  };
  window.addEventListener('hashchange', () => {
    const r = demoOfHash(location.hash, NAMES, DEFAULT_DEMO);
    show(r.demo, location.hash, r.notices);
  });
  window.addEventListener('resize', () => {
    const c = current && demos.get(current).controller;
    if (c && c.resize) c.resize();
  });
  new ResizeObserver(() => { if (state && state.fig) postHeight(state.fig); }).observe(document.body);
  // The skip link focuses the shown demo's controls without touching the hash (which holds the state).
  document.querySelector('.skip').addEventListener('click', (e) => {
    const el = document.querySelector(`#demo-${current} form, #demo-${current} [tabindex]`);
    if (el) {
      e.preventDefault();
      el.setAttribute('tabindex', el.getAttribute('tabindex') || '-1');
      el.focus();
    }
  });

  // ---- the test and embedding hook -------------------------------------------------------------------------
  const page = {
    get engine() {
      return { mode: engine.pool.mode, workers: engine.pool.size, fallbackReason: engine.pool.fallbackReason };
    },
    demo: () => current,
    state: () => JSON.parse(JSON.stringify(state)),
    setState: (patch) => setState(patch),
    numbers: (name) => {
      const c = demos.get(current).controller;
      const n = c && c.figures[name] && c.figures[name].numbers();
      if (n && n.gridPoint) delete n.gridPoint;
      return n;
    },
    idle: () => {
      const e = current && demos.get(current);
      return !showing && !!e && (!e.controller || e.controller.idle());
    },
    csv: (name) => demos.get(current).controller.figures[name].csv(exportHeader(name)),
    /** A figure's PNG for a slide: opts {scale} or {width}; resolves to {url, width, height, ratio}. */
    png: (name, opts = {}) => renderPNG(demos.get(current).controller.figures[name],
      document.querySelector(`#demo-${current} [data-fig="${name}"]`), opts),
    /** The file name (without extension) an export of figure `name` gets now. */
    basename: (name) => exportName(demos.get(current), name),
    /** Texts drawn outside their canvas (draw.js): [] when every label fits. */
    textOverflow: () => textOverflow(),
    /** The shown demo's guide steps ({n, text, set, href, state, error}), or null when it has none. */
    guide: () => {
      const e = demos.get(current);
      return e.steps ? JSON.parse(JSON.stringify(e.steps)) : null;
    },
    /** Every symbol marked as a term in the shown demo, with whether a definition was found. */
    terms: () => termReport($(`demo-${current}`), ownGlossary),
  };
  await show(first.demo, location.hash, first.notices);
  // The shown demo's own methods (the signal demo's pixelOf, selected, timings) join the generic ones.
  window.dynlensPage = new Proxy(page, {
    get(target, key) {
      if (key in target) return target[key];
      const c = current && demos.get(current).controller;
      return c && c.api ? c.api[key] : undefined;
    },
  });
  document.body.dataset.ready = '1';
}

main();
