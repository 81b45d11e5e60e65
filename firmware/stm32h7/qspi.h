/*
 * qspi.h - the MT25TL01G (two MT25QL512 dies, dual-flash mode) on QUADSPI,
 * memory-mapped read-only at 0x90000000 (qspi.c).
 */
#ifndef KILN_STM32H7_QSPI_H
#define KILN_STM32H7_QSPI_H

/* Pins, controller, a reset of both dies (whatever mode an earlier program
 * or the ST loader left them in), then memory-mapped reads. */
void qspi_init(void);

#endif
