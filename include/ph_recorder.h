/* ph_recorder.h: the sampling loop behind 'prochist record'. */
#ifndef PH_RECORDER_H
#define PH_RECORDER_H

#include <stdint.h>

typedef struct ph_record_opts {
    const char *db_path;
    const char *proc_root;
    const char *sys_root;
    int64_t interval_ns;
    int64_t count;   /* 0: until stopped */
    int quiet;
} ph_record_opts;

/* Returns a process exit status. */
int ph_record(const ph_record_opts *o);

#endif
