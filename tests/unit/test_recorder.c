/* The recorder's cadence (ph_next_tick): a grid, missed ticks skipped. */
#include "ph_recorder.h"
#include "test.h"

#define MS 1000000LL

TEST(on_time_samples_follow_the_grid)
{
    int64_t k = -1;
    /* sample 0 ended 30 ms after start: sample 1 is due at 200 ms */
    CHECK_I(ph_next_tick(1000 * MS, 200 * MS, 0, 1030 * MS, &k), 1200 * MS);
    CHECK_I(k, 1);
    /* a late sample does not move the grid: sample 3 ended at 750 ms */
    CHECK_I(ph_next_tick(1000 * MS, 200 * MS, 3, 1750 * MS, &k), 1800 * MS);
    CHECK_I(k, 4);
}

TEST(an_overrun_skips_the_missed_ticks_instead_of_bunching_them)
{
    int64_t k = -1;
    /* sample 1 (due at 200 ms) ended at 1130 ms: ticks 2-5 are past */
    int64_t next = ph_next_tick(0, 200 * MS, 1, 1130 * MS, &k);
    CHECK_I(next, 1200 * MS);
    CHECK_I(k, 6);
    CHECK(next > 1130 * MS);
    /* ending exactly on a grid point: the next point, never now itself */
    CHECK_I(ph_next_tick(0, 200 * MS, 1, 1200 * MS, &k), 1400 * MS);
    CHECK_I(k, 7);
}

TEST(a_suspend_of_hours_resumes_on_the_grid)
{
    int64_t k = -1;
    int64_t now = 3 * 3600 * 1000 * MS + 7 * MS; /* 3 h later */
    int64_t next = ph_next_tick(0, 1000 * MS, 10, now, &k);
    CHECK_I(next, (3 * 3600 + 1) * 1000 * MS);
    CHECK_I(k, 3 * 3600 + 1);
}
