#ifndef NETPULSE_CLIBSSH_SHIM_H
#define NETPULSE_CLIBSSH_SHIM_H

#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>
#include <sys/epoll.h>

/* ssh_callbacks_init is a macro (it sets the struct's size); these shims do it before registering. */
static inline int netpulse_set_server_callbacks(ssh_session session, struct ssh_server_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
    return ssh_set_server_callbacks(session, cb);
}

static inline int netpulse_set_channel_callbacks(ssh_channel channel, struct ssh_channel_callbacks_struct *cb) {
    ssh_callbacks_init(cb);
    return ssh_set_channel_callbacks(channel, cb);
}

#endif
