-- prochist schema 4: usage of reaped children, credited to their parent.
--
-- child_* columns are deltas of what the kernel adds to a parent when it
-- reaps (waits for) a child: the child's CPU time, faults (Linux cutime,
-- cstime, cminflt, cmajflt; macOS ri_child_*), including the child's own
-- reaped children. To avoid counting a child twice, the recorder subtracts
-- from the parent's delta what it had already seen of each child that
-- disappeared (the child's last cumulative total, own and children): what
-- remains is only what no sample saw (short-lived children, and the last
-- partial interval of children that were sampled). See docs/schema.md.

ALTER TABLE proc_sample ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE proc_sample ADD COLUMN child_faults_minor INTEGER;
ALTER TABLE proc_sample ADD COLUMN child_faults_major INTEGER;
ALTER TABLE proc_sample ADD COLUMN child_wakeups INTEGER;
ALTER TABLE proc_sample ADD COLUMN child_pageins INTEGER;

ALTER TABLE resume ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE resume ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE resume ADD COLUMN child_faults_minor INTEGER;
ALTER TABLE resume ADD COLUMN child_faults_major INTEGER;
ALTER TABLE resume ADD COLUMN child_wakeups INTEGER;
ALTER TABLE resume ADD COLUMN child_pageins INTEGER;

ALTER TABLE proc_minute ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE proc_minute ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE proc_minute ADD COLUMN child_faults_minor INTEGER;
ALTER TABLE proc_minute ADD COLUMN child_faults_major INTEGER;
ALTER TABLE proc_minute ADD COLUMN child_wakeups INTEGER;
ALTER TABLE proc_minute ADD COLUMN child_pageins INTEGER;

ALTER TABLE proc_hour ADD COLUMN child_cpu_user_ns INTEGER;
ALTER TABLE proc_hour ADD COLUMN child_cpu_system_ns INTEGER;
ALTER TABLE proc_hour ADD COLUMN child_faults_minor INTEGER;
ALTER TABLE proc_hour ADD COLUMN child_faults_major INTEGER;
ALTER TABLE proc_hour ADD COLUMN child_wakeups INTEGER;
ALTER TABLE proc_hour ADD COLUMN child_pageins INTEGER;

