/* Shared helpers of ph_util.h. */
#include "test.h"

#include "ph_util.h"

#include <stdlib.h>

typedef struct r32 {
    char pad[3];
    int32_t k;
} r32;
typedef struct r64 {
    int64_t before;
    int64_t k;
} r64;

TEST(lower_bound_on_int32_and_int64_keys)
{
    r32 a[5] = {{"", -7}, {"", 2}, {"", 2}, {"", 9}, {"", 40}};
    CHECK_I(PH_LOWER_BOUND(a, 5, k, -100), 0);
    CHECK_I(PH_LOWER_BOUND(a, 5, k, -7), 0);
    CHECK_I(PH_LOWER_BOUND(a, 5, k, 2), 1);   /* the first of equal keys */
    CHECK_I(PH_LOWER_BOUND(a, 5, k, 3), 3);
    CHECK_I(PH_LOWER_BOUND(a, 5, k, 40), 4);
    CHECK_I(PH_LOWER_BOUND(a, 5, k, 41), 5);  /* none: n */
    CHECK_I(PH_LOWER_BOUND(a, 0, k, 1), 0);
    r64 b[3] = {{0, -5000000000LL}, {0, 1}, {0, 6000000000LL}};
    CHECK_I(PH_LOWER_BOUND(b, 3, k, 5000000000LL), 2);
    CHECK_I(PH_LOWER_BOUND(b, 3, k, -5000000000LL), 0);
    CHECK_I(PH_LOWER_BOUND(b, 3, k, INT64_MAX), 3);
}

TEST(text_width_counts_terminal_columns)
{
    CHECK_I(ph_text_width(""), 0);
    CHECK_I(ph_text_width("firefox"), 7);
    CHECK_I(ph_text_width("\xc3\xbc"), 1);                 /* u-umlaut: one column */
    CHECK_I(ph_text_width("\xe5\x90\x8d\xe5\x89\x8d"), 4); /* two CJK ideographs: two each */
    CHECK_I(ph_text_width("\xef\xbc\xa1"), 2);             /* fullwidth A */
    CHECK_I(ph_text_width("\xea\xb0\x80"), 2);             /* a Hangul syllable */
    CHECK_I(ph_text_width("e\xcc\x81"), 1);                 /* e + combining acute */
    CHECK_I(ph_text_width("a\xe2\x80\x8b" "b"), 2);           /* zero-width space */
    CHECK_I(ph_text_width("\xf0\x9f\x98\x80"), 2);        /* an emoji */
    CHECK_I(ph_text_width("a\xff" "b"), 3);                    /* a stray byte is one column */
}

TEST(dir_of_gives_the_directory_as_a_path)
{
    char d[16];
    CHECK_I(ph_dir_of("a/b/c.db", d, sizeof d), 0);
    CHECK_S(d, "a/b");
    CHECK_I(ph_dir_of("c.db", d, sizeof d), 0);
    CHECK_S(d, ".");
    CHECK_I(ph_dir_of("/c.db", d, sizeof d), 0);
    CHECK_S(d, "/");
    CHECK_I(ph_dir_of("/tmp/x/", d, sizeof d), 0);
    CHECK_S(d, "/tmp/x");
    CHECK_I(ph_dir_of("/a/very/long/path/x.db", d, sizeof d), -1);
}

static int cmp_desc(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a < b) - (a > b);
}

TEST(kth_largest_agrees_with_a_sort)
{
    int64_t v[9] = {5, -3, INT64_MIN, 12, 5, INT64_MAX, 0, 5, -3};
    CHECK_I(ph_kth_largest(v, 9, 1), INT64_MAX);
    CHECK_I(ph_kth_largest(v, 9, 2), 12);
    CHECK_I(ph_kth_largest(v, 9, 3), 5); /* ties count each */
    CHECK_I(ph_kth_largest(v, 9, 5), 5);
    CHECK_I(ph_kth_largest(v, 9, 6), 0);
    CHECK_I(ph_kth_largest(v, 9, 9), INT64_MIN);
    CHECK_I(ph_kth_largest(v, 1, 1), 5);
    /* Against a sort, on values drawn with many repeats. */
    int64_t w[500], s[500];
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 500; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        w[i] = s[i] = (int64_t)(x % 97) - 40;
    }
    qsort(s, 500, sizeof *s, cmp_desc);
    int bad = 0;
    for (size_t k = 1; k <= 500; k++)
        bad += ph_kth_largest(w, 500, k) != s[k - 1];
    CHECK_I(bad, 0);
}
