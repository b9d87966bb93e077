/*
 * Grouping keys of a cgroup path (contract: include/ph_cgroup.h; the rules
 * with real paths and their sources: docs/cgroups.md). Pure functions.
 *
 * Unit and slice follow systemd's own reading of a path (cg_path_get_unit
 * and cg_path_get_user_unit in systemd's src/basic/cgroup-util.c): leading
 * ".slice" components are slices, the first other component that is a unit
 * name is the unit; inside a user manager ("user@UID.service") the same
 * again gives the user unit, shown as "user@UID/<unit>". Containers are
 * found by the names their runtimes give cgroups (runc's systemd driver
 * names the scope "<prefix>-<id>.scope": docker, libpod (podman),
 * cri-containerd, crio; the cgroupfs drivers use "/docker/<id>",
 * "/libpod_parent/libpod-<id>" and "/kubepods/<qos>/pod<uid>/<id>"), and
 * Kubernetes pods by the kubelet's "kubepods-<qos>-pod<uid>.slice" (dashes
 * of the UID written as underscores) or "pod<uid>". Below a user manager
 * those are the user's, keyed "user@UID/<id>" (qualify, below).
 */
#include "ph_cgroup.h"

#include <stdio.h>
#include <string.h>

typedef struct comp {
    const char *p;
    size_t n;
} comp;

#define MAX_COMPS 128

static size_t split(const char *path, comp *c, size_t max)
{
    size_t n = 0;
    const char *s = path;
    while (*s && n < max) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        c[n].p = s;
        c[n].n = len;
        n++;
        s += len;
    }
    return n;
}

static int ends_with(const comp *c, const char *suf)
{
    size_t l = strlen(suf);
    return c->n > l && memcmp(c->p + c->n - l, suf, l) == 0;
}

static int starts_with(const comp *c, const char *pre)
{
    size_t l = strlen(pre);
    return c->n >= l && memcmp(c->p, pre, l) == 0;
}

/* A unit name as systemd writes one (unit_name_is_valid: letters, digits,
 * ":-_.\" and "@" of template instances), of a type that has a cgroup. */
static int is_unit(const comp *c, int slice)
{
    static const char *const types[] = {".service", ".scope", ".socket", ".mount", ".swap"};
    if (c->n == 0 || c->n > 255) /* systemd: UNIT_NAME_MAX (256) with its NUL */
        return 0;
    for (size_t i = 0; i < c->n; i++) {
        char ch = c->p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == ':' || ch == '-' || ch == '_' || ch == '.' || ch == '\\' || ch == '@'))
            return 0;
    }
    if (slice)
        return ends_with(c, ".slice");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (ends_with(c, types[i]))
            return 1;
    return 0;
}

/* "user@1000.service": a user's service manager. */
static int is_user_manager(const comp *c)
{
    if (!starts_with(c, "user@") || !ends_with(c, ".service") || c->n <= 5 + 8)
        return 0;
    for (size_t i = 5; i < c->n - 8; i++)
        if (c->p[i] < '0' || c->p[i] > '9')
            return 0;
    return 1;
}

static void put(char *out, size_t len, const comp *c)
{
    snprintf(out, len, "%.*s", (int)c->n, c->p);
}

static void unit_and_slice(const comp *c, size_t n, ph_cgroup_keys *k)
{
    size_t i = 0;
    const comp *slice = NULL;
    snprintf(k->unit, sizeof k->unit, "-");
    snprintf(k->slice, sizeof k->slice, "-");
    while (i < n && is_unit(&c[i], 1))
        slice = &c[i++];
    if (slice)
        put(k->slice, sizeof k->slice, slice);
    if (i >= n || !is_unit(&c[i], 0))
        return;
    if (!slice) /* a unit at the root, like init.scope, is in systemd's root slice */
        snprintf(k->slice, sizeof k->slice, "-.slice");
    put(k->unit, sizeof k->unit, &c[i]);
    if (!is_user_manager(&c[i]))
        return;
    /* The user manager's own tree: "user@1000/app.slice", "user@1000/foo.service". */
    int mgr = (int)(c[i].n - 8);
    const comp *uslice = NULL;
    size_t j = i + 1;
    while (j < n && is_unit(&c[j], 1))
        uslice = &c[j++];
    if (uslice)
        snprintf(k->slice, sizeof k->slice, "%.*s/%.*s", mgr, c[i].p, (int)uslice->n, uslice->p);
    if (j < n && is_unit(&c[j], 0))
        snprintf(k->unit, sizeof k->unit, "%.*s/%.*s", mgr, c[i].p, (int)c[j].n, c[j].p);
}

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

/* "<prefix><id>.scope" (or without ".scope", as podman's cgroupfs driver
 * names it): the id, 12 to 64 lowercase hex digits. */
static int scoped_id(const comp *c, const char *prefix, int scope_optional, comp *id)
{
    size_t pl = strlen(prefix);
    if (!starts_with(c, prefix))
        return 0;
    size_t n = c->n - pl;
    if (ends_with(c, ".scope"))
        n -= 6;
    else if (!scope_optional)
        return 0;
    if (n < 12 || n > 64 || !is_hex(c->p + pl, n))
        return 0;
    id->p = c->p + pl;
    id->n = n;
    return 1;
}

/* A pod UID: hex digits and dashes (or, in systemd slice names,
 * underscores), as the kubelet writes it. */
static int uid_like(const char *p, size_t n)
{
    if (n < 8 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') || p[i] == '-' || p[i] == '_'))
            return 0;
    return 1;
}

/* "kubepods-burstable-pod<uid>.slice", "kubepods-pod<uid>.slice" (systemd
 * driver) or "pod<uid>" under a "kubepods" component (cgroupfs driver). */
static int pod_uid(const comp *c, int under_kubepods, comp *uid)
{
    if (starts_with(c, "kubepods-") && ends_with(c, ".slice")) {
        const char *pod = NULL;
        for (size_t i = 0; i + 3 <= c->n; i++)
            if (memcmp(c->p + i, "pod", 3) == 0)
                pod = c->p + i; /* the last "pod": "kubepods" itself has one */
        if (!pod)
            return 0;
        uid->p = pod + 3;
        uid->n = (size_t)(c->p + c->n - 6 - uid->p);
        return pod > c->p + 8 && c->p + c->n - 6 > uid->p && uid_like(uid->p, uid->n);
    }
    if (under_kubepods && starts_with(c, "pod")) {
        uid->p = c->p + 3;
        uid->n = c->n - 3;
        return uid_like(uid->p, uid->n);
    }
    return 0;
}

/* A container or pod found inside a user manager's tree is that user's
 * claim, not the host's: systemd delegates user@UID.service's subtree to the
 * user (Delegate=yes in user@.service; systemd's docs/CGROUP_DELEGATION.md:
 * the delegatee "may create/remove sub-cgroups inside it freely"), so any
 * user can name a cgroup there docker-<id of a real container>.scope. Its
 * keys are written "user@UID/<id>", as the manager's units are
 * ("user@UID/foo.service"): rootless podman's containers keep a key of
 * their own, and none can be summed with, or taken for, the host's. */
static void qualify(char *key, size_t len, const comp *mgr)
{
    size_t m = mgr->n - 8, kl = strlen(key); /* "user@UID" */
    if (!kl)
        return;
    if (m + 1 + kl + 1 > len) { /* only a made-up manager name is that long: no key rather than the bare id */
        key[0] = '\0';
        return;
    }
    memmove(key + m + 1, key, kl + 1);
    memcpy(key, mgr->p, m);
    key[m] = '/';
}

static int find_container(const comp *c, size_t n, ph_cgroup_keys *k)
{
    comp id = {NULL, 0}, uid = {NULL, 0};
    size_t id_at = 0, uid_at = 0;
    const comp *mgr = NULL; /* the first user manager on the path */
    enum ph_container_runtime rt = PH_CT_NONE;
    int kube = 0;
    for (size_t i = 0; i < n; i++) {
        comp x;
        if (!mgr && is_user_manager(&c[i])) {
            mgr = &c[i];
            continue;
        }
        if (starts_with(&c[i], "kubepods"))
            kube = 1;
        if (pod_uid(&c[i], kube, &x)) {
            uid = x;
            uid_at = i;
            continue;
        }
        if (scoped_id(&c[i], "docker-", 0, &x))
            rt = PH_CT_DOCKER;
        else if (!starts_with(&c[i], "libpod-conmon-") && scoped_id(&c[i], "libpod-", 1, &x))
            rt = PH_CT_PODMAN;
        else if (scoped_id(&c[i], "cri-containerd-", 0, &x))
            rt = PH_CT_CONTAINERD;
        else if (!starts_with(&c[i], "crio-conmon-") && scoped_id(&c[i], "crio-", 0, &x))
            rt = PH_CT_CRIO;
        else if (c[i].n == 64 && is_hex(c[i].p, 64) && i > 0 &&
                 ((c[i - 1].n == 6 && memcmp(c[i - 1].p, "docker", 6) == 0) || uid.p)) {
            /* "/docker/<id>"; under a pod, the CRI runtime's container
             * (cgroupfs driver: the path does not say which runtime) */
            rt = uid.p ? PH_CT_CRI : PH_CT_DOCKER;
            x = c[i];
        } else
            continue;
        id = x; /* the innermost wins (a container inside a container) */
        id_at = i;
    }
    size_t mgr_at = mgr ? (size_t)(mgr - c) : n;
    k->pod[0] = '\0';
    if (uid.p) {
        size_t o = 0;
        for (size_t i = 0; i < uid.n && o + 1 < sizeof k->pod; i++)
            k->pod[o++] = uid.p[i] == '_' ? '-' : uid.p[i];
        k->pod[o] = '\0';
    }
    if (id.p) {
        put(k->container, sizeof k->container, &id);
        snprintf(k->container_short, sizeof k->container_short, "%.12s", k->container);
        k->runtime = rt;
    } else if (uid.p) {
        snprintf(k->container, sizeof k->container, "%s", k->pod);
        size_t dash = strcspn(k->pod, "-");
        snprintf(k->container_short, sizeof k->container_short, "%.*s", (int)dash, k->pod);
        k->runtime = PH_CT_POD;
    } else {
        return 0;
    }
    if (uid.p && uid_at > mgr_at)
        qualify(k->pod, sizeof k->pod, mgr);
    if ((id.p ? id_at : uid_at) > mgr_at) {
        qualify(k->container, sizeof k->container, mgr);
        qualify(k->container_short, sizeof k->container_short, mgr);
        if (!k->container[0] || !k->container_short[0]) {
            k->container[0] = k->container_short[0] = '\0';
            k->runtime = PH_CT_NONE;
            return 0;
        }
    }
    return 1;
}

static void clear(ph_cgroup_keys *k)
{
    memset(k, 0, sizeof *k);
    snprintf(k->unit, sizeof k->unit, "-");
    snprintf(k->slice, sizeof k->slice, "-");
}

void ph_cgroup_path_keys(const char *path, ph_cgroup_keys *out)
{
    comp c[MAX_COMPS];
    clear(out);
    out->path = path;
    size_t n = split(path, c, MAX_COMPS);
    unit_and_slice(c, n, out);
    find_container(c, n, out);
}

int ph_cgroup_keys_of(const ph_cgroup *cg, ph_cgroup_keys *out)
{
    clear(out);
    if (!cg->have_v2 && !cg->have_v1)
        return -1;
    int root_v2 = cg->have_v2 && strcmp(cg->v2, "/") == 0;
    const char *key = cg->have_v2 && !(root_v2 && cg->have_v1) ? cg->v2 : cg->v1;
    const char *other = key == cg->v2 ? (cg->have_v1 ? cg->v1 : NULL) : (cg->have_v2 ? cg->v2 : NULL);
    ph_cgroup_path_keys(key, out);
    if (!out->container[0] && other) {
        /* A container the other hierarchy names (a runtime that placed it
         * in one tree only) still counts. */
        comp c[MAX_COMPS];
        size_t n = split(other, c, MAX_COMPS);
        find_container(c, n, out);
    }
    return 0;
}

const char *ph_container_runtime_name(enum ph_container_runtime r)
{
    switch (r) {
    case PH_CT_DOCKER: return "docker";
    case PH_CT_PODMAN: return "podman";
    case PH_CT_CONTAINERD: return "containerd";
    case PH_CT_CRIO: return "crio";
    case PH_CT_CRI: return "cri";
    case PH_CT_POD: return "kubepods";
    case PH_CT_NONE: break;
    }
    return NULL;
}

void ph_container_short_of(const char *full, char *out, size_t len)
{
    const char *slash = strrchr(full, '/'), *id = slash ? slash + 1 : full;
    size_t n = strcspn(id, "-"); /* a pod UID: its first group */
    if (n > 12)
        n = 12;
    snprintf(out, len, "%.*s%.*s", slash ? (int)(id - full) : 0, full, (int)n, id);
}
