/* net_internal.h - private to core/: the dense kernel that net.c and landscape.c share (not part of the manual). */
#ifndef DYN_NET_INTERNAL_H
#define DYN_NET_INTERNAL_H

/* out[i][j] = init + sum_k H[i][k] WT[k][j] for i < m, j < nout, the sum in increasing k from init = b[j] (b given),
 * out[i][j] (accumulate != 0) or 0. WT is W^T, nin x nout row-major. Every forward pass in dynlens goes through
 * it, so the per-example loop `s = b[j]; for k: s += W[j][k] h[k]` gives the same bits. No checks: the callers
 * (dyn_net_* and dyn_ls_slice) have validated the sizes and buffers. */
void dyn_net_dense(const double *H, int m, int nin, const double *WT, const double *b, int nout, double *out,
                   int accumulate);

#endif
