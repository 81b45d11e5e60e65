/*
 * platform_host.c - platform.h on a machine with a C library.
 */
#include <stdio.h>
#include <stdlib.h>

#include "platform.h"

void platform_init(void)
{
}

void platform_puts(const char *s)
{
    fputs(s, stdout);
}

void platform_exit(int status)
{
    fflush(stdout);
    exit(status);
}
