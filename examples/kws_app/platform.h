/*
 * platform.h - the three things the example application needs from where it
 * runs: start, print a line, stop.  platform_host.c (any machine with a C
 * library) and platform_mps2.c (Cortex-M7 on QEMU's mps2-an500, bare metal,
 * UART0 and semihosting) implement them; main.c is the same for both.
 */
#ifndef APP_PLATFORM_H
#define APP_PLATFORM_H

void platform_init(void);
void platform_puts(const char *s);      /* writes s as it is (no newline added) */
void platform_exit(int status);

#endif
