/* A sample's system sums from two power readings (ph_power_sums). */
#include "test.h"

#include "ph_recorder.h"

#define SEC 1000000000LL

static ph_power reading(uint64_t pkg_uj, uint64_t gpu_uj, int gpu_zone)
{
    ph_power p;
    memset(&p, 0, sizeof p);
    p.zone[p.n].domain = PH_PWR_PACKAGE;
    p.zone[p.n].energy_uj = pkg_uj;
    p.zone[p.n++].max_uj = 1000000000;
    if (gpu_zone) {
        p.zone[p.n].domain = PH_PWR_GPU;
        p.zone[p.n++].energy_uj = gpu_uj;
    }
    p.gpu_busy_permille = p.gpu_mhz = p.gpu_power_uw = -1;
    return p;
}

TEST(power_sums_energy_gauges_and_gaps)
{
    ph_sys s;
    /* package wraps at 1000 J: 999 J -> 1 J is 2 J */
    ph_power a = reading(999000000, 0, 0), b = reading(1000000, 0, 0);
    a.cpu_total_ns = 100 * SEC;
    b.cpu_total_ns = 110 * SEC;
    ph_power_sums(&a, &b, 5 * SEC, &s);
    CHECK_I(s.energy_nj[PH_PWR_PACKAGE], 2000000000);
    CHECK_I(s.cpu_capacity_ns, 10 * SEC);
    CHECK_I(s.energy_nj[PH_PWR_GPU], -1);
    CHECK_I(s.gpu_covered_ns, -1);

    /* a power-only GPU (15 W) and its gauges over 5 s */
    b.gpu_power_uw = 15000000;
    b.gpu_busy_permille = 400;
    b.gpu_mhz = 1200;
    ph_power_sums(&a, &b, 5 * SEC, &s);
    CHECK_I(s.energy_nj[PH_PWR_GPU], 75 * SEC);
    CHECK_I(s.gpu_busy_ns, 2 * SEC);
    CHECK_I(s.gpu_mcycles, 6000);
    CHECK_I(s.gpu_covered_ns, 5 * SEC);

    /* plus a GPU energy counter: both add up; without a previous reading of
     * the counter, the GPU total is unknown rather than partial */
    ph_power c = reading(1000000, 1000000, 1), d = reading(2000000, 6000000, 1);
    d.gpu_power_uw = 15000000;
    ph_power_sums(&c, &d, 5 * SEC, &s);
    CHECK_I(s.energy_nj[PH_PWR_GPU], 5 * SEC + 75 * SEC);
    ph_power_sums(NULL, &d, 5 * SEC, &s);
    CHECK_I(s.energy_nj[PH_PWR_GPU], -1);
    CHECK_I(s.energy_nj[PH_PWR_PACKAGE], -1);

    /* after a long gap (sleep) the gauges say nothing about the interval */
    ph_power_sums(&a, &b, 3600 * SEC, &s);
    CHECK_I(s.energy_nj[PH_PWR_PACKAGE], 2000000000); /* counters still do */
    CHECK_I(s.energy_nj[PH_PWR_GPU], -1);
    CHECK_I(s.gpu_busy_ns, -1);
    CHECK_I(s.gpu_covered_ns, -1);

    /* no reading at all */
    ph_power_sums(&a, NULL, 5 * SEC, &s);
    CHECK_I(s.energy_nj[PH_PWR_PACKAGE], -1);
}
