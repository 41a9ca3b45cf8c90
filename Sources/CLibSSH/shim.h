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

/* Lab: accepts a connection already non-blocking and close-on-exec, in one call, so that no child
   process spawned meanwhile by another thread inherits the socket (accept4 needs _GNU_SOURCE). */
int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);
static inline int netpulse_accept_nonblocking(int fd) {
    return accept4(fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

#endif
