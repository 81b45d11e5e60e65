/*
 * nor_read.c - the read-time model of the simulated NOR flash (nor_read.h).
 *
 * Figures from the Micron N25Q128A datasheet's quad I/O fast read (0xEB):
 * the opcode on one line (8 clocks), the 24-bit address on four (6 clocks),
 * 10 dummy clocks at the default configuration, then two clocks per byte on
 * four lines, at up to 108 MHz.  A model, not a measurement: a controller's
 * own latency per command and the MCU's bus are not in it.
 */
#include "flash/nor_read.h"

static const nor_read_model quad_io = {
    "quad I/O fast read 0xEB at 108 MHz (8 + 6 + 10 clocks per command, 2 per byte; N25Q128A datasheet)",
    108e6, 8u + 6u + 10u, 2u};

const nor_read_model *nor_read_default(void)
{
    return &quad_io;
}

double nor_read_seconds(const nor_read_model *m, uint64_t reads, uint64_t bytes)
{
    return ((double)reads * m->overhead_clocks + (double)bytes * m->clocks_per_byte) / m->clock_hz;
}
