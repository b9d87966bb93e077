-- prochist schema 19: the hour tier's app and group rows sum every counter
-- a query ranks by, not only CPU, disk, measured energy and wakeups, so
-- `top --energy` (estimated energy on Linux), `--gpu`, `--ctxsw`,
-- `--children` ... by app, user or cgroup key over a month read a few rows
-- per hour instead of every process's, and the shares of a window's
-- estimated energy and GPU time count the whole window.
--
-- The columns are app_hour's and group_hour's, each the sum over the
-- app's (group's) processes of the hour's, as for the first counters; NULL
-- when none of them had one. Written by src/db/rollup.c with the rest of
-- the row.
--
-- meta app_hour_wide_from: the first hour bucket written with them (hours
-- rolled up before this upgrade have none: queries of those counters read
-- those hours' process rows).

ALTER TABLE app_hour ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE app_hour ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE app_hour ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE app_hour ADD COLUMN gpu_ns INTEGER;
ALTER TABLE app_hour ADD COLUMN instructions INTEGER;
ALTER TABLE app_hour ADD COLUMN cycles INTEGER;
ALTER TABLE app_hour ADD COLUMN ctxsw_total INTEGER;
ALTER TABLE app_hour ADD COLUMN ctxsw_voluntary INTEGER;
ALTER TABLE app_hour ADD COLUMN ctxsw_involuntary INTEGER;
ALTER TABLE app_hour ADD COLUMN faults_total INTEGER;
ALTER TABLE app_hour ADD COLUMN faults_minor INTEGER;
ALTER TABLE app_hour ADD COLUMN faults_major INTEGER;
ALTER TABLE app_hour ADD COLUMN syscalls_mach INTEGER;
ALTER TABLE app_hour ADD COLUMN syscalls_unix INTEGER;
ALTER TABLE app_hour ADD COLUMN syscalls_read INTEGER;
ALTER TABLE app_hour ADD COLUMN syscalls_write INTEGER;

ALTER TABLE group_hour ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE group_hour ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE group_hour ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE group_hour ADD COLUMN gpu_ns INTEGER;
ALTER TABLE group_hour ADD COLUMN instructions INTEGER;
ALTER TABLE group_hour ADD COLUMN cycles INTEGER;
ALTER TABLE group_hour ADD COLUMN ctxsw_total INTEGER;
ALTER TABLE group_hour ADD COLUMN ctxsw_voluntary INTEGER;
ALTER TABLE group_hour ADD COLUMN ctxsw_involuntary INTEGER;
ALTER TABLE group_hour ADD COLUMN faults_total INTEGER;
ALTER TABLE group_hour ADD COLUMN faults_minor INTEGER;
ALTER TABLE group_hour ADD COLUMN faults_major INTEGER;
ALTER TABLE group_hour ADD COLUMN syscalls_mach INTEGER;
ALTER TABLE group_hour ADD COLUMN syscalls_unix INTEGER;
ALTER TABLE group_hour ADD COLUMN syscalls_read INTEGER;
ALTER TABLE group_hour ADD COLUMN syscalls_write INTEGER;

-- The minute tier's app rows keep the four a default `top` shows (the
-- children's CPU, estimated energy, GPU time), so a day's `top` reads
-- them there too; meta app_minute_wide_from: the first minute bucket
-- written with them.
ALTER TABLE app_minute ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE app_minute ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE app_minute ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE app_minute ADD COLUMN gpu_ns INTEGER;

INSERT OR REPLACE INTO meta (key, value)
SELECT 'app_hour_wide_from', coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hour_done'), 0);
INSERT OR REPLACE INTO meta (key, value)
SELECT 'app_minute_wide_from', coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'minute_done'), 0);
