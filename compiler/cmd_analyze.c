/*
 * cmd_analyze.c - `kiln analyze MODEL [--json FILE]`: the cost report
 * (per-layer MACC, params, weight bytes, arena and its lower bound) without
 * writing any code.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "emit/report.h"
#include "util/fileio.h"

static const char usage[] = "usage: kiln analyze MODEL [--json FILE] [options]\n"
                            "options:\n" COMPILE_OPTS_HELP
                            "  --json FILE               also write the report as JSON\n";

int cmd_analyze(int argc, char **argv)
{
    compile_opts o = {0};
    const char *model = NULL, *json = NULL;
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        int r = parse_compile_opt(argc, argv, &i, "analyze", &o, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "kiln analyze: --json needs a file\n");
                return 2;
            }
            json = argv[++i];
            if (!arg_once(&seen, "--json", json, "analyze"))
                return 2;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "kiln analyze: unknown option '%s'\n%s", argv[i], usage);
            return 2;
        } else if (!model) {
            model = argv[i];
        } else {
            fprintf(stderr, "kiln analyze: more than one model given\n");
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "kiln analyze: no model given\n%s", usage);
        return 2;
    }
    char err[1024];
    compiled c;
    if (!compile_model(model, &o, &c, err, sizeof err)) {
        fprintf(stderr, "kiln analyze: %s\n", err);
        compiled_free(&c);
        return 2;
    }
    if (!check_compiled_address(&c, "analyze")) {
        compiled_free(&c);
        return 2;
    }
    sbuf r = {0};
    report_text(&c, &r);
    fputs(r.s, stdout);
    sb_free(&r);
    int rc = 0;
    if (json) {
        report_json(&c, &r);
        if (!write_file_atomic(json, r.s, r.len, err, sizeof err)) {
            fprintf(stderr, "kiln analyze: %s\n", err);
            rc = 2;
        }
        sb_free(&r);
    }
    compiled_free(&c);
    return rc;
}
