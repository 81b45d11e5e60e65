/* tflite_import.c - placeholder until the TFLite importer lands. */
#include <stdio.h>
#include "import/import.h"
#include "util/sbuf.h"

ir_graph *import_tflite_mem(const uint8_t *data, size_t len, const char *path, char *err, size_t errlen)
{
    (void)data; (void)len;
    snprintf(err, errlen, "%s: TFLite import not available in this build yet", path);
    return NULL;
}

ir_graph *import_tflite(const char *path, char *err, size_t errlen)
{
    return import_tflite_mem(NULL, 0, path, err, errlen);
}

void tflite_supported_ops(sbuf *out) { sb_printf(out, "TFLite: (none yet)\n"); }
