-- prochist schema 18: per process, the sums of its hour rows, so that
-- "which process used the most CPU last month" need not visit every process
-- of the month (src/db/proctop.c).
--
-- proc_total has one row per process that has an hour row: its first and
-- last hour bucket, whether it was gone when its last hour row was written
-- (gone_ns: process.gone_ns then; NULL when it was alive), the largest
-- memory figure of its hour rows (footprint, resident, their lifetime and
-- interval peaks, the value at the bucket end: an upper bound of any memory
-- peak a window gives it), and the sums of the counters the query commands
-- rank by (NULL when no hour row had that counter). The triggers keep it as
-- the hour tier is written: an hour row written again (a bucket rolled up
-- again after the wall clock stepped back) takes its old counters back
-- first. Rows the hour tier loses to retention stay counted, and a
-- process's row goes with its process row. So for a process whose hour rows
-- all lie inside a window and that was gone by its end, the sums are
-- exactly what the window gives it; for any other they are at least that.

CREATE TABLE proc_total (
    proc            INTEGER PRIMARY KEY,   -- process(proc)
    first_bucket_ns INTEGER NOT NULL,      -- its first and last hour rows
    last_bucket_ns  INTEGER NOT NULL,
    gone_ns         INTEGER,               -- process.gone_ns when its last hour row was written
    mem_max_bytes   INTEGER,               -- largest memory figure of its hour rows
    cpu_user_ns         INTEGER,
    cpu_system_ns       INTEGER,
    child_cpu_user_ns   INTEGER,
    child_cpu_system_ns INTEGER,
    disk_read_bytes     INTEGER,
    disk_write_bytes    INTEGER,
    energy_nj           INTEGER,
    energy_est_nj       INTEGER,
    wakeups             INTEGER,
    instructions        INTEGER,
    cycles              INTEGER,
    ctxsw_total         INTEGER,
    ctxsw_voluntary     INTEGER,
    ctxsw_involuntary   INTEGER,
    faults_total        INTEGER,
    faults_minor        INTEGER,
    faults_major        INTEGER,
    syscalls_mach       INTEGER,
    syscalls_unix       INTEGER,
    syscalls_read       INTEGER,
    syscalls_write      INTEGER,
    gpu_ns              INTEGER
);

-- The processes whose rows a window's edges may hold, found without a scan.
CREATE INDEX proc_total_last ON proc_total (last_bucket_ns);

CREATE TRIGGER proc_hour_total AFTER INSERT ON proc_hour
BEGIN
    INSERT INTO proc_total (proc, first_bucket_ns, last_bucket_ns, gone_ns, mem_max_bytes,
                            cpu_user_ns, cpu_system_ns, child_cpu_user_ns, child_cpu_system_ns, disk_read_bytes, disk_write_bytes, energy_nj, energy_est_nj, wakeups, instructions, cycles, ctxsw_total, ctxsw_voluntary, ctxsw_involuntary, faults_total, faults_minor, faults_major, syscalls_mach, syscalls_unix, syscalls_read, syscalls_write, gpu_ns)
    VALUES (new.proc, new.bucket_ns, new.bucket_ns, (SELECT gone_ns FROM process WHERE proc = new.proc),
            nullif(max(ifnull(new.mem_last_bytes, -1), ifnull(new.footprint_bytes, -1), ifnull(new.resident_bytes, -1), ifnull(new.peak_resident_bytes, -1), ifnull(new.footprint_lifetime_max_bytes, -1), ifnull(new.footprint_interval_max_bytes, -1)), -1),
            new.cpu_user_ns, new.cpu_system_ns, new.child_cpu_user_ns, new.child_cpu_system_ns, new.disk_read_bytes, new.disk_write_bytes, new.energy_nj, new.energy_est_nj, new.wakeups, new.instructions, new.cycles, new.ctxsw_total, new.ctxsw_voluntary, new.ctxsw_involuntary, new.faults_total, new.faults_minor, new.faults_major, new.syscalls_mach, new.syscalls_unix, new.syscalls_read, new.syscalls_write, new.gpu_ns)
    ON CONFLICT (proc) DO UPDATE SET
        first_bucket_ns = min(first_bucket_ns, excluded.first_bucket_ns),
        last_bucket_ns = max(last_bucket_ns, excluded.last_bucket_ns),
        gone_ns = CASE WHEN excluded.last_bucket_ns >= last_bucket_ns THEN excluded.gone_ns ELSE gone_ns END,
        mem_max_bytes = nullif(max(ifnull(mem_max_bytes, -1), ifnull(excluded.mem_max_bytes, -1)), -1),
        cpu_user_ns = coalesce(cpu_user_ns + excluded.cpu_user_ns, cpu_user_ns, excluded.cpu_user_ns),
        cpu_system_ns = coalesce(cpu_system_ns + excluded.cpu_system_ns, cpu_system_ns, excluded.cpu_system_ns),
        child_cpu_user_ns = coalesce(child_cpu_user_ns + excluded.child_cpu_user_ns, child_cpu_user_ns, excluded.child_cpu_user_ns),
        child_cpu_system_ns = coalesce(child_cpu_system_ns + excluded.child_cpu_system_ns, child_cpu_system_ns, excluded.child_cpu_system_ns),
        disk_read_bytes = coalesce(disk_read_bytes + excluded.disk_read_bytes, disk_read_bytes, excluded.disk_read_bytes),
        disk_write_bytes = coalesce(disk_write_bytes + excluded.disk_write_bytes, disk_write_bytes, excluded.disk_write_bytes),
        energy_nj = coalesce(energy_nj + excluded.energy_nj, energy_nj, excluded.energy_nj),
        energy_est_nj = coalesce(energy_est_nj + excluded.energy_est_nj, energy_est_nj, excluded.energy_est_nj),
        wakeups = coalesce(wakeups + excluded.wakeups, wakeups, excluded.wakeups),
        instructions = coalesce(instructions + excluded.instructions, instructions, excluded.instructions),
        cycles = coalesce(cycles + excluded.cycles, cycles, excluded.cycles),
        ctxsw_total = coalesce(ctxsw_total + excluded.ctxsw_total, ctxsw_total, excluded.ctxsw_total),
        ctxsw_voluntary = coalesce(ctxsw_voluntary + excluded.ctxsw_voluntary, ctxsw_voluntary, excluded.ctxsw_voluntary),
        ctxsw_involuntary = coalesce(ctxsw_involuntary + excluded.ctxsw_involuntary, ctxsw_involuntary, excluded.ctxsw_involuntary),
        faults_total = coalesce(faults_total + excluded.faults_total, faults_total, excluded.faults_total),
        faults_minor = coalesce(faults_minor + excluded.faults_minor, faults_minor, excluded.faults_minor),
        faults_major = coalesce(faults_major + excluded.faults_major, faults_major, excluded.faults_major),
        syscalls_mach = coalesce(syscalls_mach + excluded.syscalls_mach, syscalls_mach, excluded.syscalls_mach),
        syscalls_unix = coalesce(syscalls_unix + excluded.syscalls_unix, syscalls_unix, excluded.syscalls_unix),
        syscalls_read = coalesce(syscalls_read + excluded.syscalls_read, syscalls_read, excluded.syscalls_read),
        syscalls_write = coalesce(syscalls_write + excluded.syscalls_write, syscalls_write, excluded.syscalls_write),
        gpu_ns = coalesce(gpu_ns + excluded.gpu_ns, gpu_ns, excluded.gpu_ns);
END;

-- INSERT OR REPLACE of an existing row: its old counters come off first.
CREATE TRIGGER proc_hour_total_undo BEFORE INSERT ON proc_hour
WHEN EXISTS (SELECT 1 FROM proc_hour WHERE bucket_ns = new.bucket_ns AND proc = new.proc)
BEGIN
    UPDATE proc_total SET
        cpu_user_ns = proc_total.cpu_user_ns - ifnull(h.cpu_user_ns, 0),
        cpu_system_ns = proc_total.cpu_system_ns - ifnull(h.cpu_system_ns, 0),
        child_cpu_user_ns = proc_total.child_cpu_user_ns - ifnull(h.child_cpu_user_ns, 0),
        child_cpu_system_ns = proc_total.child_cpu_system_ns - ifnull(h.child_cpu_system_ns, 0),
        disk_read_bytes = proc_total.disk_read_bytes - ifnull(h.disk_read_bytes, 0),
        disk_write_bytes = proc_total.disk_write_bytes - ifnull(h.disk_write_bytes, 0),
        energy_nj = proc_total.energy_nj - ifnull(h.energy_nj, 0),
        energy_est_nj = proc_total.energy_est_nj - ifnull(h.energy_est_nj, 0),
        wakeups = proc_total.wakeups - ifnull(h.wakeups, 0),
        instructions = proc_total.instructions - ifnull(h.instructions, 0),
        cycles = proc_total.cycles - ifnull(h.cycles, 0),
        ctxsw_total = proc_total.ctxsw_total - ifnull(h.ctxsw_total, 0),
        ctxsw_voluntary = proc_total.ctxsw_voluntary - ifnull(h.ctxsw_voluntary, 0),
        ctxsw_involuntary = proc_total.ctxsw_involuntary - ifnull(h.ctxsw_involuntary, 0),
        faults_total = proc_total.faults_total - ifnull(h.faults_total, 0),
        faults_minor = proc_total.faults_minor - ifnull(h.faults_minor, 0),
        faults_major = proc_total.faults_major - ifnull(h.faults_major, 0),
        syscalls_mach = proc_total.syscalls_mach - ifnull(h.syscalls_mach, 0),
        syscalls_unix = proc_total.syscalls_unix - ifnull(h.syscalls_unix, 0),
        syscalls_read = proc_total.syscalls_read - ifnull(h.syscalls_read, 0),
        syscalls_write = proc_total.syscalls_write - ifnull(h.syscalls_write, 0),
        gpu_ns = proc_total.gpu_ns - ifnull(h.gpu_ns, 0)
    FROM (SELECT * FROM proc_hour WHERE bucket_ns = new.bucket_ns AND proc = new.proc) AS h
    WHERE proc_total.proc = new.proc;
END;

CREATE TRIGGER process_delete_total AFTER DELETE ON process
BEGIN
    DELETE FROM proc_total WHERE proc = old.proc;
END;

-- The hours already rolled up.
INSERT INTO proc_total (proc, first_bucket_ns, last_bucket_ns, gone_ns, mem_max_bytes,
                        cpu_user_ns, cpu_system_ns, child_cpu_user_ns, child_cpu_system_ns, disk_read_bytes, disk_write_bytes, energy_nj, energy_est_nj, wakeups, instructions, cycles, ctxsw_total, ctxsw_voluntary, ctxsw_involuntary, faults_total, faults_minor, faults_major, syscalls_mach, syscalls_unix, syscalls_read, syscalls_write, gpu_ns)
SELECT h.proc, min(h.bucket_ns), max(h.bucket_ns), (SELECT gone_ns FROM process WHERE proc = h.proc),
       nullif(max(max(ifnull(h.mem_last_bytes, -1), ifnull(h.footprint_bytes, -1), ifnull(h.resident_bytes, -1), ifnull(h.peak_resident_bytes, -1), ifnull(h.footprint_lifetime_max_bytes, -1), ifnull(h.footprint_interval_max_bytes, -1))), -1),
       sum(cpu_user_ns),
       sum(cpu_system_ns),
       sum(child_cpu_user_ns),
       sum(child_cpu_system_ns),
       sum(disk_read_bytes),
       sum(disk_write_bytes),
       sum(energy_nj),
       sum(energy_est_nj),
       sum(wakeups),
       sum(instructions),
       sum(cycles),
       sum(ctxsw_total),
       sum(ctxsw_voluntary),
       sum(ctxsw_involuntary),
       sum(faults_total),
       sum(faults_minor),
       sum(faults_major),
       sum(syscalls_mach),
       sum(syscalls_unix),
       sum(syscalls_read),
       sum(syscalls_write),
       sum(gpu_ns)
FROM proc_hour h GROUP BY h.proc;
