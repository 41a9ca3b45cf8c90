#ifndef NETPULSE_CNETPULSEIO_H
#define NETPULSE_CNETPULSEIO_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#include <dirent.h>
#include <string.h>
#include <poll.h>

/// The fd stored in an epoll event (the union member does not import cleanly).
static inline int netpulse_epoll_event_fd(const struct epoll_event *event) { return event->data.fd; }

static inline void netpulse_epoll_set_fd(struct epoll_event *event, int fd) { event->data.fd = fd; }

#endif
