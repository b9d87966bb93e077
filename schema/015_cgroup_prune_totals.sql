-- prochist schema 15: a cgroup row lives as long as a process row
-- references it. Retention deletes processes (src/db/rollup.c) and a
-- keyframe may move a process to another cgroup; the row nothing references
-- any more goes in the same statement (a trigger), so a reader's snapshot
-- never has a process whose cgroup row is missing, nor a cgroup no process
-- is in. The index makes "is it still referenced" one lookup per process.

CREATE INDEX process_cgroup ON process (cgroup) WHERE cgroup IS NOT NULL;

CREATE TRIGGER process_delete_cgroup AFTER DELETE ON process
WHEN old.cgroup IS NOT NULL
BEGIN
    DELETE FROM cgroup WHERE cgroup = old.cgroup
        AND NOT EXISTS (SELECT 1 FROM process WHERE cgroup = old.cgroup);
END;

CREATE TRIGGER process_move_cgroup AFTER UPDATE OF cgroup ON process
WHEN old.cgroup IS NOT NULL AND old.cgroup IS NOT new.cgroup
BEGIN
    DELETE FROM cgroup WHERE cgroup = old.cgroup
        AND NOT EXISTS (SELECT 1 FROM process WHERE cgroup = old.cgroup);
END;

-- What schema 13 left behind: rows of processes already pruned or moved.
DELETE FROM cgroup WHERE cgroup NOT IN (SELECT cgroup FROM process WHERE cgroup IS NOT NULL);

-- Monotonic totals per unit, slice and container, for `export --by` (a
-- Prometheus counter must only grow, while tiers and processes are pruned;
-- as app_total, schema 5). Added as each minute bucket is rolled up, under
-- the cgroup its process is in then (none: '-'), so they run up to two
-- minutes behind the app totals; never pruned; counted from this upgrade on
-- (no backfill).
CREATE TABLE cgroup_total (
    dim              TEXT NOT NULL,    -- 'unit', 'slice' or 'container'
    key              TEXT NOT NULL,    -- the unit, the slice, the full container id; '-' none
    label            TEXT NOT NULL,    -- what export shows: the key, a container's short id
    cpu_user_ns      INTEGER NOT NULL DEFAULT 0,
    cpu_system_ns    INTEGER NOT NULL DEFAULT 0,
    disk_read_bytes  INTEGER NOT NULL DEFAULT 0,
    disk_write_bytes INTEGER NOT NULL DEFAULT 0,
    first_ns         INTEGER NOT NULL, -- first minute bucket that added to it
    last_ns          INTEGER NOT NULL, -- last minute bucket that added to it
    PRIMARY KEY (dim, key)
) WITHOUT ROWID;

-- A minute row written again (INSERT OR REPLACE) takes its old values back
-- first, so nothing is counted twice.
CREATE TRIGGER proc_minute_total_undo BEFORE INSERT ON proc_minute
WHEN EXISTS (SELECT 1 FROM proc_minute WHERE bucket_ns = new.bucket_ns AND proc = new.proc)
BEGIN
    INSERT INTO cgroup_total (dim, key, label, cpu_user_ns, cpu_system_ns, disk_read_bytes, disk_write_bytes,
                              first_ns, last_ns)
    SELECT d.dim,
           CASE d.dim WHEN 'unit' THEN ifnull(c.unit, '-') WHEN 'slice' THEN ifnull(c.slice, '-')
                      ELSE ifnull(c.container_id, '-') END,
           CASE d.dim WHEN 'unit' THEN ifnull(c.unit, '-') WHEN 'slice' THEN ifnull(c.slice, '-')
                      ELSE ifnull(c.container, '-') END,
           -ifnull(m.cpu_user_ns, 0), -ifnull(m.cpu_system_ns, 0),
           -ifnull(m.disk_read_bytes, 0), -ifnull(m.disk_write_bytes, 0), m.bucket_ns, m.bucket_ns
    FROM (SELECT 'unit' AS dim UNION ALL SELECT 'slice' UNION ALL SELECT 'container') AS d
    JOIN proc_minute m ON m.bucket_ns = new.bucket_ns AND m.proc = new.proc
    LEFT JOIN process p ON p.proc = m.proc
    LEFT JOIN cgroup c ON c.cgroup = p.cgroup
    WHERE 1
    ON CONFLICT (dim, key) DO UPDATE SET
        cpu_user_ns = cpu_user_ns + excluded.cpu_user_ns,
        cpu_system_ns = cpu_system_ns + excluded.cpu_system_ns,
        disk_read_bytes = disk_read_bytes + excluded.disk_read_bytes,
        disk_write_bytes = disk_write_bytes + excluded.disk_write_bytes;
END;

CREATE TRIGGER proc_minute_total AFTER INSERT ON proc_minute
WHEN ifnull(new.cpu_user_ns, 0) <> 0 OR ifnull(new.cpu_system_ns, 0) <> 0
  OR ifnull(new.disk_read_bytes, 0) <> 0 OR ifnull(new.disk_write_bytes, 0) <> 0
BEGIN
    INSERT INTO cgroup_total (dim, key, label, cpu_user_ns, cpu_system_ns, disk_read_bytes, disk_write_bytes,
                              first_ns, last_ns)
    SELECT d.dim,
           CASE d.dim WHEN 'unit' THEN ifnull(c.unit, '-') WHEN 'slice' THEN ifnull(c.slice, '-')
                      ELSE ifnull(c.container_id, '-') END,
           CASE d.dim WHEN 'unit' THEN ifnull(c.unit, '-') WHEN 'slice' THEN ifnull(c.slice, '-')
                      ELSE ifnull(c.container, '-') END,
           ifnull(new.cpu_user_ns, 0), ifnull(new.cpu_system_ns, 0),
           ifnull(new.disk_read_bytes, 0), ifnull(new.disk_write_bytes, 0), new.bucket_ns, new.bucket_ns
    FROM (SELECT 'unit' AS dim UNION ALL SELECT 'slice' UNION ALL SELECT 'container') AS d
    LEFT JOIN process p ON p.proc = new.proc
    LEFT JOIN cgroup c ON c.cgroup = p.cgroup
    WHERE 1
    ON CONFLICT (dim, key) DO UPDATE SET
        cpu_user_ns = cpu_user_ns + excluded.cpu_user_ns,
        cpu_system_ns = cpu_system_ns + excluded.cpu_system_ns,
        disk_read_bytes = disk_read_bytes + excluded.disk_read_bytes,
        disk_write_bytes = disk_write_bytes + excluded.disk_write_bytes,
        last_ns = max(last_ns, excluded.last_ns);
END;
