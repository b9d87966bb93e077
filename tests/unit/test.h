/*
 * A tiny test harness: TEST(name) registers a function as "module/name",
 * the module being its file's name without "test_" and ".c" (TEST(keyframe)
 * in test_tracker.c is "tracker/keyframe"); CHECK* record a failure with
 * file:line and carry on; T_SKIP(reason) ends a test that cannot run here.
 * The runner prints "ok - module/name", "not ok - module/name" or
 * "ok - module/name # SKIP reason" per test (TAP-like) and
 * "unit: N passed, N failed, N skipped" at the end. `unit_tests FILTER` runs
 * the tests whose full name contains FILTER; `unit_tests --list` lists them.
 * Tests that need files find the repository's tests/ through $TESTS_DIR.
 */
#ifndef PH_TEST_H
#define PH_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*t_fn)(void);
void t_register(const char *file, const char *name, t_fn fn);
/* Marks the running test skipped (with why); the caller returns. */
void t_skip(const char *reason);
void t_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Path under the tests directory, in a static buffer (one at a time). */
const char *t_path(const char *rel);
/* A fresh temporary directory for this test (removed at exit). */
const char *t_tmpdir(void);
/* Whole file into a malloc'd buffer; NULL on failure. */
char *t_read_file(const char *path, size_t *len);

#define TEST(name)                                                   \
    static void name(void);                                          \
    __attribute__((constructor)) static void reg_##name(void)        \
    {                                                                \
        t_register(__FILE__, #name, name);                                     \
    }                                                                \
    static void name(void)

#define T_SKIP(reason)                                               \
    do {                                                             \
        t_skip(reason);                                              \
        return;                                                      \
    } while (0)

#define CHECK(c)                                                     \
    do {                                                             \
        if (!(c))                                                    \
            t_fail(__FILE__, __LINE__, "%s", #c);                    \
    } while (0)

#define CHECK_I(a, b)                                                \
    do {                                                             \
        long long a_ = (long long)(a), b_ = (long long)(b);          \
        if (a_ != b_)                                                \
            t_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", \
                   #a, a_, #b, b_);                                  \
    } while (0)

#define CHECK_S(a, b)                                                \
    do {                                                             \
        const char *a_ = (a), *b_ = (b);                             \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                       \
            t_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", \
                   #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
    } while (0)

#endif
