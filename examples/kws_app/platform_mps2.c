/*
 * platform_mps2.c - platform.h on QEMU's mps2-an500 (Cortex-M7), bare metal:
 * a vector table and reset handler (FPU on, .data copied, .bss zeroed, then
 * main), output on UART0, exit through semihosting.  The UART and
 * semihosting drivers and the linker script are the validation firmware's
 * (firmware/qemu-mps2-an500/): a real board's port provides the same three
 * functions with its own.
 */
#include <stdint.h>

#include "platform.h"
#include "semihost.h"
#include "uart.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern char __stack_top[];

int main(void);
void Reset_Handler(void);
void app_reset(void) __attribute__((noreturn, used));
static void Fault_Handler(void);

/* Initial stack pointer, reset, and the 14 other system exceptions. */
typedef struct vector_table {
    void *initial_sp;
    void (*handler[15])(void);
} vector_table;

__attribute__((section(".vectors"), used)) static const vector_table vectors = {
    __stack_top,
    {Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
     Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
     Fault_Handler},
};

/* The FPU must be on before any C runs (the compiler may use its registers
 * anywhere, even to copy memory). */
__attribute__((naked)) void Reset_Handler(void)
{
    __asm__ volatile("ldr r0, =0xE000ED88\n\t"
                     "ldr r1, [r0]\n\t"
                     "orr r1, r1, #(0xF << 20)\n\t"
                     "str r1, [r0]\n\t"
                     "dsb\n\t"
                     "isb\n\t"
                     "b app_reset\n\t"
                     ".ltorg\n\t");
}

void app_reset(void)
{
    uint32_t *src = __data_load, *dst;
    for (dst = __data_start; dst < __data_end;)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
    platform_exit(main());
    for (;;)
        ;
}

static void Fault_Handler(void)
{
    platform_puts("kws: fault\n");
    platform_exit(3);
}

void platform_init(void)
{
    uart_init();
}

void platform_puts(const char *s)
{
    while (*s)
        uart_putc((uint8_t)*s++);
}

void platform_exit(int status)
{
    uart_flush();
    semihost_exit(status);
}
