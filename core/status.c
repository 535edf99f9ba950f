/* status.c - messages for dynlens status codes. */
#include "status.h"

const char *dyn_status_str(dyn_status s)
{
    switch (s) {
    case DYN_OK: return "ok";
    case DYN_ERR_NULL: return "a required pointer was NULL";
    case DYN_ERR_NAN: return "an input was NaN or infinite";
    case DYN_ERR_RANGE: return "an input was outside its allowed range";
    case DYN_ERR_SIZE: return "a size or count was zero, negative or over its limit";
    case DYN_ERR_BUFFER: return "a buffer was too small";
    case DYN_ERR_NO_SOLUTION: return "the equation has no solution for these inputs";
    case DYN_ERR_NO_CONVERGE: return "the iteration did not converge";
    case DYN_ERR_UNKNOWN_NAME: return "unknown name";
    case DYN_ERR_FONT: return "the font data could not be parsed";
    }
    return "unknown status code";
}
