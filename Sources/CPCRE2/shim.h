#ifndef NETPULSE_CPCRE2_SHIM_H
#define NETPULSE_CPCRE2_SHIM_H

// The 8-bit library: pcre2.h then declares pcre2_compile_8 and friends, which Swift imports by name
// (the unsuffixed names are function-like macros and do not import).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#endif
