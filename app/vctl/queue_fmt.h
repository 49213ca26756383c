/* SPDX-License-Identifier: BSD-3-Clause */
/* A /vpmd/queue reply in words: shared by vctl status and vctl ring. */
#ifndef VCTL_QUEUE_FMT_H
#define VCTL_QUEUE_FMT_H

#include <stddef.h>

#include <jansson.h>

/** Whether the device wants kicks: split used flags / event index, packed device event. */
const char *queue_notify(const json_t *q);
/** "1234" for split, "1234 w1" for packed (index and wrap counter). */
void queue_avail(const json_t *q, char *buf, size_t len);
void queue_used(const json_t *q, char *buf, size_t len);

#endif /* VCTL_QUEUE_FMT_H */
