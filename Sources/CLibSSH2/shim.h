#ifndef NETPULSE_CLIBSSH2_SHIM_H
#define NETPULSE_CLIBSSH2_SHIM_H

#include <libssh2.h>

#endif
