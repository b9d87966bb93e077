-- prochist schema, version 1. Documented in docs/schema.md; this file is
-- compiled into the binary and applied once, by PRAGMA user_version.
--
-- Times are integers in ns: ts_ns is wall clock UTC since 1970, boot_ns is the
-- boot clock (counts suspend). Counters are deltas over the interval a row
-- covers; gauges are values at the sample. Units are in the column names.
-- NULL means "not measured" (the platform lacks it or it was not readable),
-- never zero.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
) WITHOUT ROWID;

-- One row per boot of the machine: process ids and start keys are only
-- unique within one boot.
CREATE TABLE boot (
    boot         INTEGER PRIMARY KEY,
    boot_uuid    TEXT NOT NULL UNIQUE,
    boot_wall_ns INTEGER
);

-- One row per recorder tick.
CREATE TABLE sample (
    sample          INTEGER PRIMARY KEY,
    ts_ns           INTEGER NOT NULL,
    boot            INTEGER NOT NULL REFERENCES boot(boot),
    boot_ns         INTEGER NOT NULL,
    interval_ns     INTEGER,            -- since the previous sample of this boot; NULL for none
    keyframe        INTEGER NOT NULL,   -- 1: every live process has a row in this sample
    procs           INTEGER NOT NULL,   -- processes read
    procs_denied    INTEGER NOT NULL,   -- of which some source was refused (permission)
    rows_written    INTEGER NOT NULL,
    recorder_cpu_ns INTEGER             -- CPU the recorder used since its previous sample
);
CREATE INDEX sample_ts ON sample(ts_ns);

-- One row per process identity: (boot, pid, start_key). A reused pid is a
-- new row. name/exe/app follow the last exec seen.
CREATE TABLE process (
    proc      INTEGER PRIMARY KEY,
    boot      INTEGER NOT NULL REFERENCES boot(boot),
    pid       INTEGER NOT NULL,
    start_key INTEGER NOT NULL,         -- Linux: starttime in clock ticks after boot
    start_ns  INTEGER,                  -- wall clock of birth (approximate)
    ppid      INTEGER,
    uid       INTEGER,
    name      TEXT NOT NULL,            -- short command name
    exe       TEXT,                     -- executable path, when readable
    app       TEXT NOT NULL,            -- grouping key for "by app"
    first_ns  INTEGER NOT NULL,         -- ts_ns of the first sample that saw it
    gone_ns   INTEGER,                  -- ts_ns of the first sample that found it gone
    UNIQUE (boot, pid, start_key)
);

-- Per process and sample. Written when the process ran (kind 0), at first
-- sight (1 born: counters since birth; 2 baseline: gauges only), and for idle
-- processes on keyframe samples (3: gauges only). An idle process's gauges
-- hold from its last row until its next one.
CREATE TABLE proc_sample (
    sample               INTEGER NOT NULL,
    proc                 INTEGER NOT NULL,
    kind                 INTEGER NOT NULL,
    cpu_user_ns          INTEGER,
    cpu_system_ns        INTEGER,
    runnable_ns          INTEGER,
    faults_minor         INTEGER,
    faults_major         INTEGER,
    ctxsw_voluntary      INTEGER,
    ctxsw_involuntary    INTEGER,
    disk_read_bytes      INTEGER,
    disk_write_bytes     INTEGER,
    syscall_read_bytes   INTEGER,
    syscall_write_bytes  INTEGER,
    syscalls_read        INTEGER,
    syscalls_write       INTEGER,
    wakeups              INTEGER,
    energy_nj            INTEGER,
    resident_bytes       INTEGER,
    resident_anon_bytes  INTEGER,
    resident_file_bytes  INTEGER,
    resident_shmem_bytes INTEGER,
    footprint_bytes      INTEGER,
    peak_resident_bytes  INTEGER,
    virtual_bytes        INTEGER,
    threads              INTEGER,
    PRIMARY KEY (sample, proc)
) WITHOUT ROWID;

-- The tracker's state: cumulative values last read of each live process,
-- kept with every sample so a restarted recorder continues the same deltas.
CREATE TABLE resume (
    proc                 INTEGER PRIMARY KEY,
    pid                  INTEGER NOT NULL,
    start_key            INTEGER NOT NULL,
    quick_sig            INTEGER NOT NULL,
    name                 TEXT NOT NULL,
    cpu_user_ns          INTEGER,
    cpu_system_ns        INTEGER,
    runnable_ns          INTEGER,
    faults_minor         INTEGER,
    faults_major         INTEGER,
    ctxsw_voluntary      INTEGER,
    ctxsw_involuntary    INTEGER,
    disk_read_bytes      INTEGER,
    disk_write_bytes     INTEGER,
    syscall_read_bytes   INTEGER,
    syscall_write_bytes  INTEGER,
    syscalls_read        INTEGER,
    syscalls_write       INTEGER,
    wakeups              INTEGER,
    energy_nj            INTEGER,
    resident_bytes       INTEGER,
    resident_anon_bytes  INTEGER,
    resident_file_bytes  INTEGER,
    resident_shmem_bytes INTEGER,
    footprint_bytes      INTEGER,
    peak_resident_bytes  INTEGER,
    virtual_bytes        INTEGER,
    threads              INTEGER
);

-- Views for people: human units, readable times (UTC).

CREATE VIEW v_sample AS
SELECT sample,
       strftime('%Y-%m-%d %H:%M:%f', ts_ns / 1e9, 'unixepoch') AS time_utc,
       interval_ns / 1e9      AS interval_s,
       keyframe,
       procs,
       procs_denied,
       rows_written,
       recorder_cpu_ns / 1e6  AS recorder_cpu_ms
FROM sample;

CREATE VIEW v_process AS
SELECT proc, pid, ppid, uid, name, app, exe,
       strftime('%Y-%m-%d %H:%M:%S', start_ns / 1e9, 'unixepoch') AS started_utc,
       strftime('%Y-%m-%d %H:%M:%S', first_ns / 1e9, 'unixepoch') AS first_seen_utc,
       strftime('%Y-%m-%d %H:%M:%S', gone_ns / 1e9, 'unixepoch')  AS gone_utc
FROM process;

CREATE VIEW v_proc_sample AS
SELECT strftime('%Y-%m-%d %H:%M:%f', s.ts_ns / 1e9, 'unixepoch') AS time_utc,
       p.pid, p.name, p.app, p.uid,
       CASE ps.kind WHEN 0 THEN 'delta' WHEN 1 THEN 'born'
                    WHEN 2 THEN 'baseline' ELSE 'keyframe' END AS kind,
       (ps.cpu_user_ns + ps.cpu_system_ns) / 1e9 AS cpu_s,
       ps.disk_read_bytes,
       ps.disk_write_bytes,
       ps.energy_nj / 1e9                        AS energy_j,
       ps.wakeups,
       ps.resident_bytes / 1048576.0             AS resident_mib,
       ps.footprint_bytes / 1048576.0            AS footprint_mib,
       ps.peak_resident_bytes / 1048576.0        AS peak_resident_mib,
       ps.threads,
       ps.sample, ps.proc
FROM proc_sample ps
JOIN sample s USING (sample)
JOIN process p USING (proc);
