-- prochist schema 16: the hour tier keeps the cgroup keys' groups, as it
-- keeps apps (app_hour), so `top --by unit|slice|container|cgroup` over a
-- month reads a few rows per hour instead of every process's.
--
-- One row per hour bucket, key dimension and key that had processes in it,
-- with the same columns as app_hour: the largest sum of the group's memory
-- at the end of one of the hour's minute buckets (mem_peak_bytes, when, the
-- process whose growth reached it), the sum at the hour's end, the most
-- processes alive at once, the hour's sums of the counters. A process is in
-- the group of the cgroup it was last seen in when its hour was rolled up
-- (a process moved later stays in the old group in hours already written).
-- Idle, unchanged groups have no row between keyframes (each whole day),
-- where every group alive has one. Written by src/db/rollup.c from the
-- minute rows with the query engine's grouping (src/db/replay.c), so the
-- hour rows say what the minute rows say; pruned with the hour tier.
--
-- meta group_hour_from: the first hour bucket written with group rows
-- (hours rolled up before this upgrade have none: queries read their
-- process rows).

CREATE TABLE group_hour (
    bucket_ns           INTEGER NOT NULL,
    dim                 TEXT NOT NULL,      -- 'unit', 'slice', 'container' or 'cgroup'
    key                 TEXT NOT NULL,      -- the unit, slice, full container id or path; '-' none
    procs               INTEGER NOT NULL,   -- most processes of the group alive at once
    mem_peak_bytes      INTEGER,
    mem_peak_ns         INTEGER,            -- time of the peak (a minute bucket's end)
    mem_peak_proc       INTEGER,            -- the process whose growth reached it
    mem_last_bytes      INTEGER,
    cpu_user_ns         INTEGER,            -- sums over the group's processes
    cpu_system_ns       INTEGER,
    disk_read_bytes     INTEGER,
    disk_write_bytes    INTEGER,
    energy_nj           INTEGER,
    wakeups             INTEGER,
    PRIMARY KEY (bucket_ns, dim, key)
) WITHOUT ROWID;

INSERT OR REPLACE INTO meta (key, value)
SELECT 'group_hour_from', coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hour_done'), 0);

-- For people: CPU per systemd unit and hour, from the group rows.
CREATE VIEW v_group_hour AS
SELECT strftime('%Y-%m-%d %H:00', bucket_ns / 1e9, 'unixepoch') AS hour_utc,
       bucket_ns, dim, key, procs,
       round((coalesce(cpu_user_ns, 0) + coalesce(cpu_system_ns, 0)) / 1e9, 3) AS cpu_s,
       round(mem_peak_bytes / 1048576.0, 1) AS mem_peak_mib,
       disk_read_bytes, disk_write_bytes
FROM group_hour;
