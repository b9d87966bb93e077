/*
 * ph_util.h: small shared helpers: logging, checked allocation, a growable
 * byte buffer, clocks, and an int64 -> index hash map.
 */
#ifndef PH_UTIL_H
#define PH_UTIL_H

/* prochist's version: --version, doctor, export's prochist_build_info. */
#define PH_VERSION "0.1.0"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PH_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PH_NORETURN __attribute__((noreturn))
#else
#define PH_PRINTF(f, a)
#define PH_NORETURN
#endif

/* Program name for messages ("prochist"). */
extern const char *ph_progname;
/* argv[0] as the program was invoked (set by main; NULL in tests). */
extern const char *ph_argv0;

/* "prochist: message" on stderr. */
/* $HOME, else the password database's home; NULL when neither is set. */
const char *ph_home_dir(void);
void ph_err(const char *fmt, ...) PH_PRINTF(1, 2);
/* "2026-11-26T14:00:00Z prochist[pid]: message" on stderr (the recorder's log). */
void ph_log(const char *fmt, ...) PH_PRINTF(1, 2);
/* Out of memory and impossible states: message and exit(1). */
PH_NORETURN void ph_fatal(const char *fmt, ...) PH_PRINTF(1, 2);

void *ph_xmalloc(size_t n);
void *ph_xcalloc(size_t n, size_t size);
void *ph_xrealloc(void *p, size_t n);

/* Index of the first element of an array sorted by an integer key (an
 * int32_t or int64_t field at byte offset off of each element) whose key is
 * not less than key; n when there is none. PH_LOWER_BOUND names the field. */
size_t ph_lower_bound(const void *base, size_t n, size_t size, size_t off, size_t keysize, int64_t key);
#define PH_LOWER_BOUND(arr, n, field, key)                                                           \
    ph_lower_bound((arr), (n), sizeof *(arr), offsetof(__typeof__(*(arr)), field), sizeof((arr)->field), (key))
char *ph_xstrdup(const char *s);

/* snprintf that reports truncation: 0, or -1 when it did not fit. */
int ph_fmt(char *buf, size_t len, const char *fmt, ...) PH_PRINTF(3, 4);

typedef struct ph_buf {
    char *data;
    size_t len, cap;
} ph_buf;

void ph_buf_reserve(ph_buf *b, size_t cap);
void ph_buf_append(ph_buf *b, const char *s, size_t n);
void ph_buf_puts(ph_buf *b, const char *s);
void ph_buf_printf(ph_buf *b, const char *fmt, ...) PH_PRINTF(2, 3);
void ph_buf_free(ph_buf *b);

/* Clocks, in ns. */
int64_t ph_now_wall_ns(void);
int64_t ph_now_mono_ns(void);

/* Open-addressing map from int64 keys to int values (e.g. row indexes). */
typedef struct ph_imap {
    int64_t *keys;
    int *vals;
    unsigned char *used;
    size_t cap, n;
} ph_imap;

void ph_imap_init(ph_imap *m);
void ph_imap_free(ph_imap *m);
/* Pointer to the value for key, or NULL. */
int *ph_imap_get(const ph_imap *m, int64_t key);
/* Insert or overwrite. */
void ph_imap_put(ph_imap *m, int64_t key, int val);

/* The k largest values offered so far, as a min-heap h[0..*n) of at most k
 * (h[0] the smallest of them): v joins when there is room or when it is
 * larger than h[0], which it then replaces. */
void ph_heap_offer(int64_t *h, size_t *n, size_t k, int64_t v);
/* The k-th largest of v[0..n) (0 < k <= n), through a heap of k. */
int64_t ph_kth_largest(const int64_t *v, size_t n, size_t k);

/* A string -> index map on a ph_imap: the key is the string's FNV-1a hash,
 * probed on to the next key where another string has the same hash. The
 * strings stay the caller's: name_of(ctx, i) is the one stored at index i.
 * ph_smap_find gives the index of s, or -1 with *slot the key to
 * ph_imap_put its new index under. */
int ph_smap_find(const ph_imap *m, const char *s, const char *(*name_of)(const void *ctx, int idx),
                 const void *ctx, int64_t *slot);

/* Replace every byte that is not part of valid UTF-8 with '?', in place
 * (names from the kernel are arbitrary bytes; JSON must be UTF-8): a bad
 * lead or continuation byte, an overlong form, a surrogate, past U+10FFFF. */
void ph_utf8_sanitize(char *s);
/* Columns s takes on a terminal: East Asian wide characters 2, combining
 * marks and zero-width characters 0, the rest 1 (a byte that is not
 * UTF-8: 1). */
size_t ph_text_width(const char *s);

/* Replace what a terminal would act on with '?', in place (never longer):
 * C0 controls, DEL, C1 controls (U+0080-U+009F, e.g. U+009B, a one-code
 * CSI), the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069: an RLO makes the rest of a line read
 * backwards) and bytes that are not UTF-8. Names come from whoever named
 * the process; tables and CSV go to terminals. */
void ph_ctrl_sanitize(char *s);
/* Length of the control character at s (1 for C0 and DEL, 2 for a C1 in
 * UTF-8, 2 or 3 for a bidirectional formatting character), 0 when s does
 * not start with one. */
size_t ph_ctrl_len(const char *s);

/* Strict numbers for options: ASCII digits only (no sign, space, hex,
 * exponent, inf or nan, which strtoll/strtod accept). ph_parse_uint: a whole
 * number from 0 to max. ph_parse_decimal: digits with at most one '.'
 * (at least one digit); *end is set past the number, and the caller checks
 * what follows. Return 0, or -1. */
int ph_parse_uint(const char *s, int64_t max, int64_t *out);
int ph_parse_decimal(const char *s, double *out, const char **end);

/* mkdir -p with mode for every directory it creates. */
int ph_mkdir_p(const char *path, unsigned mode);
/* The directory holding path, as a path of its own: "." for a bare name,
 * "/" for a file at the root. -1 when it does not fit in len. */
int ph_dir_of(const char *path, char *out, size_t len);

/* The app of a process known only by its command name (an exit record):
 * the basename of the resolved path of the program of that name in the
 * system's bin directories (/usr/local/sbin, /usr/local/bin, /usr/sbin,
 * /usr/bin, /sbin, /bin), which is what a sampled process's app is (the
 * basename of its resolved /proc/PID/exe): `cc` and `x86_64-linux-gnu-gcc-12`
 * are one app. A name of 15 bytes (Linux truncates comm there) also matches
 * the smallest longer name it begins. Otherwise the name itself. Cached. */
void ph_app_of_name(const char *name, char *app, size_t len);

#endif
