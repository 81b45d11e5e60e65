/*
 * test_quant_util.c - the compile-time quantization arithmetic against
 * values worked out by hand from TFLite's definitions (shown in comments).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "passes/quant_util.h"

static void check_qm(double m, int32_t want_q, int want_shift)
{
    int32_t q;
    int s;
    qu_quantize_multiplier(m, &q, &s);
    assert_int_equal(q, want_q);
    assert_int_equal(s, want_shift);
}

static void quantize_multiplier_known_scales(void **state)
{
    (void)state;
    check_qm(0.5, 1073741824, 0);        /* frexp(0.5) = 0.5 * 2^0; 0.5 * 2^31 */
    check_qm(1.0, 1073741824, 1);        /* 0.5 * 2^1 */
    check_qm(0.75, 1610612736, 0);       /* 0.75 * 2^31 */
    check_qm(0.1, 1717986918, -3);       /* 0.1 = 0.8 * 2^-3; 0.8 * 2^31 = 1717986918.4 */
    check_qm(-0.75, -1610612736, 0);     /* negative multipliers keep their sign */
    check_qm(0.0, 0, 0);
}

static void quantize_multiplier_edges(void **state)
{
    (void)state;
    /* 1 - 2^-40: mantissa * 2^31 rounds up to 2^31, renormalised to 2^30, shift + 1. */
    check_qm(1.0 - ldexp(1.0, -40), 1073741824, 1);
    /* 2^-40 = 0.5 * 2^-39: shift -39 < -31 flushes to zero. */
    check_qm(ldexp(1.0, -40), 0, 0);
    /* Ties of the mantissa round away from zero: 0.5 + 2^-32 -> 2^30 + 0.5 -> 2^30 + 1. */
    check_qm(0.5 + ldexp(1.0, -32), 1073741825, 0);
}

static void frexp_multiplier_for_logistic(void **state)
{
    (void)state;
    int32_t q;
    int s;
    /* s_in = 0.1: 0.1 * 2^27 = 13421772.8 = 0.8 * 2^24. */
    assert_true(qu_frexp_multiplier(0.1 * 134217728.0, &q, &s));
    assert_int_equal(q, 1717986918);
    assert_int_equal(s, 24);
}

static void input_radius(void **state)
{
    (void)state;
    assert_int_equal(qu_input_radius(5, 20, 31), 1984); /* 31 * 2^26 / 2^20 = 31 * 64 */
    assert_int_equal(qu_input_radius(4, 24, 31), 120);  /* 15 * 2^27 / 2^24 = 15 * 8 */
    assert_int_equal(qu_input_radius(4, 25, 31), 60);   /* 15 * 4 */
    assert_int_equal(qu_input_radius(4, 27, 31), 15);   /* 15 * 2^27 / 2^27 */
    assert_int_equal(qu_input_radius(4, 28, 31), 7);    /* floor(7.5) */
}

static void softmax_scaling(void **state)
{
    (void)state;
    int32_t q;
    int ls;
    /* beta 1, scale 1/256: 2^-8 * 2^26 = 2^18 = 0.5 * 2^19. */
    qu_softmax_scaling(1.0, 1.0 / 256, 5, &q, &ls);
    assert_int_equal(q, 1073741824);
    assert_int_equal(ls, 19);
    /* diff_min = -floor(31 * 2^26 / 2^19) = -3968 */
    assert_int_equal(-qu_input_radius(5, ls, 31), -3968);
    /* A huge beta*scale is capped at 2^31 - 1 = ((2^31 - 1) / 2^31) * 2^31: the mantissa
     * times 2^31 is the integer 2^31 - 1 exactly, shift 31. */
    qu_softmax_scaling(1.0, 1000.0, 5, &q, &ls);
    assert_int_equal(q, 2147483647);
    assert_int_equal(ls, 31);
}

static void downscale_to_int16(void **state)
{
    (void)state;
    assert_int_equal(qu_downscale_multiplier_i16(1073741824), 16384);  /* (2^30 + 2^15) >> 16 */
    assert_int_equal(qu_downscale_multiplier_i16(1717986918), 26214);  /* 0.8 * 2^15 = 26214.4 */
    assert_int_equal(qu_downscale_multiplier_i16(INT32_MAX), 32767);   /* saturates */
}

static void activation_ranges(void **state)
{
    (void)state;
    int32_t lo, hi;
    ir_act relu6 = {true, 0.0f, 6.0f}, relu = {true, 0.0f, INFINITY}, n1 = {true, -1.0f, 1.0f};
    ir_act none = {false, 0.0f, 0.0f};
    /* scale 0.05, zp -10: 0 -> -10; 6 / 0.05 = 120 -> 110; -1 / 0.05 = -20 -> -30. */
    qu_activation_range(&relu6, 0.05f, -10, -128, 127, &lo, &hi);
    assert_int_equal(lo, -10);
    assert_int_equal(hi, 110);
    qu_activation_range(&relu, 0.05f, -10, -128, 127, &lo, &hi);
    assert_int_equal(lo, -10);
    assert_int_equal(hi, 127);
    qu_activation_range(&n1, 0.05f, -10, -128, 127, &lo, &hi);
    assert_int_equal(lo, -30);
    assert_int_equal(hi, 10);
    qu_activation_range(&none, 0.05f, -10, -128, 127, &lo, &hi);
    assert_int_equal(lo, -128);
    assert_int_equal(hi, 127);
    /* 6 / 0.01 = 600 beyond the range: the type's max stays. */
    qu_activation_range(&relu6, 0.01f, 100, -128, 127, &lo, &hi);
    assert_int_equal(lo, 100);
    assert_int_equal(hi, 127);
    /* roundf is half away from zero: 0.25 / 0.1 = 2.5 -> 3 (float 0.25f/0.1f = 2.4999998 -> 2). */
    ir_act q = {true, 0.25f, INFINITY};
    qu_activation_range(&q, 0.5f, 0, -128, 127, &lo, &hi); /* 0.25 / 0.5 = 0.5 -> 1 */
    assert_int_equal(lo, 1);
}

static void mean_multiplier(void **state)
{
    (void)state;
    int32_t m;
    int s;
    /* 1.0 = (2^30, 1); count 49: shift floor(log2 49) = 5, 2^35 / 49 = 701219150.37 -> 701219150. */
    qu_mean_multiplier(1073741824, 1, 49, &m, &s);
    assert_int_equal(m, 701219150);
    assert_int_equal(s, -4);
    /* 0.5 = (2^30, 0); count 4: shift 2, 2^30 * 4 / 4. */
    qu_mean_multiplier(1073741824, 0, 4, &m, &s);
    assert_int_equal(m, 1073741824);
    assert_int_equal(s, -2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quantize_multiplier_known_scales),
        cmocka_unit_test(quantize_multiplier_edges),
        cmocka_unit_test(frexp_multiplier_for_logistic),
        cmocka_unit_test(input_radius),
        cmocka_unit_test(softmax_scaling),
        cmocka_unit_test(downscale_to_int16),
        cmocka_unit_test(activation_ranges),
        cmocka_unit_test(mean_multiplier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
