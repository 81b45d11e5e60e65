/*
 * fw_port.c - the table of validation-firmware ports (fw_port.h).  Adding a
 * board port is a directory under firmware/ and one entry here.
 */
#include "target/fw_port.h"

#include <string.h>

static const char *const protocol_sources[] = {
    "firmware/qemu-mps2-an500/main.c",
    "firmware/qemu-mps2-an500/frames.c",
    "firmware/qemu-mps2-an500/profile.c",
    NULL,
};

static const fw_port ports[] = {
    {"qemu-mps2-an500", "firmware/qemu-mps2-an500", "mps2-an500.ld", NULL, 0x60000000u,
     "instructions (QEMU -icount: SysTick ticks x 40)", true, true},
    /* The Cortex-M7 core of both discovery boards: same MCU family, same
     * MT25TL01G on QUADSPI at 0x90000000, ST-LINK VCP on USART1. */
    {"stm32h747i-disco", "firmware/stm32h7", "stm32h7-m7.ld", protocol_sources, 0x90000000u,
     "cycles (DWT CYCCNT of the Cortex-M7 at 400 MHz)", false, false},
    {"stm32h745i-disco", "firmware/stm32h7", "stm32h7-m7.ld", protocol_sources, 0x90000000u,
     "cycles (DWT CYCCNT of the Cortex-M7 at 400 MHz)", false, false},
};

const fw_port *fw_port_find(const char *board)
{
    for (size_t i = 0; board && i < sizeof ports / sizeof ports[0]; i++)
        if (!strcmp(board, ports[i].board))
            return &ports[i];
    return NULL;
}

const char *fw_port_names(void)
{
    return "qemu-mps2-an500, stm32h745i-disco, stm32h747i-disco";
}
