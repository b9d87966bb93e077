-- prochist schema 3: retention tiers. Raw samples (sample, proc_sample) are
-- rolled up into per-minute and per-hour buckets, per process identity, per
-- app, and for the samples themselves. A bucket starting at bucket_ns covers
-- samples with bucket_ns < ts_ns <= bucket_ns + width (60 s or 3600 s).
--
-- proc_*: counters hold the SUM of the raw deltas (so totals are equal in
-- every tier); gauges hold their MAXIMUM over the bucket; mem_last_bytes is
-- the memory value (footprint, else resident) at the end of the bucket and
-- mem_avg_bytes its time-weighted mean while the process was alive. Rows are
-- written for processes that ran, were first seen, or whose memory changed;
-- on keyframe buckets (minute tier: the first minute of each hour; hour
-- tier: the first hour of each day, UTC) for every live process. Between
-- its rows a process's memory holds at mem_last_bytes.
--
-- app_*: the app's memory as the sum of its live processes at each sample:
-- mem_peak_bytes is the largest such sum in the bucket (exact, computed from
-- the finer tier), mem_last_bytes the sum at the end; and the sums of the
-- main counters over its processes, so long windows by app read a few rows
-- per bucket. Written when the app ran or its memory changed, and on
-- keyframe buckets for every live app.
--
-- sample_*: how many samples and how much recorded time each bucket holds.

CREATE TABLE proc_minute (
    bucket_ns      INTEGER NOT NULL,
    proc           INTEGER NOT NULL,
    rows           INTEGER NOT NULL,   -- finer-tier rows aggregated
    active         INTEGER NOT NULL,   -- 1: ran, was first seen, or changed memory
    mem_last_bytes INTEGER,
    mem_avg_bytes  INTEGER,
    cpu_user_ns                    INTEGER,
    cpu_system_ns                  INTEGER,
    runnable_ns                    INTEGER,
    faults_minor                   INTEGER,
    faults_major                   INTEGER,
    ctxsw_voluntary                INTEGER,
    ctxsw_involuntary              INTEGER,
    disk_read_bytes                INTEGER,
    disk_write_bytes               INTEGER,
    syscall_read_bytes             INTEGER,
    syscall_write_bytes            INTEGER,
    syscalls_read                  INTEGER,
    syscalls_write                 INTEGER,
    wakeups                        INTEGER,
    energy_nj                      INTEGER,
    resident_bytes                 INTEGER,
    resident_anon_bytes            INTEGER,
    resident_file_bytes            INTEGER,
    resident_shmem_bytes           INTEGER,
    footprint_bytes                INTEGER,
    peak_resident_bytes            INTEGER,
    virtual_bytes                  INTEGER,
    threads                        INTEGER,
    cpu_qos_default_ns             INTEGER,
    cpu_qos_maintenance_ns         INTEGER,
    cpu_qos_background_ns          INTEGER,
    cpu_qos_utility_ns             INTEGER,
    cpu_qos_legacy_ns              INTEGER,
    cpu_qos_user_initiated_ns      INTEGER,
    cpu_qos_user_interactive_ns    INTEGER,
    billed_system_ns               INTEGER,
    serviced_system_ns             INTEGER,
    wakeups_pkg_idle               INTEGER,
    wakeups_interrupt              INTEGER,
    pageins                        INTEGER,
    faults_total                   INTEGER,
    faults_cow                     INTEGER,
    logical_write_bytes            INTEGER,
    instructions                   INTEGER,
    cycles                         INTEGER,
    energy_billed_nj               INTEGER,
    ctxsw_total                    INTEGER,
    syscalls_mach                  INTEGER,
    syscalls_unix                  INTEGER,
    messages_sent                  INTEGER,
    messages_received              INTEGER,
    wired_bytes                    INTEGER,
    footprint_lifetime_max_bytes   INTEGER,
    footprint_interval_max_bytes   INTEGER,
    threads_running                INTEGER,
    priority                       INTEGER,
    nice                           INTEGER,
    state                          INTEGER,
    PRIMARY KEY (bucket_ns, proc)
) WITHOUT ROWID;

CREATE TABLE proc_hour (
    bucket_ns      INTEGER NOT NULL,
    proc           INTEGER NOT NULL,
    rows           INTEGER NOT NULL,   -- finer-tier rows aggregated
    active         INTEGER NOT NULL,   -- 1: ran, was first seen, or changed memory
    mem_last_bytes INTEGER,
    mem_avg_bytes  INTEGER,
    cpu_user_ns                    INTEGER,
    cpu_system_ns                  INTEGER,
    runnable_ns                    INTEGER,
    faults_minor                   INTEGER,
    faults_major                   INTEGER,
    ctxsw_voluntary                INTEGER,
    ctxsw_involuntary              INTEGER,
    disk_read_bytes                INTEGER,
    disk_write_bytes               INTEGER,
    syscall_read_bytes             INTEGER,
    syscall_write_bytes            INTEGER,
    syscalls_read                  INTEGER,
    syscalls_write                 INTEGER,
    wakeups                        INTEGER,
    energy_nj                      INTEGER,
    resident_bytes                 INTEGER,
    resident_anon_bytes            INTEGER,
    resident_file_bytes            INTEGER,
    resident_shmem_bytes           INTEGER,
    footprint_bytes                INTEGER,
    peak_resident_bytes            INTEGER,
    virtual_bytes                  INTEGER,
    threads                        INTEGER,
    cpu_qos_default_ns             INTEGER,
    cpu_qos_maintenance_ns         INTEGER,
    cpu_qos_background_ns          INTEGER,
    cpu_qos_utility_ns             INTEGER,
    cpu_qos_legacy_ns              INTEGER,
    cpu_qos_user_initiated_ns      INTEGER,
    cpu_qos_user_interactive_ns    INTEGER,
    billed_system_ns               INTEGER,
    serviced_system_ns             INTEGER,
    wakeups_pkg_idle               INTEGER,
    wakeups_interrupt              INTEGER,
    pageins                        INTEGER,
    faults_total                   INTEGER,
    faults_cow                     INTEGER,
    logical_write_bytes            INTEGER,
    instructions                   INTEGER,
    cycles                         INTEGER,
    energy_billed_nj               INTEGER,
    ctxsw_total                    INTEGER,
    syscalls_mach                  INTEGER,
    syscalls_unix                  INTEGER,
    messages_sent                  INTEGER,
    messages_received              INTEGER,
    wired_bytes                    INTEGER,
    footprint_lifetime_max_bytes   INTEGER,
    footprint_interval_max_bytes   INTEGER,
    threads_running                INTEGER,
    priority                       INTEGER,
    nice                           INTEGER,
    state                          INTEGER,
    PRIMARY KEY (bucket_ns, proc)
) WITHOUT ROWID;

CREATE TABLE app_minute (
    bucket_ns           INTEGER NOT NULL,
    app                 TEXT NOT NULL,
    procs               INTEGER NOT NULL,   -- most processes of the app alive at once
    mem_peak_bytes      INTEGER,
    mem_peak_ns         INTEGER,            -- sample time of the peak
    mem_peak_proc       INTEGER,            -- the process whose growth reached it
    mem_last_bytes      INTEGER,
    cpu_user_ns         INTEGER,            -- sums over the app's processes
    cpu_system_ns       INTEGER,
    disk_read_bytes     INTEGER,
    disk_write_bytes    INTEGER,
    energy_nj           INTEGER,
    wakeups             INTEGER,
    PRIMARY KEY (bucket_ns, app)
) WITHOUT ROWID;

CREATE TABLE app_hour (
    bucket_ns           INTEGER NOT NULL,
    app                 TEXT NOT NULL,
    procs               INTEGER NOT NULL,   -- most processes of the app alive at once
    mem_peak_bytes      INTEGER,
    mem_peak_ns         INTEGER,            -- sample time of the peak
    mem_peak_proc       INTEGER,            -- the process whose growth reached it
    mem_last_bytes      INTEGER,
    cpu_user_ns         INTEGER,            -- sums over the app's processes
    cpu_system_ns       INTEGER,
    disk_read_bytes     INTEGER,
    disk_write_bytes    INTEGER,
    energy_nj           INTEGER,
    wakeups             INTEGER,
    PRIMARY KEY (bucket_ns, app)
) WITHOUT ROWID;

CREATE TABLE sample_minute (
    bucket_ns        INTEGER PRIMARY KEY,
    samples          INTEGER NOT NULL,
    covered_ns       INTEGER NOT NULL,   -- sum of the samples' intervals
    procs_max        INTEGER,
    procs_denied_max INTEGER,
    recorder_cpu_ns  INTEGER
);

CREATE TABLE sample_hour (
    bucket_ns        INTEGER PRIMARY KEY,
    samples          INTEGER NOT NULL,
    covered_ns       INTEGER NOT NULL,   -- sum of the samples' intervals
    procs_max        INTEGER,
    procs_denied_max INTEGER,
    recorder_cpu_ns  INTEGER
);

-- Views for people.
CREATE VIEW v_app_hour AS
SELECT strftime('%Y-%m-%d %H:00', bucket_ns / 1e9, 'unixepoch') AS hour_utc,
       app,
       procs,
       round((coalesce(cpu_user_ns, 0) + coalesce(cpu_system_ns, 0)) / 1e9, 3) AS cpu_s,
       round(mem_peak_bytes / 1048576.0, 1) AS mem_peak_mib,
       disk_read_bytes,
       disk_write_bytes,
       energy_nj / 1e9 AS energy_j,
       wakeups
FROM app_hour;

CREATE VIEW v_tier AS
SELECT 'raw' AS tier, count(*) AS buckets,
       strftime('%Y-%m-%d %H:%M:%S', min(ts_ns) / 1e9, 'unixepoch') AS oldest_utc,
       strftime('%Y-%m-%d %H:%M:%S', max(ts_ns) / 1e9, 'unixepoch') AS newest_utc
FROM sample
UNION ALL
SELECT 'minute', count(*), strftime('%Y-%m-%d %H:%M:%S', min(bucket_ns) / 1e9, 'unixepoch'),
       strftime('%Y-%m-%d %H:%M:%S', max(bucket_ns) / 1e9 + 60, 'unixepoch')
FROM sample_minute
UNION ALL
SELECT 'hour', count(*), strftime('%Y-%m-%d %H:%M:%S', min(bucket_ns) / 1e9, 'unixepoch'),
       strftime('%Y-%m-%d %H:%M:%S', max(bucket_ns) / 1e9 + 3600, 'unixepoch')
FROM sample_hour;
