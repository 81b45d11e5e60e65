/*
 * qspi.c - QUADSPI in memory-mapped mode for the discovery boards' MT25TL01G,
 * written from RM0399 (QUADSPI chapter) and the Micron MT25Q datasheet.
 *
 * Two MT25QL512 dies sit on the two QUADSPI banks in dual-flash mode: the
 * controller sends every command to both and interleaves data bytes (even
 * bytes die 1, odd bytes die 2), so the host sees one 128 MiB memory.
 * Reads use 4-BYTE QUAD INPUT/OUTPUT FAST READ (0xEC: instruction on one
 * line, 32-bit address and data on four, 10 dummy clocks by default), which
 * needs neither the dies' 4-byte address mode nor their QPI mode: the dies'
 * power-on defaults.  Because the ST BSP and external loader switch the
 * dies to QPI (and a debugger may leave them mid-command), both dies are
 * reset first with RESET ENABLE (0x66) + RESET MEMORY (0x99), once on four
 * lines (heard in QPI mode) and once on one line (heard in SPI mode).
 *
 * Pins (STM32H747XI alternate-function table, board pin summary): CLK PB2
 * AF9, BK1_NCS PG6 AF10, BK1_IO0 PD11 AF9, BK1_IO1 PF9 AF10, BK1_IO2 PF7
 * AF9, BK1_IO3 PF6 AF9, BK2_IO0 PH2 AF9, BK2_IO1 PH3 AF9, BK2_IO2 PG9 AF9,
 * BK2_IO3 PG14 AF9.  Clock: HCLK3 200 MHz / 2 = 100 MHz (the dies take
 * 133 MHz single-rate).
 */
#include "qspi.h"

#include <stdint.h>

#include "regs.h"

#define CR_EN (1u << 0)
#define CR_ABORT (1u << 1)
#define CR_SSHIFT (1u << 4)
#define CR_DFM (1u << 6)
#define CR_PRESCALER(x) ((uint32_t)(x) << 24)
#define DCR_CSHT(x) ((uint32_t)(x) << 8)
#define DCR_FSIZE(x) ((uint32_t)(x) << 16)
#define SR_TCF (1u << 1)
#define SR_BUSY (1u << 5)
#define FCR_CTCF (1u << 1)
#define CCR_IMODE(x) ((uint32_t)(x) << 8)
#define CCR_ADMODE(x) ((uint32_t)(x) << 10)
#define CCR_ADSIZE(x) ((uint32_t)(x) << 12)
#define CCR_DCYC(x) ((uint32_t)(x) << 18)
#define CCR_DMODE(x) ((uint32_t)(x) << 24)
#define CCR_FMODE(x) ((uint32_t)(x) << 26)
#define LINES_1 1u
#define LINES_4 3u
#define ADSIZE_32 3u
#define FMODE_MAPPED 3u

typedef struct qpin {
    uint8_t port, pin, af;
} qpin;

static const qpin pins[] = {
    {PORT_B, 2, 9},  {PORT_G, 6, 10}, {PORT_D, 11, 9}, {PORT_F, 9, 10}, {PORT_F, 7, 9},
    {PORT_F, 6, 9},  {PORT_H, 2, 9},  {PORT_H, 3, 9},  {PORT_G, 9, 9},  {PORT_G, 14, 9},
};

static void pin_af(const qpin *p)
{
    uint32_t sh2 = 2u * p->pin, sh4 = 4u * (p->pin & 7u);
    GPIO_AFR(p->port, p->pin) = (GPIO_AFR(p->port, p->pin) & ~(0xFu << sh4)) | ((uint32_t)p->af << sh4);
    GPIO_OSPEEDR(p->port) |= 3u << sh2;                                 /* very high speed */
    GPIO_PUPDR(p->port) &= ~(3u << sh2);
    GPIO_MODER(p->port) = (GPIO_MODER(p->port) & ~(3u << sh2)) | (2u << sh2); /* alternate function */
}

/* An instruction-only command in indirect mode; the controller starts it
 * when CCR is written and raises TCF when it is out. */
static void command(uint8_t instruction, uint32_t lines)
{
    while (QSPI_SR & SR_BUSY)
        ;
    QSPI_CCR = CCR_IMODE(lines) | instruction;
    while (!(QSPI_SR & SR_TCF))
        ;
    QSPI_FCR = FCR_CTCF;
}

/* MT25Q: a reset takes at most 40 us when no program/erase was running (and
 * the dies were idle: the debugger halted the core, not a write).  Generous
 * busy-wait at 400 MHz. */
static void delay_reset(void)
{
    for (volatile uint32_t i = 0; i < 400000u; i++)
        ;
}

void qspi_init(void)
{
    RCC_AHB4ENR |= (1u << PORT_B) | (1u << PORT_D) | (1u << PORT_F) | (1u << PORT_G) | (1u << PORT_H);
    RCC_AHB3ENR |= 1u << 14;        /* QSPIEN */
    (void)RCC_AHB3ENR;              /* the enable takes effect before the next access */
    for (uint32_t i = 0; i < sizeof pins / sizeof pins[0]; i++)
        pin_af(&pins[i]);

    if (QSPI_SR & SR_BUSY) {        /* whatever a debugger or a loader left running */
        QSPI_CR |= CR_ABORT;
        while (QSPI_CR & CR_ABORT)
            ;
    }
    QSPI_CR = 0;
    /* 2^(26+1) = 128 MiB over both dies; CS high 3 cycles between commands. */
    QSPI_DCR = DCR_FSIZE(26u) | DCR_CSHT(2u);
    QSPI_CR = CR_PRESCALER(1u) | CR_DFM | CR_SSHIFT | CR_EN;

    command(0x66, LINES_4);
    command(0x99, LINES_4);
    delay_reset();
    command(0x66, LINES_1);
    command(0x99, LINES_1);
    delay_reset();

    while (QSPI_SR & SR_BUSY)
        ;
    QSPI_CCR = CCR_FMODE(FMODE_MAPPED) | CCR_DMODE(LINES_4) | CCR_DCYC(10u) | CCR_ADSIZE(ADSIZE_32) |
               CCR_ADMODE(LINES_4) | CCR_IMODE(LINES_1) | 0xECu;
}
