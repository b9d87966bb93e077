/* Grouping keys of cgroup paths (src/util/cgroup_key.c) and their storage
 * (src/db/cgroup.c): real path shapes from docs/cgroups.md. */
#include "test.h"

#include "ph_cgroup.h"
#include "ph_store.h"
#include "ph_tracker.h"
#include "../../src/db/db_private.h" /* the cgroup store under test, and its sqlite3 handle */

#include <sqlite3.h>

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static ph_cgroup_keys k;

/* The keys of path; on the way, a container's short id derived from its
 * full id alone (what a query shows of a group) is the one the path gave. */
static void keys(const char *path)
{
    ph_cgroup_path_keys(path, &k);
    if (k.container[0]) {
        char short_id[PH_CGROUP_ID_MAX];
        ph_container_short_of(k.container, short_id, sizeof short_id);
        CHECK_S(short_id, k.container_short);
    }
}

TEST(key_system_units)
{
    keys("/system.slice/nginx.service");
    CHECK_S(k.unit, "nginx.service");
    CHECK_S(k.slice, "system.slice");
    CHECK_S(k.container, "");
    keys("/system.slice/system-getty.slice/getty@tty1.service");
    CHECK_S(k.unit, "getty@tty1.service");
    CHECK_S(k.slice, "system-getty.slice");
    keys("/init.scope");
    CHECK_S(k.unit, "init.scope");
    CHECK_S(k.slice, "-.slice");
    keys("/");
    CHECK_S(k.unit, "-");
    CHECK_S(k.slice, "-");
    keys("/system.slice");
    CHECK_S(k.unit, "-");
    CHECK_S(k.slice, "system.slice");
    /* a service's own subgroups (Delegate=yes) stay the service's */
    keys("/system.slice/containerd.service/sub/deeper");
    CHECK_S(k.unit, "containerd.service");
    /* escaped unit names are kept as systemd writes them */
    keys("/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-sda1.service");
    CHECK_S(k.unit, "systemd-fsck@dev-sda1.service");
    CHECK_S(k.slice, "system-systemd\\x2dfsck.slice");
}

TEST(key_sessions_and_user_units)
{
    keys("/user.slice/user-1000.slice/session-3.scope");
    CHECK_S(k.unit, "session-3.scope");
    CHECK_S(k.slice, "user-1000.slice");
    keys("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service");
    CHECK_S(k.unit, "user@1000/foo.service");
    CHECK_S(k.slice, "user@1000/app.slice");
    keys("/user.slice/user-1000.slice/user@1000.service/app.slice/app-gnome-firefox-2345.scope/tab");
    CHECK_S(k.unit, "user@1000/app-gnome-firefox-2345.scope");
    keys("/user.slice/user-1000.slice/user@1000.service/init.scope");
    CHECK_S(k.unit, "user@1000/init.scope");
    CHECK_S(k.slice, "user-1000.slice");
    /* the manager itself, on systemd before init.scope in user managers */
    keys("/user.slice/user-1000.slice/user@1000.service");
    CHECK_S(k.unit, "user@1000.service");
    /* not a user manager: "user@" without a numeric uid */
    keys("/system.slice/user@x.service/a.service");
    CHECK_S(k.unit, "user@x.service");
}

TEST(key_not_units)
{
    keys("/docker/" ID64);
    CHECK_S(k.unit, "-");
    CHECK_S(k.slice, "-");
    keys("/machine.slice/machine-qemu\\x2d1.scope");
    CHECK_S(k.unit, "machine-qemu\\x2d1.scope");
    keys("/weird name.service");
    CHECK_S(k.unit, "-");
    keys("/a.slice/.service");
    CHECK_S(k.unit, "-");
}

TEST(key_containers)
{
    keys("/system.slice/docker-" ID64 ".scope");
    CHECK_S(k.container, ID64);
    CHECK_S(k.container_short, "0123456789ab");
    CHECK_S(ph_container_runtime_name(k.runtime), "docker");
    keys("/docker/" ID64);
    CHECK_S(k.container, ID64);
    CHECK_S(ph_container_runtime_name(k.runtime), "docker");
    keys("/docker/notanid");
    CHECK_S(k.container, "");
    CHECK(k.runtime == PH_CT_NONE);
    keys("/machine.slice/libpod-" ID64 ".scope/container");
    CHECK_S(ph_container_runtime_name(k.runtime), "podman");
    CHECK_S(k.container, ID64);
    keys("/machine.slice/libpod-conmon-" ID64 ".scope");
    CHECK_S(k.container, "");
    keys("/libpod_parent/libpod-" ID64);
    CHECK_S(ph_container_runtime_name(k.runtime), "podman");
    keys("/system.slice/crio-" ID64 ".scope");
    CHECK_S(ph_container_runtime_name(k.runtime), "crio");
    /* docker inside docker: the innermost */
    keys("/docker/" ID64 "/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
    CHECK_S(k.container_short, "fedcba987654");
}

TEST(key_kubepods)
{
    keys("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice"
         "/cri-containerd-" ID64 ".scope");
    CHECK_S(k.unit, "cri-containerd-" ID64 ".scope");
    CHECK_S(k.slice, "kubepods-burstable-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice");
    CHECK_S(k.container, ID64);
    CHECK_S(k.pod, "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
    CHECK_S(ph_container_runtime_name(k.runtime), "containerd");
    /* guaranteed pods have no QoS slice; the pod alone (its own processes) */
    keys("/kubepods.slice/kubepods-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice");
    CHECK_S(k.container, "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
    CHECK_S(k.container_short, "1a2b3c4d");
    CHECK_S(ph_container_runtime_name(k.runtime), "kubepods");
    keys("/kubepods.slice/kubepods-besteffort.slice");
    CHECK_S(k.container, "");
    /* cgroupfs driver */
    keys("/kubepods/burstable/pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID64);
    CHECK_S(k.pod, "1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
    CHECK_S(k.container, ID64);
    CHECK_S(ph_container_runtime_name(k.runtime), "cri");
    /* "pod..." outside kubepods is nobody's pod */
    keys("/system.slice/podman.service/podcast");
    CHECK_S(k.pod, "");
}

/* A user manager's subtree is delegated to the user, who names cgroups
 * there freely: a container or pod found in it is keyed as that user's
 * ("user@UID/<id>"), never as the host's container of the same id. */
TEST(key_containers_in_a_user_manager_are_the_users)
{
    /* the claim: a real container's id under the user's own app.slice */
    keys("/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID64 ".scope");
    CHECK_S(k.container, "user@1000/" ID64);
    CHECK_S(k.container_short, "user@1000/0123456789ab");
    CHECK_S(ph_container_runtime_name(k.runtime), "docker");
    CHECK_S(k.unit, "user@1000/docker-" ID64 ".scope");
    /* rootless podman: still a container, the user's */
    keys("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope/container");
    CHECK_S(k.container, "user@1000/" ID64);
    CHECK_S(ph_container_runtime_name(k.runtime), "podman");
    /* a pod (rootless Kubernetes), and a pod's container, the same */
    keys("/user.slice/user-1000.slice/user@1000.service/kubepods.slice/"
         "kubepods-pod1a2b3c4d_5e6f_7a8b_9c0d_1e2f3a4b5c6d.slice");
    CHECK_S(k.container, "user@1000/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
    CHECK_S(k.container_short, "user@1000/1a2b3c4d");
    CHECK_S(k.pod, "user@1000/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
    keys("/user.slice/user-1000.slice/user@1000.service/kubepods/besteffort/"
         "pod1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d/" ID64);
    CHECK_S(k.container, "user@1000/" ID64);
    CHECK_S(k.pod, "user@1000/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
    /* /docker/<id> spelled inside the subtree */
    keys("/user.slice/user-1000.slice/user@1000.service/docker/" ID64);
    CHECK_S(k.container, "user@1000/" ID64);
    /* a manager named again further down is still the first one's tree */
    keys("/user.slice/user-1000.slice/user@1000.service/app.slice/user@0.service/docker-" ID64 ".scope");
    CHECK_S(k.container, "user@1000/" ID64);
    /* a host container that runs a user manager inside: the container is
     * outside the manager, and stays the host's */
    keys("/system.slice/docker-" ID64 ".scope/user.slice/user-1000.slice/user@1000.service/app.slice/a.service");
    CHECK_S(k.container, ID64);
    CHECK_S(k.container_short, "0123456789ab");
    /* a made-up manager name too long to say whose: no container at all */
    keys("/system.slice/x.service/user@"
         "1234567890123456789012345678901234567890123456789012345678901234567890.service/docker-" ID64 ".scope");
    CHECK_S(k.container, "");
    CHECK_S(k.container_short, "");
    CHECK(k.runtime == PH_CT_NONE);
    /* and both trees: the v1 tree's claim is the user's too */
    static ph_cgroup cg;
    memset(&cg, 0, sizeof cg);
    cg.have_v2 = cg.have_v1 = 1;
    snprintf(cg.v2, sizeof cg.v2, "/user.slice/user-1000.slice/user@1000.service/app.slice/a.service");
    snprintf(cg.v1, sizeof cg.v1, "/user.slice/user-1000.slice/user@1000.service/app.slice/docker-" ID64 ".scope");
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.container, "user@1000/" ID64);
}

TEST(keys_of_both_paths)
{
    static ph_cgroup cg;
    memset(&cg, 0, sizeof cg);
    CHECK_I(ph_cgroup_keys_of(&cg, &k), -1);
    /* v2 wins when it is not the root */
    cg.have_v2 = cg.have_v1 = 1;
    snprintf(cg.v2, sizeof cg.v2, "/system.slice/a.service");
    snprintf(cg.v1, sizeof cg.v1, "/system.slice/b.service");
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.unit, "a.service");
    /* a container named in the other tree only still counts */
    snprintf(cg.v1, sizeof cg.v1, "/docker/" ID64);
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.unit, "a.service");
    CHECK_S(k.container, ID64);
    /* the unified root with a systemd v1 path: the v1 path */
    snprintf(cg.v2, sizeof cg.v2, "/");
    snprintf(cg.v1, sizeof cg.v1, "/system.slice/b.service");
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.path, "/system.slice/b.service");
    /* v1 only */
    cg.have_v2 = 0;
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.unit, "b.service");
    /* v2 root alone */
    cg.have_v2 = 1;
    cg.have_v1 = 0;
    CHECK_I(ph_cgroup_keys_of(&cg, &k), 0);
    CHECK_S(k.path, "/");
    CHECK_S(k.unit, "-");
}

static long long q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -12345;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return v;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* One row per distinct pair of paths; the process references the last. */
TEST(store_once_per_path)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/cg.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    CHECK_I(ph_store_exec(s, "INSERT INTO boot (boot, boot_uuid) VALUES (1, 'b');"
                             "INSERT INTO process (proc, boot, pid, start_key, name, app, first_ns)"
                             " VALUES (1, 1, 10, 1, 'a', 'a', 0), (2, 1, 11, 1, 'b', 'b', 0),"
                             " (3, 1, 12, 1, 'c', 'c', 0)"), 0);
    struct ph_cgstore *cs = NULL;
    static ph_cgroup a, b, v2only;
    memset(&a, 0, sizeof a);
    a.have_v2 = a.have_v1 = 1;
    snprintf(a.v2, sizeof a.v2, "/system.slice/nginx.service");
    snprintf(a.v1, sizeof a.v1, "/system.slice/nginx.service");
    b = a;
    snprintf(b.v2, sizeof b.v2, "/system.slice/docker-" ID64 ".scope");
    v2only = a;
    v2only.have_v1 = 0; /* the same v2 path, no v1 line: another pair */
    v2only.v1[0] = '\0';
    CHECK_I(ph_cgstore_put(&cs, db, 1, &a), 0);
    CHECK_I(ph_cgstore_put(&cs, db, 2, &a), 0);
    CHECK_I(ph_cgstore_put(&cs, db, 1, &a), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM cgroup"), 1);
    CHECK_I(ph_cgstore_put(&cs, db, 3, &v2only), 0);
    CHECK_I(ph_cgstore_put(&cs, db, 3, &v2only), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM cgroup"), 2);
    CHECK_I(q_int(db, "SELECT count(*) FROM cgroup WHERE path_v1 IS NULL"), 1);
    CHECK_I(q_int(db, "SELECT count(DISTINCT cgroup) FROM process WHERE proc IN (1, 2)"), 1);
    /* moved: the reference follows, the old row stays for the others */
    CHECK_I(ph_cgstore_put(&cs, db, 1, &b), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM cgroup"), 3);
    CHECK_I(q_int(db, "SELECT count(*) FROM v_proc_cgroup WHERE proc = 1 AND container = '0123456789ab'"
                      " AND container_id = '" ID64 "' AND runtime = 'docker'"), 1);
    CHECK_I(q_int(db, "SELECT count(*) FROM v_proc_cgroup WHERE proc = 2 AND unit = 'nginx.service'"
                      " AND slice = 'system.slice' AND container IS NULL"), 1);
    /* nothing readable: no row, no reference */
    static ph_cgroup none;
    memset(&none, 0, sizeof none);
    CHECK_I(ph_cgstore_put(&cs, db, 2, &none), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM cgroup"), 3);
    ph_cgstore_free(cs);
    ph_store_close(s);
}

/* The tracker asks for a process's cgroups at its first sight, after an
 * exec and on keyframes, and at no other step. */
typedef struct fake {
    char comm[16];
    char path[64];
    int reads, told;
    char told_path[PH_CGROUP_PATH_MAX];
    uint64_t sig;
} fake;

static int f_list(void *ctx, ph_pidlist *out)
{
    (void)ctx;
    out->n = 0;
    return ph_pidlist_push(out, 42);
}

static enum ph_read_result f_read(void *ctx, int32_t pid, const ph_hint *hint, ph_proc_sample *s)
{
    fake *f = ctx;
    (void)hint;
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->ppid = 1;
    s->uid = 0;
    s->start_key = 7;
    s->quick_sig = ++f->sig; /* it runs every step */
    snprintf(s->name, sizeof s->name, "%s", f->comm);
    ph_values_set(&s->vals, PH_M_CPU_USER_NS, (int64_t)f->sig * 1000);
    return PH_READ_FULL;
}

static void f_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    (void)ctx;
    (void)pid;
    snprintf(out->app, sizeof out->app, "%s", s->name);
}

static int f_cgroup(void *ctx, int32_t pid, ph_cgroup *out)
{
    fake *f = ctx;
    (void)pid;
    f->reads++;
    memset(out, 0, sizeof *out);
    out->have_v2 = 1;
    snprintf(out->v2, sizeof out->v2, "%s", f->path);
    return 0;
}

static int s_new(void *ctx, const ph_proc_info *info, int64_t *id)
{
    (void)ctx;
    (void)info;
    *id = 1;
    return 0;
}
static int s_renamed(void *ctx, int64_t id, const ph_proc_info *info)
{
    (void)ctx;
    (void)id;
    (void)info;
    return 0;
}
static int s_gone(void *ctx, int64_t id)
{
    (void)ctx;
    (void)id;
    return 0;
}
static int s_row(void *ctx, const ph_row *row)
{
    (void)ctx;
    (void)row;
    return 0;
}
static int s_cgroup(void *ctx, int64_t id, const ph_cgroup *cg)
{
    fake *f = ctx;
    (void)id;
    f->told++;
    snprintf(f->told_path, sizeof f->told_path, "%s", cg->v2);
    return 0;
}

TEST(tracker_reads_cgroup_at_first_sight_exec_and_keyframes)
{
    static fake f;
    memset(&f, 0, sizeof f);
    snprintf(f.comm, sizeof f.comm, "sh");
    snprintf(f.path, sizeof f.path, "/init.scope");
    ph_source src = {&f, f_list, f_read, f_ident, NULL, NULL, 0, 0, NULL, NULL, f_cgroup};
    ph_sink sink = {&f, s_new, s_renamed, s_gone, s_row, NULL, s_cgroup};
    ph_tracker *t = ph_tracker_new();
    ph_tick tick = {.boot_ns = 1000000000, .prev_boot_ns = -1, .boot_wall_ns = 0, .keyframe = 0};
    ph_tick_stats st;
    /* first sight (not a keyframe step) */
    CHECK_I(ph_tracker_step(t, &src, &sink, &tick, &st), 0);
    ph_tracker_commit(t);
    CHECK_I(f.told, 1);
    CHECK_S(f.told_path, "/init.scope");
    /* moved by its supervisor: not read at an ordinary step */
    snprintf(f.path, sizeof f.path, "/system.slice/nginx.service");
    tick.prev_boot_ns = tick.boot_ns;
    tick.boot_ns += 1000000000;
    CHECK_I(ph_tracker_step(t, &src, &sink, &tick, &st), 0);
    ph_tracker_commit(t);
    CHECK_I(f.reads, 1);
    CHECK_I(f.told, 1);
    /* then it execs: read again */
    snprintf(f.comm, sizeof f.comm, "nginx");
    tick.prev_boot_ns = tick.boot_ns;
    tick.boot_ns += 1000000000;
    CHECK_I(ph_tracker_step(t, &src, &sink, &tick, &st), 0);
    ph_tracker_commit(t);
    CHECK_I(f.told, 2);
    CHECK_S(f.told_path, "/system.slice/nginx.service");
    /* moved again, no exec: the next keyframe sees it */
    snprintf(f.path, sizeof f.path, "/system.slice/other.service");
    tick.prev_boot_ns = tick.boot_ns;
    tick.boot_ns += 1000000000;
    CHECK_I(ph_tracker_step(t, &src, &sink, &tick, &st), 0);
    ph_tracker_commit(t);
    CHECK_I(f.told, 2);
    tick.prev_boot_ns = tick.boot_ns;
    tick.boot_ns += 1000000000;
    tick.keyframe = 1;
    CHECK_I(ph_tracker_step(t, &src, &sink, &tick, &st), 0);
    ph_tracker_commit(t);
    CHECK_I(f.told, 3);
    CHECK_S(f.told_path, "/system.slice/other.service");
    ph_tracker_free(t);
}

/* A schema 12 database (the last before cgroups) upgrades in place: its
 * processes keep their rows and have no cgroup (NULL), the views answer,
 * and its live processes can be given one. */
TEST(a_schema_12_database_gains_cgroups)
{
    char path[600], err[512], pragmas[160];
    sqlite3 *db;
    ph_store *s;
    snprintf(path, sizeof path, "%s/v12.db", t_tmpdir());
    CHECK_I(sqlite3_open(path, &db), SQLITE_OK);
    for (int i = 0; i < 12; i++)
        CHECK_I(sqlite3_exec(db, ph_schema_sql[i], NULL, NULL, NULL), SQLITE_OK);
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA application_id=%d; PRAGMA user_version=12;",
             PH_APPLICATION_ID);
    CHECK_I(sqlite3_exec(db, pragmas, NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(sqlite3_exec(db,
                         "INSERT INTO boot VALUES (1, 'b', NULL);"
                         "INSERT INTO process (proc, boot, pid, start_key, name, app, first_ns)"
                         " VALUES (1, 1, 42, 7, 'old', 'old', 5000000000);"
                         "INSERT INTO proc_hour (bucket_ns, proc, rows, active, cpu_user_ns, cpu_system_ns)"
                         " VALUES (3600000000000, 1, 1, 1, 2000000000, 0);",
                         NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    /* the query tool reads it as it is */
    CHECK_I(ph_store_open(path, PH_STORE_READ, &s, err, sizeof err), 0);
    ph_store_close(s);
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    db = ph_store_db(s);
    CHECK_I(q_int(db, "PRAGMA user_version"), ph_store_schema_version());
    CHECK_I(q_int(db, "SELECT count(*) FROM process WHERE pid = 42 AND cgroup IS NULL"), 1);
    CHECK_I(q_int(db, "SELECT count(*) FROM v_proc_cgroup WHERE pid = 42 AND unit IS NULL"), 1);
    CHECK_I(q_int(db, "SELECT cast(sum(cpu_s) AS integer) FROM v_cgroup_hour WHERE unit IS NULL"), 2);
    struct ph_cgstore *cs = NULL;
    static ph_cgroup cg;
    memset(&cg, 0, sizeof cg);
    cg.have_v2 = 1;
    snprintf(cg.v2, sizeof cg.v2, "/system.slice/old.service");
    CHECK_I(ph_cgstore_put(&cs, db, 1, &cg), 0);
    CHECK_I(q_int(db, "SELECT cast(sum(cpu_s) AS integer) FROM v_cgroup_hour WHERE unit = 'old.service'"), 2);
    ph_cgstore_free(cs);
    ph_store_close(s);
}

/* The longest unit names systemd allows (255 characters) are kept whole,
 * inside a user manager too; longer components are no unit names. */
TEST(key_long_unit_names_whole)
{
    static char path[1024], unit[300], want[600];
    memset(unit, 'a', 247);
    memcpy(unit + 247, ".service", 9); /* 255 characters */
    snprintf(path, sizeof path, "/user.slice/user-1000.slice/user@1000.service/app.slice/%s", unit);
    keys(path);
    snprintf(want, sizeof want, "user@1000/%s", unit);
    CHECK_S(k.unit, want);
    CHECK_I(strlen(k.unit), 10 + 255);
    memset(unit, 'a', 248);
    memcpy(unit + 248, ".service", 9); /* 256: too long for systemd */
    snprintf(path, sizeof path, "/system.slice/%s", unit);
    keys(path);
    CHECK_S(k.unit, "-");
}

/* The read side: each process asked for gets its cgroup's keys, in the
 * order asked (twice where asked twice), none where it has no cgroup or is
 * not asked for; the processes of one cgroup share its strings, and
 * ph_db_cgkeys_free frees each copy once (the sanitizer build checks). */
TEST(keys_read_back_per_process_shared_per_cgroup)
{
    char path[600], err[512] = "";
    ph_store *s;
    snprintf(path, sizeof path, "%s/cgread.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    CHECK_I(ph_store_exec(s, "INSERT INTO boot (boot, boot_uuid) VALUES (1, 'b');"
                             "INSERT INTO process (proc, boot, pid, start_key, name, app, first_ns)"
                             " VALUES (1, 1, 10, 1, 'a', 'a', 0), (2, 1, 11, 1, 'b', 'b', 0),"
                             " (3, 1, 12, 1, 'c', 'c', 0), (4, 1, 13, 1, 'd', 'd', 0),"
                             " (5, 1, 14, 1, 'e', 'e', 0)"), 0);
    struct ph_cgstore *cs = NULL;
    static ph_cgroup nginx, docker, unused;
    memset(&nginx, 0, sizeof nginx);
    nginx.have_v2 = 1;
    snprintf(nginx.v2, sizeof nginx.v2, "/system.slice/nginx.service");
    docker = nginx;
    snprintf(docker.v2, sizeof docker.v2, "/system.slice/docker-" ID64 ".scope");
    unused = nginx;
    snprintf(unused.v2, sizeof unused.v2, "/system.slice/cron.service");
    CHECK_I(ph_cgstore_put(&cs, db, 1, &nginx), 0);
    CHECK_I(ph_cgstore_put(&cs, db, 3, &nginx), 0);
    CHECK_I(ph_cgstore_put(&cs, db, 4, &docker), 0);
    CHECK_I(ph_cgstore_put(&cs, db, 5, &unused), 0); /* a cgroup nobody below asks for */
    ph_cgstore_free(cs);
    int64_t ask[] = {4, 3, 2, 1, 3};
    ph_db_cgkeys out[5];
    CHECK_I(ph_db_cgroup_keys(s, ask, 5, out, err, sizeof err), 0);
    CHECK_S(out[0].unit, "docker-" ID64 ".scope");
    CHECK(out[0].container != NULL && out[0].container_id != NULL);
    if (out[0].container && out[0].container_id) {
        CHECK_S(out[0].container_id, ID64);
        CHECK_I(strlen(out[0].container), 12);
    }
    CHECK_S(out[1].unit, "nginx.service");
    CHECK_S(out[1].slice, "system.slice");
    CHECK_S(out[1].path, "/system.slice/nginx.service");
    CHECK(out[1].container == NULL);
    CHECK(out[2].unit == NULL && out[2].path == NULL); /* no cgroup recorded */
    CHECK_S(out[3].unit, "nginx.service");
    CHECK_S(out[4].unit, "nginx.service");
    CHECK(out[1].unit == out[3].unit && out[3].unit == out[4].unit); /* one copy */
    ph_db_cgkeys_free(out, 5);
    for (int i = 0; i < 5; i++)
        CHECK(out[i].unit == NULL && out[i].path == NULL);
    ph_store_close(s);
}
