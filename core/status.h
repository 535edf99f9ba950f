/* status.h - dynlens status codes and their messages (every core function returns one). */
#ifndef DYN_STATUS_H
#define DYN_STATUS_H

/* Index
 *   dyn_status      enum: DYN_OK (0) or a negative error code
 *   dyn_status_str  a one-line English message for a code (never NULL)
 */

typedef enum dyn_status {
    DYN_OK = 0,
    DYN_ERR_NULL = -1,        /* a required pointer was NULL */
    DYN_ERR_NAN = -2,         /* an input was NaN or infinite */
    DYN_ERR_RANGE = -3,       /* an input was outside its allowed range */
    DYN_ERR_SIZE = -4,        /* a size or count was zero, negative or over its limit */
    DYN_ERR_BUFFER = -5,      /* a caller-provided buffer was too small */
    DYN_ERR_NO_SOLUTION = -6, /* the equation has no solution for these inputs */
    DYN_ERR_NO_CONVERGE = -7, /* an iteration did not converge */
    DYN_ERR_UNKNOWN_NAME = -8,/* a name (activation, field, colormap) is not known */
    DYN_ERR_FONT = -9         /* the font data could not be parsed */
} dyn_status;

/* Returns a static message for s, e.g. "an input was outside its allowed range". */
const char *dyn_status_str(dyn_status s);

#endif
