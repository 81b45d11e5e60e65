/*
 * cmd_generate.c - `kiln generate MODEL -o DIR`: the C code, the weights
 * (inline array or blob) and the report, written atomically into DIR.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "emit/emit_c.h"
#include "emit/report.h"

static const char usage[] =
    "usage: kiln generate MODEL -o DIR [options]\n"
    "Writes DIR/NET.h, DIR/NET.c, DIR/NET_data.c (inline) or DIR/NET_data.bin (external),\n"
    "DIR/NET_report.txt and DIR/NET_report.json.\n"
    "options:\n" COMPILE_OPTS_HELP
    "  -q, --quiet               do not print the report\n";

int cmd_generate(int argc, char **argv)
{
    compile_opts o = {0};
    const char *model = NULL, *dir = NULL;
    int quiet = 0;
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        int r = parse_compile_opt(argc, argv, &i, "generate", &o, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kiln generate: -o needs a directory\n");
                return 2;
            }
            dir = argv[++i];
            if (!arg_once(&seen, "-o", dir, "generate"))
                return 2;
            if (!*dir) {
                fprintf(stderr, "kiln generate: -o needs a directory, not an empty string\n");
                return 2;
            }
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "kiln generate: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (!model) {
            model = argv[i];
        } else {
            fprintf(stderr, "kiln generate: more than one model given ('%s', '%s')\n", model, argv[i]);
            return 2;
        }
    }
    if (!model || !dir) {
        fprintf(stderr, "kiln generate: %s\n%s", model ? "no output directory (-o DIR)" : "no model given",
                usage);
        return 2;
    }
    char err[1024];
    compiled c;
    if (!compile_model(model, &o, &c, err, sizeof err)) {
        fprintf(stderr, "kiln generate: %s\n", err);
        compiled_free(&c);
        return 2;
    }
    if (!check_compiled_address(&c, "generate")) {
        compiled_free(&c);
        return 2;
    }
    if (!emit_all(&c, dir, err, sizeof err)) {
        fprintf(stderr, "kiln generate: %s\n", err);
        compiled_free(&c);
        return 2;
    }
    if (!quiet) {
        sbuf r = {0};
        report_text(&c, &r);
        fputs(r.s, stdout);
        sb_free(&r);
    }
    printf("wrote %s/%s.h, %s.c, %s_data.%s, %s_report.txt, %s_report.json\n", dir, c.name, c.name, c.name,
           c.weights == WEIGHTS_INLINE ? "c (inline weights)" : "bin (weights blob)", c.name, c.name);
    compiled_free(&c);
    return 0;
}
