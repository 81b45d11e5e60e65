/* qemu.c - placeholder until the QEMU mps2-an500 target lands. */
#include <stdio.h>
#include "target/target.h"

target_result target_qemu_run(const compiled *c, const target_opts *o, target_io *io, char *msg,
                              size_t msglen)
{
    (void)c; (void)o; (void)io;
    snprintf(msg, msglen, "the qemu target is not available in this build yet");
    return TARGET_ERROR;
}
