# control_peer.py - the way a numpy/scipy user writes one GD step and one E-MSA sweep of Li et al.'s toy problem
# (sin, width 5, 20 plain tanh layers, 100 examples, rho 1, 10 L-BFGS iterations per layer via scipy), timed for
# `make bench` beside bench_control's native numbers. Prints only; needs python3-numpy and python3-scipy.
import time

import numpy as np
from scipy.optimize import minimize

T, w, N, delta, reg, rho = 20, 5, 100, 0.25, 1e-3, 1.0
rng = np.random.default_rng(1)
u = rng.uniform(-np.pi, np.pi, N)
y = np.sin(u)
theta = np.zeros((T, w * w + w))


def unpack(t):
    return t[:w * w].reshape(w, w), t[w * w:]


def forward(theta):
    xs = [np.tile(u[:, None], (1, w))]
    for t in range(T):
        W, b = unpack(theta[t])
        xs.append(xs[-1] + delta * np.tanh(xs[-1] @ W.T + b))
    return xs


def backward(theta, xs):
    p = [None] * (T + 1)
    p[T] = -np.tile((xs[T].sum(axis=1) - y)[:, None], (1, w)) / N
    g = np.zeros_like(theta)
    for t in range(T - 1, -1, -1):
        W, b = unpack(theta[t])
        a = xs[t] @ W.T + b
        uu = delta * (1 - np.tanh(a) ** 2) * p[t + 1]
        p[t] = p[t + 1] + uu @ W
        g[t] = -np.concatenate([(uu.T @ xs[t]).ravel(), uu.sum(axis=0)]) + reg * theta[t]
    return p, g


def neg_aug_h(th, x, p, v, q):
    W, b = unpack(th)
    a = x @ W.T + b
    ta = np.tanh(a)
    d1, d2 = 1 - ta ** 2, -2 * ta * (1 - ta ** 2)
    F = x + delta * ta
    uu = delta * d1 * p
    gx = p + uu @ W
    r, e = v - F, q - gx
    h = np.sum(p * F) - rho / 2 * np.sum(r * r) - rho / 2 * np.sum(e * e) - reg / 2 * np.sum(th * th)
    wa = delta * d1 * (p + rho * r)
    psi = delta * d2 * (e @ W.T) * p
    GW = wa.T @ x + rho * (uu.T @ e + psi.T @ x)
    gb = wa.sum(axis=0) + rho * psi.sum(axis=0)
    return -h, -(np.concatenate([GW.ravel(), gb]) - reg * th)


def gd_step(theta):
    xs = forward(theta)
    _, g = backward(theta, xs)
    return theta - 0.1 * g


def emsa_sweep(theta):
    xs = forward(theta)
    p, _ = backward(theta, xs)
    out = theta.copy()
    for t in range(T):
        res = minimize(neg_aug_h, theta[t], args=(xs[t], p[t + 1], xs[t + 1], p[t]), jac=True, method="L-BFGS-B",
                       options={"maxiter": 10, "maxcor": 5})
        out[t] = res.x
    return out


def timed(f, th):
    """CPU seconds per call (all threads of this process), as bench_control measures: other processes on a shared
    machine do not inflate it"""
    f(th)
    n, t0 = 0, time.process_time()
    while time.process_time() - t0 < 0.5:
        th = f(th)
        n += 1
    return (time.process_time() - t0) / n


gd = timed(gd_step, theta)
em = timed(emsa_sweep, theta)
print("numpy/scipy peer, Li et al.'s toy (T = 20, d = 5, N = 100)")
print(f"  gd    {gd * 1e3:9.3f} ms/iteration (numpy, vectorised over examples)")
print(f"  emsa  {em * 1e3:9.3f} ms/iteration (numpy + scipy L-BFGS-B, 10 iterations per layer)")
