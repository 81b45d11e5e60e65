/*
 * cmd_analyze.c - `kiln analyze MODEL [--json FILE] [--html FILE]`: the cost
 * report (per-layer MACC, params, weight bytes, RAM; arena and its lower
 * bound; code size estimate) without writing any code.  `--json -` writes
 * the JSON alone to stdout (the text then goes to stderr).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "emit/report.h"
#include "util/fileio.h"
#include "util/suggest.h"

static const char usage[] = "usage: kiln analyze MODEL [--json FILE] [--html FILE] [options]\n"
                            "options:\n" COMPILE_OPTS_HELP BOARD_OPTS_HELP
                            "  --json FILE               also write the report as JSON (- for stdout)\n"
                            "  --html FILE               also write the report as one self-contained HTML page\n";

typedef struct an_opts {
    compile_opts co;
    board_sel board;
    const char *model, *json, *html;
} an_opts;

/* --json and --html: a file, once. */
static int output_opt(int argc, char **argv, int *i, an_opts *o, arg_seen *seen)
{
    const char *a = argv[*i];
    if (strcmp(a, "--json") && strcmp(a, "--html"))
        return 0;
    const char *v = arg_text(argc, argv, i, "analyze", seen, "file");
    if (!v)
        return -1;
    *(!strcmp(a, "--json") ? &o->json : &o->html) = v;
    return 1;
}

static int parse(int argc, char **argv, an_opts *o)
{
    arg_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        int r = parse_compile_opt(argc, argv, &i, "analyze", &o->co, &seen);
        if (r == 0)
            r = parse_board_opt(argc, argv, &i, "analyze", &o->board, &seen);
        if (r == 0)
            r = output_opt(argc, argv, &i, o, &seen);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            report_unknown_option("analyze", argv[i], usage);
            return 2;
        } else if (!o->model) {
            o->model = argv[i];
        } else {
            fprintf(stderr, "kiln analyze: more than one model given ('%s', '%s')\n", o->model, argv[i]);
            return 2;
        }
    }
    if (!o->model) {
        fprintf(stderr, "kiln analyze: no model given\n%s", usage);
        return 2;
    }
    return -1;
}

/* Writes r to path ("-": stdout); prints why not. */
static bool write_out(const char *path, const sbuf *r)
{
    char err[1024];
    if (!strcmp(path, "-")) {
        fputs(r->s ? r->s : "", stdout);
        return true;
    }
    if (write_file_atomic(path, r->s ? r->s : "", r->len, err, sizeof err))
        return true;
    fprintf(stderr, "kiln analyze: %s\n", err);
    return false;
}

int cmd_analyze(int argc, char **argv)
{
    an_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0 || !board_sel_load(&o.board, &o.co, "analyze")) {
        import_opts_free_fixes(&o.co.imp);
        return rc >= 0 ? rc : 2;
    }
    compiled c;
    rc = 2;
    report_board rb;
    const report_board *board = board_sel_report(&o.board, &rb);
    if (compile_for_board(o.model, &o.co, &o.board, "analyze", &c)) {
        sbuf r = {0};
        report_text_board(&c, board, &r);
        fputs(r.s, o.json && !strcmp(o.json, "-") ? stderr : stdout);
        sb_free(&r);
        rc = 0;
        if (o.json) {
            report_json_board(&c, board, &r);
            rc = write_out(o.json, &r) ? rc : 2;
            sb_free(&r);
        }
        if (o.html) {
            report_html(&c, board, &r);
            rc = write_out(o.html, &r) ? rc : 2;
            sb_free(&r);
        }
    }
    compiled_free(&c);
    board_sel_free(&o.board);
    import_opts_free_fixes(&o.co.imp);
    return rc;
}
