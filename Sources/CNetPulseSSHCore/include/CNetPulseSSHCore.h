#ifndef NETPULSE_CNETPULSESSHCORE_H
#define NETPULSE_CNETPULSESSHCORE_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#include <dirent.h>
#include <string.h>
#include <stdint.h>
#include <stddef.h>
#include <poll.h>

/// The fd stored in an epoll event (the union member does not import cleanly).
static inline int np_epoll_event_fd(const struct epoll_event *event) { return event->data.fd; }

static inline void np_epoll_set_fd(struct epoll_event *event, int fd) { event->data.fd = fd; }

/// Marks the calling thread as a readiness-loop thread, for ``np_is_loop_thread``.
void np_mark_loop_thread(void);

/// Whether the calling thread was marked by ``np_mark_loop_thread`` (a thread-local flag).
int np_is_loop_thread(void);

/// An HMAC-SHA1 key with its inner and outer SHA-1 states already computed, so that each message
/// costs two compression rounds (hashed known_hosts names: one key per line, many lookups).
typedef struct np_hmac_sha1_key {
    unsigned char opaque[256];
} np_hmac_sha1_key;

/// Prepares `key` for HMAC-SHA1 with the given secret (any length).
void np_hmac_sha1_prepare(np_hmac_sha1_key *key, const uint8_t *secret, size_t length);

/// HMAC-SHA1 of `message` under a prepared key, into 20 bytes at `out`.
void np_hmac_sha1(const np_hmac_sha1_key *key, const uint8_t *message, size_t length, uint8_t *out);

/// SHA-256 of `data`, into 32 bytes at `out` (host-key fingerprints).
void np_sha256(const uint8_t *data, size_t length, uint8_t *out);

#endif
