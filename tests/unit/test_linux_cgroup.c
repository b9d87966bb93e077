/* /proc/PID/cgroup parsed (src/platform/linux/cgroup_parse.c) on the
 * fixture hosts of tests/fixtures/cgroup and on malformed input, and the
 * keys those fixtures give. */
#include "test.h"

#include "ph_cgroup.h"

#include <stdlib.h>

static int parse_fixture(const char *rel, ph_cgroup *cg)
{
    size_t len = 0;
    char *b = t_read_file(t_path(rel), &len);
    if (!b) {
        t_fail(__FILE__, __LINE__, "cannot read %s", rel);
        return -1;
    }
    int r = ph_parse_cgroup(b, len, cg);
    free(b);
    return r;
}

static ph_cgroup cg; /* 8 KiB: not on the stack of every test */
static ph_cgroup_keys k;

#define D "3f1c2ab6f0e5d1c94a7b8e2d6c0f1a3b5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a"

TEST(parse_v2_only_host)
{
    CHECK_I(parse_fixture("fixtures/cgroup/v2/1186/cgroup", &cg), 0);
    CHECK_I(cg.have_v2, 1);
    CHECK_I(cg.have_v1, 0);
    CHECK_S(cg.v2, "/user.slice/user-1000.slice/session-3.scope");
    CHECK_I(parse_fixture("fixtures/cgroup/v2/2/cgroup", &cg), 0);
    CHECK_S(cg.v2, "/");
    CHECK_I(parse_fixture("fixtures/cgroup/v2/3109/cgroup", &cg), 0);
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.unit, "docker-" D ".scope");
    CHECK_S(k.container, D);
    CHECK_S(k.container_short, "3f1c2ab6f0e5");
    CHECK_S(ph_container_runtime_name(k.runtime), "docker");
}

TEST(parse_hybrid_host)
{
    CHECK_I(parse_fixture("fixtures/cgroup/hybrid/1186/cgroup", &cg), 0);
    CHECK_I(cg.have_v2, 1);
    CHECK_I(cg.have_v1, 1);
    CHECK_S(cg.v1, "/user.slice/user-1000.slice/session-3.scope");
    CHECK_S(cg.v2, "/user.slice/user-1000.slice/session-3.scope");
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.unit, "session-3.scope");
    CHECK_S(k.slice, "user-1000.slice");
    /* In the unified root, named by systemd's v1 tree: the v1 path keys it. */
    CHECK_I(parse_fixture("fixtures/cgroup/hybrid/3154/cgroup", &cg), 0);
    CHECK_S(cg.v2, "/");
    CHECK_S(cg.v1, "/system.slice/nginx.service");
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.path, "/system.slice/nginx.service");
    CHECK_S(k.unit, "nginx.service");
    CHECK_S(k.slice, "system.slice");
    /* docker's cgroupfs driver */
    CHECK_I(parse_fixture("fixtures/cgroup/hybrid/3109/cgroup", &cg), 0);
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.unit, "-");
    CHECK_S(k.container, D);
}

TEST(parse_v1_only_host)
{
    CHECK_I(parse_fixture("fixtures/cgroup/v1/3221/cgroup", &cg), 0);
    CHECK_I(cg.have_v2, 0);
    CHECK_I(cg.have_v1, 1);
    CHECK_S(cg.v1, "/system.slice/cron.service");
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.path, "/system.slice/cron.service");
    CHECK_S(k.unit, "cron.service");
    CHECK_I(parse_fixture("fixtures/cgroup/v1/3154/cgroup", &cg), 0);
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.pod, "5f1bd0c2-8e3a-4b7c-9d6e-0a1b2c3d4e5f");
    CHECK_S(k.container_short, "9a8b7c6d5e4f");
    CHECK_S(ph_container_runtime_name(k.runtime), "cri");
}

TEST(parse_edge_cases)
{
    /* a colon in a cgroup name; no final newline; the deleted suffix */
    const char *a = "1:name=systemd:/system.slice/a:b.service\n0::/gone.scope (deleted)";
    CHECK_I(ph_parse_cgroup(a, strlen(a), &cg), 0);
    CHECK_S(cg.v1, "/system.slice/a:b.service");
    CHECK_S(cg.v2, "/gone.scope");
    /* name=systemd among other names of a co-mounted list */
    const char *b = "3:cpu,name=systemd:/x.service\n";
    CHECK_I(ph_parse_cgroup(b, strlen(b), &cg), 0);
    CHECK_S(cg.v1, "/x.service");
    /* not it: "name=systemdX", a controller line, an id-less line, garbage */
    const char *c = "1:name=systemdX:/a\n4:memory:/b\n:name=systemd:/c\nnonsense\n\n0:cpu:/d\n";
    CHECK_I(ph_parse_cgroup(c, strlen(c), &cg), -1);
    CHECK_I(cg.have_v1 + cg.have_v2, 0);
    CHECK_I(ph_parse_cgroup("", 0, &cg), -1);
    /* a relative path is no path; a NUL inside is refused */
    const char *d = "0::relative\n";
    CHECK_I(ph_parse_cgroup(d, strlen(d), &cg), -1);
    const char e[] = "0::/a\0b\n";
    CHECK_I(ph_parse_cgroup(e, sizeof e - 1, &cg), -1);
    /* a path too long to keep whole is absent, never cut */
    size_t n = PH_CGROUP_PATH_MAX + 16;
    char *big = malloc(n);
    if (!big)
        return;
    memcpy(big, "0::/", 4);
    memset(big + 4, 'x', n - 5);
    big[n - 1] = '\n';
    CHECK_I(ph_parse_cgroup(big, n, &cg), -1);
    CHECK_I(cg.have_v2, 0);
    free(big);
}
