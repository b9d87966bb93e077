/* Parsers of /proc files, on real files captured by scripts/capture-fixture.sh. */
#include "test.h"

#include "ph_procfs.h"

#include <stdlib.h>

static char *fixture(const char *rel, size_t *len)
{
    char *b = t_read_file(t_path(rel), len);
    if (!b)
        t_fail(__FILE__, __LINE__, "cannot read fixture %s", rel);
    return b;
}

TEST(stat_of_a_shell)
{
    size_t n;
    char *b = fixture("fixtures/proc/1186/stat", &n);
    ph_stat st;
    if (!b)
        return;
    CHECK_I(ph_parse_stat(b, n, &st), 0);
    CHECK_I(st.pid, 1186);
    CHECK_S(st.comm, "bash");
    CHECK_I(st.state, 'S');
    CHECK_I(st.ppid, 1185);
    CHECK_I(st.minflt, 8493);
    CHECK_I(st.cminflt, 400388);
    CHECK_I(st.majflt, 0);
    CHECK_I(st.cmajflt, 716);
    CHECK_I(st.utime, 4);
    CHECK_I(st.stime, 6);
    CHECK_I(st.cutime, 628);
    CHECK_I(st.cstime, 234);
    CHECK_I(st.nice, 0);
    CHECK_I(st.num_threads, 1);
    CHECK_I(st.starttime, 3328);
    CHECK_I(st.vsize, 5246976);
    CHECK_I(st.rss, 992);
    CHECK(!(st.flags & PH_PF_KTHREAD));
    free(b);
}

TEST(stat_of_a_kernel_thread_and_a_zombie)
{
    size_t n;
    ph_stat st;
    char *b = fixture("fixtures/proc/2/stat", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_stat(b, n, &st), 0);
    CHECK_S(st.comm, "kthreadd");
    CHECK(st.flags & PH_PF_KTHREAD);
    CHECK_I(st.ppid, 0);
    CHECK_I(st.rss, 0);
    free(b);
    b = fixture("fixtures/proc/3221/stat", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_stat(b, n, &st), 0);
    CHECK_I(st.state, 'Z');
    CHECK_I(st.vsize, 0);
    free(b);
}

TEST(stat_comm_with_spaces_parens_and_newline)
{
    /* comm runs to the LAST ')': a name may hold ") " and newlines. */
    const char s[] = "42 (a) b\n(c) d) R 7 42 42 0 -1 4194304 1 2 3 4 5 6 7 8 20 0 3 0 99 4096 10 0\n";
    ph_stat st;
    CHECK_I(ph_parse_stat(s, sizeof s - 1, &st), 0);
    CHECK_S(st.comm, "a) b\n(c) d");
    CHECK_I(st.state, 'R');
    CHECK_I(st.ppid, 7);
    CHECK_I(st.utime, 5);
    CHECK_I(st.stime, 6);
    CHECK_I(st.num_threads, 3);
    CHECK_I(st.starttime, 99);
    CHECK_I(st.rss, 10);
}

TEST(stat_malformed_is_rejected)
{
    ph_stat st;
    const char *bad[] = {
        "",
        "12",
        "12 (x",
        "12 (x) S 1 2 3",                 /* truncated */
        "12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 99999999999999999999999 1 2",
        "x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ph_parse_stat(bad[i], strlen(bad[i]), &st) == 0)
            t_fail(__FILE__, __LINE__, "accepted bad stat #%zu: %s", i, bad[i]);
}

TEST(status_fields_by_key)
{
    size_t n;
    ph_status ss;
    char *b = fixture("fixtures/proc/3109/status", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_status(b, n, &ss), 0);
    CHECK_I(ss.uid, 0);
    CHECK_I(ss.vm_rss_kib, 13548);
    CHECK_I(ss.vm_hwm_kib, 13548);
    CHECK_I(ss.rss_anon_kib, 6908);
    CHECK_I(ss.rss_file_kib, 6640);
    CHECK_I(ss.rss_shmem_kib, 0);
    CHECK_I(ss.threads, 4);
    CHECK_I(ss.ctxsw_voluntary, 18);
    CHECK_I(ss.ctxsw_involuntary, 4);
    free(b);
}

TEST(status_of_zombie_has_no_vm_lines)
{
    size_t n;
    ph_status ss;
    char *b = fixture("fixtures/proc/3221/status", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_status(b, n, &ss), 0);
    CHECK_I(ss.vm_rss_kib, -1);
    CHECK_I(ss.vm_hwm_kib, -1);
    CHECK_I(ss.uid, 0);
    free(b);
    CHECK_I(ph_parse_status("Name:\tx\n", 8, &ss), -1);
}

TEST(io_and_schedstat)
{
    size_t n;
    ph_io io;
    ph_schedstat sc;
    char *b = fixture("fixtures/proc/1186/io", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_io(b, n, &io), 0);
    CHECK_I(io.rchar, 228320535);
    CHECK_I(io.wchar, 8796469);
    CHECK_I(io.syscr, 62911);
    CHECK_I(io.syscw, 11507);
    CHECK_I(io.read_bytes, 825339904);
    CHECK_I(io.write_bytes, 11382784);
    CHECK_I(io.cancelled_write_bytes, 2875392);
    free(b);
    b = fixture("fixtures/proc/1186/schedstat", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_schedstat(b, n, &sc), 0);
    CHECK_I(sc.run_ns, 107060075);
    CHECK_I(sc.wait_ns, 12193540);
    CHECK_I(sc.slices, 243);
    free(b);
    CHECK_I(ph_parse_io("nothing: here\n", 14, &io), -1);
    CHECK_I(ph_parse_schedstat("12 x", 4, &sc), -1);
}

TEST(uptime_and_btime)
{
    size_t n;
    int64_t ns, sec;
    char *b = fixture("fixtures/proc/uptime", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_uptime(b, n, &ns), 0);
    CHECK_I(ns, 662660000000LL);
    free(b);
    b = fixture("fixtures/proc/stat", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_btime(b, n, &sec), 0);
    CHECK_I(sec, 1795690964);
    free(b);
    CHECK_I(ph_parse_uptime("abc", 3, &ns), -1);
    CHECK_I(ph_parse_btime("cpu 1 2 3\n", 10, &sec), -1);
}

TEST(loadavg_last_pid)
{
    size_t n;
    int64_t pid = -1;
    char *b = fixture("fixtures/proc/loadavg", &n);
    if (!b)
        return;
    CHECK_I(ph_parse_loadavg_last_pid(b, n, &pid), 0);
    CHECK_I(pid, 25250); /* captured: the cat that read it took this pid */
    free(b);
    CHECK_I(ph_parse_loadavg_last_pid("0.00 0.01 0.05 1/123 4567", 25, &pid), 0);
    CHECK_I(pid, 4567);
    pid = -1;
    CHECK_I(ph_parse_loadavg_last_pid("0.00 0.01 0.05 1/123\n", 21, &pid), -1);
    CHECK_I(ph_parse_loadavg_last_pid("0.00 0.01 0.05 1-123 4567\n", 26, &pid), -1);
    CHECK_I(ph_parse_loadavg_last_pid("0.00 0.01 0.05 1/123 45x7\n", 26, &pid), -1);
    CHECK_I(ph_parse_loadavg_last_pid("0.00 0.01 0.05 1/123 4567 8\n", 28, &pid), -1);
    CHECK_I(ph_parse_loadavg_last_pid("0.00 0.01 0.05 1/123 99999999999\n", 33, &pid), -1);
    CHECK_I(pid, -1);
}

TEST(exe_basename)
{
    char out[64];
    CHECK_I(ph_exe_basename("/usr/bin/bash", out, sizeof out), 0);
    CHECK_S(out, "bash");
    CHECK_I(ph_exe_basename("/opt/app/bin/server (deleted)", out, sizeof out), 0);
    CHECK_S(out, "server");
    CHECK_I(ph_exe_basename("relative", out, sizeof out), 0);
    CHECK_S(out, "relative");
    CHECK_I(ph_exe_basename("/", out, sizeof out), -1);
    CHECK_I(ph_exe_basename("", out, sizeof out), -1);
}

#include "ph_platform.h"

TEST(rapl_counter_deltas_wrap)
{
    const uint64_t max = 262143328850ULL;
    CHECK_I(ph_power_delta(100, 250, max), 150);
    CHECK_I(ph_power_delta(max - 10, 5, max), 15);   /* wrapped at max */
    CHECK_I(ph_power_delta(max + 5, 3, max), 0);     /* past max: a reset, no huge delta */
    CHECK_I(ph_power_delta(500, 3, 0), 0);           /* unknown range: no delta */
}

TEST(drm_fdinfo_of_an_i915_client)
{
    static const char b[] = "pos:\t0\nflags:\t02100002\nmnt_id:\t26\nino:\t685\n"
                            "drm-driver:\ti915\ndrm-client-id:\t7\ndrm-pdev:\t0000:00:02.0\n"
                            "drm-total-system0:\t4 MiB\ndrm-resident-system0:\t3 MiB\n"
                            "drm-memory-system0:\t3 MiB\n"
                            "drm-engine-render:\t2500000000 ns\ndrm-engine-copy:\t0 ns\n"
                            "drm-engine-video:\t500000000 ns\ndrm-engine-capacity-video:\t2\n"
                            "drm-cycles-render:\t99999\n";
    ph_drm_fdinfo d;
    CHECK_I(ph_parse_drm_fdinfo(b, sizeof b - 1, &d), 0);
    CHECK_S(d.driver, "i915");
    CHECK_S(d.pdev, "0000:00:02.0");
    CHECK_I(d.client_id, 7);
    CHECK_I(d.engine_ns, 3000000000LL);       /* capacity and cycles are not time */
    CHECK_I(d.resident_bytes, 3 * 1024 * 1024); /* resident once, not + legacy memory */
}

TEST(drm_fdinfo_legacy_memory_and_non_drm_files)
{
    static const char b[] = "drm-driver:\tamdgpu\ndrm-pdev:\t0000:03:00.0\ndrm-client-id:\t12\n"
                            "drm-memory-vram:\t1024 KiB\ndrm-memory-gtt:\t2048\n";
    ph_drm_fdinfo d;
    CHECK_I(ph_parse_drm_fdinfo(b, sizeof b - 1, &d), 0);
    CHECK_I(d.engine_ns, -1); /* no engine keys: not measured, not zero */
    CHECK_I(d.resident_bytes, 1024 * 1024 + 2048);
    static const char sock[] = "pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1234\n";
    CHECK_I(ph_parse_drm_fdinfo(sock, sizeof sock - 1, &d), -1);
}

TEST(drm_fdinfo_overflowing_values_are_ignored)
{
    static const char b[] = "drm-driver:\tx\ndrm-engine-a:\t9223372036854775807 ns\n"
                            "drm-engine-b:\t5 ns\ndrm-resident-vram:\t9999999999999 GiB\n";
    ph_drm_fdinfo d;
    CHECK_I(ph_parse_drm_fdinfo(b, sizeof b - 1, &d), 0);
    CHECK_I(d.engine_ns, INT64_MAX); /* the 5 ns that would overflow is dropped */
    CHECK_I(d.resident_bytes, -1);
}

TEST(interpreters_are_known_by_their_basename)
{
    const char *yes[] = {"sh", "dash", "bash", "python3", "python3.11", "perl", "perl5.36.0", "node", "ruby3.1",
                         "tclsh8.6", "busybox"};
    const char *no[] = {"shutdown", "bashful", "python3-config", "nodejs-helper", "firefox", "cc", "", "sh.real"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (ph_exe_is_interpreter(yes[i]) != 1)
            t_fail(__FILE__, __LINE__, "'%s' is an interpreter", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (ph_exe_is_interpreter(no[i]) != 0)
            t_fail(__FILE__, __LINE__, "'%s' is not an interpreter", no[i]);
}
