/*
 * test_tensor_file.c - TensorProto (.pb) and NumPy (.npy) tensor files.
 * The .npy files are written byte by byte following the NumPy format
 * description (magic, version, little-endian header length, a Python dict
 * literal padded with spaces and ending in '\n', then the data); the .pb is a
 * conformance input whose values onnx's own reader printed (see comments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "import/tensor_file.h"

static size_t npy(uint8_t *out, const char *dict, const void *data, size_t n)
{
    size_t hl = strlen(dict);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)hl;
    out[9] = (uint8_t)(hl >> 8);
    memcpy(out + 10, dict, hl);
    memcpy(out + 10 + hl, data, n);
    return 10 + hl + n;
}

static void test_npy_float(void **state)
{
    (void)state;
    uint8_t buf[256];
    const float v[6] = {1, 2, 3, -4, 5.5f, 6};
    size_t n = npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }      \n", v, sizeof v);
    tensor_value t;
    char err[256];
    assert_true(tensor_mem_read(buf, n, "a.npy", &t, err, sizeof err));
    assert_int_equal(t.dtype, IR_DT_F32);
    assert_int_equal(t.rank, 2);
    assert_int_equal(t.shape[0], 2);
    assert_int_equal(t.shape[1], 3);
    assert_int_equal(t.nbytes, sizeof v);
    assert_memory_equal(t.data, v, sizeof v);
    tensor_value_free(&t);
    /* A scalar: shape (). */
    n = npy(buf, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n", "\x07\0\0\0\0\0\0\0", 8);
    assert_true(tensor_mem_read(buf, n, "s.npy", &t, err, sizeof err));
    assert_int_equal(t.rank, 0);
    assert_int_equal(t.dtype, IR_DT_S64);
    assert_int_equal(*(int64_t *)t.data, 7);
    tensor_value_free(&t);
}

static void test_npy_big_endian_swapped(void **state)
{
    (void)state;
    uint8_t buf[256];
    /* '>i2' values 0x0102 and -2 (0xfffe), stored big-endian. */
    const uint8_t be[4] = {0x01, 0x02, 0xff, 0xfe};
    size_t n = npy(buf, "{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }\n", be, 4);
    tensor_value t;
    char err[256];
    assert_true(tensor_mem_read(buf, n, "b.npy", &t, err, sizeof err));
    assert_int_equal(t.dtype, IR_DT_S16);
    assert_int_equal(((int16_t *)t.data)[0], 0x0102);
    assert_int_equal(((int16_t *)t.data)[1], -2);
    tensor_value_free(&t);
}

static void test_npy_refusals(void **state)
{
    (void)state;
    uint8_t buf[256];
    tensor_value t;
    char err[256];
    const float v[4] = {0};
    size_t n = npy(buf, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", v, sizeof v);
    assert_false(tensor_mem_read(buf, n, "f.npy", &t, err, sizeof err));
    assert_non_null(strstr(err, "Fortran"));
    n = npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", v, sizeof v);
    assert_false(tensor_mem_read(buf, n, "t.npy", &t, err, sizeof err));
    assert_non_null(strstr(err, "need 24"));
    n = npy(buf, "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", v, 8);
    assert_false(tensor_mem_read(buf, n, "c.npy", &t, err, sizeof err));
    /* Header length past the end of the file. */
    n = npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", v, 4);
    buf[9] = 0x7f;
    assert_false(tensor_mem_read(buf, n, "h.npy", &t, err, sizeof err));
}

/* Reads `n` bytes from an allocation of exactly n bytes, so that the
 * sanitizer build catches any read past the end. */
static bool read_exact_alloc(const uint8_t *bytes, size_t n, const char *path, tensor_value *t, char *err,
                             size_t errlen)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    bool ok = tensor_mem_read(copy, n, path, t, err, errlen);
    free(copy);
    return ok;
}

/* The header that ends right after the byte-order character of 'descr'
 * (the file's own header length says so) used to be read past its end. */
static void test_npy_header_ending_in_descr(void **state)
{
    (void)state;
    uint8_t buf[64];
    tensor_value t;
    char err[256];
    size_t n = npy(buf, "{'descr': '<", "", 0);
    assert_false(read_exact_alloc(buf, n, "d.npy", &t, err, sizeof err));
    assert_non_null(strstr(err, "descr"));
    n = npy(buf, "{'descr': '", "", 0);
    assert_false(read_exact_alloc(buf, n, "d.npy", &t, err, sizeof err));
    n = npy(buf, "{'descr", "", 0);
    assert_false(read_exact_alloc(buf, n, "d.npy", &t, err, sizeof err));
}

/* Every prefix of a valid header, with the header length saying so, is
 * either refused or (when only padding was cut) read correctly; none is read
 * past its end. */
static void test_npy_every_truncated_header(void **state)
{
    (void)state;
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }   \n";
    const float v[2] = {1.5f, -2};
    uint8_t buf[256];
    char err[256];
    for (size_t k = 0; k <= strlen(dict); k++) {
        char head[128];
        memcpy(head, dict, k);
        head[k] = 0;
        size_t n = npy(buf, head, v, sizeof v);
        tensor_value t;
        if (read_exact_alloc(buf, n, "p.npy", &t, err, sizeof err)) {
            assert_true(k >= strlen("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }"));
            assert_memory_equal(t.data, v, sizeof v);
            tensor_value_free(&t);
        }
    }
}

static void test_npy_header_grammar(void **state)
{
    (void)state;
    static const struct {
        const char *dict, *why;
    } bad[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (2,), }", "twice"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", "extra"},
        {"{'descr': '<f4', 'fortran_order': False, }", "lacks 'shape'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", "after"},
        {"{'descr': '<f4\\\\', 'fortran_order': False, 'shape': (2,), }", "descr"},
        {"{'descr': '<f4x', 'fortran_order': False, 'shape': (2,), }", "descr"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", "descr"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", "fortran_order"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 2), }", "shape"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1,1), }", "shape"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", "malformed"},
        {"'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "start"},
    };
    const float v[2] = {0};
    uint8_t buf[256];
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = npy(buf, bad[i].dict, v, sizeof v);
        tensor_value t;
        assert_false(read_exact_alloc(buf, n, "g.npy", &t, err, sizeof err));
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].dict, err, bad[i].why);
    }
    /* What NumPy also writes: double quotes, no trailing comma, 'L' suffixes. */
    size_t n = npy(buf, "{\"descr\": \"<f4\", \"shape\": (2L,), \"fortran_order\": False}\n", v, sizeof v);
    tensor_value t;
    assert_true(read_exact_alloc(buf, n, "q.npy", &t, err, sizeof err));
    assert_int_equal(t.rank, 1);
    assert_int_equal(t.shape[0], 2);
    tensor_value_free(&t);
}

/* Every prefix of a valid TensorProto is refused or read without touching a
 * byte outside it (the sanitizer build checks the second half). */
static void test_pb_every_prefix(void **state)
{
    (void)state;
    tensor_value t;
    char err[512];
    FILE *f = fopen("../shared/conformance/onnx-node/test_qlinearmatmul_2D_int8_float32/"
                    "test_data_set_0/input_0.pb", "rb");
    if (!f)
        skip();
    uint8_t bytes[4096];
    size_t len = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    int ok = 0;
    for (size_t k = 0; k <= len; k++) {
        if (read_exact_alloc(bytes, k, "p.pb", &t, err, sizeof err)) {
            ok++;
            tensor_value_free(&t);
        }
    }
    assert_true(ok >= 1);   /* the whole file at least */
}

static void test_pb_conformance_input(void **state)
{
    (void)state;
    /* test_qlinearmatmul_2D_int8_float32 input_0: int8 [2,4]
     * [[81, 109, -127, 111], [-124, 87, -128, -98]] (as onnx.numpy_helper reads it). */
    tensor_value t;
    char err[512];
    assert_true(tensor_file_read("../shared/conformance/onnx-node/test_qlinearmatmul_2D_int8_float32/"
                                 "test_data_set_0/input_0.pb", &t, err, sizeof err));
    assert_int_equal(t.dtype, IR_DT_S8);
    assert_int_equal(t.rank, 2);
    assert_int_equal(t.shape[0], 2);
    assert_int_equal(t.shape[1], 4);
    const int8_t want[8] = {81, 109, -127, 111, -124, 87, -128, -98};
    assert_memory_equal(t.data, want, 8);
    assert_string_equal(t.name, "a");
    tensor_value_free(&t);
    /* An int4 tensor is refused by name. */
    assert_false(tensor_file_read("../shared/conformance/onnx-node/test_dequantizelinear_int4/"
                                  "test_data_set_0/input_0.pb", &t, err, sizeof err));
    assert_non_null(strstr(err, "INT4"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_float),
        cmocka_unit_test(test_npy_big_endian_swapped),
        cmocka_unit_test(test_npy_refusals),
        cmocka_unit_test(test_npy_header_ending_in_descr),
        cmocka_unit_test(test_npy_every_truncated_header),
        cmocka_unit_test(test_npy_header_grammar),
        cmocka_unit_test(test_pb_conformance_input),
        cmocka_unit_test(test_pb_every_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
