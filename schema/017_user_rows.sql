-- prochist schema 17: the hour tier keeps each user's group rows too, as
-- it keeps the cgroup keys' (schema 16), so `top --by user` and `peak --by
-- user` over a month read a few rows per hour instead of every process's.
--
-- The rows are group_hour's, with dim 'user' and key the uid in decimal
-- ('-1' when the process's uid was not readable), the columns as for the
-- other keys. A process is in the user it was last seen as when its hour
-- was rolled up. Written by src/db/rollup.c from the minute rows with the
-- query engine's grouping by user; pruned with the hour tier.
--
-- meta user_hour_from: the first hour bucket written with user rows (hours
-- rolled up before this upgrade have none: queries read their process
-- rows).

INSERT OR REPLACE INTO meta (key, value)
SELECT 'user_hour_from', coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'hour_done'), 0);
