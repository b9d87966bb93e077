-- prochist schema 7: per-process GPU time. gpu_ns is the busy time of the
-- process's DRM clients (Linux /proc/PID/fdinfo drm-engine-* keys, summed over
-- engines, each client counted once even when several fds share it), as a
-- delta like every counter.

ALTER TABLE proc_sample ADD COLUMN gpu_ns INTEGER;
ALTER TABLE resume ADD COLUMN gpu_ns INTEGER;
ALTER TABLE proc_minute ADD COLUMN gpu_ns INTEGER;
ALTER TABLE proc_hour ADD COLUMN gpu_ns INTEGER;

-- v_proc_sample gains its last two columns: energy_est_j (schema 6) and
-- gpu_s. Columns are only ever appended, so SELECTs that name them keep
-- working.
DROP VIEW v_proc_sample;
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
       ps.sample, ps.proc,
       ps.instructions,
       ps.cycles,
       ps.nice,
       char(ps.state)                            AS state,
       ps.energy_est_nj / 1e9                    AS energy_est_j,
       ps.gpu_ns / 1e9                           AS gpu_s
FROM proc_sample ps
JOIN sample s USING (sample)
JOIN process p USING (proc);
