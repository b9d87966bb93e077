/* Runner for the unit tests (see test.h). */
#define _GNU_SOURCE
#include "test.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TESTS 512

static struct {
    char name[128]; /* module/name */
    t_fn fn;
} tests[MAX_TESTS];
static int ntests, failures_in_test;
static const char *skip_reason;
static char tmproot[256];
static int tmpcount;

void t_register(const char *file, const char *name, t_fn fn)
{
    if (ntests >= MAX_TESTS) {
        fprintf(stderr, "unit: more than %d tests; raise MAX_TESTS\n", MAX_TESTS);
        exit(2);
    }
    /* ".../test_tracker.c" -> "tracker" */
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (strncmp(base, "test_", 5) == 0)
        base += 5;
    int mlen = (int)strcspn(base, ".");
    snprintf(tests[ntests].name, sizeof tests[ntests].name, "%.*s/%s", mlen, base, name);
    tests[ntests].fn = fn;
    ntests++;
}

void t_skip(const char *reason)
{
    skip_reason = reason;
}

void t_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "#   %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    failures_in_test++;
}

const char *t_path(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("TESTS_DIR");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests", rel);
    return buf;
}

const char *t_tmpdir(void)
{
    static char buf[512];
    if (!tmproot[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmproot, sizeof tmproot, "%s/ph-unit-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmproot)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    snprintf(buf, sizeof buf, "%s/t%d", tmproot, ++tmpcount);
    mkdir(buf, 0700);
    return buf;
}

char *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, skipped = 0;
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < ntests; i++)
            printf("%s\n", tests[i].name);
        return 0;
    }
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]))
            continue;
        failures_in_test = 0;
        skip_reason = NULL;
        tests[i].fn();
        if (skip_reason && !failures_in_test) {
            printf("ok - %s # SKIP %s\n", tests[i].name, skip_reason);
            skipped++;
        } else if (failures_in_test) {
            printf("not ok - %s\n", tests[i].name);
            failed++;
        } else {
            printf("ok - %s\n", tests[i].name);
            passed++;
        }
        fflush(stdout);
    }
    if (tmproot[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmproot);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmproot);
    }
    if (passed + failed + skipped == 0 && argc > 1) {
        printf("not ok - no unit test matches '%s' (unit_tests --list names them)\n", argv[1]);
        return 1;
    }
    printf("unit: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
