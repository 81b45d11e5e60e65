/*
 * fuzz_firmware.c - fuzz target: arbitrary bytes arriving on the validation
 * firmware's UART (firmware/qemu-mps2-an500/main.c and frames.c, built for
 * the host with fw_host.c as its hardware and fz_fw, hello_world_int8 with
 * inline weights, as its network; see fuzz.mk).
 *
 * The firmware must never compute on a frame it should refuse and never
 * write outside its buffers (the sanitizers watch the input copies into the
 * network's buffers).  Everything it sends back must be a well-formed frame
 * of a target-to-host type: HELLO first with init OK, then OUTPUT frames of
 * exactly 8 + output bytes, ERROR or BYE.  It returns only after QUIT.
 */
#include <setjmp.h>
#include <stdint.h>

#include "../../firmware/protocol.h"
#include "fuzz_util.h"
#include "fw_host.h"
#include "fz_fw.h"

int kvp_firmware_main(void);

static void check_sent(vp_decoder *d, int returned)
{
    uint32_t out_bytes = 0, frames = 0;
    for (uint32_t i = 0; i < fz_fw_model.n_outputs; i++)
        out_bytes += fz_fw_model.outputs[i].bytes;
    vp_frame f;
    vp_status st;
    int bye = 0;
    while ((st = vp_next(d, &f)) != VP_MORE) {
        if (st != VP_FRAME)
            fuzz_fail("the firmware sent a malformed frame (decoder status %d)", (int)st);
        if (frames++ == 0 && (f.type != KVP_T_HELLO || kvp_get_u32(f.payload + KVP_HELLO_OFF_STATUS)))
            fuzz_fail("the firmware's first frame is not a HELLO with init OK");
        if (f.type == KVP_T_OUTPUT && f.len != KVP_OUTPUT_FIXED + out_bytes)
            fuzz_fail("OUTPUT of %u bytes, expected %u", f.len, KVP_OUTPUT_FIXED + out_bytes);
        if (f.type != KVP_T_HELLO && f.type != KVP_T_OUTPUT && f.type != KVP_T_ERROR && f.type != KVP_T_BYE)
            fuzz_fail("the firmware sent a frame of type 0x%02x", f.type);
        bye |= f.type == KVP_T_BYE;
    }
    if (d->len != d->pos || d->skipped)
        fuzz_fail("the firmware sent bytes outside frames");
    if (returned != bye)
        fuzz_fail("the firmware %s", returned ? "returned without BYE" : "sent BYE and went on");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vp_decoder sent;
    vp_init(&sent, KVP_MAX_PAYLOAD);
    fw_host_begin(data, size, &sent);
    volatile int returned = 0;
    if (!setjmp(fw_host_eof)) {
        int rc = kvp_firmware_main();
        if (rc != KVP_EXIT_OK)
            fuzz_fail("the firmware exited %d", rc);
        returned = 1;
    }
    check_sent(&sent, returned);
    vp_free(&sent);
    return 0;
}
