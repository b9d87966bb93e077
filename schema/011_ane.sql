-- prochist schema 11: the neural engine's energy (macOS IOReport "Energy
-- Model" ANE channels), a power domain like the others: energy_ane_nj in
-- sample, sample_minute and sample_hour (NULL where there is none, as on
-- Linux), and ane_w appended to v_power.

ALTER TABLE sample ADD COLUMN energy_ane_nj INTEGER;
ALTER TABLE sample_minute ADD COLUMN energy_ane_nj INTEGER;
ALTER TABLE sample_hour ADD COLUMN energy_ane_nj INTEGER;

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
       gpu_mcycles * 1e9 / gpu_covered_ns AS gpu_mhz,
       energy_ane_nj / 1.0 / interval_ns AS ane_w
FROM sample
WHERE interval_ns > 0;
