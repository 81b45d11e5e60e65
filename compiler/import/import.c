/*
 * import.c - picks the importer for a model file, and `kiln supported-ops`;
 * the attribute reading both importers share (CumSum).
 *
 * The choice is by content, not extension: a TFLite flatbuffer carries the
 * identifier "TFL3" at byte 4; anything else is tried as an ONNX protobuf.
 */
#include "import/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util/fileio.h"
#include "util/sbuf.h"
#include "util/suggest.h"

ir_graph *import_model(const char *path, const import_opts *opts, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    if (!read_file(path, &data, &len, err, errlen))
        return NULL;
    ir_graph *g;
    if (len >= 8 && memcmp(data + 4, "TFL3", 4) == 0)
        g = import_tflite_opts_mem(data, len, path, opts, err, errlen);
    else
        g = import_onnx_mem(data, len, path, opts, err, errlen);
    free(data);
    return g;
}

bool import_cumsum_attrs(ir_node *n, int64_t axis, int rank, bool exclusive, bool reverse)
{
    if (axis < -rank || axis >= rank)
        return false;
    n->attr.axis = (int)(axis < 0 ? axis + rank : axis);
    n->attr.exclusive = exclusive;
    n->attr.reverse = reverse;
    return true;
}

int cmd_supported_ops(int argc, char **argv)
{
    static const char usage[] = "usage: kiln supported-ops\n"
                                "Lists the ONNX operators (with opset ranges) and TFLite builtins (with versions)\n"
                                "Kiln compiles, and the data types each family takes.\n";
    if (argc > 1) {
        if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (argv[1][0] == '-')
            report_unknown_option("supported-ops", argv[1], usage);
        else
            fprintf(stderr, "kiln supported-ops: takes no arguments ('%s')\n%s", argv[1], usage);
        return 2;
    }
    sbuf b = {0};
    onnx_supported_ops(&b);
    sb_printf(&b, "\n");
    tflite_supported_ops(&b);
    fputs(b.s ? b.s : "", stdout);
    sb_free(&b);
    return 0;
}
