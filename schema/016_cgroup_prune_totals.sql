-- prochist schema 16: a cgroup row lives as long as a process row
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
