-- prochist schema 13: control groups (Linux). Each distinct pair of cgroup
-- paths a process was seen in is one row of `cgroup`, with the grouping
-- keys derived from it (include/ph_cgroup.h, docs/cgroups.md); a process
-- row references the one it was last seen in (read at first sight and on
-- every keyframe). NULL: not read (macOS, an unreadable /proc/PID/cgroup, a
-- process known only by its exit record, or recorded before schema 13).

CREATE TABLE cgroup (
    cgroup          INTEGER PRIMARY KEY,
    path            TEXT NOT NULL, -- the path the keys come from (v2, else name=systemd)
    path_v2         TEXT,          -- the "0::" line's path; NULL: none
    path_v1         TEXT,          -- the "name=systemd" line's path; NULL: none
    unit            TEXT NOT NULL, -- systemd unit, "user@UID/<unit>" in a user manager; '-' none
    slice           TEXT NOT NULL, -- innermost slice around it; '-' none
    container       TEXT,          -- short id (what tables show); NULL none
    container_id    TEXT,          -- the full container id, or the pod UID
    runtime         TEXT,          -- docker, podman, containerd, crio, cri, kubepods
    pod             TEXT           -- Kubernetes pod UID
);
-- Once per distinct pair ('' is never a cgroup path: they start with '/').
CREATE UNIQUE INDEX cgroup_paths ON cgroup (ifnull(path_v2, ''), ifnull(path_v1, ''));

ALTER TABLE process ADD COLUMN cgroup INTEGER REFERENCES cgroup(cgroup);

-- A process with its keys.
CREATE VIEW v_proc_cgroup AS
SELECT p.proc, p.pid, p.name, p.app, p.uid,
       c.unit, c.slice, c.container, c.container_id, c.runtime, c.pod,
       c.path AS cgroup_path
FROM process p
LEFT JOIN cgroup c ON c.cgroup = p.cgroup;

-- Per process and hour (the hour tier, kept 400 days) with its keys:
-- sum cpu_s over unit, slice or container for any window of whole hours.
CREATE VIEW v_cgroup_hour AS
SELECT strftime('%Y-%m-%d %H:00', h.bucket_ns / 1e9, 'unixepoch') AS hour_utc,
       h.bucket_ns, h.proc, pc.pid, pc.name, pc.app,
       pc.unit, pc.slice, pc.container, pc.container_id, pc.cgroup_path,
       (h.cpu_user_ns + h.cpu_system_ns) / 1e9 AS cpu_s,
       h.disk_read_bytes, h.disk_write_bytes,
       h.peak_resident_bytes / 1048576.0 AS peak_resident_mib
FROM proc_hour h
JOIN v_proc_cgroup pc USING (proc);

-- Per process and raw sample (the raw tier, kept 2 days) with its keys.
CREATE VIEW v_cgroup_sample AS
SELECT strftime('%Y-%m-%d %H:%M:%f', s.ts_ns / 1e9, 'unixepoch') AS time_utc,
       s.ts_ns, ps.sample, ps.proc, pc.pid, pc.name, pc.app,
       pc.unit, pc.slice, pc.container, pc.container_id, pc.cgroup_path,
       (ps.cpu_user_ns + ps.cpu_system_ns) / 1e9 AS cpu_s,
       ps.disk_read_bytes, ps.disk_write_bytes,
       ps.resident_bytes / 1048576.0 AS resident_mib
FROM proc_sample ps
JOIN sample s USING (sample)
JOIN v_proc_cgroup pc USING (proc);
