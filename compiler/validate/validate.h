/*
 * validate.h - the phases of `kiln validate` (cmd_validate.c runs them in
 * order): load the tensor files, make the inputs and the reference, run the
 * generated code on the target, print the metrics.
 *
 * Data between the phases is sample-major, as the targets exchange it:
 * sample k's inputs are every model input concatenated in order
 * (in_bytes), its outputs every output concatenated (out_bytes).
 */
#ifndef KILN_VALIDATE_H
#define KILN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd_common.h"
#include "compile.h"
#include "import/import.h"

#define VALIDATE_MAX_FILES 64

typedef struct vopts {
    const char *model, *target, *blob, *json, *keep;
    const char *inputs[VALIDATE_MAX_FILES];
    int n_inputs;
    const char *expected[VALIDATE_MAX_FILES];
    int n_expected;
    uint64_t seed, samples;
    bool seed_given;
    double atol, rtol;
    uint64_t max_lsb;
    bool max_lsb_given;
    bool no_crc, verbose;
    compile_opts co;
    /* --target serial (target/serial.h): the port, its speed, the board and
     * the GDB server that programs the blob (NULL: already programmed). */
    const char *port, *gdb;
    unsigned baud;
    unsigned hello_timeout_s;   /* serial: 0 = the default, 30 s */
    board_sel board;
} vopts;

/* ---- vfiles.c: tensor files, inputs ------------------------------------- */

/* A file as read: typed (.npy/.pb: dtype and shape known) or raw bytes. */
typedef struct vfile {
    const char *path;
    bool typed;
    ir_dtype dtype;
    int rank;
    int64_t shape[IR_MAX_DIMS];
    uint8_t *data;
    size_t nbytes;
} vfile;

typedef struct vfileset {
    vfile in[VALIDATE_MAX_FILES], exp[VALIDATE_MAX_FILES];
    int n_in, n_exp;
    /* How the typed --input files were handed to the importer (see
     * vfiles_compile): as they are, or their first sample with the leading
     * dimension set to 1, or dropped. */
    enum { VIEW_AS_IS, VIEW_DIM0_ONE, VIEW_DIM0_DROPPED } view;
    import_value values[VALIDATE_MAX_FILES];
    const import_value *value_ptrs[VALIDATE_MAX_FILES];
} vfileset;

bool vfiles_load(const vopts *o, vfileset *fs, char *err, size_t errlen);
void vfiles_free(vfileset *fs);

/* Compiles the model with the typed --input files as import values (they fix
 * symbolic dimensions and frozen inputs).  A file whose shape the model
 * refuses but whose first sample it takes (leading dimension replaced by 1,
 * or dropped) is a batch: the model is compiled with that sample. */
bool vfiles_compile(const vopts *o, vfileset *fs, compiled *c, char *err, size_t errlen);
/* The import options of the view vfiles_compile chose (the reference
 * evaluator imports the model again with them). */
import_opts vfiles_import_opts(vfileset *fs);

/* The inputs, sample-major: from the files (each holding one sample, or N
 * along a leading batch dimension; all files the same N), or `samples`
 * random ones from the seed.  Refuses files that fit no input, surplus
 * files, and files with different sample counts, naming them. */
typedef struct vbatch {
    size_t samples, in_bytes, out_bytes;
    uint8_t *in, *ref, *out;
    const char *host_cflags;    /* host target: the flags its build used (vrun_target), else NULL */
    struct target_count *count; /* what the target counted per inference (vrun_target), else NULL */
} vbatch;
bool vfiles_inputs(const vopts *o, const vfileset *fs, const ir_graph *g, vbatch *b, char *err,
                   size_t errlen);
/* The --expected files into b->ref, with the same sample count as the inputs. */
bool vfiles_expected(const vfileset *fs, const ir_graph *g, vbatch *b, char *err, size_t errlen);
void vbatch_free(vbatch *b);

/* ---- vref.c: the reference ---------------------------------------------- */

typedef struct vref_info {
    const char *kind;       /* "expected files" or "reference evaluator" */
    int n_quant_nodes;      /* evaluator: nodes with a quantized output */
    int n_approx;           /* of those, computed in double (see ref/eval.h) */
    char approx[256];       /* their first few names and ops */
} vref_info;

/* Fills b->ref: the --expected files, or the reference evaluator run on the
 * model as imported (before any pass), one session over all samples. */
bool vref_make(const vopts *o, vfileset *fs, const compiled *c, vbatch *b, vref_info *info,
               char *err, size_t errlen);

/* ---- vrun.c: the target -------------------------------------------------- */

/* Emits the code into the work directory (--keep or a temporary), builds it
 * for the target and fills b->out.  Returns 0, or 2 after printing why; the
 * work directory is removed unless kept or needed to inspect a failure. */
int vrun_target(const vopts *o, const compiled *c, vbatch *b, uint64_t *insns);

/* ---- vserial.c: --target serial ------------------------------------------ */

/* The serial options belong together: --port and --board with --target
 * serial, never without it; a known baud rate.  Prints why not. */
bool vserial_check_opts(vopts *o);
/* target_serial_run with the options of the command line. */
#include "target/target.h"
target_result vserial_run(const vopts *o, const compiled *c, const target_opts *to, target_io *io, char *msg,
                          size_t msglen);

/* ---- vreport.c: metrics ---------------------------------------------------- */

/* Compares b->out with b->ref output by output, per sample and over all
 * samples; prints the metrics (to stdout, or stderr when the JSON goes to
 * stdout) and writes --json.  Returns 0 (within tolerance), 1 or 2. */
int vreport(const vopts *o, const compiled *c, const vbatch *b, const vref_info *ref, uint64_t insns);

#endif
