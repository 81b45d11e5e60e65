/* onnx_import.c - placeholder until the ONNX importer lands. */
#include <stdio.h>
#include "import/import.h"
#include "util/sbuf.h"

ir_graph *import_onnx_mem(const uint8_t *data, size_t len, const char *path, const import_opts *opts,
                          char *err, size_t errlen)
{
    (void)data; (void)len; (void)opts;
    snprintf(err, errlen, "%s: ONNX import not available in this build yet", path);
    return NULL;
}

ir_graph *import_onnx(const char *path, const import_opts *opts, char *err, size_t errlen)
{
    return import_onnx_mem(NULL, 0, path, opts, err, errlen);
}

void onnx_supported_ops(sbuf *out) { sb_printf(out, "ONNX: (none yet)\n"); }
