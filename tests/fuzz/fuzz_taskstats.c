/* libFuzzer target: taskstats datagrams through the parser and the folding
 * of thread records into processes. The family id is taken from the first
 * two bytes, so any message type can be made to look like ours. */
#include "ph_taskstats.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint16_t family;
    memcpy(&family, data, 2);
    ph_ts_record r[16];
    int refused = 0;
    int n = ph_parse_taskstats(data + 2, size - 2, family, r, 16, &refused);
    ph_exit_acc a;
    ph_exit_acc_init(&a, 1000000000, 10000000);
    for (int i = 0; i < n; i++)
        ph_exit_acc_add(&a, &r[i], (int64_t)(i + 1) * 1000000000);
    ph_exit_acc_free(&a);
    return 0;
}
