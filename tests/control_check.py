# control_check.py - recomputes a `dynlens control train` run in numpy from its files and net.json's documented
# layout alone: states, costates, per-layer Hamiltonians, dJ/dtheta = -grad H (checked by finite differences of J)
# and the losses. Usage: python3 control_check.py DIR  (prints the largest differences; exit 1 if one is too large)
import json
import sys

import numpy as np
from math import erf as _erf

d = sys.argv[1]
net = json.load(open(f"{d}/net.json"))
th = np.load(f"{d}/theta.npy")
X, y = np.load(f"{d}/X.npy"), np.load(f"{d}/y.npy")
xs, ps = np.load(f"{d}/states.npy"), np.load(f"{d}/costates.npy")
T, w, k, delta, gamma, reg = net["layers"], net["width"], net["k"], net["delta"], net["gamma"], net["reg"]
arch, act, n_class, n_out = net["arch"], net["act"], net["n_class"], net["n_out"]
Pt, N = net["P_t"], X.shape[0]
verf = np.vectorize(_erf)
phis = {
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0), lambda a: (a > 0) * 1.0),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
    "sigmoid": (lambda a: 1 / (1 + np.exp(-a)), lambda a: np.exp(-a) / (1 + np.exp(-a)) ** 2),
    "erf": (verf, lambda a: 2 / np.sqrt(np.pi) * np.exp(-a * a)),
}
phi, dphi = phis[act]


def layer(t, theta):
    M = theta[t * Pt:t * Pt + k * k].reshape(k, k)
    b = theta[t * Pt + k * k:(t + 1) * Pt]
    if arch == "antisym":
        M = M - M.T - gamma * np.eye(k)
    return M, b


def step(x, M, b):  # x: N x w
    if arch == "hamiltonian":
        yy, z = x[:, :k], x[:, k:]
        y2 = yy + delta * phi(z @ M.T + b)
        return np.hstack([y2, z - delta * phi(y2 @ M + b)])
    return x + delta * phi(x @ M.T + b)


def readout(theta):
    if net["readout"] == "trained":
        o = T * Pt
        return theta[o:o + n_out * w].reshape(n_out, w), theta[o + n_out * w:o + n_out * w + n_out]
    if n_class == 0:
        return np.ones((1, w)), np.zeros(1)
    return np.eye(n_out, w), np.zeros(n_out)


def embed(u):
    if net["embed"] == "repeat":
        return np.tile(u, (1, w // u.shape[1] + 1))[:, :w]
    return np.hstack([u, np.zeros((u.shape[0], w - u.shape[1]))])


def forward(theta, u):
    x = [embed(u)]
    for t in range(T):
        x.append(step(x[-1], *layer(t, theta)))
    return x


def loss_grad(theta, xT):  # mean terminal loss and dPhi/dz per example
    A, c = readout(theta)
    z = xT @ A.T + c
    if n_class == 0:
        r = z[:, 0] - y
        return np.mean(0.5 * r * r), r[:, None]
    z = z - z.max(axis=1, keepdims=True)
    P = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    lab = y.astype(int)
    L = -np.log(P[np.arange(N), lab])
    P[np.arange(N), lab] -= 1
    return np.mean(L), P


def J(theta):
    return loss_grad(theta, forward(theta, X)[-1])[0] + 0.5 * reg * np.sum(theta * theta)


x = forward(th, X)
err_x = max(np.abs(x[t] - xs[t]).max() for t in range(T + 1))
loss, dz = loss_grad(th, x[-1])
A, _ = readout(th)
# costates backwards by the chain rule through each step (written out; no autodiff)
p = [None] * (T + 1)
p[T] = -(dz @ A) / N
grad = np.zeros_like(th)
H = np.zeros(T)
for t in range(T - 1, -1, -1):
    M, b = layer(t, th)
    xt, pn = x[t], p[t + 1]
    H[t] = np.sum(pn * x[t + 1]) - 0.5 * reg * np.sum(th[t * Pt:(t + 1) * Pt] ** 2)
    if arch == "hamiltonian":
        yy, z = xt[:, :k], xt[:, k:]
        a1 = z @ M.T + b
        y2 = yy + delta * phi(a1)
        a2 = y2 @ M + b
        u2 = -delta * dphi(a2) * pn[:, k:]
        py = pn[:, :k] + u2 @ M.T
        u1 = delta * dphi(a1) * py
        p[t] = np.hstack([py, pn[:, k:] + u1 @ M])
        GM = y2.T @ u2 + u1.T @ z
        gb = (u1 + u2).sum(axis=0)
    else:
        a = xt @ M.T + b
        u = delta * dphi(a) * pn
        p[t] = pn + u @ M
        GM = u.T @ xt
        gb = u.sum(axis=0)
    if arch == "antisym":
        GM = GM - GM.T
    gH = np.concatenate([GM.ravel(), gb]) - reg * th[t * Pt:(t + 1) * Pt]
    grad[t * Pt:(t + 1) * Pt] = -gH
err_p = max(np.abs(p[t] - ps[t]).max() for t in range(T + 1))
# dJ/dtheta = -grad H against central differences of J on a few coordinates of each layer
rng = np.random.default_rng(0)
err_g = 0.0
for t in range(T):
    for i in rng.choice(Pt, size=min(Pt, 3), replace=False):
        e = np.zeros_like(th)
        e[t * Pt + i] = 1e-5
        fd = (J(th + e) - J(th - e)) / 2e-5
        err_g = max(err_g, abs(fd - grad[t * Pt + i]) / max(1e-3, np.abs(grad).max()))
hcsv = np.genfromtxt(f"{d}/hamiltonian.csv", delimiter=",", skip_header=2)
err_h = np.abs(hcsv[:, 1] - H).max()
hist = np.genfromtxt(f"{d}/history.csv", delimiter=",", skip_header=2)
err_l = abs(hist[-1, 2] - loss)
print(f"states {err_x:.3g} costates {err_p:.3g} hamiltonian {err_h:.3g} loss {err_l:.3g} grad-vs-FD {err_g:.3g}")
bad = err_x > 1e-12 or err_p > 1e-12 or err_h > 1e-12 or err_l > 1e-12 or err_g > 1e-6
sys.exit(1 if bad else 0)
