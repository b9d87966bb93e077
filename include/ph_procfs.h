/*
 * ph_procfs.h: parsers for Linux /proc files. Each takes the bytes of one
 * file (not NUL-terminated necessarily) and fills a struct; none does I/O, so
 * they are tested on captured files and fuzzed. A field the file lacks is -1.
 * Return 0 when the file is well formed, -1 when it is not.
 */
#ifndef PH_PROCFS_H
#define PH_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#define PH_PF_KTHREAD 0x00200000UL

typedef struct ph_stat {
    int32_t pid;
    char comm[64];      /* between the first '(' and the LAST ')' */
    char state;
    int32_t ppid;
    uint64_t flags;
    uint64_t minflt, cminflt, majflt, cmajflt;
    uint64_t utime, stime;   /* clock ticks */
    uint64_t cutime, cstime; /* clock ticks, reaped children */
    int64_t priority, nice;
    int64_t num_threads;
    uint64_t starttime;      /* clock ticks after boot */
    uint64_t vsize;          /* bytes */
    int64_t rss;             /* pages */
} ph_stat;

typedef struct ph_status {
    int64_t uid;             /* real uid */
    int64_t vm_rss_kib, vm_hwm_kib;
    int64_t rss_anon_kib, rss_file_kib, rss_shmem_kib;
    int64_t threads;
    int64_t ctxsw_voluntary, ctxsw_involuntary; /* main thread only */
} ph_status;

typedef struct ph_io {
    int64_t rchar, wchar, syscr, syscw;
    int64_t read_bytes, write_bytes, cancelled_write_bytes;
} ph_io;

typedef struct ph_schedstat {
    uint64_t run_ns, wait_ns, slices; /* main thread only */
} ph_schedstat;

int ph_parse_stat(const char *buf, size_t len, ph_stat *out);
int ph_parse_status(const char *buf, size_t len, ph_status *out);
int ph_parse_io(const char *buf, size_t len, ph_io *out);
int ph_parse_schedstat(const char *buf, size_t len, ph_schedstat *out);
/* /proc/uptime: first field, seconds with two decimals, to ns. */
int ph_parse_uptime(const char *buf, size_t len, int64_t *ns);
/* /proc/stat: the btime line, seconds since the epoch. */
int ph_parse_btime(const char *buf, size_t len, int64_t *sec);
/* /proc/loadavg: its last field, the last PID allocated in the reader's
 * PID namespace (threads included), "0.00 0.01 0.05 1/123 4567\n". */
int ph_parse_loadavg_last_pid(const char *buf, size_t len, int64_t *pid);

/* A DRM client's fdinfo (Documentation/gpu/drm-usage-stats.rst). */
typedef struct ph_drm_fdinfo {
    char driver[32];
    char pdev[32];
    int64_t client_id;    /* -1 when absent */
    int64_t engine_ns;    /* sum of drm-engine-<e> busy ns; -1 when none */
    int64_t resident_bytes; /* sum of drm-resident-* (else drm-memory-*); -1 when none */
    int64_t legacy_memory_bytes; /* sum of drm-memory-* alone; -1 when none */
} ph_drm_fdinfo;
/* 0 when the file is a DRM client's (has drm-driver), -1 otherwise. */
int ph_parse_drm_fdinfo(const char *buf, size_t len, ph_drm_fdinfo *out);

/* Basename of an exe link target, " (deleted)" stripped; 0 on success. */
int ph_exe_basename(const char *target, char *out, size_t outlen);
/* Whether an executable's basename is a shell's or a script language's
 * (sh, bash, dash, python3.11, perl, node, ...): a process running it
 * under another command name runs a script, which the kernel named comm
 * after (fs/exec.c: the new comm is the basename of the file exec'd, the
 * script, not the interpreter binfmt_script loads for it). */
int ph_exe_is_interpreter(const char *base);

#endif
