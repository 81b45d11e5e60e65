/*
 * vserial.c - `kiln validate --target serial`: checks the serial options
 * (--port, --baud, --board, --gdb) against the target and hands them to the
 * serial target (target/serial.h).  The board must have a validation
 * firmware port (target/fw_port.h); its descriptor already set the blob's
 * address in the compile options (board_sel_load), as `kiln firmware` does,
 * so the signature the board reports is comparable.
 */
#include <stdio.h>
#include <string.h>

#include "target/fw_port.h"
#include "target/serial.h"
#include "target/serial_port.h"
#include "validate/validate.h"

bool vserial_check_opts(vopts *o)
{
    bool serial = !strcmp(o->target, "serial");
    const char *stray = o->port ? "--port" : o->gdb ? "--gdb" : o->baud ? "--baud" :
                        o->hello_timeout_s ? "--hello-timeout" : NULL;
    if (!serial && stray) {
        fprintf(stderr, "kiln validate: %s is for --target serial (not --target %s)\n", stray, o->target);
        return false;
    }
    if (!serial)
        return true;
    if (!o->port || !o->board.name) {
        fprintf(stderr, "kiln validate: --target serial needs %s (e.g. --port /dev/ttyACM0 --board "
                        "stm32h747i-disco)\n", !o->port ? "the board's serial port: --port DEV" : "--board B");
        return false;
    }
    if (!fw_port_find(o->board.name)) {
        fprintf(stderr, "kiln validate: --board %s has no validation firmware port (ports: %s)\n", o->board.name,
                fw_port_names());
        return false;
    }
    if (!o->baud)
        o->baud = 115200;
    if (!sport_baud_ok(o->baud)) {
        fprintf(stderr, "kiln validate: --baud %u is not a speed the serial port takes (9600, 19200, 38400, "
                        "57600, 115200, 230400, 460800, 921600, 1000000, 2000000)\n", o->baud);
        return false;
    }
    return true;
}

target_result vserial_run(const vopts *o, const compiled *c, const target_opts *to, target_io *io, char *msg,
                          size_t msglen)
{
    serial_opts so = {o->port, o->baud, o->board.name, o->board.dir, o->gdb, NULL,
                      o->hello_timeout_s ? (int)o->hello_timeout_s : 30};
    return target_serial_run(c, to, &so, io, msg, msglen);
}
