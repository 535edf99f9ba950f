// glossary.js - the symbols every demo shares, defined once: key -> {sym (HTML), def (HTML, one or two sentences)}.
// A demo's own terms are in its index.js (`export const glossary`); the page marks an occurrence of a symbol as
// <span class="term" data-term="KEY">...</span> and the shell shows the definition on hover, focus and tap.
import { richHTML } from './draw.js';

export const glossary = {
  sw2: {
    sym: 'σ<sub>w</sub><sup>2</sup>',
    def: 'Weight variance: each weight W<sub>ij</sub> of a layer with N inputs is drawn from N(0, σ<sub>w</sub><sup>2</sup>/N), ' +
      'so a unit\'s input has variance σ<sub>w</sub><sup>2</sup> times the mean square activity of the layer below (a variance, ' +
      'not a standard deviation).',
  },
  sb2: {
    sym: 'σ<sub>b</sub><sup>2</sup>',
    def: 'Bias variance: each bias b<sub>i</sub> is drawn from N(0, σ<sub>b</sub><sup>2</sup>); it keeps the length q<sup>l</sup> ' +
      'of a layer\'s pre-activations away from 0.',
  },
  q_star: {
    sym: 'q*',
    def: 'The fixed point of the length map: the mean square pre-activation q<sup>l</sup> = |h<sup>l</sup>|²/N that a deep ' +
      'random network settles to whatever its input, q* = σ<sub>w</sub><sup>2</sup> E[φ(√q* z)²] + σ<sub>b</sub><sup>2</sup>.',
  },
  c_star: {
    sym: 'c*',
    def: 'The stable fixed point of the correlation map: the correlation between two inputs\' pre-activations deep in the ' +
      'network. c* = 1 in the ordered phase (all inputs end up alike); c* &lt; 1 in the chaotic phase.',
  },
  chi1: {
    sym: 'χ<sub>1</sub>',
    def: 'χ<sub>1</sub> = σ<sub>w</sub><sup>2</sup> E[φ′(√q* z)²]: the factor by which a small perturbation of the input (and ' +
      'the squared gradient, going back) grows per layer. χ<sub>1</sub> &lt; 1 is the ordered phase, χ<sub>1</sub> &gt; 1 the ' +
      'chaotic one, χ<sub>1</sub> = 1 the critical line (the edge of chaos).',
  },
  xi_c: {
    sym: 'ξ<sub>c</sub>',
    def: 'The depth scale of correlations, ξ<sub>c</sub> = −1/ln χ<sub>c</sub>: the distance c<sup>l</sup> − c* shrinks by a ' +
      'factor e every ξ<sub>c</sub> layers. It is infinite on the critical line; networks deeper than about 6 ξ<sub>c</sub> ' +
      'do not train (Schoenholz et al. 2017).',
  },
  L: { sym: 'L', def: 'The depth: the number of layers of the network (weight matrices W<sub>1</sub> … W<sub>L</sub>).' },
  N: { sym: 'N', def: 'The width: the number of units in each layer (every layer has the same width here).' },
  theta: {
    sym: 'θ',
    def: 'All of a network\'s parameters (weights and biases) as one vector; θ* is where training ended.',
  },
  eta: { sym: 'η', def: 'The learning rate: the step size of gradient descent, θ ← θ − η ∇L(θ).' },
};

/** An occurrence of glossary term key around HTML: the span the shell looks for. */
export function termHTML(key, html) {
  return `<span class="term" data-term="${key}">${html}</span>`;
}

/** An occurrence of glossary term key, typeset from the page's label notation ("χ_1"). */
export function term(key, text) {
  return termHTML(key, richHTML(text));
}
