/* gz.c - a small gzip/deflate decoder (after Mark Adler's puff.c) into a caller buffer, with CRC-32 and ISIZE checks. */
#include "gz.h"

#include <stdio.h>
#include <string.h>

/* Why not stb_image's inflate: it returns the output length as an int (a 2 GiB stream turns negative), keeps
 * an error string in a global, cannot say where a deflate stream ends (needed for multi-member files) and
 * grows its own buffer without a bound. This decoder reads the input one byte at a time, exactly as far as
 * the stream goes, writes only into the caller's buffer and keeps all state in a struct on the stack. */

enum { E_OK = 0, E_TRUNC = 1, E_FULL = 2, E_BAD = 3 };

typedef struct gz {
    const uint8_t *in;
    size_t len, pos;  /* input and the next unread byte */
    uint32_t bitbuf;  /* unread bits, least significant first */
    int bitcnt;
    uint8_t *out;
    size_t cap, outpos, mstart; /* mstart: where this member's output began (distances may not reach before) */
    int err;
    const char *why;  /* for E_BAD: what was wrong */
} gz;

#define MAXBITS 15
#define MAXLCODES 286
#define MAXDCODES 30
#define FIXLCODES 288

typedef struct huff {
    short count[MAXBITS + 1]; /* codes of each length */
    short symbol[FIXLCODES];  /* symbols in canonical order */
} huff;

static void bad(gz *s, const char *why)
{
    if (!s->err) s->err = E_BAD, s->why = why;
}

/* need bits (<= 16) from the stream; past the end it returns zeros and marks the stream truncated */
static uint32_t bits(gz *s, int need)
{
    uint32_t val = s->bitbuf;
    while (s->bitcnt < need) {
        if (s->pos >= s->len) {
            if (!s->err) s->err = E_TRUNC;
            return 0;
        }
        val |= (uint32_t)s->in[s->pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
    s->bitbuf = val >> need;
    s->bitcnt -= need;
    return val & ((1u << need) - 1u);
}

static int put(gz *s, uint8_t b)
{
    if (s->outpos >= s->cap) {
        if (!s->err) s->err = E_FULL;
        return 0;
    }
    s->out[s->outpos++] = b;
    return 1;
}

/* a stored block: LEN, NLEN (its complement), then LEN raw bytes */
static void stored(gz *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->len - s->pos < 4) {
        s->err = E_TRUNC;
        return;
    }
    size_t n = s->in[s->pos] | (size_t)s->in[s->pos + 1] << 8;
    size_t nn = s->in[s->pos + 2] | (size_t)s->in[s->pos + 3] << 8;
    s->pos += 4;
    if (n != (~nn & 0xffffu)) {
        bad(s, "a stored block's length and its complement do not match");
        return;
    }
    if (s->len - s->pos < n) {
        s->err = E_TRUNC;
        return;
    }
    if (s->cap - s->outpos < n) {
        s->err = E_FULL;
        return;
    }
    memcpy(s->out + s->outpos, s->in + s->pos, n);
    s->outpos += n;
    s->pos += n;
}

/* one symbol of canonical code h, bit by bit (codes are stored most significant bit first); -1 if invalid */
static int decode(gz *s, const huff *h)
{
    int code = 0, first = 0, index = 0;
    for (int len = 1; len <= MAXBITS; len++) {
        code |= (int)bits(s, 1);
        int count = h->count[len];
        if (code - count < first) return h->symbol[index + (code - first)];
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -1;
}

/* the canonical code of n code lengths; returns 0 for a complete code, > 0 if incomplete, < 0 if over-subscribed */
static int construct(huff *h, const short *length, int n)
{
    for (int len = 0; len <= MAXBITS; len++) h->count[len] = 0;
    for (int sym = 0; sym < n; sym++) h->count[length[sym]]++;
    if (h->count[0] == n) return 0; /* no codes: complete, but decoding any symbol fails */
    int left = 1;
    for (int len = 1; len <= MAXBITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return left;
    }
    short offs[MAXBITS + 1];
    offs[1] = 0;
    for (int len = 1; len < MAXBITS; len++) offs[len + 1] = (short)(offs[len] + h->count[len]);
    for (int sym = 0; sym < n; sym++)
        if (length[sym] != 0) h->symbol[offs[length[sym]]++] = (short)sym;
    return left;
}

static const short LBASE[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const short LEXT[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const short DBASE[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const short DEXT[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

/* the literal/length and distance symbols of one block, until end-of-block */
static void codes(gz *s, const huff *lencode, const huff *distcode)
{
    for (;;) {
        int sym = decode(s, lencode);
        if (s->err) return;
        if (sym < 0) { bad(s, "an invalid literal/length code"); return; }
        if (sym < 256) {
            if (!put(s, (uint8_t)sym)) return;
        } else if (sym == 256) {
            return;
        } else {
            sym -= 257;
            if (sym >= 29) { bad(s, "an invalid length symbol"); return; }
            size_t len = (size_t)LBASE[sym] + bits(s, LEXT[sym]);
            int ds = decode(s, distcode);
            if (s->err) return;
            if (ds < 0 || ds >= 30) { bad(s, "an invalid distance code"); return; }
            size_t dist = (size_t)DBASE[ds] + bits(s, DEXT[ds]);
            if (s->err) return;
            if (dist > s->outpos - s->mstart) { bad(s, "a distance reaching before the start of the data"); return; }
            if (s->cap - s->outpos < len) {
                s->err = E_FULL;
                return;
            }
            /* source and destination overlap when dist < len (a repeated pattern): then byte by byte, except the
             * run of one byte that long stretches of zeros (and gzip bombs) are made of */
            uint8_t *to = s->out + s->outpos;
            if (dist >= len) memcpy(to, to - dist, len);
            else if (dist == 1) memset(to, to[-1], len);
            else
                for (size_t i = 0; i < len; i++) to[i] = to[(ptrdiff_t)i - (ptrdiff_t)dist];
            s->outpos += len;
        }
    }
}

static void fixed(gz *s)
{
    huff lencode, distcode;
    short lengths[FIXLCODES];
    int sym = 0;
    for (; sym < 144; sym++) lengths[sym] = 8;
    for (; sym < 256; sym++) lengths[sym] = 9;
    for (; sym < 280; sym++) lengths[sym] = 7;
    for (; sym < FIXLCODES; sym++) lengths[sym] = 8;
    construct(&lencode, lengths, FIXLCODES);
    for (sym = 0; sym < MAXDCODES; sym++) lengths[sym] = 5;
    construct(&distcode, lengths, MAXDCODES);
    codes(s, &lencode, &distcode);
}

static void dynamic(gz *s)
{
    static const short order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    short lengths[MAXLCODES + MAXDCODES];
    huff lencode, distcode;
    int nlen = (int)bits(s, 5) + 257, ndist = (int)bits(s, 5) + 1, ncode = (int)bits(s, 4) + 4;
    if (s->err) return;
    if (nlen > MAXLCODES || ndist > MAXDCODES) { bad(s, "too many length or distance codes"); return; }
    int index = 0;
    for (; index < ncode; index++) lengths[order[index]] = (short)bits(s, 3);
    for (; index < 19; index++) lengths[order[index]] = 0;
    if (s->err) return;
    if (construct(&lencode, lengths, 19) != 0) { bad(s, "an incomplete code-length code"); return; }
    index = 0;
    while (index < nlen + ndist) {
        int sym = decode(s, &lencode);
        if (s->err) return;
        if (sym < 0) { bad(s, "an invalid code-length code"); return; }
        if (sym < 16) {
            lengths[index++] = (short)sym;
            continue;
        }
        short len = 0;
        int rep;
        if (sym == 16) {
            if (index == 0) { bad(s, "a repeated code length with nothing before it"); return; }
            len = lengths[index - 1];
            rep = 3 + (int)bits(s, 2);
        } else if (sym == 17) {
            rep = 3 + (int)bits(s, 3);
        } else {
            rep = 11 + (int)bits(s, 7);
        }
        if (s->err) return;
        if (index + rep > nlen + ndist) { bad(s, "code lengths past the end of the table"); return; }
        while (rep--) lengths[index++] = len;
    }
    if (lengths[256] == 0) { bad(s, "no end-of-block code"); return; }
    int e = construct(&lencode, lengths, nlen);
    if (e < 0 || (e > 0 && nlen - lencode.count[0] != 1)) { bad(s, "an invalid literal/length code table"); return; }
    e = construct(&distcode, lengths + nlen, ndist);
    if (e < 0 || (e > 0 && ndist - distcode.count[0] != 1)) { bad(s, "an invalid distance code table"); return; }
    codes(s, &lencode, &distcode);
}

/* one raw deflate stream; afterwards s->pos is the first byte after it */
static void inflate(gz *s)
{
    s->bitbuf = 0;
    s->bitcnt = 0;
    int last;
    do {
        last = (int)bits(s, 1);
        int type = (int)bits(s, 2);
        if (s->err) return;
        if (type == 0) stored(s);
        else if (type == 1) fixed(s);
        else if (type == 2) dynamic(s);
        else bad(s, "an invalid block type");
    } while (!last && !s->err);
    s->bitbuf = 0; /* the rest of the last byte is padding */
    s->bitcnt = 0;
}

static void crc_table(uint32_t t[256])
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        t[n] = c;
    }
}

static uint32_t crc_update(const uint32_t t[256], uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = t[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

uint32_t dyn_gz_crc32(uint32_t crc, const void *data, size_t len)
{
    if (!data) return crc;
    uint32_t t[256];
    crc_table(t);
    return crc_update(t, crc, data, len);
}

int dyn_gz_is_gzip(const void *in, size_t len)
{
    const uint8_t *p = in;
    return p && len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static uint32_t le32(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* one member's header, from s->pos; 0 and info->err set on failure */
static int header(gz *s, const uint32_t *t, dyn_gz_info *info, int m)
{
    const uint8_t *p = s->in + s->pos;
    size_t n = s->len - s->pos, k = 10;
    if (n < 10) return snprintf(info->err, sizeof info->err, "member %d: the gzip header is cut short", m), 0;
    if (p[0] != 0x1f || p[1] != 0x8b) return snprintf(info->err, sizeof info->err, "member %d: not gzip data", m), 0;
    if (p[2] != 8)
        return snprintf(info->err, sizeof info->err, "member %d: compression method %d is not deflate (8)", m, p[2]), 0;
    int flg = p[3];
    if (flg & 0xe0) return snprintf(info->err, sizeof info->err, "member %d: reserved header flags are set", m), 0;
    if (flg & 4) { /* FEXTRA: a 2-byte length, then that many bytes */
        if (n - k < 2) goto cut;
        size_t xlen = p[k] | (size_t)p[k + 1] << 8;
        k += 2;
        if (n - k < xlen) goto cut;
        k += xlen;
    }
    for (int z = 8; z <= 16; z += 8) /* FNAME, then FCOMMENT: zero-terminated */
        if (flg & z) {
            const uint8_t *e = memchr(p + k, 0, n - k);
            if (!e) goto cut;
            k = (size_t)(e - p) + 1;
        }
    if (flg & 2) { /* FHCRC: the low 16 bits of the CRC-32 of the header so far */
        if (n - k < 2) goto cut;
        uint32_t want = p[k] | (uint32_t)p[k + 1] << 8;
        if ((crc_update(t, 0, p, k) & 0xffffu) != want)
            return snprintf(info->err, sizeof info->err, "member %d: the header's CRC does not match", m), 0;
        k += 2;
    }
    s->pos += k;
    return 1;
cut:
    snprintf(info->err, sizeof info->err, "member %d: the gzip header is cut short", m);
    return 0;
}

dyn_status dyn_gz_inflate(const void *in, size_t in_len, void *out, size_t out_cap, dyn_gz_info *info)
{
    if (!info) return DYN_ERR_NULL;
    memset(info, 0, sizeof *info);
    if ((!in && in_len) || (!out && out_cap)) return DYN_ERR_NULL;
    uint32_t t[256];
    crc_table(t);
    gz s = {in, in_len, 0, 0, 0, out, out_cap, 0, 0, 0, NULL};
    if (!dyn_gz_is_gzip(in, in_len)) {
        snprintf(info->err, sizeof info->err, "not gzip data (it does not start with the bytes 1f 8b)");
        return DYN_ERR_RANGE;
    }
    for (int m = 1;; m++) {
        if (!header(&s, t, info, m)) return DYN_ERR_RANGE;
        s.mstart = s.outpos;
        inflate(&s);
        info->out_len = s.outpos;
        if (s.err == E_FULL) {
            snprintf(info->err, sizeof info->err, "the data inflates to more than %zu bytes", out_cap);
            return DYN_ERR_SIZE;
        }
        if (s.err == E_TRUNC) {
            snprintf(info->err, sizeof info->err, "member %d: the compressed data is cut short", m);
            return DYN_ERR_RANGE;
        }
        if (s.err) {
            snprintf(info->err, sizeof info->err, "member %d: damaged compressed data (%s)", m, s.why);
            return DYN_ERR_RANGE;
        }
        if (s.len - s.pos < 8) {
            snprintf(info->err, sizeof info->err, "member %d: the CRC-32 and size at its end are cut short", m);
            return DYN_ERR_RANGE;
        }
        size_t n = s.outpos - s.mstart;
        uint32_t crc = le32(s.in + s.pos), isize = le32(s.in + s.pos + 4);
        s.pos += 8;
        if (crc_update(t, 0, s.out + s.mstart, n) != crc) {
            snprintf(info->err, sizeof info->err, "member %d: the CRC-32 does not match the data (the file is damaged)", m);
            return DYN_ERR_RANGE;
        }
        if ((uint32_t)(n & 0xffffffffu) != isize) {
            snprintf(info->err, sizeof info->err, "member %d: %zu bytes, but its trailer says %lu (mod 2^32)", m, n,
                     (unsigned long)isize);
            return DYN_ERR_RANGE;
        }
        info->members = m;
        if (s.pos == s.len) return DYN_OK;
        if (!dyn_gz_is_gzip(s.in + s.pos, s.len - s.pos)) {
            for (size_t i = s.pos; i < s.len; i++)
                if (s.in[i]) {
                    snprintf(info->err, sizeof info->err, "%zu bytes after gzip member %d are not gzip data",
                             s.len - s.pos, m);
                    return DYN_ERR_RANGE;
                }
            return DYN_OK; /* zero padding */
        }
    }
}
