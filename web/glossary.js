// glossary.js - the symbols every demo uses, defined once: key -> {sym (HTML), def (HTML, one or two sentences)}.
// A demo's own terms live in its module's `export const glossary`; the page looks a term up there first, then
// here (web/guide.js). Mark a symbol in a panel as <span class="term" data-term="KEY">…</span>.
export const glossary = {
  sw2: { sym: 'σ<sub>w</sub><sup>2</sup>', def: 'The weight variance: each weight W<sub>ij</sub> is drawn from N(0, σ<sub>w</sub><sup>2</sup>/N), N the width of the layer it reads (fan-in scaling).' },
  sb2: { sym: 'σ<sub>b</sub><sup>2</sup>', def: 'The bias variance: each bias b<sub>i</sub> is drawn from N(0, σ<sub>b</sub><sup>2</sup>).' },
  qstar: { sym: 'q*', def: 'The fixed point of the length map: the mean squared pre-activation q<sup>l</sup> that a deep random network settles at, layer after layer.' },
  cstar: { sym: 'c*', def: 'The fixed point of the correlation map: the correlation two different inputs settle at deep in the network (1 in the ordered phase, below 1 in the chaotic phase).' },
  chi1: { sym: 'χ<sub>1</sub>', def: 'How much one layer stretches a small difference between two inputs, σ<sub>w</sub><sup>2</sup> E[φ′(√q* z)<sup>2</sup>]. Below 1 the network is ordered, above 1 chaotic, and χ<sub>1</sub> = 1 is the critical line.' },
  xic: { sym: 'ξ<sub>c</sub>', def: 'The correlation depth scale ξ<sub>c</sub> = −1/ln χ<sub>c</sub>: the number of layers over which two inputs’ correlation approaches c*. It diverges on the critical line; networks train up to about 6ξ<sub>c</sub> layers deep.' },
  L: { sym: 'L', def: 'The depth: the number of layers of the network.' },
  N: { sym: 'N', def: 'The width: the number of units in each hidden layer.' },
  theta: { sym: 'θ', def: 'The parameters (weights and biases) of the model, as one vector.' },
  eta: { sym: 'η', def: 'The learning rate: the step size of gradient descent, θ ← θ − η ∇L(θ).' },
};
