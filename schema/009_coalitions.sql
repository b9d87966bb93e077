-- prochist schema 9: resource coalitions (macOS). What a coalition's totals
-- grew by beyond the rows of its known members (helpers that lived between
-- samples, the last interval of members that exited) is written as the rows
-- (kind 4) of one extra process per coalition: pid -1, name
-- '[exited members]', start_key = the coalition id, app = the coalition's
-- app. coalition_state keeps what the recorder needs to continue after a
-- restart: the last cumulative totals read and what is carried to the next
-- sample. Linux never writes either.

CREATE TABLE coalition_state (
    boot                    INTEGER NOT NULL REFERENCES boot(boot),
    coalition               INTEGER NOT NULL,
    app                     TEXT NOT NULL,
    proc                    INTEGER,  -- its '[exited members]' process, once written
    have_last               INTEGER NOT NULL,
    last_cpu_ns             INTEGER,
    last_energy_nj          INTEGER,
    last_disk_read_bytes    INTEGER,
    last_disk_write_bytes   INTEGER,
    last_wakeups_interrupt  INTEGER,
    last_wakeups_pkg_idle   INTEGER,
    carry_cpu_ns            INTEGER,
    carry_energy_nj         INTEGER,
    carry_disk_read_bytes   INTEGER,
    carry_disk_write_bytes  INTEGER,
    carry_wakeups_interrupt INTEGER,
    carry_wakeups_pkg_idle  INTEGER,
    PRIMARY KEY (boot, coalition)
);
