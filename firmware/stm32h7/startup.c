/*
 * startup.c - reset and exceptions of the validation firmware on the
 * STM32H747I-DISCO / STM32H745I-DISCO Cortex-M7: the vector table (linked at
 * 0x08000000, the M7's boot address), a reset handler that turns the FPU on
 * before any C runs, copies .data, zeroes .bss, paints the stack limit and
 * brings the board up (board_init) before main(); one handler for every
 * fault and unexpected interrupt that sends a FAULT frame.  Implements
 * ../qemu-mps2-an500/startup.h.
 *
 * A board has no semihosting to exit through: when main() returns (after
 * QUIT, or when init refused the blob) or a fault was reported, the core
 * drains the UART and sleeps until the next reset.  Relies on the symbols
 * of stm32h7-m7.ld.
 */
#include <stdint.h>

#include "../protocol.h"
#include "../qemu-mps2-an500/frames.h"
#include "../qemu-mps2-an500/startup.h"
#include "../qemu-mps2-an500/uart.h"
#include "port.h"
#include "regs.h"

extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern uint32_t __stack_limit[];
extern char __stack_top[];

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void reset_c(void) __attribute__((noreturn, used));
void fault_c(const uint32_t *frame, uint32_t exc_return, uint32_t ipsr) __attribute__((noreturn, used));

/* STM32H747: 150 interrupt lines; none is enabled, any that fires is a bug. */
#define N_IRQ 152
#define IRQ8 Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, \
             Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler

typedef struct vector_table {
    void *initial_sp;
    void (*handler[15 + N_IRQ])(void);
} vector_table;

__attribute__((section(".vectors"), used)) const vector_table vectors = {
    __stack_top,
    {
        Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
        0, 0, 0, 0,                 /* 7-10 reserved */
        Fault_Handler, Fault_Handler, 0, Fault_Handler,
        SysTick_Handler,            /* 15 (ticks.c) */
        IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8,
        IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8, IRQ8,
    },
};

/* CPACR must grant CP10/CP11 before the first floating-point instruction. */
__attribute__((naked)) void Reset_Handler(void)
{
    __asm__ volatile(
        "ldr r0, =0xE000ED88\n\t"
        "ldr r1, [r0]\n\t"
        "orr r1, r1, #(0xF << 20)\n\t"
        "str r1, [r0]\n\t"
        "dsb\n\t"
        "isb\n\t"
        "b reset_c\n\t"
        ".ltorg\n\t");
}

static void __attribute__((noreturn)) stop(void)
{
    uart_flush();
    for (;;)
        __asm__ volatile("wfi");
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
    board_init();
    (void)main();
    stop();
}

int stack_intact(void)
{
    const volatile uint32_t *p = __stack_limit;
    for (uint32_t i = 0; i < STACK_PAINT_WORDS; i++)
        if (p[i] != STACK_PAINT)
            return 0;
    return 1;
}

uint32_t stack_bytes(void)
{
    return (uint32_t)(__stack_top - (char *)__stack_limit);
}

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
    (void)exc_return;
    for (uint32_t i = 0; i < 8; i++)
        kvp_put_u32(p + 4 * i, frame[i]);
    kvp_put_u32(p + KVP_FAULT_OFF_CFSR, SCB_CFSR);
    kvp_put_u32(p + KVP_FAULT_OFF_HFSR, SCB_HFSR);
    kvp_put_u32(p + KVP_FAULT_OFF_MMFAR, SCB_MMFAR);
    kvp_put_u32(p + KVP_FAULT_OFF_BFAR, SCB_BFAR);
    kvp_put_u32(p + KVP_FAULT_OFF_EXC, ipsr & 0x1FFu);
    kvp_send(KVP_T_FAULT, 0, p, sizeof p);
    stop();
}
