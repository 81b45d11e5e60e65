/*
 * profile.c - turns the PROFILE frames of a KILN_PROFILE firmware into a
 * per-call instruction profile (see profile.h).
 *
 * A call's count is the tick difference between the mark before it and the
 * mark after it, times the instructions per tick (1e9 / tick_hz under
 * `-icount shift=0`), averaged over the samples.  The layer, op, kernel and
 * MACs of each call come from the compiled program, so the profile names
 * exactly what the generated code calls.  A node lowered to several calls
 * carries its MACs on its first call.  Never judges the numbers.
 */
#include "target/profile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "firmware/protocol.h"
#include "util/fileio.h"

bool target_profile_add(target_profile *p, const compiled *c, const uint8_t *payload, uint32_t len,
                        uint64_t run_ticks, char *msg, size_t msglen)
{
    uint32_t want = (uint32_t)c->prog.n_calls + 1u;
    if (len < KVP_PROFILE_FIXED || kvp_get_u32(payload + KVP_PROFILE_OFF_MARKS) != want ||
        len != KVP_PROFILE_FIXED + 8u * want) {
        snprintf(msg, msglen,
                 "a PROFILE frame of %" PRIu32 " bytes does not carry the %" PRIu32 " marks of %d kernel calls", len,
                 want, c->prog.n_calls);
        return false;
    }
    if (!p->span) {
        p->marks = want;
        p->span = calloc((size_t)want + 1, sizeof *p->span);
        if (!p->span) {
            snprintf(msg, msglen, "out of memory for the profile");
            return false;
        }
    }
    uint64_t prev = 0;
    for (uint32_t i = 0; i <= want; i++) {
        uint64_t t = i < want ? kvp_get_u64(payload + KVP_PROFILE_OFF_TICKS + 8u * i) : run_ticks;
        if (t == UINT64_MAX || t < prev || t > run_ticks) {
            snprintf(msg, msglen,
                     "profile mark %" PRIu32 " %s (was the generated code built with -DKILN_PROFILE?)", i,
                     t == UINT64_MAX ? "was never reached" : "is out of order");
            return false;
        }
        p->span[i] += t - prev;
        prev = t;
    }
    p->run += run_ticks;
    p->samples++;
    return true;
}

static cJSON *shape_json(const ir_tensor *t)
{
    cJSON *a = cJSON_CreateArray();
    for (int d = 0; d < t->rank; d++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)t->shape[d]));
    return a;
}

static cJSON *call_json(const compiled *c, int i, bool first_of_node, double insns)
{
    const lir_call *call = &c->prog.calls[i];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "call", i);
    cJSON_AddNumberToObject(o, "node", call->node);
    cJSON_AddStringToObject(o, "kernel", call->kernel);
    if (call->node >= 0) {
        const ir_node *nd = &c->g->nodes[call->node];
        cJSON_AddStringToObject(o, "layer", nd->name ? nd->name : "");
        cJSON_AddStringToObject(o, "op", ir_op_name(nd->op));
        cJSON_AddStringToObject(o, "source_op", nd->src_op ? nd->src_op : "");
        cJSON_AddNumberToObject(o, "macc", first_of_node ? (double)ir_node_macc(c->g, call->node) : 0.0);
        if (nd->n_out > 0 && nd->out[0] >= 0)
            cJSON_AddItemToObject(o, "output_shape", shape_json(&c->g->tensors[nd->out[0]]));
        /* The weights' shape tells a 3x3 depthwise from a 1x1 conv. */
        if (nd->n_in > 1 && nd->in[1] >= 0 && c->g->tensors[nd->in[1]].data)
            cJSON_AddItemToObject(o, "weight_shape", shape_json(&c->g->tensors[nd->in[1]]));
    } else {
        cJSON_AddStringToObject(o, "layer", "graph output copy");
        cJSON_AddStringToObject(o, "op", "copy");
        cJSON_AddStringToObject(o, "source_op", "");
        cJSON_AddNumberToObject(o, "macc", 0);
    }
    cJSON_AddNumberToObject(o, "instructions", insns);
    return o;
}

bool target_profile_write(const target_profile *p, const compiled *c, const char *path, uint32_t tick_hz,
                          char *msg, size_t msglen)
{
    if (!p->samples || !p->span || !tick_hz) {
        snprintf(msg, msglen, "no profile was received (no inference ran)");
        return false;
    }
    /* -icount shift=0: one instruction per ns of virtual time. */
    double per_tick = 1e9 / (double)tick_hz, n = (double)p->samples;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", c->name);
    cJSON_AddNumberToObject(root, "samples", n);
    cJSON_AddNumberToObject(root, "tick_hz", tick_hz);
    cJSON_AddNumberToObject(root, "instructions_per_tick", per_tick);
    cJSON_AddNumberToObject(root, "run_instructions", (double)p->run * per_tick / n);
    cJSON_AddNumberToObject(root, "before_first_call_instructions", (double)p->span[0] * per_tick / n);
    cJSON_AddNumberToObject(root, "after_last_call_instructions", (double)p->span[p->marks] * per_tick / n);
    cJSON *calls = cJSON_AddArrayToObject(root, "calls");
    for (int i = 0; i < c->prog.n_calls; i++) {
        bool first = i == 0 || c->prog.calls[i - 1].node != c->prog.calls[i].node;
        cJSON_AddItemToArray(calls, call_json(c, i, first, (double)p->span[i + 1] * per_tick / n));
    }
    char *s = cJSON_Print(root);
    cJSON_Delete(root);
    bool ok = s && write_file_atomic(path, s, strlen(s), msg, msglen);
    if (!s)
        snprintf(msg, msglen, "out of memory writing the profile");
    free(s);
    return ok;
}

void target_profile_free(target_profile *p)
{
    free(p->span);
    memset(p, 0, sizeof *p);
}
