-- prochist schema 6: system power, and per-process energy estimated from it.
--
-- sample gains the energy each power domain used in the interval (nJ; Linux
-- RAPL package, core, uncore, dram, psys: NULL when absent or unreadable) and
-- cpu_capacity_ns, the CPU time all CPUs had in the interval. Where the
-- platform measures no per-process energy, energy_est_nj is the interval's
-- package energy split by each process's share of that capacity
-- (cpu_ns / cpu_capacity_ns): what is left of the package energy (idle, and
-- processes no sample saw) is the unattributed part. Measured (energy_nj) and
-- estimated (energy_est_nj) are never mixed.

ALTER TABLE proc_sample ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE resume ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE proc_minute ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE proc_hour ADD COLUMN energy_est_nj INTEGER;

ALTER TABLE sample ADD COLUMN energy_package_nj INTEGER;
ALTER TABLE sample ADD COLUMN energy_core_nj INTEGER;
ALTER TABLE sample ADD COLUMN energy_uncore_nj INTEGER;
ALTER TABLE sample ADD COLUMN energy_dram_nj INTEGER;
ALTER TABLE sample ADD COLUMN energy_psys_nj INTEGER;
ALTER TABLE sample ADD COLUMN cpu_capacity_ns INTEGER;

ALTER TABLE sample_minute ADD COLUMN energy_package_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN energy_core_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN energy_uncore_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN energy_dram_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN energy_psys_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN cpu_capacity_ns INTEGER;

ALTER TABLE sample_hour ADD COLUMN energy_package_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN energy_core_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN energy_uncore_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN energy_dram_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN energy_psys_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN cpu_capacity_ns INTEGER;

CREATE VIEW v_power AS
SELECT strftime('%Y-%m-%d %H:%M:%f', ts_ns / 1e9, 'unixepoch') AS time_utc,
       interval_ns / 1e9 AS interval_s,
       energy_package_nj / 1.0 / interval_ns AS package_w,
       energy_core_nj / 1.0 / interval_ns AS core_w,
       energy_uncore_nj / 1.0 / interval_ns AS uncore_w,
       energy_dram_nj / 1.0 / interval_ns AS dram_w,
       energy_psys_nj / 1.0 / interval_ns AS psys_w
FROM sample
WHERE interval_ns > 0;
