/*
 * ph_cgroup.h: a process's control groups and the grouping keys derived
 * from them (docs/cgroups.md has real paths and their sources).
 *
 * What is read (Linux, /proc/PID/cgroup, one "ID:CONTROLLERS:PATH" line per
 * hierarchy): the cgroup v2 (unified) path, the "0::" line, and the path in
 * systemd's own v1 hierarchy, the "name=systemd" line, which legacy (v1-only)
 * and hybrid hosts have. The parser (src/platform/linux/cgroup_parse.c) takes
 * the file's bytes and does no I/O; macOS has no cgroups.
 *
 * The keys (src/util/cgroup_key.c) are pure functions of those paths:
 *   unit       the systemd unit: "nginx.service", "session-3.scope", a user
 *              manager's unit as "user@1000/foo.service"; "-" when none
 *   slice      the innermost slice around it: "system.slice",
 *              "user-1000.slice", "user@1000/app.slice"; "-" when none
 *   container  a container's full id (docker, podman, containerd/CRI,
 *              CRI-O), else a Kubernetes pod's UID; "" when none. Its short
 *              form (12 characters of an id, the first group of a UID) is
 *              what tables show. Found below a user manager (the subtree
 *              systemd delegates to the user, who names cgroups there
 *              freely), the id, short form and pod are that user's:
 *              "user@1000/<id>", never the host's container of that id.
 *   cgroup     the path the keys come from: the v2 path, or the
 *              name=systemd one when the v2 path is missing or the root "/"
 *              (a hybrid host where only systemd's v1 tree places processes).
 */
#ifndef PH_CGROUP_H
#define PH_CGROUP_H

#include <stddef.h>

#define PH_CGROUP_PATH_MAX 4096
#define PH_CGROUP_KEY_MAX 512 /* two unit names (user@UID/unit) fit whole */
#define PH_CGROUP_ID_MAX 128

/* What /proc/PID/cgroup says. A path is "" when its line is absent. */
typedef struct ph_cgroup {
    int have_v2;                      /* a "0::" line */
    int have_v1;                      /* a "name=systemd" line */
    char v2[PH_CGROUP_PATH_MAX];
    char v1[PH_CGROUP_PATH_MAX];
} ph_cgroup;

/* Parse the bytes of /proc/PID/cgroup (need not be NUL-terminated). 0 when
 * at least one of the two lines was found, -1 otherwise (nothing usable). A
 * path longer than PH_CGROUP_PATH_MAX - 1 counts as absent (never cut). The
 * v2 line's " (deleted)" suffix (a removed cgroup, cgroup-v2.rst) is dropped. */
int ph_parse_cgroup(const char *buf, size_t len, ph_cgroup *out);

enum ph_container_runtime {
    PH_CT_NONE = 0, PH_CT_DOCKER, PH_CT_PODMAN, PH_CT_CONTAINERD, PH_CT_CRIO,
    PH_CT_CRI, /* a pod's container under the cgroupfs driver: which CRI runtime is not said */
    PH_CT_POD, /* only the pod is known */
};

typedef struct ph_cgroup_keys {
    const char *path;                    /* into the ph_cgroup: the path the keys come from */
    char unit[PH_CGROUP_KEY_MAX];
    char slice[PH_CGROUP_KEY_MAX];
    char container[PH_CGROUP_ID_MAX];    /* full id or pod UID; "" none */
    char container_short[PH_CGROUP_ID_MAX];
    char pod[PH_CGROUP_ID_MAX];          /* Kubernetes pod UID (dashes), "" none */
    enum ph_container_runtime runtime;
} ph_cgroup_keys;

/* The keys of a parsed cgroup; 0, or -1 when it has no path at all. */
int ph_cgroup_keys_of(const ph_cgroup *cg, ph_cgroup_keys *out);

/* The same from one path (a v2 or a name=systemd path). */
void ph_cgroup_path_keys(const char *path, ph_cgroup_keys *out);

/* A container's short id (what tables show) from its full id, as
 * ph_cgroup_path_keys derives both: the first 12 characters of an id, the
 * first group of a pod UID, behind its "user@UID/" when it has one. */
void ph_container_short_of(const char *full, char *out, size_t len);

/* "docker", "podman", "containerd", "crio", "cri", "kubepods"; NULL for none. */
const char *ph_container_runtime_name(enum ph_container_runtime r);

/* Monotonic totals per unit, slice or container (table cgroup_total,
 * schema/015_cgroup_prune_totals.sql), for `export --by`: counted as each
 * minute is rolled up, never pruned. */
struct ph_store;
typedef struct ph_cgroup_total {
    char *key;                  /* the unit, slice or full container id; "-" none */
    char *label;                /* what is shown: the key, a container's short id */
    long long cpu_ns, disk_read_bytes, disk_write_bytes;
} ph_cgroup_total;
/* dim: "unit", "slice" or "container". No rows (0) from a database older
 * than schema 15; -1 with a message when it cannot be read. */
int ph_db_cgroup_totals(struct ph_store *s, const char *dim, ph_cgroup_total **out, size_t *n, char *err,
                        size_t errlen);
void ph_db_cgroup_totals_free(ph_cgroup_total *t, size_t n);

#endif
