-- prochist schema 8: exit records. proc_sample.kind 4 ('exit') is a row made
-- from the kernel's record of a process's exit (Linux taskstats, when the
-- recorder runs as root): its counters since its previous row, or since its
-- birth when it lived between two samples (then it is its only row). Such a
-- process has no executable path (it was gone before it could be read): its
-- app is its command name.

DROP VIEW v_proc_sample;
CREATE VIEW v_proc_sample AS
SELECT strftime('%Y-%m-%d %H:%M:%f', s.ts_ns / 1e9, 'unixepoch') AS time_utc,
       p.pid, p.name, p.app, p.uid,
       CASE ps.kind WHEN 0 THEN 'delta' WHEN 1 THEN 'born'
                    WHEN 2 THEN 'baseline' WHEN 3 THEN 'keyframe'
                    WHEN 4 THEN 'exit' END AS kind,
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
