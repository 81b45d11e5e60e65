/*
 * startup.c - reset and exceptions for the validation firmware on mps2-an500:
 * the vector table, a reset handler that turns the FPU on before any C runs,
 * copies .data, zeroes .bss and paints the stack limit, and one handler for
 * every fault and unexpected interrupt that sends a FAULT frame with the
 * exception frame and fault status registers, then exits with
 * KVP_EXIT_FAULT.
 *
 * Built with -DKILN_FW_HALT (`kiln firmware`: QEMU standing in for a board),
 * the end is a board's: drain the UART and sleep until reset, instead of
 * the semihosting exit that ends QEMU - which would close its pty before
 * the host read the last frame.
 *
 * Relies on the symbols of mps2-an500.ld.  Never returns into a faulting
 * program: after a fault nothing the network computed can be trusted.
 */
#include <stdint.h>

#include "../protocol.h"
#include "board.h"
#include "frames.h"
#include "semihost.h"
#include "uart.h"
#include "startup.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[];
extern char __stack_top[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void reset_c(void) __attribute__((noreturn, used));
void fault_c(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr) __attribute__((noreturn, used));

#define N_IRQ 64
#define IRQ8 Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, \
             Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler

/* Word 0 is the initial stack pointer, the rest handler addresses: a struct
 * keeps the two types apart without casting data to function pointers. */
typedef struct vector_table {
    void *initial_sp;
    void (*handler[15 + N_IRQ])(void);
} vector_table;

__attribute__((section(".vectors"), used)) static const vector_table vectors = {
    __stack_top,
    {
        Reset_Handler,  /* 1 reset */
        Fault_Handler,  /* 2 NMI */
        Fault_Handler,  /* 3 HardFault */
        Fault_Handler,  /* 4 MemManage */
        Fault_Handler,  /* 5 BusFault */
        Fault_Handler,  /* 6 UsageFault */
        0, 0, 0, 0,     /* 7-10 reserved */
        Fault_Handler,  /* 11 SVCall */
        Fault_Handler,  /* 12 DebugMonitor */
        0,              /* 13 reserved */
        Fault_Handler,  /* 14 PendSV */
        SysTick_Handler, /* 15 SysTick (ticks.c) */
        /* 16.. external interrupts: none is enabled; any that fires is a bug. */
        IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8,
    },
};

/* CPACR must grant CP10/CP11 before the first floating-point instruction,
 * and the compiler may use FP registers anywhere in C (even to copy memory),
 * so this runs in assembly before reset_c. */
__attribute__((naked)) void Reset_Handler(void)
{
    __asm__ volatile(
        "ldr r0, =0xE000ED88\n\t"   /* CPACR */
        "ldr r1, [r0]\n\t"
        "orr r1, r1, #(0xF << 20)\n\t" /* CP10, CP11: full access */
        "str r1, [r0]\n\t"
        "dsb\n\t"
        "isb\n\t"
        "b reset_c\n\t"
        ".ltorg\n\t");
}

static void __attribute__((noreturn)) finish(int status)
{
    uart_flush();
#ifdef KILN_FW_HALT
    (void)status;
    for (;;)
        __asm__ volatile("wfi");
#else
    semihost_exit(status);
#endif
}

void reset_c(void)
{
    uint32_t *src = __data_load, *dst;
    for (dst = __data_start; dst < __data_end;)
        *dst++ = *src++;
    for (dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;
    for (dst = __stack_limit; dst < __stack_limit + STACK_PAINT_WORDS;)
        *dst++ = STACK_PAINT;
    finish(main());
}

int stack_intact(void)
{
    const volatile uint32_t *p = __stack_limit;
    uint32_t i;
    for (i = 0; i < STACK_PAINT_WORDS; i++)
        if (p[i] != STACK_PAINT)
            return 0;
    return 1;
}

uint32_t stack_bytes(void)
{
    return (uint32_t)(__stack_top - (char *)__stack_limit);
}

/* Which stack holds the exception frame is in EXC_RETURN bit 2. */
__attribute__((naked)) void Fault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "mrs r2, ipsr\n\t"
        "b fault_c\n\t");
}

void fault_c(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr)
{
    uint8_t p[KVP_FAULT_BYTES];
    uint32_t i;
    (void)exc_return;
    for (i = 0; i < 8; i++)     /* r0 r1 r2 r3 r12 lr pc xpsr */
        kvp_put_u32(p + 4 * i, frame[i]);
    kvp_put_u32(p + KVP_FAULT_OFF_CFSR, SCB_CFSR);
    kvp_put_u32(p + KVP_FAULT_OFF_HFSR, SCB_HFSR);
    kvp_put_u32(p + KVP_FAULT_OFF_MMFAR, SCB_MMFAR);
    kvp_put_u32(p + KVP_FAULT_OFF_BFAR, SCB_BFAR);
    kvp_put_u32(p + KVP_FAULT_OFF_EXC, ipsr & 0x1FFu);
    kvp_send(KVP_T_FAULT, 0, p, sizeof p);
    finish(KVP_EXIT_FAULT);
}
