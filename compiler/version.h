/*
 * version.h - the version `kiln --version` prints.  The generated code and
 * the blob carry their own format numbers (include/kiln/blob.h); this one
 * names the tool.
 */
#ifndef KILN_VERSION_H
#define KILN_VERSION_H

#define KILN_VERSION "0.1.0"

#endif
