/*
 * fw_host.h - the validation firmware's hardware, simulated on the host for
 * fuzz_firmware.c: UART0 receives the bytes of one fuzz input and transmits
 * into a frame decoder; the tick counter and the stack check are stubs.
 *
 * When the firmware asks for a byte past the end of the input, uart_getc()
 * jumps back to fw_host_eof: the firmware's endless serve loop ends there.
 */
#ifndef KILN_FUZZ_FW_HOST_H
#define KILN_FUZZ_FW_HOST_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "target/vproto.h"

extern jmp_buf fw_host_eof;

/* Next input for the UART, and where what the firmware sends goes. */
void fw_host_begin(const uint8_t *rx, size_t n, vp_decoder *tx);

#endif
