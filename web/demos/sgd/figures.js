// figures.js - the SGD-as-Bayesian-inference figures: the exact posterior with the running iterates and the
// predicted and empirical covariance ellipses (the shared Heatmap), KL against the step, trace plots and
// autocorrelations. They share one Session: the model, its theory and the chain(s), advanced in chunks in the page.
// Every number comes from the WASM core; this file only schedules, stores iterates and draws.
import { drawRich, fmt, font, INK, richWidth } from '../../draw.js';
import { colourGrid, explainBox, setupFigure, showError } from '../../figure.js';
import { Heatmap } from '../../heatmap.js';
import { Plot } from '../../plot.js';
import { explainACF, explainKL, explainPosterior, explainTrace, stabName } from './explain.js';

/** Sets a figure's words (words() builds them): while the chain plays, at most once a second. */
function say(fig, words) {
  const now = performance.now();
  if (fig.session.playing && now - (fig.saidAt || 0) < 1000) return;
  fig.saidAt = now;
  const html = words();
  if (fig.say.innerHTML !== html) fig.say.innerHTML = html;
}

export const C_CHAIN = '#ff5a36';
export const C_GHOST = '#35d0ff';
export const C_PRED = '#ffd23f';
export const C_EMP = '#ff5a36';
const C_CONT = '#1f4e9c';
const C_DISC = '#d1495b';
const C_MARK = '#2a9d5c';
const C_BURN = '#dddddd';
const TAIL = 20; // the last moves drawn as a path
const COVER_MIN_REL = 0.01; // a local maximum of the posterior grid counts as a mode from 1 % of the highest one
const CAP = 60000; // stored iterates per chain; past it every other one is dropped and the thinning doubles
const SLICE_MS = 30; // a computed (not animated) run yields to the page this often
const PROBS = [0.5, 0.9, 0.99];

/** The model spec ({model, n, seed}) of a state: n 'auto' is the CLI's default (1000 linreg, 100 otherwise). */
export function specOf(st) {
  const n = st.n === 'auto' ? (st.model === 'linreg' ? 1000 : 100) : Number(st.n);
  return { model: st.model, n, d: 2, seed: st.seed };
}

// ---------------------------------------------------------------------------------------------------------
// One chain: a core sampler plus its stored iterates (thinned automatically past CAP).
class Chain {
  constructor(sampler, batching) {
    this.s = sampler;
    this.batching = batching;
    this.thin = 1;
    this.count = 0;
    this.buf = new Float64Array(2 * 4096);
    this.t = 0;
    this.diverged = false;
  }
  run(steps) {
    if (this.diverged || steps <= 0) return;
    // The core counts t over the chain's life, so thinning lines up across chunks of any length.
    const r = this.s.run(steps, this.thin);
    this.push(r.values, r.written);
    this.t = this.s.state().t;
    if (r.diverged) this.diverged = true;
  }
  push(values, written) {
    const need = 2 * (this.count + written);
    if (need > this.buf.length) {
      const b = new Float64Array(Math.max(need, 2 * this.buf.length));
      b.set(this.buf.subarray(0, 2 * this.count));
      this.buf = b;
    }
    this.buf.set(values.subarray(0, 2 * written), 2 * this.count);
    this.count += written;
    if (this.count > CAP) {
      // keep the iterates at steps 2 thin, 4 thin, ... (stored index k is step (k + 1) thin)
      let m = 0;
      for (let k = 1; k < this.count; k += 2, m++) {
        this.buf[2 * m] = this.buf[2 * k];
        this.buf[2 * m + 1] = this.buf[2 * k + 1];
      }
      this.count = m;
      this.thin *= 2;
    }
  }
  /** Stored iterates after the burn-in (a view). */
  kept(burn) {
    const first = Math.min(this.count, Math.floor(burn / this.thin));
    return this.buf.subarray(2 * first, 2 * this.count);
  }
  firstKept(burn) {
    return Math.min(this.count, Math.floor(burn / this.thin));
  }
  dispose() {
    this.s.dispose();
  }
}

/**
 * What the figures share: the model and its theory, the predicted covariances, the chain (and the "ghost" chain
 * with the other batching), the animation. Listeners get 'theory', 'chain' and 'diag' events.
 */
export class Session {
  constructor(engine) {
    this.engine = engine;
    this.dl = engine.dl;
    this.listeners = new Set();
    this.st = null;
    this.chains = [];
    this.playing = false;
    this.target = 0;
    this.waiters = [];
    this.error = null;
    this.theory = null;
    this.theoryKey = '';
    this.chainKey = '';
    this.localKey = '';
    this.diag = null;
    this.diagAt = 0;
    this.timer = null;
    this.cap = 60; // seconds: a run estimated longer waits until lift() (the run bar's "Run anyway")
    this.capped = false;
    this.lifted = '';
    this.estimate = 0; // the core's estimate (dyn_post_run_work) of the seconds of the last run to a target step
    this.runStart = 0;
    this.seconds = 0; // elapsed seconds of the current computation
    this.replaying = false;
    this.chunk = 1000;
  }
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit(kind) {
    for (const fn of this.listeners) fn(kind);
  }

  /** Resolves when the chain has reached its target step (or stopped: diverged, error, new chain). */
  reached() {
    if (this.done()) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }
  done() {
    const c = this.chains[0];
    return !c || c.diverged || !!this.error || this.capped || (!this.playing && c.t >= this.target);
  }
  settle() {
    if (this.done()) this.waiters.splice(0).forEach((f) => f());
  }

  /** Everything computed in the page (light): eps*, eps, H, predictions, the display window. Throws core errors. */
  local(st) {
    const spec = specOf(st);
    const key = JSON.stringify([spec, st.sampler, st.epsr, st.S, st.batching, st.precond, st.mu, st.gamma, st.view]);
    if (key === this.localKey) return this.loc;
    this.localKey = key;
    const dl = this.dl;
    // the core's step rules (dyn_post_steps): the reference step the slider multiplies (SGLD's gives the drift of
    // SGD at eps*), then at the chosen step its drift, stability number and bound, as the CLI reports them
    const rule = { sampler: st.sampler, batch: st.S, batching: st.batching, momentum: st.mu, gamma: st.gamma };
    const ref = dl.postSteps(spec, rule);
    const epsStar = ref.epsStar;
    const epsRef = ref.epsRef;
    const eps = st.epsr * epsRef;
    const steps = dl.postSteps(spec, { ...rule, eps });
    const precond = st.sampler === 'sgd-precond' ? dl.postPrecond(spec, st.S, st.precond) : null;
    const desc = { sampler: st.sampler, eps, batch: st.S, momentum: st.mu, gamma: st.gamma, precond };
    const pred = dl.postStationary(spec, desc);
    const box = dl.postBox(spec, Number(st.view));
    this.loc = { spec, epsStar, epsRef, eps, steps, precond, desc, pred, box };
    return this.loc;
  }

  /** KL and W2 of the predicted (discrete Lyapunov) Gaussian N(theta*, Sigma) to the posterior; null without one. */
  predFit() {
    const loc = this.loc;
    const th = this.theory;
    if (!loc || !th || !Number.isFinite(loc.pred.disc[0][0])) return null;
    if (this.fitFor !== loc || this.fitTheory !== th) {
      this.fitFor = loc;
      this.fitTheory = th;
      try {
        this.fit = this.dl.postGaussKL(th.mode, loc.pred.disc, th.postMean, th.postCov);
      } catch (e) {
        this.fit = null;
      }
    }
    return this.fit;
  }

  update(st) {
    this.st = st;
    this.error = null;
    let loc;
    try {
      loc = this.local(st);
    } catch (e) {
      this.error = e;
      this.stopChains();
      this.emit('error');
      this.settle();
      return;
    }
    const tkey = JSON.stringify(loc.spec);
    if (tkey !== this.theoryKey) {
      this.theoryKey = tkey;
      this.theory = null;
      this.theoryP = this.engine.pool.call('postTheory', [loc.spec], { channel: 'sgd:theory' }).then((t) => {
        this.theory = t;
        this.diagAt = 0;
        if (this.chains.length) this.diagnose(true); // the sample's KL to the posterior needs the posterior
        this.emit('theory');
      });
    }
    const start = st.start === 'point' ? [st.sx, st.sy] : null;
    const ckey = JSON.stringify([loc.spec, st.sampler, loc.eps, st.S, st.batching, st.precond, st.mu, st.gamma, st.seed,
      start, st.cmp]);
    // A lower step count than the chain has reached (a link, a typed number, Restart): start again, stop there.
    const behind = this.chains[0] && !this.playing && st.steps < this.chains[0].t;
    if (ckey !== this.chainKey || behind) {
      this.chainKey = ckey;
      this.stopChains();
      try {
        const mk = (batching) => new Chain(this.dl.postSampler(loc.spec, { ...loc.desc, batching, sgldB: 1, start,
          seed: st.seed }), batching);
        this.chains = [mk(st.batching)];
        if (st.cmp === '1') this.chains.push(mk(st.batching === 'iid' ? 'epoch' : 'iid'));
      } catch (e) {
        this.error = e;
        this.chains = [];
      }
      this.diag = null;
      this.diagAt = 0;
      this.runStart = 0;
      this.seconds = 0;
      this.emit('chain');
    }
    this.target = Math.max(st.steps, 0);
    this.checkCap(ckey);
    this.schedule();
    this.settle();
  }

  /** Holds a run the core estimates longer than this.cap seconds until lift() (once per chain and target). */
  checkCap(ckey) {
    const c = this.chains[0];
    this.capped = false;
    if (!c || this.playing || c.t >= this.target) return; // (the estimate stays that of the last run)
    const left = this.target - c.t;
    const w = this.dl.postRunWork(this.loc.spec, this.st.sampler, this.st.S, left, Math.min(left, CAP));
    this.estimate = w.seconds * this.chains.length;
    this.capped = this.estimate > this.cap && this.lifted !== JSON.stringify([ckey, this.target]);
  }

  /** The run bar's "Run anyway": computes the capped run. */
  lift() {
    this.lifted = JSON.stringify([this.chainKey, this.target]);
    this.capped = false;
    this.schedule();
    this.emit('progress');
  }

  stopChains() {
    this.chains.forEach((c) => c.dispose());
    this.chains = [];
    this.playing = false;
  }

  play(on) {
    this.playing = on;
    this.capped = false;
    if (!on && this.chains[0]) this.target = this.chains[0].t;
    this.schedule();
    this.settle();
    if (!on) this.finish();
  }

  /** Advances every chain by k steps now (the Step button). */
  step(k = 1) {
    for (const c of this.chains) c.run(k);
    if (this.chains[0]) this.target = this.chains[0].t;
    this.diagnose(true);
    this.emit('chain');
    this.settle();
  }

  /**
   * Two ways to advance: Play animates (speed steps a frame, drawing each), and a target ahead of the chain (a link,
   * a changed setting, a typed step count) is computed without drawing, in slices of about SLICE_MS so that the page
   * stays responsive, and shown when it is reached ('progress' events meanwhile, for the run bar).
   */
  schedule() {
    if (this.timer || this.done()) return;
    if (!this.runStart) this.runStart = performance.now();
    const hidden = typeof document !== 'undefined' && document.hidden;
    if (this.playing) {
      const next = (f) => (hidden ? setTimeout(f, 16) : requestAnimationFrame(f));
      this.timer = next(() => {
        this.timer = null;
        this.frame();
      });
    } else {
      this.replaying = true;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.slice();
      }, 0);
    }
  }

  /** Runs every chain k steps; false (and the error reported) if the core failed. */
  advance(k) {
    try {
      for (const ch of this.chains) ch.run(k);
      return true;
    } catch (e) {
      this.error = e;
      this.emit('error');
      this.settle();
      return false;
    }
  }

  frame() {
    const c = this.chains[0];
    if (!c || this.done()) {
      this.finish();
      return;
    }
    if (!this.advance(Number(this.st.speed))) return;
    this.target = c.t;
    this.seconds = (performance.now() - this.runStart) / 1000;
    this.diagnose(false);
    this.emit('chain');
    this.schedule();
  }

  slice() {
    const c = this.chains[0];
    if (!c || this.done()) {
      this.finish();
      return;
    }
    const t0 = performance.now();
    while (c.t < this.target && !c.diverged && performance.now() - t0 < SLICE_MS) {
      const k = Math.min(this.target - c.t, this.chunk);
      const a = performance.now();
      if (!this.advance(k)) return;
      // chunks of about a tenth of a slice, whatever the cost of a step
      const ms = performance.now() - a;
      this.chunk = Math.max(100, Math.min(1e6, Math.round(ms > 0.5 ? (k * SLICE_MS) / (10 * ms) : 2 * k)));
    }
    this.seconds = (performance.now() - this.runStart) / 1000;
    if (this.done()) this.finish();
    else {
      this.emit('progress');
      this.schedule();
    }
  }

  /** The chain stopped (target reached, paused, diverged): diagnose everything and draw. */
  finish() {
    const was = this.replaying || this.runStart;
    this.replaying = false;
    if (this.runStart) this.seconds = (performance.now() - this.runStart) / 1000;
    this.runStart = 0;
    if (was && this.chains[0]) {
      this.diagnose(true);
      this.emit('chain');
    }
    this.settle();
  }

  /** Moments of the kept iterates (every frame: cheap) and, at most every 300 ms or when asked, ACF and ESS. */
  diagnose(full) {
    const st = this.st;
    const out = { chains: [] };
    for (const c of this.chains) {
      const kept = c.kept(st.burn);
      const r = { count: kept.length / 2, thin: c.thin, t: c.t, batching: c.batching, diverged: c.diverged };
      if (r.count >= 4) {
        try {
          r.moments = this.dl.postMoments(kept, 2);
          if (this.theory) r.fit = this.dl.postGaussKL(r.moments.mean, r.moments.cov, this.theory.postMean, this.theory.postCov);
        } catch (e) {
          r.moments = null;
        }
      }
      out.chains.push(r);
    }
    const now = performance.now();
    const old = this.diag && this.diag.acf;
    if ((full || now - this.diagAt > 300) && out.chains[0] && out.chains[0].count >= 8) {
      this.diagAt = now;
      const kept = this.chains[0].kept(st.burn);
      const n = kept.length / 2;
      const maxlag = Math.max(1, Math.min(200, Math.floor(n / 4)));
      out.acf = [0, 1].map((j) => this.dl.postAutocorr(kept, 2, j, maxlag));
      out.acfThin = this.chains[0].thin;
    } else out.acf = old || null;
    if (!out.acf && old) out.acf = old;
    if (out.acf === old && this.diag) out.acfThin = this.diag.acfThin;
    this.diag = out;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The shared Heatmap plus dots (iterates) and a legend drawn on the canvas, so that the PNG carries it: always in a
// strip under the x axis (never over the map, where the second mode or the cloud may be), in as many columns as fit.
// Each symbol sits on a dark swatch of the map's own colour, so that the white and yellow marks read as they do there.
const LEGEND_ROW = 16, LEGEND_PAD = 8, SWATCH = '#3b1f5c', SHORT_TITLE_BELOW = 560;
class PostHeatmap extends Heatmap {
  drawOverlay(ctx, o) {
    if (!o.dots) {
      super.drawOverlay(ctx, o);
      return;
    }
    ctx.save();
    ctx.fillStyle = o.color;
    ctx.globalAlpha = o.alpha ?? 1;
    const r = o.r || 1.5;
    for (let k = 0; k < o.xs.length; k++) {
      const x = this.toX(o.xs[k]);
      const y = this.toY(o.ys[k]);
      if (isFinite(x) && isFinite(y)) ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
    }
    ctx.restore();
  }
  /** The legend's layout for items at canvas width w: {cols, colW, rows, height}. */
  legendLayout(items, w) {
    if (!items.length) return { cols: 1, colW: 0, rows: 0, height: 0 };
    const ctx = this.canvas.getContext('2d');
    ctx.font = font(11);
    const colW = Math.max(...items.map((it) => richWidth(ctx, it.label, 11))) + 44;
    const cols = Math.max(1, Math.min(items.length, Math.floor((w - 2 * LEGEND_PAD) / colW)));
    const rows = Math.ceil(items.length / cols);
    return { cols, colW, rows, height: rows * LEGEND_ROW + LEGEND_PAD };
  }
  draw() {
    // a phone-sized canvas gets the short title (the full one would shrink below legibility and be clipped)
    if (this.data && this.data.shortTitle) {
      this.data.long = this.data.long || this.data.title;
      this.data.title = this.cssW < SHORT_TITLE_BELOW ? this.data.shortTitle : this.data.long;
    }
    super.draw();
    const items = (this.data && this.data.legend) || [];
    if (!items.length || !this.cssW || !this.strip) return;
    const ctx = this.canvas.getContext('2d');
    const { cols, colW } = this.legendLayout(items, this.cssW);
    const top = this.cssH - this.strip;
    ctx.save();
    items.forEach((it, k) => {
      const x = LEGEND_PAD + (k % cols) * colW;
      const y = top + 4 + Math.floor(k / cols) * LEGEND_ROW + LEGEND_ROW / 2;
      ctx.fillStyle = SWATCH;
      ctx.fillRect(x, y - 6, 30, 12);
      ctx.strokeStyle = it.color;
      ctx.fillStyle = it.color;
      ctx.lineWidth = it.width || 2;
      ctx.setLineDash(it.dash || []);
      if (it.dot) ctx.fillRect(x + 15 - it.dot, y - it.dot, 2 * it.dot, 2 * it.dot);
      else if (it.ring) {
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = '#fff';
        ctx.beginPath();
        ctx.arc(x + 15, y, 4.5, 0, 2 * Math.PI);
        ctx.stroke();
      } else {
        ctx.beginPath();
        ctx.moveTo(x + 3, y);
        ctx.lineTo(x + 27, y);
        ctx.stroke();
        if (it.end) ctx.fillRect(x + 24, y - 3, 6, 6);
      }
      ctx.setLineDash([]);
      drawRich(ctx, it.label, x + 36, y + 4, 11, 'left', INK);
    });
    ctx.restore();
  }
}

/** Subscribes a figure to a session (its own when not given one: an embedded figure runs its own chain). */
function attach(fig, engine, session) {
  fig.session = session || new Session(engine);
  fig.own = !session;
  fig.session.on((kind) => kind !== 'progress' && fig.onSession(kind)); // a run being computed is drawn when done
}
/** How every figure's update(st) starts: keep st, clear the error line, advance its own session, track it. */
function updateOwn(fig, st) {
  fig.st = st;
  fig.errorBox.hidden = true;
  if (fig.own) fig.session.update(st);
  fig.work.track(fig.session.reached().then(() => fig.session.theoryP)).catch((e) => showError(fig, e));
}

// ---------------------------------------------------------------------------------------------------------
export class PosteriorFigure {
  constructor(engine, el, { onSelect, session } = {}) {
    this.id = `sgdpost${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'posterior');
    this.legend = [];
    this.hm = new PostHeatmap(box, {
      label: 'exact posterior density with the sampler iterates; click to move the starting point',
      aspect: 0.8,
      maxHeight: () => (document.body.classList.contains('single') ? Math.max(260, window.innerHeight - 64) : 640),
      stripBelow: (w) => (this.hm ? this.hm.legendLayout(this.legend, w).height : 0), // the legend goes under the plot
      onSelect: (p) => onSelect && onSelect({ start: 'point', sx: Number(p.x.toPrecision(6)), sy: Number(p.y.toPrecision(6)) }),
      idleText: 'Click the map (or focus it and use the arrow keys) to start the chain there.',
    });
    attach(this, engine, session);
    this.say = explainBox(el);
    this.grid = null;
    this.gkey = '';
  }

  onSession(kind) {
    if (kind === 'error') showError(this, this.session.error);
    this.redraw();
  }

  update(st) {
    updateOwn(this, st);
    const s = this.session;
    if (s.error) {
      showError(this, s.error);
      return;
    }
    const loc = s.loc;
    this.hm.setMarker({ x: st.start === 'point' ? st.sx : NaN, y: st.start === 'point' ? st.sy : NaN });
    const key = JSON.stringify([loc.spec, loc.box]);
    if (key !== this.gkey) {
      this.gkey = key;
      this.grid = null;
      const req = { spec: loc.spec, box: loc.box, nx: 180, ny: 180 };
      this.work.track(this.engine.pool.grid(req, (f) => {
        let levels = null;
        try {
          levels = this.engine.dl.postHpd(f.values, PROBS);
        } catch (e) {
          levels = null;
        }
        this.grid = { ...f, levels, box: loc.box, spec: loc.spec };
        this.redraw();
      }, { channel: `${this.id}:grid`, method: 'postDensity' })).catch((e) => showError(this, e));
    }
    this.redraw();
  }

  redraw() {
    const g = this.grid;
    const st = this.st;
    const s = this.session;
    if (!g || !st || !s.loc) return;
    this.redraws = (this.redraws || 0) + 1;
    const dl = this.engine.dl;
    let vmax = 0;
    for (const v of g.values) if (v > vmax) vmax = v;
    const c = colourGrid(dl, g.values, { scale: 'linear', cmap: 'auto', vr: [0, vmax || 1], info: { cmap: 'viridis' } });
    const overlays = [];
    const legend = [];
    if (g.levels) {
      const cl = dl.contours(g.values, g.nx, g.ny, g.box, g.levels); // the core's marching squares (core/contour.h)
      overlays.push({ xs: cl.xs, ys: cl.ys, color: 'rgba(255,255,255,0.85)', width: 1 });
      legend.push({ color: '#ffffff', width: 1, label: 'posterior 50/90/99 % regions' });
    }
    const loc = s.loc;
    const mode = s.theory ? s.theory.mode : null;
    const ell = (m, cov) => {
      try {
        return Number.isFinite(cov[0][0]) ? dl.postEllipse(m, cov, 2, 97) : null;
      } catch (e) {
        return null;
      }
    };
    if (mode) {
      const ec = ell(mode, loc.pred.cont);
      const ed = ell(mode, loc.pred.disc);
      if (ec) overlays.push({ ...ec, color: C_PRED, width: 1.8, dash: [6, 4], halo: 'rgba(0,0,0,0.5)' });
      if (ed) overlays.push({ ...ed, color: C_PRED, width: 2.2, halo: 'rgba(0,0,0,0.5)' });
      if (ec) legend.push({ color: C_PRED, dash: [6, 4], label: 'predicted 2σ, continuous Lyapunov' });
      if (ed) legend.push({ color: C_PRED, label: 'predicted 2σ, discrete Lyapunov' });
    }
    const colours = [C_CHAIN, C_GHOST];
    let burnDots = false;
    s.chains.forEach((ch, k) => {
      const col = colours[k];
      const first = ch.firstKept(st.burn);
      const from = Math.max(0, ch.count - 4000);
      const bx = [];
      const by = [];
      const kx = [];
      const ky = [];
      for (let i = from; i < ch.count; i++) {
        if (i < first) bx.push(ch.buf[2 * i]), by.push(ch.buf[2 * i + 1]);
        else kx.push(ch.buf[2 * i]), ky.push(ch.buf[2 * i + 1]);
      }
      if (bx.length) overlays.push({ dots: true, xs: bx, ys: by, color: C_BURN, alpha: 0.6, r: 1.2 }), burnDots = true;
      overlays.push({ dots: true, xs: kx, ys: ky, color: col, alpha: 0.45, r: 1.3 });
      // the last few moves as a path, ending at the current point
      const tail = Math.max(0, ch.count - TAIL);
      const px = [];
      const py = [];
      for (let i = tail; i < ch.count; i++) px.push(ch.buf[2 * i]), py.push(ch.buf[2 * i + 1]);
      if (px.length > 1) overlays.push({ xs: px, ys: py, color: '#ffffff', width: 1.2, halo: 'rgba(0,0,0,0.35)' });
      if (px.length) overlays.push({ dots: true, xs: [px.at(-1)], ys: [py.at(-1)], color: '#ffffff', r: 3.5 });
      const dg = s.diag && s.diag.chains[k];
      if (dg && dg.moments) {
        const e = ell(dg.moments.mean, dg.moments.cov);
        if (e) overlays.push({ ...e, color: col, width: 2.4, halo: 'rgba(0,0,0,0.45)' });
      }
      const kind = ch.batching === 'iid' ? 'i.i.d. batches' : 'reshuffled epochs';
      legend.push({ color: col, dot: 2, label: `iterates after the burn-in (${kind})` });
      legend.push({ color: col, width: 2.4, label: `their 2σ ellipse (${kind})` });
    });
    if (burnDots) legend.push({ color: C_BURN, dot: 1.5, label: 'burn-in iterates (left out)' });
    if (s.chains.length) legend.push({ color: '#ffffff', width: 1.2, end: true, label: `last ${TAIL} moves, current θ` });
    if (st.start === 'point') legend.push({ ring: true, label: 'start (click the map to move it)' });
    const c0 = s.chains[0];
    const note = c0 && c0.diverged ? '  ·  DIVERGED' : '';
    const changed = legend.length !== this.legend.length || legend.some((it, k) => it.label !== this.legend[k].label);
    this.legend = legend;
    this.hm.set({
      values: g.values, rgba: c.rgba, nx: g.nx, ny: g.ny, x: [g.box[0], g.box[1]], y: [g.box[2], g.box[3]],
      xLabel: 'θ_1', yLabel: 'θ_2', valueLabel: 'p(θ | data)',
      title: `${st.sampler}, ε = ${fmt(loc.eps, 3)}, S = ${st.S} on the ${st.model} posterior (N = ${loc.spec.n})  ·  step ${c0 ? c0.t : 0}${note}`,
      shortTitle: `${st.sampler}, ε = ${fmt(loc.eps, 3)}, S = ${st.S}  ·  step ${c0 ? c0.t : 0}${note}`,
      scale: { vmin: c.vmin, vmax: c.vmax, log: false, ramp: c.ramp },
      overlays, legend, format: (v) => fmt(v, 4),
    });
    if (changed) this.hm.resize(); // the legend strip's height follows the number of entries
    this.explain();
  }

  /** What the predicted Gaussian covers of the posterior grid (the core's dyn_post_grid_cover), cached. */
  coverOf() {
    const g = this.grid;
    const s = this.session;
    const pred = s.loc && s.loc.pred.disc;
    if (!g || g.stage !== 'full' || !s.theory || !pred || !Number.isFinite(pred[0][0])) return null;
    const key = JSON.stringify([this.gkey, pred]);
    if (key !== this.coverKey) {
      this.coverKey = key;
      try {
        this.cover = this.engine.dl.postCover(g.values, g.nx, g.ny, g.box, s.theory.mode, pred, 2, COVER_MIN_REL);
      } catch (e) {
        this.cover = null;
      }
    }
    return this.cover;
  }

  /** The numbers the explanation under the map is computed from (also in numbers(), for the suite). */
  facts() {
    const s = this.session;
    const st = this.st;
    const th = s.theory;
    if (!s.loc || !th || !st) return null;
    const loc = s.loc;
    const cont = loc.pred.cont;
    const predFit = s.predFit();
    const pred = predFit ? loc.pred.disc : null;
    const sgld = st.sampler === 'sgld';
    return {
      sampler: st.sampler, stepWord: `${fmt(st.epsr, 3)} × ${sgld ? '2ε*/N' : 'ε*'}`,
      pred, predKind: 'discrete Lyapunov', predCont: Number.isFinite(cont[0][0]) ? cont : null,
      post: { mean: th.postMean, cov: th.postCov }, mode: th.mode, predFit, cover: predFit ? this.coverOf() : null,
      stab: loc.steps.stab, stabBound: loc.steps.stabBound, stabName: stabName(st.sampler),
      capped: s.capped, estimate: s.estimate, cap: s.cap, target: s.target,
      gamma: sgld ? st.gamma : 0, burn: st.burn, nData: loc.spec.n, S: st.S, mu: st.mu,
      momentumDrift: st.sampler === 'momentum' ? loc.steps.drift : 0,
      ess: s.diag && s.diag.acf ? s.diag.acf.map((a) => a.ess) : null,
      chains: s.chains.map((c, k) => {
        const dg = s.diag && s.diag.chains[k];
        return { batching: c.batching, t: c.t, diverged: c.diverged, count: dg ? dg.count : 0,
          moments: dg && dg.moments, fit: dg && dg.fit };
      }),
    };
  }

  explain() {
    say(this, () => {
      const f = this.facts();
      return f ? explainPosterior(f) : '';
    });
  }

  numbers() {
    const s = this.session;
    if (!s.loc || !this.grid) return null;
    const loc = s.loc;
    return {
      figure: 'posterior', spec: loc.spec, eps: loc.eps, eps_star: loc.epsStar, eps_ref: loc.epsRef,
      theory: s.theory, pred_cov_continuous: loc.pred.cont, pred_cov_discrete: loc.pred.disc,
      pred_cov_exact: loc.pred.exact, precond: loc.precond && Array.from(loc.precond),
      box: loc.box, nx: this.grid.nx, ny: this.grid.ny, stage: this.grid.stage, values: Array.from(this.grid.values),
      hpd_levels: this.grid.levels, hpd_probs: PROBS, facts: this.facts(), explanation: this.say.textContent,
      legend: this.legend.map((it) => it.label), title: this.hm.data && this.hm.data.title, width: this.hm.cssW, redraws: this.redraws,
      chains: s.chains.map((c, k) => ({ batching: c.batching, t: c.t, thin: c.thin, count: c.count,
        diverged: c.diverged, iterates: Array.from(c.buf.subarray(0, 2 * c.count)),
        moments: s.diag && s.diag.chains[k] ? s.diag.chains[k].moments : null,
        fit: s.diag && s.diag.chains[k] ? s.diag.chains[k].fit : null })),
    };
  }

  csv(header) {
    const s = this.session;
    const g = this.grid;
    if (!g || !s.loc) return '';
    const loc = s.loc;
    const lines = [...header, `# eps=${loc.eps} eps_star=${loc.epsStar} N=${loc.spec.n}`,
      `# window theta1=${g.box[0]}:${g.box[1]} theta2=${g.box[2]}:${g.box[3]} grid ${g.nx}x${g.ny}, rows top (theta2 max) first`,
      `# hpd levels (50/90/99%): ${(g.levels || []).join(' ')}`,
      `# pred_cov_discrete=${JSON.stringify(loc.pred.disc)} pred_cov_continuous=${JSON.stringify(loc.pred.cont)}`];
    s.chains.forEach((c) => lines.push(`# chain ${c.batching}: ${c.count} iterates stored, every ${c.thin} step(s), at step ${c.t}`));
    lines.push('kind,chain,step,theta_1,theta_2,density');
    s.chains.forEach((c) => {
      for (let i = 0; i < c.count; i++) lines.push(`iterate,${c.batching},${(i + 1) * c.thin},${c.buf[2 * i]},${c.buf[2 * i + 1]},`);
    });
    for (let i = 0; i < g.ny; i++) {
      const y = g.box[3] - (i * (g.box[3] - g.box[2])) / (g.ny - 1);
      for (let j = 0; j < g.nx; j++) {
        lines.push(`density,,,${g.box[0] + (j * (g.box[1] - g.box[0])) / (g.nx - 1)},${y},${g.values[i * g.nx + j]}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  png() {
    return this.hm.toDataURL();
  }
}

// ---------------------------------------------------------------------------------------------------------
export class KLFigure {
  constructor(engine, el, { session } = {}) {
    this.id = `sgdkl${Math.random().toString(36).slice(2, 8)}`;
    const box = setupFigure(this, engine, el, 'kl');
    this.plot = new Plot(box, { label: 'KL divergence between the predicted stationary Gaussian and the posterior, against the step', aspect: 0.5, idleText: 'computing…' });
    attach(this, engine, session);
    this.say = explainBox(el);
    this.data = null;
    this.key = '';
  }
  onSession(kind) {
    if (kind === 'theory' || (kind === 'chain' && this.data)) this.draw();
  }
  update(st) {
    updateOwn(this, st);
    const s = this.session;
    if (s.error || !s.loc) return;
    const loc = s.loc;
    const lo = Math.min(loc.epsRef / 100, loc.eps / 2);
    const hi = Math.max(loc.epsRef * 100, loc.eps * 2);
    const n = 161;
    const eps = Array.from({ length: n }, (_, k) => lo * Math.pow(hi / lo, k / (n - 1)));
    const key = JSON.stringify([loc.spec, loc.desc.sampler, loc.desc.batch, loc.desc.momentum, loc.precond && Array.from(loc.precond), lo, hi]);
    if (key === this.key) {
      this.draw();
      return;
    }
    this.key = key;
    const desc = { sampler: loc.desc.sampler, batch: loc.desc.batch, momentum: loc.desc.momentum,
      precond: loc.precond && Array.from(loc.precond) };
    this.work.track(this.engine.pool.call('postKL', [loc.spec, desc, eps], { channel: this.id }).then((r) => {
      this.data = { eps, cont: Array.from(r.cont), disc: Array.from(r.disc) };
      this.draw();
    })).catch((e) => showError(this, e));
  }
  draw() {
    const d = this.data;
    const s = this.session;
    if (!d || !s.loc) return;
    const loc = s.loc;
    const lx = d.eps.map((e) => Math.log10(e));
    const all = [...d.cont, ...d.disc].filter((v) => v > 0 && Number.isFinite(v));
    const dg = s.diag && s.diag.chains[0];
    const emp = dg && !dg.diverged && dg.fit && Number.isFinite(dg.fit.kl) ? dg.fit.kl : null;
    if (emp > 0) all.push(emp);
    const ymin = Math.max(1e-6, Math.min(...all, 1) / 2);
    const ymax = Math.max(...all, 1e-3) * 2;
    const refLabel = loc.desc.sampler === 'sgld' ? 'ε* (drift εN/2 = SGD’s ε*)' : 'ε*';
    const series = [
      { type: 'line', xs: lx, ys: d.cont, color: C_CONT, width: 2, label: 'continuous Lyapunov' },
      { type: 'line', xs: lx, ys: d.disc, color: C_DISC, width: 2, dash: [6, 3], label: 'discrete Lyapunov' },
      { type: 'vline', x: Math.log10(loc.epsRef), color: C_MARK, dash: [5, 4], width: 1.6, text: 'ε*', label: `${refLabel} = ${fmt(loc.epsRef, 3)}` },
      { type: 'vline', x: Math.log10(loc.eps), color: INK, width: 1.4, label: `this ε = ${fmt(loc.eps, 3)}` },
    ];
    if (emp > 0) series.push({ type: 'points', xs: [Math.log10(loc.eps)], ys: [emp], color: C_CHAIN, r: 5, stroke: '#fff', label: 'this chain (Gaussian fit)' });
    const flat = loc.desc.sampler === 'sgd-precond' ? 'H fixed at H*(ε*): ε = ε* is Mandt’s optimum' : '';
    const nan = d.disc.some((v) => !Number.isFinite(v)) ? 'gaps: no stationary law (step too large)' : '';
    this.plot.set({
      title: `KL(stationary Gaussian ‖ posterior)  ·  ${loc.desc.sampler}, S = ${loc.desc.batch}`,
      x: { min: lx[0], max: lx.at(-1), label: 'log_{10} ε' },
      y: { min: ymin, max: ymax, log: true, label: 'KL (nats)' },
      series, legendPos: 'best', note: [flat, nan].filter(Boolean).join('  ·  '),
    });
    const fit = s.predFit();
    say(this, () => explainKL({ eps: d.eps, cont: d.cont, disc: d.disc, epsRef: loc.epsRef,
      refName: loc.desc.sampler === 'sgld' ? '2ε*/N' : 'ε*', eps0: loc.eps, kl0: fit ? fit.kl : NaN,
      chainKL: emp > 0 ? emp : NaN, diverged: !!(s.chains[0] && s.chains[0].diverged) }));
  }
  numbers() {
    if (!this.data) return null;
    const loc = this.session.loc;
    const dg = this.session.diag && this.session.diag.chains[0];
    return { figure: 'kl', eps: this.data.eps, kl_continuous: this.data.cont, kl_discrete: this.data.disc,
      eps_star: loc.epsStar, eps_ref: loc.epsRef, eps_current: loc.eps, kl_chain: dg && dg.fit ? dg.fit.kl : null };
  }
  csv(header) {
    if (!this.data) return '';
    const loc = this.session.loc;
    const lines = [...header, `# eps_star=${loc.epsStar} eps_ref=${loc.epsRef} eps_current=${loc.eps}`, 'eps,kl_continuous,kl_discrete'];
    this.data.eps.forEach((e, k) => lines.push(`${e},${this.data.cont[k]},${this.data.disc[k]}`));
    return `${lines.join('\n')}\n`;
  }
  png() {
    return this.plot.toDataURL();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Two stacked plots (one per coordinate) exported as one PNG.
function stackPNG(plots) {
  const cs = plots.map((p) => p.canvas);
  const out = document.createElement('canvas');
  out.width = Math.max(...cs.map((c) => c.width));
  out.height = cs.reduce((a, c) => a + c.height, 0);
  const ctx = out.getContext('2d');
  let y = 0;
  for (const c of cs) {
    ctx.drawImage(c, 0, y);
    y += c.height;
  }
  return out.toDataURL('image/png');
}

export class TraceFigure {
  constructor(engine, el, { session } = {}) {
    const box = setupFigure(this, engine, el, 'trace');
    this.plots = [0, 1].map((j) => new Plot(box, { label: `trace of θ_${j + 1} against the step`, aspect: 0.5, idleText: 'computing…' }));
    attach(this, engine, session);
    this.say = explainBox(el);
    this.last = 0;
  }
  onSession() {
    const now = performance.now();
    if (now - this.last < 60 && !this.session.done()) return;
    this.last = now;
    this.draw();
  }
  update(st) {
    updateOwn(this, st);
    this.draw();
  }
  draw() {
    const s = this.session;
    const st = this.st;
    if (!st || !s.chains.length) return;
    const cols = [C_CHAIN, '#1f8fb8'];
    [0, 1].forEach((j) => {
      const series = [];
      let lo = Infinity;
      let hi = -Infinity;
      s.chains.forEach((c, k) => {
        const n = c.count;
        const every = Math.max(1, Math.floor(n / 3000));
        const xs = [];
        const ys = [];
        for (let i = 0; i < n; i += every) {
          const v = c.buf[2 * i + j];
          xs.push((i + 1) * c.thin);
          ys.push(v);
          if (Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
        }
        series.push({ type: 'line', xs, ys, color: cols[k], width: 1, alpha: k ? 0.7 : 1, label: `θ_${j + 1} (${c.batching})` });
      });
      const th = s.theory;
      if (th) {
        const m = th.postMean[j];
        const sd = Math.sqrt(th.postCov[j][j]);
        series.push({ type: 'hline', y: m, color: C_MARK, width: 1.5, label: 'posterior mean' });
        series.push({ type: 'hline', y: m - 2 * sd, color: C_MARK, dash: [4, 4], width: 1, label: '± 2 posterior sd' });
        series.push({ type: 'hline', y: m + 2 * sd, color: C_MARK, dash: [4, 4], width: 1 });
        lo = Math.min(lo, m - 2.5 * sd);
        hi = Math.max(hi, m + 2.5 * sd);
      }
      if (st.burn > 0) series.push({ type: 'vline', x: st.burn, color: '#888', dash: [3, 3], width: 1, label: 'end of the burn-in' });
      const t = Math.max(2, s.chains[0].t);
      if (!(hi > lo)) lo -= 1, hi += 1;
      this.plots[j].set({
        title: j === 0 ? `Trace  ·  step ${s.chains[0].t}${s.chains[0].thin > 1 ? ` (every ${s.chains[0].thin}th stored)` : ''}` : '',
        x: { min: 0, max: t, label: j === 1 ? 'step t' : '' },
        y: { min: lo, max: hi, label: `θ_${j + 1}` },
        series, legendPos: 'best',
      });
    });
    const c = s.chains[0];
    say(this, () => (s.theory && c.count ? explainTrace({ iter: c.buf, count: c.count, thin: c.thin, burn: st.burn,
      t: c.t, mean: s.theory.postMean, cov: s.theory.postCov, diverged: c.diverged }) : ''));
  }
  numbers() {
    const s = this.session;
    if (!s.chains.length) return null;
    return { figure: 'trace', chains: s.chains.map((c) => ({ batching: c.batching, t: c.t, thin: c.thin,
      steps: Array.from({ length: c.count }, (_, i) => (i + 1) * c.thin), iterates: Array.from(c.buf.subarray(0, 2 * c.count)) })) };
  }
  csv(header) {
    const s = this.session;
    if (!s.chains.length) return '';
    const lines = [...header, 'chain,step,theta_1,theta_2'];
    s.chains.forEach((c) => {
      for (let i = 0; i < c.count; i++) lines.push(`${c.batching},${(i + 1) * c.thin},${c.buf[2 * i]},${c.buf[2 * i + 1]}`);
    });
    return `${lines.join('\n')}\n`;
  }
  png() {
    return stackPNG(this.plots);
  }
}

// ---------------------------------------------------------------------------------------------------------
export class ACFFigure {
  constructor(engine, el, { session } = {}) {
    const box = setupFigure(this, engine, el, 'acf');
    this.plot = new Plot(box, { label: 'autocorrelation of the iterates against the lag, with the effective sample size', aspect: 0.6, idleText: 'waiting for iterates…' });
    attach(this, engine, session);
    this.say = explainBox(el);
  }
  onSession() {
    this.draw();
  }
  update(st) {
    updateOwn(this, st);
    this.draw();
  }
  draw() {
    const s = this.session;
    const a = s.diag && s.diag.acf;
    if (!a) return;
    if (a === this.drawn) return;
    this.drawn = a;
    const thin = s.diag.acfThin || 1;
    const lags = a[0].acf.map((_, k) => k * thin);
    const dg = s.diag.chains[0];
    this.plot.set({
      title: `Autocorrelation  ·  ESS θ_1 = ${fmt(a[0].ess, 3)}, θ_2 = ${fmt(a[1].ess, 3)} of ${dg ? dg.count : 0}`,
      x: { min: 0, max: lags.at(-1) || 1, label: thin > 1 ? `lag (steps; iterates stored every ${thin})` : 'lag (steps)' },
      y: { min: Math.min(-0.2, ...a[0].acf, ...a[1].acf), max: 1.02, label: 'autocorrelation' },
      series: [
        { type: 'hline', y: 0, color: '#888', width: 1 },
        { type: 'line', xs: lags, ys: a[0].acf, color: C_CHAIN, width: 2, label: `θ_1: τ = ${fmt(a[0].tau, 3)}` },
        { type: 'line', xs: lags, ys: a[1].acf, color: '#1f8fb8', width: 2, label: `θ_2: τ = ${fmt(a[1].tau, 3)}` },
      ],
      legendPos: 'best',
      note: 'τ: integrated autocorrelation time (Geyer); ESS = kept iterates / τ',
    });
    say(this, () => explainACF({ acf: a, thin, count: dg ? dg.count : 0, diverged: !!(dg && dg.diverged) }));
  }
  numbers() {
    const a = this.session.diag && this.session.diag.acf;
    if (!a) return null;
    return { figure: 'acf', thin: this.session.diag.acfThin, acf: a.map((x) => x.acf), ess: a.map((x) => x.ess), tau: a.map((x) => x.tau) };
  }
  csv(header) {
    const a = this.session.diag && this.session.diag.acf;
    if (!a) return '';
    const thin = this.session.diag.acfThin || 1;
    const lines = [...header, `# ess=${a[0].ess},${a[1].ess} tau=${a[0].tau},${a[1].tau} thin=${thin}`, 'lag,acf_theta_1,acf_theta_2'];
    a[0].acf.forEach((v, k) => lines.push(`${k * thin},${v},${a[1].acf[k]}`));
    return `${lines.join('\n')}\n`;
  }
  png() {
    return this.plot.toDataURL();
  }
}

export const FIGURE_CLASSES = { posterior: PosteriorFigure, kl: KLFigure, trace: TraceFigure, acf: ACFFigure };
