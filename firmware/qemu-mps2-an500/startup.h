/*
 * startup.h - what startup.c offers the rest of the firmware: a check that
 * the stack never grew past its limit (the lowest words are painted at
 * reset), and the stack's size for messages.
 */
#ifndef KILN_MPS2_STARTUP_H
#define KILN_MPS2_STARTUP_H

#include <stdint.h>

#define STACK_PAINT 0xDEADC0DEu
#define STACK_PAINT_WORDS 64u

/* 1 while the painted words at the stack limit are untouched. */
int stack_intact(void);
uint32_t stack_bytes(void);

#endif
