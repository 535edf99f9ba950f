#!/usr/bin/python3
# peers.py - the 2-D loss slice against a per-point PyTorch evaluation, in one run: `make bench` runs it when
# Debian's python3-torch is installed (`make bench-peers` installs it), after the native benchmarks.
#
#   /usr/bin/python3 tests/bench/peers.py build
#
# The native side is build/bench_landscape's slice cases (run here, so both sides see the same machine load).
# The PyTorch side is the way tomgoldstein/loss-landscape computes a slice: for each grid point set every
# parameter tensor to w + a d1 + b d2 and evaluate the whole data set under no_grad (nn.Linear layers, the same
# activation, skips and softmax cross-entropy), in float64 and in float32, on one thread (the native side is
# one core) and on all threads. Inputs and weights are random of the same shapes: the time does not depend on
# the values. Ratios above 1 mean dynlens is faster.
import os
import re
import subprocess
import sys
import time

import torch

build = sys.argv[1] if len(sys.argv) > 1 else 'build'
out = subprocess.run([os.path.join(build, 'bench_landscape'), 'slices'], capture_output=True, text=True, check=True).stdout
print(out, end='')
native = {}
for line in out.splitlines():
    m = re.match(r'\s+(.+?)\s+P=\d+\s+n=\d+\s+\d+x\d+:\s+(\d+) pts/s', line)
    if m:
        native[m.group(1)] = float(m.group(2))

# (name as printed by bench_landscape, inputs, classes, depth, width, activation, skips, examples)
CASES = [
    ('spirals, 3 x 32 tanh + skips', 2, 2, 3, 32, torch.tanh, True, 400),
    ('spirals, 8 x 64 relu + skips', 2, 2, 8, 64, torch.relu, True, 400),
    ('64 inputs, 2 x 128 tanh + skips, 10 classes', 64, 10, 2, 128, torch.tanh, True, 1000),
    ('64 inputs, 1 x 256 relu, 10 classes', 64, 10, 1, 256, torch.relu, False, 1000),
]


class Net(torch.nn.Module):
    def __init__(self, n_in, n_out, depth, width, act, skip):
        super().__init__()
        dims = [n_in] + [width] * depth + [n_out]
        self.layers = torch.nn.ModuleList(torch.nn.Linear(dims[i], dims[i + 1]) for i in range(depth + 1))
        self.act, self.skip = act, skip

    def forward(self, x):
        h = x
        for i, lin in enumerate(self.layers[:-1]):
            a = self.act(lin(h))
            h = a + h if (self.skip and i >= 1) else a  # layer 1 never has a skip, as in net.h
        return self.layers[-1](h)


def per_point_rate(case, dtype, seconds=2.0):
    name, n_in, n_out, depth, width, act, skip, n = case
    g = torch.Generator().manual_seed(1)
    net = Net(n_in, n_out, depth, width, act, skip).to(dtype).eval()
    x = torch.randn(n, n_in, generator=g, dtype=dtype)
    y = torch.randint(0, n_out, (n,), generator=g)
    w = [p.detach().clone() for p in net.parameters()]
    d1 = [torch.randn(p.shape, generator=g, dtype=dtype) for p in w]
    d2 = [torch.randn(p.shape, generator=g, dtype=dtype) for p in w]
    # CPU time of the process, as bench_landscape measures (on one thread it is the time spent on a core; with
    # several threads it adds them up, so the all-threads rate is wall-clock)
    clock = time.process_time if torch.get_num_threads() == 1 else time.perf_counter
    pts, t0 = 0, clock()
    with torch.no_grad():
        while clock() - t0 < seconds:
            a, b = -1.0 + 0.01 * (pts % 200), 0.5
            for p, w0, u, v in zip(net.parameters(), w, d1, d2):
                p.copy_(w0 + a * u + b * v)
            torch.nn.functional.cross_entropy(net(x), y).item()
            pts += 1
    return pts / (clock() - t0)


threads = torch.get_num_threads()
print(f'PyTorch {torch.__version__}, per-point evaluation (as tomgoldstein/loss-landscape); ratio = dynlens / PyTorch')
for case in CASES:
    name = case[0]
    row = []
    for nt in sorted({1, threads}):
        torch.set_num_threads(nt)
        for dtype in (torch.float64, torch.float32):
            r = per_point_rate(case, dtype)
            tag = f'{"f64" if dtype == torch.float64 else "f32"} {nt} thr'
            row.append(f'{tag} {r:7.0f} pts/s ({native[name] / r:4.1f}x)' if name in native else f'{tag} {r:7.0f} pts/s')
    print(f'  {name:44s} native {native.get(name, float("nan")):6.0f} pts/s | ' + ' | '.join(row))
