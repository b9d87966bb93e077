-- prochist schema 14: the last power reading in typed columns. The recorder
-- keeps its last reading of the power counters with each sample, so that a
-- restart continues the energy deltas (src/db/store.c, ph_store_put_power).
-- It was a text in meta.power_prev, "N CPU_NS D:E:M ..." (zones, CPU time,
-- then each zone's domain, counter and wrap point), parsed with sscanf.
--
-- power_prev holds at most one row (the last reading); power_prev_zone one
-- row per power zone of it, in the platform's order.
CREATE TABLE power_prev (
    one           INTEGER PRIMARY KEY CHECK (one = 1),
    cpu_total_ns  INTEGER NOT NULL,   -- CPU time of all CPUs since boot (busy + idle)
    zones         INTEGER NOT NULL CHECK (zones >= 0)  -- rows in power_prev_zone
);
CREATE TABLE power_prev_zone (
    zone          INTEGER PRIMARY KEY CHECK (zone >= 0),  -- 0 .. zones - 1
    domain        INTEGER NOT NULL CHECK (domain >= 0),  -- enum ph_power_domain (include/ph_platform.h)
    energy_uj     INTEGER NOT NULL,   -- cumulative counter, uJ (unsigned 64 bits kept as they are)
    max_uj        INTEGER NOT NULL    -- where the counter wraps to 0
);

-- The old text, when it is whole: its zones, then its head. A text that
-- does not parse is dropped, as the old reader ignored it (the first sample
-- after the upgrade then has no energy delta, as after any gap). CAST clamps
-- a counter above 2^63 - 1 there (C keeps the 64 bits): only a wrap across
-- the upgrade could notice.
CREATE TEMP TABLE power_prev_tok AS
WITH RECURSIVE tok(i, t, rest) AS (
    SELECT 0, NULL, trim(value) || ' ' FROM meta WHERE key = 'power_prev'
    UNION ALL
    SELECT i + 1, substr(rest, 1, instr(rest, ' ') - 1), ltrim(substr(rest, instr(rest, ' ') + 1))
    FROM tok WHERE rest <> '' AND i < 40
)
SELECT i, t FROM tok WHERE i > 0;

CREATE TEMP TABLE power_prev_old AS
SELECT i - 3 AS zone,
       substr(t, 1, instr(t, ':') - 1) AS d,
       substr(substr(t, instr(t, ':') + 1), 1, instr(substr(t, instr(t, ':') + 1), ':') - 1) AS e,
       substr(substr(t, instr(t, ':') + 1), instr(substr(t, instr(t, ':') + 1), ':') + 1) AS m
FROM power_prev_tok WHERE i >= 3;

INSERT INTO power_prev (one, cpu_total_ns, zones)
SELECT 1, CAST(c.t AS INTEGER), CAST(n.t AS INTEGER)
FROM power_prev_tok n JOIN power_prev_tok c ON n.i = 1 AND c.i = 2
WHERE n.t GLOB '[0-9]*' AND NOT n.t GLOB '*[^0-9]*' AND CAST(n.t AS INTEGER) <= 32
  AND c.t GLOB '*[0-9]*' AND NOT c.t GLOB '*[^0-9-]*'
  AND (SELECT count(*) FROM power_prev_old) = CAST(n.t AS INTEGER)
  AND NOT EXISTS (SELECT 1 FROM power_prev_old
                  WHERE d = '' OR e = '' OR m = '' OR d GLOB '*[^0-9]*' OR e GLOB '*[^0-9]*'
                     OR m GLOB '*[^0-9]*' OR CAST(d AS INTEGER) >= 7);

INSERT INTO power_prev_zone (zone, domain, energy_uj, max_uj)
SELECT zone, CAST(d AS INTEGER), CAST(e AS INTEGER), CAST(m AS INTEGER)
FROM power_prev_old WHERE EXISTS (SELECT 1 FROM power_prev);

DROP TABLE power_prev_tok;
DROP TABLE power_prev_old;
DELETE FROM meta WHERE key = 'power_prev';
