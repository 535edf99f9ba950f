// runbar.js - the training controls every demo that trains shares, in the manner of TensorFlow Playground:
// play/pause, step, stop, a counter and the elapsed time against an estimate, and a cap on long runs that the
// user lifts explicitly. The bar only shows and reports: the demo owns the run and calls show() as it goes.
//
//   const bar = new RunBar(host, { unit: 'step', onPlay, onPause, onStop, onStep, onLift });
//   bar.show({ phase: 'running', done: 1200, total: 2000, seconds: 3.1, estimate: 5.2 });
//   if (estimate > bar.cap) bar.show({ phase: 'capped', total, estimate });   // the demo waits for onLift()
//
// Phases: idle (nothing yet), running, paused, stopped (by the user), done, diverged and stalled (the run
// finished but failed: note says why, from the numbers), capped (not started: the estimate exceeds the cap).
// markStale(figEl, on, text) dims a figure that shows a previous run while the run it depends on is redone.

/** The default cap: a run estimated to take longer waits for the user's "Run anyway". */
export const DEFAULT_CAP_SECONDS = 60;

/** A duration for people: "0.4 s", "12 s", "3.5 min", "1.2 h". */
export function fmtDuration(s) {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 1) return `${s.toFixed(2)} s`;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${(s / 60).toFixed(s < 600 ? 1 : 0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const LABEL = {
  idle: 'ready', running: 'running', paused: 'paused', stopped: 'stopped', done: 'done',
  diverged: 'diverged', stalled: 'did not learn', capped: 'waiting',
};

export class RunBar {
  /**
   * host: the element the bar is appended to. unit: what done/total count ('step', 'sweep', 'iteration').
   * Callbacks (each optional; a missing one hides its button): onPlay, onPause, onStop, onStep, onLift.
   * cap: seconds (default DEFAULT_CAP_SECONDS). more: a finished run can go on (a sampler's chain): Step stays enabled.
   */
  constructor(host, { unit = 'step', label = 'training', cap = DEFAULT_CAP_SECONDS, more = false, onPlay, onPause, onStop, onStep, onLift } = {}) {
    this.unit = unit;
    this.cap = cap;
    this.more = more;
    this.cb = { onPlay, onPause, onStop, onStep, onLift };
    const el = document.createElement('div');
    el.className = 'runbar';
    el.setAttribute('role', 'group');
    el.setAttribute('aria-label', `${label} controls`);
    el.innerHTML = `<div class="rb-row">
        <button type="button" class="rb-play" aria-pressed="false">Play</button>
        <button type="button" class="rb-step" title="Advance one ${unit}">Step</button>
        <button type="button" class="rb-stop" title="Stop and keep what has been computed">Stop</button>
        <progress max="1" value="0" aria-label="${label} progress"></progress>
        <span class="rb-phase"></span>
        <span class="rb-count" aria-live="polite"></span>
      </div>
      <div class="rb-cap" hidden><span></span> <button type="button" class="rb-lift"></button></div>
      <p class="rb-note" aria-live="polite"></p>`;
    host.append(el);
    this.el = el;
    const q = (s) => el.querySelector(s);
    this.play = q('.rb-play');
    this.stepBtn = q('.rb-step');
    this.stop = q('.rb-stop');
    this.bar = q('progress');
    this.phaseEl = q('.rb-phase');
    this.count = q('.rb-count');
    this.capBox = q('.rb-cap');
    this.lift = q('.rb-lift');
    this.noteEl = q('.rb-note');
    this.play.hidden = !onPlay && !onPause;
    this.stepBtn.hidden = !onStep;
    this.stop.hidden = !onStop;
    this.play.addEventListener('click', () => {
      const fn = this.phase === 'running' ? this.cb.onPause : this.cb.onPlay;
      if (fn) fn();
    });
    this.stepBtn.addEventListener('click', () => this.cb.onStep && this.cb.onStep());
    this.stop.addEventListener('click', () => this.cb.onStop && this.cb.onStop());
    this.lift.addEventListener('click', () => this.cb.onLift && this.cb.onLift());
    this.show({ phase: 'idle' });
  }

  /** Shows the run's state; every field is optional except phase. Numbers are the demo's own. */
  show({ phase, done = 0, total = 0, seconds = null, estimate = null, note = '' }) {
    this.phase = phase;
    const running = phase === 'running';
    this.el.dataset.phase = phase;
    this.play.textContent = running ? 'Pause' : 'Play';
    this.play.setAttribute('aria-pressed', String(running));
    this.play.disabled = phase === 'capped' || (!running && !this.cb.onPlay) || (running && !this.cb.onPause);
    this.stepBtn.disabled = running || phase === 'capped' || (phase === 'done' && !this.more) || phase === 'diverged';
    this.stop.disabled = !(running || phase === 'paused');
    this.bar.value = total > 0 ? Math.min(1, done / total) : 0;
    this.phaseEl.textContent = LABEL[phase] || phase;
    const parts = [];
    if (total > 0) parts.push(`${this.unit} ${Math.round(done)} / ${total}`);
    if (seconds != null) parts.push(fmtDuration(seconds) + (estimate != null && phase === 'running' ? ` of about ${fmtDuration(estimate)}` : ''));
    else if (estimate != null) parts.push(`about ${fmtDuration(estimate)}`);
    this.count.textContent = parts.join(' · ');
    this.capBox.hidden = phase !== 'capped';
    if (phase === 'capped') {
      this.capBox.firstElementChild.textContent =
        `This run would take about ${fmtDuration(estimate)}, over the ${fmtDuration(this.cap)} cap, so it has not started.`;
      this.lift.textContent = `Run anyway (about ${fmtDuration(estimate)})`;
      this.lift.hidden = !this.cb.onLift;
    }
    this.noteEl.innerHTML = note;
    this.noteEl.hidden = !note;
  }
}

/** Dims a figure (a <figure class="fig">) and labels it while the run it shows is being redone; off removes both. */
export function markStale(figEl, on, text = 'previous run: being recomputed…') {
  if (!figEl) return;
  figEl.classList.toggle('stale', !!on);
  let label = figEl.querySelector(':scope > .stale-label');
  if (on) {
    if (!label) {
      label = document.createElement('div');
      label.className = 'stale-label';
      label.setAttribute('role', 'status');
      figEl.append(label);
    }
    label.textContent = text;
  } else if (label) {
    label.remove();
  }
}
