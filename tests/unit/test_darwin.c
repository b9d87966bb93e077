/* The pure half of the macOS collector, on buffers laid out like the SDK's
 * structs (the layouts are asserted against the real headers by
 * `make cross-darwin`). */
#include "test.h"

#include "ph_darwin.h"

#include <errno.h>
#include <stdlib.h>

static void w64(unsigned char *buf, size_t off, uint64_t v) { memcpy(buf + off, &v, 8); }
static void w32(unsigned char *buf, size_t off, uint32_t v) { memcpy(buf + off, &v, 4); }
static void wru(unsigned char *buf, enum ph_ru_field f, uint64_t v) { w64(buf, PH_RU_OFFSET(f), v); }

TEST(mach_ticks_to_ns)
{
    ph_timebase as = {125, 3}, intel = {1, 1};
    CHECK_I(ph_darwin_ticks_to_ns(24000000, as), 1000000000);   /* 1 s at 24 MHz */
    CHECK_I(ph_darwin_ticks_to_ns(1, as), 41);
    CHECK_I(ph_darwin_ticks_to_ns(3, as), 125);
    CHECK_I(ph_darwin_ticks_to_ns(123456789, intel), 123456789);
    /* ticks * 125 overflows 64 bits here; the split keeps it exact. */
    uint64_t big = 300000000000000000ULL; /* 3e17 ticks */
    CHECK(ph_darwin_ticks_to_ns(big, as) == 12500000000000000000ULL);
    CHECK(ph_darwin_ticks_to_ns(UINT64_MAX, as) == UINT64_MAX); /* saturates */
}

TEST(timebase_under_rosetta_comes_from_tbfrequency)
{
    ph_timebase tb = ph_darwin_timebase(1, 1, 1, 24000000);
    CHECK_I(tb.numer, 125);
    CHECK_I(tb.denom, 3);
    tb = ph_darwin_timebase(125, 3, 0, 0); /* native arm64 */
    CHECK_I(tb.numer, 125);
    CHECK_I(tb.denom, 3);
    tb = ph_darwin_timebase(1, 1, 0, 24000000); /* Intel: trust mach_timebase_info */
    CHECK_I(tb.numer, 1);
    CHECK_I(tb.denom, 1);
    tb = ph_darwin_timebase(0, 0, 1, 0); /* nothing known */
    CHECK_I(tb.numer, 1);
    CHECK_I(tb.denom, 1);
}

TEST(rusage_flavor_fallback)
{
    CHECK_I(ph_darwin_rusage_fallback(PH_RUSAGE_V6, EINVAL), PH_RUSAGE_V4);
    CHECK_I(ph_darwin_rusage_fallback(PH_RUSAGE_V6, EPERM), -1);
    CHECK_I(ph_darwin_rusage_fallback(PH_RUSAGE_V4, EINVAL), -1);
}

static void fill_ru(unsigned char *b)
{
    memset(b, 0, PH_RU_V6_SIZE);
    memset(b, 0xAB, 16); /* uuid */
    wru(b, PH_RU_USER_TIME, 24000000);          /* 1 s */
    wru(b, PH_RU_SYSTEM_TIME, 12000000);        /* 0.5 s */
    /* Package-idle wakeups are a subset of interrupt wakeups (xnu
     * sched_prim.c credits both): idle <= interrupt on a real kernel. */
    wru(b, PH_RU_PKG_IDLE_WKUPS, 12);
    wru(b, PH_RU_INTERRUPT_WKUPS, 30);
    wru(b, PH_RU_PAGEINS, 5);
    wru(b, PH_RU_WIRED_SIZE, 4096);
    wru(b, PH_RU_RESIDENT_SIZE, 100 << 20);
    wru(b, PH_RU_PHYS_FOOTPRINT, 80 << 20);
    wru(b, PH_RU_PROC_START_ABSTIME, 240000000); /* 10 s after boot */
    wru(b, PH_RU_CHILD_USER_TIME, 99);
    wru(b, PH_RU_CHILD_PKG_IDLE_WKUPS, 4);
    wru(b, PH_RU_CHILD_INTERRUPT_WKUPS, 9);
    wru(b, PH_RU_DISKIO_BYTESREAD, 1 << 20);
    wru(b, PH_RU_DISKIO_BYTESWRITTEN, 2 << 20);
    wru(b, PH_RU_QOS_USER_INTERACTIVE, 2400000);  /* 0.1 s */
    wru(b, PH_RU_QOS_BACKGROUND, 24);             /* 1 us */
    wru(b, PH_RU_BILLED_SYSTEM_TIME, 3);
    wru(b, PH_RU_LOGICAL_WRITES, 3 << 20);
    wru(b, PH_RU_LIFETIME_MAX_PHYS_FOOTPRINT, 120 << 20);
    wru(b, PH_RU_INSTRUCTIONS, 5000000000ULL);
    wru(b, PH_RU_CYCLES, 3000000000ULL);
    wru(b, PH_RU_BILLED_ENERGY, 777);
    wru(b, PH_RU_INTERVAL_MAX_PHYS_FOOTPRINT, 90 << 20);
    wru(b, PH_RU_RUNNABLE_TIME, 240000);          /* 10 ms */
    wru(b, PH_RU_FLAGS, 1);
    wru(b, PH_RU_ENERGY_NJ, 123456789);
}

TEST(rusage_v6_buffer_to_metrics)
{
    unsigned char b[PH_RU_V6_SIZE];
    ph_timebase as = {125, 3};
    ph_values v = {{0}, 0};
    ph_darwin_ru ru;
    fill_ru(b);
    CHECK_I(ph_darwin_rusage(b, sizeof b, as, 1, &v, &ru), 0);
    CHECK_I(v.v[PH_M_CPU_USER_NS], 1000000000);
    CHECK_I(v.v[PH_M_CPU_SYSTEM_NS], 500000000);
    CHECK_I(v.v[PH_M_RUNNABLE_NS], 10000000);
    CHECK_I(v.v[PH_M_CPU_QOS_USER_INTERACTIVE_NS], 100000000);
    CHECK_I(v.v[PH_M_CPU_QOS_BACKGROUND_NS], 1000);
    CHECK_I(v.v[PH_M_WAKEUPS], 30);            /* interrupt only: idle is a subset */
    CHECK_I(v.v[PH_M_WAKEUPS_PKG_IDLE], 12);
    CHECK_I(v.v[PH_M_WAKEUPS_INTERRUPT], 30);
    CHECK_I(v.v[PH_M_CHILD_WAKEUPS], 9);
    CHECK_I(v.v[PH_M_PAGEINS], 5);
    CHECK_I(v.v[PH_M_DISK_READ_BYTES], 1 << 20);
    CHECK_I(v.v[PH_M_DISK_WRITE_BYTES], 2 << 20);
    CHECK_I(v.v[PH_M_LOGICAL_WRITE_BYTES], 3 << 20);
    CHECK_I(v.v[PH_M_INSTRUCTIONS], 5000000000LL);
    CHECK_I(v.v[PH_M_CYCLES], 3000000000LL);
    CHECK_I(v.v[PH_M_ENERGY_NJ], 123456789);   /* measured, v6 on arm64 */
    CHECK_I(v.v[PH_M_ENERGY_BILLED_NJ], 777);
    CHECK_I(v.v[PH_M_RESIDENT_BYTES], 100 << 20);
    CHECK_I(v.v[PH_M_FOOTPRINT_BYTES], 80 << 20);
    CHECK_I(v.v[PH_M_WIRED_BYTES], 4096);
    CHECK_I(v.v[PH_M_FOOTPRINT_LIFETIME_MAX_BYTES], 120 << 20);
    CHECK_I(v.v[PH_M_FOOTPRINT_INTERVAL_MAX_BYTES], 90 << 20);
    CHECK_I(ru.start_abstime, 240000000);
    /* Linux-only metrics stay unset (NULL), never 0. */
    CHECK(!(v.have & PH_BIT(PH_M_FAULTS_MINOR)));
    CHECK(!(v.have & PH_BIT(PH_M_SYSCALL_READ_BYTES)));

    /* The signature moves with CPU or I/O, and only then. */
    ph_darwin_ru ru2;
    ph_values v2 = {{0}, 0};
    wru(b, PH_RU_RESIDENT_SIZE, 200 << 20);
    ph_darwin_rusage(b, sizeof b, as, 1, &v2, &ru2);
    CHECK(ru2.quick_sig == ru.quick_sig);
    wru(b, PH_RU_USER_TIME, 24000001);
    ph_darwin_rusage(b, sizeof b, as, 1, &v2, &ru2);
    CHECK(ru2.quick_sig != ru.quick_sig);
}

TEST(rusage_v4_buffer_and_intel_energy)
{
    unsigned char b[PH_RU_V6_SIZE];
    ph_values v = {{0}, 0};
    ph_darwin_ru ru;
    fill_ru(b);
    /* A v4 answer is 296 bytes: the v6 fields must not be read. */
    CHECK_I(ph_darwin_rusage(b, PH_RU_V4_SIZE, (ph_timebase){1, 1}, 1, &v, &ru), 0);
    CHECK_I(v.v[PH_M_CPU_USER_NS], 24000000);
    /* ri_billed_energy is energy OTHER tasks spent on this one's behalf
     * (xnu bank vouchers), never the task's own: no v6, no energy. */
    CHECK(!(v.have & PH_BIT(PH_M_ENERGY_NJ)));
    CHECK_I(v.v[PH_M_ENERGY_BILLED_NJ], 777);
    v.have = 0;
    CHECK_I(ph_darwin_rusage(b, PH_RU_V6_SIZE, (ph_timebase){1, 1}, 0, &v, &ru), 0);
    CHECK(!(v.have & PH_BIT(PH_M_ENERGY_NJ))); /* Intel: ri_energy_nj is not measured */
    CHECK_I(v.v[PH_M_ENERGY_BILLED_NJ], 777);
    CHECK_I(ph_darwin_rusage(b, PH_RU_V4_SIZE - 1, (ph_timebase){1, 1}, 1, &v, &ru), -1);
}

TEST(taskinfo_saturated_counters_are_left_out)
{
    unsigned char b[PH_PTI_SIZE];
    ph_values v = {{0}, 0};
    memset(b, 0, sizeof b);
    w64(b, PH_PTI_VIRTUAL_SIZE, 1ULL << 40);
    w32(b, PH_PTI_FAULTS, 2147483647u);      /* INT32_MAX: saturated */
    w32(b, PH_PTI_COW_FAULTS, 77);
    w32(b, PH_PTI_SYSCALLS_UNIX, 0xFFFFFFF0u); /* negative as int32: garbage */
    w32(b, PH_PTI_SYSCALLS_MACH, 1234);
    w32(b, PH_PTI_CSW, 999);
    w32(b, PH_PTI_MESSAGES_SENT, 5);
    w32(b, PH_PTI_MESSAGES_RECEIVED, 6);
    w32(b, PH_PTI_THREADNUM, 12);
    w32(b, PH_PTI_NUMRUNNING, 2);
    w32(b, PH_PTI_PRIORITY, 31);
    CHECK_I(ph_darwin_taskinfo(b, sizeof b, &v), 0);
    CHECK_I(v.v[PH_M_VIRTUAL_BYTES], 1LL << 40);
    CHECK(!(v.have & PH_BIT(PH_M_FAULTS_TOTAL)));
    CHECK(!(v.have & PH_BIT(PH_M_SYSCALLS_UNIX)));
    CHECK_I(v.v[PH_M_FAULTS_COW], 77);
    CHECK_I(v.v[PH_M_SYSCALLS_MACH], 1234);
    CHECK_I(v.v[PH_M_CTXSW_TOTAL], 999);
    CHECK_I(v.v[PH_M_MESSAGES_SENT], 5);
    CHECK_I(v.v[PH_M_MESSAGES_RECEIVED], 6);
    CHECK_I(v.v[PH_M_THREADS], 12);
    CHECK_I(v.v[PH_M_THREADS_RUNNING], 2);
    CHECK_I(v.v[PH_M_PRIORITY], 31);
    CHECK_I(ph_darwin_taskinfo(b, sizeof b - 1, &v), -1);
}

TEST(bsdshortinfo_uniqid_coalition)
{
    unsigned char b[PH_PBSI_SIZE];
    ph_darwin_bsd bsd;
    memset(b, 0, sizeof b);
    w32(b, PH_PBSI_PID, 501);
    w32(b, PH_PBSI_PPID, 1);
    w32(b, PH_PBSI_STATUS, 5); /* SZOMB */
    memcpy(b + PH_PBSI_COMM, "0123456789abcdef", 16); /* full, unterminated */
    w32(b, PH_PBSI_UID, 0);
    w32(b, PH_PBSI_RUID, 502);
    CHECK_I(ph_darwin_bsdshort(b, sizeof b, &bsd), 0);
    CHECK_I(bsd.pid, 501);
    CHECK_I(bsd.ppid, 1);
    CHECK_I(bsd.uid, 502);
    CHECK_I(bsd.status, 5);
    CHECK_I(ph_darwin_state(bsd.status, 0), 'Z');
    CHECK_S(bsd.comm, "0123456789abcdef");

    unsigned char u[PH_UNIQID_SIZE];
    uint64_t id = 0;
    memset(u, 0, sizeof u);
    w64(u, PH_UNIQID_UNIQUEID, 987654321);
    CHECK_I(ph_darwin_uniqueid(u, sizeof u, &id), 0);
    CHECK_I(id, 987654321);
    CHECK_I(ph_darwin_uniqueid(u, 20, &id), -1);

    unsigned char c[PH_COALITION_SIZE];
    memset(c, 0, sizeof c);
    w64(c, 0, 4242);
    w64(c, 8, 17); /* jetsam coalition: not the one we want */
    CHECK_I(ph_darwin_coalition(c, sizeof c, &id), 0);
    CHECK_I(id, 4242);
}

/* xnu sets p_stat to SIDL, SRUN, SSTOP or SZOMB, never SSLEEP: a live
 * process is SRUN whether or not it runs. Running vs sleeping comes from
 * pti_numrunning, as htop's darwin/DarwinProcess.c does. */
TEST(darwin_state_from_running_threads)
{
    CHECK_I(ph_darwin_state(2, 0), 'S');  /* SRUN, no thread on a CPU: sleeping */
    CHECK_I(ph_darwin_state(2, 3), 'R');
    CHECK_I(ph_darwin_state(2, -1), 0);   /* task info refused: unknown, not R */
    CHECK_I(ph_darwin_state(3, 0), 'S');
    CHECK_I(ph_darwin_state(1, 0), 'I');
    CHECK_I(ph_darwin_state(4, 2), 'T');  /* stopped stays stopped */
    CHECK_I(ph_darwin_state(5, 0), 'Z');
    CHECK_I(ph_darwin_state(77, 0), '?');
}

/* proc_info.c: "if (arg) findzomb = 1" for TBSDINFO, T_SHORTBSDINFO,
 * UNIQIDENTIFIERINFO and T_BSDINFOWITHUNIQID; with arg 0 a zombie is ESRCH,
 * which the collector reads as gone. */
TEST(darwin_pidinfo_finds_zombies)
{
    CHECK(ph_darwin_pidinfo_arg(13) != 0);                            /* PROC_PIDT_SHORTBSDINFO */
    CHECK(ph_darwin_pidinfo_arg(PH_PROC_PIDUNIQIDENTIFIERINFO) != 0); /* 17 */
    CHECK(ph_darwin_pidinfo_arg(3) != 0);                             /* PROC_PIDTBSDINFO */
    CHECK_I(ph_darwin_pidinfo_arg(4), 0); /* TASKINFO: a zombie has no task anyway */
}

/* Measured energy exists only in v6 on arm64; after a fallback to v4 the
 * rows carry none, so coalitions must not compare energy either (else the
 * "[exited members]" row would absorb all of it). */
TEST(darwin_energy_follows_flavor_read)
{
    CHECK_I(ph_darwin_energy_measured(1, PH_RUSAGE_V6), 1);
    int flavor = ph_darwin_rusage_fallback(PH_RUSAGE_V6, EINVAL); /* a macOS 12 kernel */
    CHECK_I(ph_darwin_energy_measured(1, flavor), 0);
    CHECK_I(ph_darwin_energy_measured(0, PH_RUSAGE_V6), 0);
    unsigned char b[296];
    ph_coalition_usage u;
    memset(b, 0, sizeof b);
    memset(&u, 0x5a, sizeof u);
    b[11 * 8] = 200; /* energy, nJ */
    CHECK_I(ph_darwin_coalition_usage(b, sizeof b, (ph_timebase){1, 1}, ph_darwin_energy_measured(1, flavor),
                                      &u), 0);
    CHECK_I(u.v[PH_CO_ENERGY_NJ], -1);
    CHECK_I(u.unreadable_members, 0);
}

/* struct coalition_resource_usage, 296 bytes on macOS 13: CPU in Mach
 * ticks (125/3 ns each on Apple Silicon), energy only with measured rows. */
TEST(coalition_usage_record)
{
    unsigned char b[296];
    ph_coalition_usage u;
    ph_timebase as = {125, 3};
    memset(b, 0, sizeof b);
    w64(b, 0, 40);        /* tasks_started */
    w64(b, 8, 37);        /* tasks_exited */
    w64(b, 3 * 8, 24000); /* cpu_time: 24000 ticks = 1 ms */
    w64(b, 4 * 8, 11);    /* interrupt_wakeups */
    w64(b, 5 * 8, 22);    /* platform_idle_wakeups */
    w64(b, 6 * 8, 4096);  /* bytesread */
    w64(b, 7 * 8, 8192);  /* byteswritten */
    w64(b, 11 * 8, 5000000); /* energy, nJ */
    CHECK_I(ph_darwin_coalition_usage(b, sizeof b, as, 1, &u), 0);
    CHECK_I(u.v[PH_CO_CPU_NS], 1000000);
    CHECK_I(u.v[PH_CO_WAKEUPS_INTERRUPT], 11);
    CHECK_I(u.v[PH_CO_WAKEUPS_PKG_IDLE], 22);
    CHECK_I(u.v[PH_CO_DISK_READ_BYTES], 4096);
    CHECK_I(u.v[PH_CO_DISK_WRITE_BYTES], 8192);
    CHECK_I(u.v[PH_CO_ENERGY_NJ], 5000000);
    CHECK_I(ph_darwin_coalition_usage(b, sizeof b, as, 0, &u), 0);
    CHECK_I(u.v[PH_CO_ENERGY_NJ], -1); /* rows carry billed energy: not comparable */
    CHECK_I(ph_darwin_coalition_usage(b, PH_CRU_MIN_SIZE - 1, as, 1, &u), -1);
    w64(b, 7 * 8, UINT64_MAX); /* absurd: unknown, not negative */
    CHECK_I(ph_darwin_coalition_usage(b, sizeof b, as, 1, &u), 0);
    CHECK_I(u.v[PH_CO_DISK_WRITE_BYTES], -1);
}

TEST(outermost_app_bundle)
{
    char bundle[256], app[64];
    CHECK_I(ph_darwin_bundle("/Applications/Google Chrome.app/Contents/Frameworks/Google Chrome Framework.framework/"
                             "Versions/1/Helpers/Google Chrome Helper (Renderer).app/Contents/MacOS/"
                             "Google Chrome Helper (Renderer)", bundle, sizeof bundle, app, sizeof app), 0);
    CHECK_S(bundle, "/Applications/Google Chrome.app");
    CHECK_S(app, "Google Chrome");
    CHECK_I(ph_darwin_bundle("/System/Applications/Mail.app/Contents/MacOS/Mail", bundle, sizeof bundle,
                             app, sizeof app), 0);
    CHECK_S(app, "Mail");
    CHECK_I(ph_darwin_bundle("/usr/libexec/logd", bundle, sizeof bundle, app, sizeof app), -1);
    CHECK_I(ph_darwin_bundle("/tmp/odd.app", bundle, sizeof bundle, app, sizeof app), -1); /* a file, not a bundle */

    ph_darwin_app_for("/usr/libexec/xpcproxy", "/Applications/Slack.app/Contents/MacOS/Slack", "xpcproxy",
                      bundle, sizeof bundle, app, sizeof app);
    CHECK_S(app, "Slack");
    CHECK_S(bundle, "/Applications/Slack.app");
    ph_darwin_app_for("/usr/sbin/cfprefsd", NULL, "cfprefsd", bundle, sizeof bundle, app, sizeof app);
    CHECK_S(app, "cfprefsd");
    CHECK_S(bundle, "");
    ph_darwin_app_for("", "", "kernel_task", bundle, sizeof bundle, app, sizeof app);
    CHECK_S(app, "kernel_task");
}

/* IOReport channels to domains and units (macmon, mactop: mJ, uJ or nJ per
 * channel on one machine; Ultra chips prefix DIE_n_). */
TEST(soc_energy_channels_and_units)
{
    CHECK_I(ph_soc_energy_domain("CPU Energy"), PH_PWR_CORE);
    CHECK_I(ph_soc_energy_domain("DIE_1_CPU Energy"), PH_PWR_CORE);
    CHECK_I(ph_soc_energy_domain("GPU Energy"), PH_PWR_GPU);
    CHECK_I(ph_soc_energy_domain("ANE0"), PH_PWR_ANE);
    CHECK_I(ph_soc_energy_domain("DRAM0"), PH_PWR_DRAM);
    CHECK_I(ph_soc_energy_domain("GPU SRAM0"), PH_PWR_DOMAINS);
    CHECK_I(ph_soc_energy_domain(NULL), PH_PWR_DOMAINS);
    CHECK_I(ph_soc_energy_nj(1500, "mJ"), 1500000000);
    CHECK_I(ph_soc_energy_nj(1500, "uJ"), 1500000);
    CHECK_I(ph_soc_energy_nj(1500, "\xc2\xb5J"), 1500000);
    CHECK_I(ph_soc_energy_nj(1500, "nJ"), 1500);
    CHECK_I(ph_soc_energy_nj(1500, "W"), -1);
    /* labels are trimmed first, as macmon, mactop and stats do */
    CHECK_I(ph_soc_energy_nj(1500, "mJ "), 1500000000);
    CHECK_I(ph_soc_energy_nj(1500, " uJ"), 1500000);
    CHECK_I(ph_soc_energy_nj(1500, "\tnJ\n"), 1500);
    CHECK_I(ph_soc_energy_nj(1500, "m J"), -1);
    CHECK_I(ph_soc_energy_nj(-3, "mJ"), -1); /* a reset across sleep */
    CHECK_I(ph_soc_energy_nj(INT64_MAX / 10, "mJ"), -1);
}

/* GPUPH residencies: busy outside OFF/IDLE/DOWN, clock weighted by the
 * pmgr table (its first pair skipped). */
TEST(soc_gpu_states_and_frequencies)
{
    unsigned char vs[4 * 8];
    memset(vs, 0, sizeof vs);
    uint32_t hz[4] = {0, 389000000, 648000000, 1398000000};
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            vs[i * 8 + b] = (unsigned char)(hz[i] >> (8 * b));
    uint32_t mhz[8];
    int n = ph_soc_gpu_freqs(vs, sizeof vs, mhz, 8);
    CHECK_I(n, 3);
    CHECK_I(mhz[0], 389);
    CHECK_I(mhz[2], 1398);
    CHECK_I(ph_soc_gpu_freqs(vs, 12, mhz, 8), 0); /* a truncated pair is not read */

    const char *names[] = {"OFF", "IDLE", "P1", "P2", "P3"};
    int64_t res[] = {500, 100, 200, 0, 200};
    int64_t busy, avg;
    CHECK_I(ph_soc_gpu_busy(names, res, 5, mhz, n, &busy, &avg), 0);
    CHECK_I(busy, 400);                              /* 400 of 1000 */
    CHECK_I(avg, 894);                               /* (200 x 389 + 200 x 1398) / 400 = 893.5 */
    CHECK_I(ph_soc_gpu_busy(names, res, 5, NULL, 0, &busy, &avg), 0);
    CHECK_I(avg, -1);
    int64_t zero[] = {0, 0, 0, 0, 0};
    CHECK_I(ph_soc_gpu_busy(names, zero, 5, mhz, n, &busy, &avg), -1);
    CHECK_I(busy, -1);
}

TEST(agx_creator_and_per_process_gpu_time)
{
    CHECK_I(ph_agx_creator_pid("pid 682, WindowServer"), 682);
    CHECK_I(ph_agx_creator_pid("pid 7"), 7);
    CHECK_I(ph_agx_creator_pid("pid , x"), -1);
    CHECK_I(ph_agx_creator_pid("682, WindowServer"), -1);
    CHECK_I(ph_agx_creator_pid("pid 99999999999, big"), -1);
    CHECK_I(ph_agx_creator_pid(NULL), -1);

    ph_agx a;
    memset(&a, 0, sizeof a);
    /* WindowServer has two clients, Safari one */
    ph_agx_begin(&a);
    ph_agx_note(&a, 1, 682, 1000);
    ph_agx_note(&a, 2, 682, 500);
    ph_agx_note(&a, 3, 900, 70);
    ph_agx_end(&a);
    CHECK_I(ph_agx_total(&a, 682), 1500);
    CHECK_I(ph_agx_total(&a, 900), 70);
    CHECK_I(ph_agx_total(&a, 1), -1);
    /* client 2 goes, client 1 grows, Safari's client drops (fewer ns) */
    ph_agx_begin(&a);
    ph_agx_note(&a, 1, 682, 1300);
    ph_agx_note(&a, 3, 900, 20);
    ph_agx_end(&a);
    CHECK_I(ph_agx_total(&a, 682), 1800); /* never less than before */
    CHECK_I(ph_agx_total(&a, 900), 70);   /* same registry entry: a new baseline, not 20 more */
    ph_agx_begin(&a);
    ph_agx_note(&a, 1, 682, 1300);
    ph_agx_note(&a, 3, 900, 50);
    ph_agx_end(&a);
    CHECK_I(ph_agx_total(&a, 900), 100);  /* growth from the new baseline */
    /* a reused client id for another process: all of its time is new */
    ph_agx_begin(&a);
    ph_agx_note(&a, 1, 682, 1300);
    ph_agx_note(&a, 3, 901, 40);
    ph_agx_end(&a);
    CHECK_I(ph_agx_total(&a, 901), 40);   /* the registry entry changed hands */
    CHECK_I(ph_agx_total(&a, 900), -1); /* no client left: forgotten */
    /* a new registry entry of a process that has one: all of it is new */
    ph_agx_begin(&a);
    ph_agx_note(&a, 1, 682, 1300);
    ph_agx_note(&a, 9, 682, 200);
    ph_agx_note(&a, 3, 901, 40);
    ph_agx_end(&a);
    CHECK_I(ph_agx_total(&a, 682), 2000);
    ph_agx_free(&a);
}
