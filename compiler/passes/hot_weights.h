/*
 * hot_weights.h - --internal-budget: which constants stay in internal flash
 * (NET.c's NET_hot array) and which go to the blob.
 */
#ifndef KILN_HOT_WEIGHTS_H
#define KILN_HOT_WEIGHTS_H

#include <stdbool.h>
#include <stddef.h>

#include "compile.h"

/* Per constant in c->bt (by root tensor): reads per byte per inference
 * through memory-mapped flash, estimated from the calls that read it. */
void hot_estimate_reads(compiled *c);

/* Moves the hottest constants of c->bt into c->hot (and their bytes into
 * c->hot_data) while they fit in c->internal_budget; c->bt keeps the rest
 * in their order.  Ranking: reads per byte in memory-mapped mode (each byte
 * once in stream mode, so there the bigger one first: it saves more reads). */
void hot_select(compiled *c);

/* External bytes read per inference (stream: the planned reads; mapped: the
 * estimate), with the hot constants inline and as if all were in the blob. */
double hot_external_reads(const compiled *c, bool with_budget);

#endif
