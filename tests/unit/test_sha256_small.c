/*
 * test_sha256_small.c - the one-round-a-pass SHA-256 (what -Os firmware
 * builds: runtime/sha256.c under KILN_SHA256_SMALL) against the same
 * published values as test_sha256.c.  The runtime source is compiled into
 * this test with the macro set; the archive's copy is then not linked.
 */
#define KILN_SHA256_SMALL 1
#include "../../runtime/sha256.c"
#include "test_sha256.c"
