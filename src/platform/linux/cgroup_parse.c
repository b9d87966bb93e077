/*
 * /proc/PID/cgroup, parsed (include/ph_cgroup.h). No I/O: tested on fixture
 * contents and fuzzed (tests/fuzz/fuzz_cgroup.c).
 *
 * FORMAT (kernel Documentation/admin-guide/cgroup-v2.rst, "Processes", and
 * cgroup-v1/cgroups.rst): one line per hierarchy the process belongs to,
 *     hierarchy-ID:controller-list:cgroup-path
 * e.g. "0::/system.slice/nginx.service" (v2: ID 0, empty controller list),
 * "1:name=systemd:/user.slice/user-1000.slice/session-3.scope" (systemd's
 * named v1 hierarchy on legacy and hybrid hosts), "4:memory:/docker/<id>".
 * The path is everything after the second colon (a cgroup name may contain
 * colons). The v2 path of a removed cgroup ends in " (deleted)". Paths are
 * relative to the reader's cgroup namespace root.
 */
#include "ph_cgroup.h"

#include <string.h>

static int take_path(const char *p, size_t n, char *out)
{
    if (n == 0 || p[0] != '/' || n >= PH_CGROUP_PATH_MAX || memchr(p, '\0', n))
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* "name=systemd" in a comma-separated controller list. */
static int is_systemd_list(const char *p, size_t n)
{
    static const char want[] = "name=systemd";
    const size_t wl = sizeof want - 1;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != ',')
            j++;
        if (j - i == wl && memcmp(p + i, want, wl) == 0)
            return 1;
        i = j + 1;
    }
    return 0;
}

int ph_parse_cgroup(const char *buf, size_t len, ph_cgroup *out)
{
    static const char deleted[] = " (deleted)";
    const size_t dl = sizeof deleted - 1;
    out->have_v2 = out->have_v1 = 0;
    out->v2[0] = out->v1[0] = '\0';
    size_t i = 0;
    while (i < len) {
        const char *line = buf + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t n = nl ? (size_t)(nl - line) : len - i;
        i += n + 1;
        const char *c1 = memchr(line, ':', n);
        if (!c1)
            continue;
        const char *c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line));
        if (!c2)
            continue;
        const char *id = line, *ctl = c1 + 1, *path = c2 + 1;
        size_t idn = (size_t)(c1 - line), ctln = (size_t)(c2 - ctl), pn = n - (size_t)(path - line);
        if (idn == 1 && id[0] == '0' && ctln == 0) {
            if (pn > dl && memcmp(path + pn - dl, deleted, dl) == 0)
                pn -= dl;
            if (!out->have_v2 && take_path(path, pn, out->v2) == 0)
                out->have_v2 = 1;
        } else if (idn > 0 && is_systemd_list(ctl, ctln)) {
            if (!out->have_v1 && take_path(path, pn, out->v1) == 0)
                out->have_v1 = 1;
        }
    }
    return out->have_v2 || out->have_v1 ? 0 : -1;
}
