/*
 * hostile_names_dump.c - built with one generated network
 * (-DKILN_MODEL=<NET>_model), writes the name each kiln_io_desc holds, byte
 * for byte, to DIR/in<i>.name and DIR/out<i>.name, so tests/e2e/hostile_names.sh
 * can compare them with the names the model file carries.
 *
 *   hostile_names_dump DIR
 */
#include <stdio.h>
#include <string.h>

#include "kiln/model.h"

extern const kiln_model KILN_MODEL;

static int dump(const char *dir, const char *what, uint32_t i, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%u.name", dir, what, (unsigned)i);
    FILE *f = fopen(path, "wb");
    size_t n = strlen(name);
    int ok = f && fwrite(name, 1, n, f) == n;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    int ok = 1;
    for (uint32_t i = 0; i < KILN_MODEL.n_inputs; i++)
        ok = dump(argv[1], "in", i, KILN_MODEL.inputs[i].name) && ok;
    for (uint32_t i = 0; i < KILN_MODEL.n_outputs; i++)
        ok = dump(argv[1], "out", i, KILN_MODEL.outputs[i].name) && ok;
    return ok ? 0 : 1;
}
