/* gz.h - gzip (RFC 1952) and raw deflate (RFC 1951) decoding from a memory buffer into a caller buffer. */
#ifndef DYN_GZ_H
#define DYN_GZ_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Index
 *   dyn_gz_is_gzip  does a buffer start with the gzip magic bytes 1f 8b?
 *   dyn_gz_inflate  every member of a gzip buffer into a caller buffer, each member's CRC-32 and ISIZE checked
 *   dyn_gz_crc32    the CRC-32 of gzip and PNG (ISO 3309), chained over several buffers
 *   dyn_gz_info     what dyn_gz_inflate found (bytes written, members) and, on error, why
 *
 * No allocation, no I/O: the caller reads the file (the CLI does) and owns the output buffer. A gzip file may
 * hold several members one after another (`cat a.gz b.gz`, pigz, bgzip): their data is concatenated, as gzip -d
 * does. Zero bytes after the last member are ignored (tar padding); any other trailing byte is an error.
 * The output buffer bounds the work: a member that inflates past out_cap is refused as soon as it gets there,
 * so a small file that inflates to gigabytes costs at most out_cap bytes of output (a "gzip bomb").
 */

typedef struct dyn_gz_info {
    size_t out_len; /* bytes written to out (on success: the whole content; on error: how far it got) */
    int members;    /* complete members decoded */
    char err[160];  /* on error: one line, e.g. "member 2: the CRC-32 does not match (the file is damaged)" */
} dyn_gz_info;

/* 1 if in holds at least 2 bytes and they are 1f 8b, else 0 (in may be NULL when len is 0). */
int dyn_gz_is_gzip(const void *in, size_t len);

/* Decodes the gzip buffer in[0..in_len) into out[0..out_cap). Returns DYN_OK (info->out_len bytes written),
 * DYN_ERR_NULL (in, out or info NULL with a nonzero length; info is required), DYN_ERR_SIZE with info->err set
 * when the content is larger than out_cap ("the data inflates to more than N bytes"), and DYN_ERR_RANGE with
 * info->err set for anything damaged or not gzip: a wrong magic, method or reserved flag, a truncated header
 * or stream, an invalid deflate block (bad code lengths, a distance before the start), a CRC-32 or ISIZE that
 * does not match the data, trailing bytes that are not a member. Sizes are size_t throughout. */
dyn_status dyn_gz_inflate(const void *in, size_t in_len, void *out, size_t out_cap, dyn_gz_info *info);

/* crc: 0 to start, or the result for the preceding bytes to continue. Returns the CRC-32 of data[0..len). */
uint32_t dyn_gz_crc32(uint32_t crc, const void *data, size_t len);

#endif
