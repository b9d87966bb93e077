-- prochist schema 12: app_total also keeps the estimated energy (Linux: the
-- package energy by CPU share, never mixed with the measured energy_nj) and
-- GPU engine time, for the exporters. Both are NULL for an app until a
-- sample adds to them; totals count from the upgrade on (no backfill: a
-- Prometheus counter must not jump by a year of history at once).

ALTER TABLE app_total ADD COLUMN energy_est_nj INTEGER;
ALTER TABLE app_total ADD COLUMN gpu_ns INTEGER;
