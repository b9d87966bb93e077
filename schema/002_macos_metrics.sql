-- prochist schema 2: the remaining macOS metrics (QoS CPU time, wakeups,
-- instructions, cycles, energy, Mach counters, footprint maxima), Linux
-- scheduling gauges (priority, nice, state), and what `--by app` needs on
-- macOS to be recomputed later (bundle, coalition, responsible pid).
-- Columns are appended: older rows read them as NULL (not measured).

ALTER TABLE proc_sample ADD COLUMN cpu_qos_default_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN cpu_qos_maintenance_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN cpu_qos_background_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN cpu_qos_utility_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN cpu_qos_legacy_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN cpu_qos_user_initiated_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN cpu_qos_user_interactive_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN billed_system_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN serviced_system_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN wakeups_pkg_idle INTEGER;
ALTER TABLE proc_sample ADD COLUMN wakeups_interrupt INTEGER;
ALTER TABLE proc_sample ADD COLUMN pageins INTEGER;
ALTER TABLE proc_sample ADD COLUMN faults_total INTEGER;
ALTER TABLE proc_sample ADD COLUMN faults_cow INTEGER;
ALTER TABLE proc_sample ADD COLUMN logical_write_bytes INTEGER;
ALTER TABLE proc_sample ADD COLUMN instructions INTEGER;
ALTER TABLE proc_sample ADD COLUMN cycles INTEGER;
ALTER TABLE proc_sample ADD COLUMN energy_billed_nj INTEGER;
ALTER TABLE proc_sample ADD COLUMN ctxsw_total INTEGER;
ALTER TABLE proc_sample ADD COLUMN syscalls_mach INTEGER;
ALTER TABLE proc_sample ADD COLUMN syscalls_unix INTEGER;
ALTER TABLE proc_sample ADD COLUMN messages_sent INTEGER;
ALTER TABLE proc_sample ADD COLUMN messages_received INTEGER;
ALTER TABLE proc_sample ADD COLUMN wired_bytes INTEGER;
ALTER TABLE proc_sample ADD COLUMN footprint_lifetime_max_bytes INTEGER;
ALTER TABLE proc_sample ADD COLUMN footprint_interval_max_bytes INTEGER;
ALTER TABLE proc_sample ADD COLUMN threads_running INTEGER;
ALTER TABLE proc_sample ADD COLUMN priority INTEGER;
ALTER TABLE proc_sample ADD COLUMN nice INTEGER;
ALTER TABLE proc_sample ADD COLUMN state INTEGER;

ALTER TABLE resume ADD COLUMN cpu_qos_default_ns INTEGER;
ALTER TABLE resume ADD COLUMN cpu_qos_maintenance_ns INTEGER;
ALTER TABLE resume ADD COLUMN cpu_qos_background_ns INTEGER;
ALTER TABLE resume ADD COLUMN cpu_qos_utility_ns INTEGER;
ALTER TABLE resume ADD COLUMN cpu_qos_legacy_ns INTEGER;
ALTER TABLE resume ADD COLUMN cpu_qos_user_initiated_ns INTEGER;
ALTER TABLE resume ADD COLUMN cpu_qos_user_interactive_ns INTEGER;
ALTER TABLE resume ADD COLUMN billed_system_ns INTEGER;
ALTER TABLE resume ADD COLUMN serviced_system_ns INTEGER;
ALTER TABLE resume ADD COLUMN wakeups_pkg_idle INTEGER;
ALTER TABLE resume ADD COLUMN wakeups_interrupt INTEGER;
ALTER TABLE resume ADD COLUMN pageins INTEGER;
ALTER TABLE resume ADD COLUMN faults_total INTEGER;
ALTER TABLE resume ADD COLUMN faults_cow INTEGER;
ALTER TABLE resume ADD COLUMN logical_write_bytes INTEGER;
ALTER TABLE resume ADD COLUMN instructions INTEGER;
ALTER TABLE resume ADD COLUMN cycles INTEGER;
ALTER TABLE resume ADD COLUMN energy_billed_nj INTEGER;
ALTER TABLE resume ADD COLUMN ctxsw_total INTEGER;
ALTER TABLE resume ADD COLUMN syscalls_mach INTEGER;
ALTER TABLE resume ADD COLUMN syscalls_unix INTEGER;
ALTER TABLE resume ADD COLUMN messages_sent INTEGER;
ALTER TABLE resume ADD COLUMN messages_received INTEGER;
ALTER TABLE resume ADD COLUMN wired_bytes INTEGER;
ALTER TABLE resume ADD COLUMN footprint_lifetime_max_bytes INTEGER;
ALTER TABLE resume ADD COLUMN footprint_interval_max_bytes INTEGER;
ALTER TABLE resume ADD COLUMN threads_running INTEGER;
ALTER TABLE resume ADD COLUMN priority INTEGER;
ALTER TABLE resume ADD COLUMN nice INTEGER;
ALTER TABLE resume ADD COLUMN state INTEGER;

ALTER TABLE process ADD COLUMN bundle TEXT;          -- outermost .app bundle path (macOS)
ALTER TABLE process ADD COLUMN coalition INTEGER;     -- resource coalition id (macOS)
ALTER TABLE process ADD COLUMN responsible_pid INTEGER; -- responsible process (macOS)

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
       char(ps.state)                            AS state
FROM proc_sample ps
JOIN sample s USING (sample)
JOIN process p USING (proc);
