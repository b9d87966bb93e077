/*
 * prochist-probe: a one-shot check of the platform layer, linked for macOS
 * by `make cross-darwin` so unresolved libSystem symbols are caught at build
 * time. On a Mac, run it to see what the collector reads:
 *   ./prochist-probe        one line per readable process, then a summary
 */
#include "ph_platform.h"
#include "ph_util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    ph_platform *p;
    ph_pidlist pids = {0};
    char err[256], boot[128];
    int64_t now;
    if (ph_platform_open(NULL, &p, err, sizeof err) < 0) {
        fprintf(stderr, "probe: %s\n", err);
        return 1;
    }
    if (ph_platform_boot_id(p, boot, sizeof boot) < 0)
        snprintf(boot, sizeof boot, "?");
    if (ph_platform_boot_clock(p, &now) < 0)
        now = -1;
    if (ph_platform_list(p, &pids) < 0) {
        fprintf(stderr, "probe: cannot list processes\n");
        return 1;
    }
    int read = 0, denied = 0, gone = 0;
    for (size_t i = 0; i < pids.n; i++) {
        ph_proc_sample s;
        enum ph_read_result r = ph_platform_read(p, pids.pids[i], NULL, &s);
        if (r == PH_READ_GONE) {
            gone++;
            continue;
        }
        read++;
        denied += s.denied;
        if (s.pid == getpid()) {
            ph_proc_ident id;
            memset(&id, 0, sizeof id);
            id.coalition = -1;
            id.responsible_pid = -1;
            ph_platform_ident(p, s.pid, &s, &id);
            printf("self: pid %d name %s app %s exe %s coalition %lld responsible %d\n",
                   (int)s.pid, s.name, id.app, id.exe, (long long)id.coalition,
                   (int)id.responsible_pid);
            for (int m = 0; m < PH_METRIC_COUNT; m++)
                if (s.vals.have & PH_BIT(m))
                    printf("  %-30s %lld\n", ph_metric_column((enum ph_metric)m),
                           (long long)s.vals.v[m]);
        }
    }
    printf("%s boot %s clock %lld ns: %zu pids, %d read, %d partly denied, %d gone\n",
           ph_platform_name(), boot, (long long)now, pids.n, read, denied, gone);
    /* SoC power and GPU: two readings a second apart */
    ph_power a, b;
    if (ph_platform_power(p, &a) == 0) {
        sleep(1);
        if (ph_platform_power(p, &b) == 0) {
            for (int z = 0; z < b.n; z++)
                for (int y = 0; y < a.n; y++)
                    if (a.zone[y].domain == b.zone[z].domain)
                        printf("power: domain %d %.3f W\n", (int)b.zone[z].domain,
                               (double)(b.zone[z].energy_uj - a.zone[y].energy_uj) / 1e6);
            printf("gpu: busy %lld permille, %lld MHz\n", (long long)b.gpu_busy_permille, (long long)b.gpu_mhz);
        }
    } else {
        printf("power: none (%s)\n", ph_platform_power_why(p));
    }
    ph_coalition_usage cu;
    printf("coalition usage of id 1: %s\n", ph_platform_coalition(p, 1, &cu) == 0 ? "read" : "unavailable");
    ph_pidlist_free(&pids);
    ph_platform_close(p);
    return 0;
}
