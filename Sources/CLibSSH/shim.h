#ifndef NETPULSE_CLIBSSH_SHIM_H
#define NETPULSE_CLIBSSH_SHIM_H

#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>

#endif
