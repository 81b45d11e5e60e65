/*
 * cmd_generate.c - `kiln generate MODEL -o DIR`: the C code, the weights
 * (inline array or blob), the build fragments (NET.mk, NET.cmake) and the
 * reports (text, JSON, HTML), written atomically into DIR.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "emit/emit_c.h"
#include "emit/report.h"
#include "util/suggest.h"

static const char usage[] =
    "usage: kiln generate MODEL -o DIR [options]\n"
    "Writes DIR/NET.h, DIR/NET.c, DIR/NET_data.c (inline) or DIR/NET_data.bin (external),\n"
    "DIR/NET.mk and DIR/NET.cmake (the sources and include directories an application's\n"
    "build needs), DIR/NET_report.txt, DIR/NET_report.json and DIR/NET_report.html.\n"
    "options:\n"
    "  -o DIR                    the output directory (created if needed)\n" COMPILE_OPTS_HELP BOARD_OPTS_HELP
    "  -q, --quiet               do not print the report\n";

typedef struct gen_opts {
    compile_opts co;
    board_sel board;
    const char *model, *dir;
    bool quiet;
} gen_opts;

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, gen_opts *o)
{
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        int r = parse_compile_opt(argc, argv, &i, "generate", &o->co, &seen);
        if (r == 0)
            r = parse_board_opt(argc, argv, &i, "generate", &o->board, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "-o")) {
            const char *v = arg_text(argc, argv, &i, "generate", &seen, "directory");
            if (!v)
                return 2;
            o->dir = v;
        } else if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet")) {
            o->quiet = true;
        } else if (argv[i][0] == '-') {
            report_unknown_option("generate", argv[i], usage);
            return 2;
        } else if (!o->model) {
            o->model = argv[i];
        } else {
            fprintf(stderr, "kiln generate: more than one model given ('%s', '%s')\n", o->model, argv[i]);
            return 2;
        }
    }
    if (!o->model || !o->dir) {
        fprintf(stderr, "kiln generate: %s\n%s", o->model ? "no output directory (-o DIR)" : "no model given",
                usage);
        return 2;
    }
    return -1;
}

int cmd_generate(int argc, char **argv)
{
    gen_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0 || !board_sel_load(&o.board, &o.co, "generate")) {
        import_opts_free_fixes(&o.co.imp);
        return rc >= 0 ? rc : 2;
    }
    char err[1024];
    compiled c;
    rc = 2;
    report_board rb;
    const report_board *board = board_sel_report(&o.board, &rb);
    if (compile_for_board(o.model, &o.co, &o.board, "generate", &c)) {
        if (!emit_all_board(&c, o.dir, board, err, sizeof err)) {
            fprintf(stderr, "kiln generate: %s\n", err);
        } else {
            if (!o.quiet) {
                sbuf r = {0};
                report_text_board(&c, board, &r);
                fputs(r.s, stdout);
                sb_free(&r);
            }
            printf("wrote %s/%s.h, %s.c, %s_data.%s, %s.mk, %s.cmake, %s_report.{txt,json,html}\n", o.dir,
                   c.name, c.name, c.name, c.weights == WEIGHTS_INLINE ? "c (inline weights)" : "bin (weights blob)",
                   c.name, c.name, c.name);
            rc = 0;
        }
    }
    compiled_free(&c);
    board_sel_free(&o.board);
    import_opts_free_fixes(&o.co.imp);
    return rc;
}
