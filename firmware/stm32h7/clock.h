/*
 * clock.h - the core at 400 MHz, AHB 200 MHz, APBs 100 MHz (clock.c).
 */
#ifndef KILN_STM32H7_CLOCK_H
#define KILN_STM32H7_CLOCK_H

#define H7_APB2_HZ 100000000u   /* USART1's kernel clock (default selection: PCLK2) */
#define H7_HCLK3_HZ 200000000u  /* QUADSPI's kernel clock (default selection: HCLK3) */

void clock_init(void);

#endif
