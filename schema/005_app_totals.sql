-- prochist schema 5: monotonic per-app totals, for exporters (Prometheus
-- counters must only grow, while the tiers are pruned). One row per app
-- ever seen, updated in each sample's transaction; never pruned.

CREATE TABLE app_total (
    app              TEXT PRIMARY KEY,
    cpu_user_ns      INTEGER NOT NULL DEFAULT 0,
    cpu_system_ns    INTEGER NOT NULL DEFAULT 0,
    disk_read_bytes  INTEGER NOT NULL DEFAULT 0,
    disk_write_bytes INTEGER NOT NULL DEFAULT 0,
    energy_nj        INTEGER,            -- NULL while never measured
    wakeups          INTEGER,            -- NULL while never counted
    first_ns         INTEGER NOT NULL,   -- first sample that added to it
    last_ns          INTEGER NOT NULL    -- last sample that added to it
) WITHOUT ROWID;
