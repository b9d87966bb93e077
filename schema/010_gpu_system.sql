-- prochist schema 10: the system's GPU. sample, sample_minute and
-- sample_hour gain, as sums over the interval (NULL: not measured):
--   energy_gpu_nj   GPU energy (Linux hwmon energy1_input of a DRM card, or
--                   its power1_average / power1_input times the interval)
--   gpu_busy_ns     busy fraction (amdgpu gpu_busy_percent) times the interval
--   gpu_mcycles     core clock in MHz times the interval in seconds
--   gpu_covered_ns  the interval, when a GPU gauge was read (the denominator:
--                   busy % = gpu_busy_ns / gpu_covered_ns, MHz = gpu_mcycles
--                   / (gpu_covered_ns / 1e9))
-- The gauges are read at each sample and stand for its interval (not after a
-- gap longer than 5 minutes). v_power gains gpu_w, gpu_busy_pct and gpu_mhz.

ALTER TABLE sample ADD COLUMN energy_gpu_nj INTEGER;
ALTER TABLE sample ADD COLUMN gpu_busy_ns INTEGER;
ALTER TABLE sample ADD COLUMN gpu_mcycles INTEGER;
ALTER TABLE sample ADD COLUMN gpu_covered_ns INTEGER;

ALTER TABLE sample_minute ADD COLUMN energy_gpu_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN gpu_busy_ns INTEGER;
ALTER TABLE sample_minute ADD COLUMN gpu_mcycles INTEGER;
ALTER TABLE sample_minute ADD COLUMN gpu_covered_ns INTEGER;

ALTER TABLE sample_hour ADD COLUMN energy_gpu_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN gpu_busy_ns INTEGER;
ALTER TABLE sample_hour ADD COLUMN gpu_mcycles INTEGER;
ALTER TABLE sample_hour ADD COLUMN gpu_covered_ns INTEGER;

DROP VIEW v_power;
CREATE VIEW v_power AS
SELECT strftime('%Y-%m-%d %H:%M:%f', ts_ns / 1e9, 'unixepoch') AS time_utc,
       interval_ns / 1e9 AS interval_s,
       energy_package_nj / 1.0 / interval_ns AS package_w,
       energy_core_nj / 1.0 / interval_ns AS core_w,
       energy_uncore_nj / 1.0 / interval_ns AS uncore_w,
       energy_dram_nj / 1.0 / interval_ns AS dram_w,
       energy_psys_nj / 1.0 / interval_ns AS psys_w,
       energy_gpu_nj / 1.0 / interval_ns AS gpu_w,
       100.0 * gpu_busy_ns / gpu_covered_ns AS gpu_busy_pct,
       gpu_mcycles * 1e9 / gpu_covered_ns AS gpu_mhz
FROM sample
WHERE interval_ns > 0;
