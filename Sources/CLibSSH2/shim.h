#ifndef NETPULSE_CLIBSSH2_SHIM_H
#define NETPULSE_CLIBSSH2_SHIM_H

// libssh2 for Swift: the function-like macros of libssh2.h do not import, so each one NetPulse
// needs has a `static inline` wrapper here, plus the keyboard-interactive callback (a C function
// that answers password prompts from a per-session context, so no Swift closure crosses into C).

#include <libssh2.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/// Per-session data reachable from libssh2 callbacks (the session's "abstract" pointer).
typedef struct np_ssh2_context {
    /// The answer to keyboard-interactive password prompts while one is in progress, else NULL.
    const char *kbdint_password;
    size_t kbdint_password_length;
    /// How many prompts were answered, for diagnostics.
    int kbdint_prompts_answered;
    /// Bytes libssh2 sent that the kernel has not taken yet (see np_ssh2_send).
    unsigned char *pending;
    size_t pending_length;
    size_t pending_capacity;
    /// Set at close: every later send fails at once.
    int closed;
    /// For tests: the kernel takes nothing, as when the peer stops reading.
    int simulate_full;
} np_ssh2_context;

/// Sends what this session holds for the socket; returns the bytes still held, or -errno.
static inline long np_ssh2_flush_pending(np_ssh2_context *context, int fd) {
    while (context->pending_length > 0) {
        if (context->simulate_full) return (long)context->pending_length;
        ssize_t sent = send(fd, context->pending, context->pending_length, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return (long)context->pending_length;
            return -errno;
        }
        memmove(context->pending, context->pending + sent, context->pending_length - (size_t)sent);
        context->pending_length -= (size_t)sent;
    }
    return 0;
}

/// libssh2's send callback. libssh2 1.10 cannot take back a packet it began to send: after an EAGAIN
/// it must be called again with the very same data, or it fails with LIBSSH2_ERROR_BAD_USE (a
/// keepalive that met a full socket broke the next channel write). So every send is taken whole:
/// what the kernel does not accept now is kept here, in order, and sent before anything newer.
static ssize_t np_ssh2_send(libssh2_socket_t fd, const void *buffer, size_t length, int flags, void **abstract) {
    np_ssh2_context *context = (np_ssh2_context *)*abstract;
    if (context->closed) return -EPIPE;
    long held = np_ssh2_flush_pending(context, fd);
    if (held < 0) return held;
    size_t sent = 0;
    while (held == 0 && !context->simulate_full && sent < length) {
        ssize_t count = send(fd, (const unsigned char *)buffer + sent, length - sent, flags | MSG_NOSIGNAL);
        if (count < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            return -errno;
        }
        sent += (size_t)count;
    }
    size_t rest = length - sent;
    if (rest > 0) {
        if (context->pending_length + rest > context->pending_capacity) {
            size_t capacity = (context->pending_length + rest) * 2;
            unsigned char *grown = (unsigned char *)realloc(context->pending, capacity);
            if (grown == NULL) return -ENOMEM;
            context->pending = grown;
            context->pending_capacity = capacity;
        }
        memcpy(context->pending + context->pending_length, (const unsigned char *)buffer + sent, rest);
        context->pending_length += rest;
    }
    return (ssize_t)length;
}

static inline LIBSSH2_SESSION *np_ssh2_session_init(np_ssh2_context *context) {
    LIBSSH2_SESSION *session = libssh2_session_init_ex(NULL, NULL, NULL, context);
    if (session != NULL) libssh2_session_callback_set(session, LIBSSH2_CALLBACK_SEND, (void *)np_ssh2_send);
    return session;
}

static inline void np_ssh2_context_free(np_ssh2_context *context) {
    free(context->pending);
    context->pending = NULL;
    context->pending_length = context->pending_capacity = 0;
}

static inline int np_ssh2_session_disconnect(LIBSSH2_SESSION *session) {
    return libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "closing", "");
}

static inline int np_ssh2_userauth_password(LIBSSH2_SESSION *session, const char *user, const char *password) {
    return libssh2_userauth_password_ex(session, user, (unsigned int)strlen(user), password,
                                        (unsigned int)strlen(password), NULL);
}

/// Answers every prompt that does not echo or that asks for a password or passcode with the context's
/// password, and other prompts with an empty line (the rule of SSHCredentialAttempt.answer). libssh2
/// frees the answers.
/// Whether `text` contains `word` (lowercase ASCII), ignoring ASCII case.
static inline int np_ssh2_contains_word(const char *text, const char *word) {
    size_t length = strlen(word);
    for (const char *start = text; *start; start++) {
        size_t i = 0;
        while (i < length && start[i] && (start[i] | 0x20) == word[i]) i++;
        if (i == length) return 1;
    }
    return 0;
}

static void np_ssh2_kbdint_callback(const char *name, int name_len, const char *instruction, int instruction_len,
                                    int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                                    LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract) {
    (void)name; (void)name_len; (void)instruction; (void)instruction_len;
    np_ssh2_context *context = abstract ? (np_ssh2_context *)*abstract : NULL;
    for (int i = 0; i < num_prompts; i++) {
        responses[i].text = NULL;
        responses[i].length = 0;
        if (context == NULL || context->kbdint_password == NULL) continue;
        if (prompts[i].echo) {
            char text[256];
            size_t length = prompts[i].length < sizeof text - 1 ? prompts[i].length : sizeof text - 1;
            memcpy(text, prompts[i].text, length);
            text[length] = 0;
            if (!np_ssh2_contains_word(text, "password") && !np_ssh2_contains_word(text, "passcode")) continue;
        }
        char *copy = (char *)malloc(context->kbdint_password_length + 1);
        if (copy == NULL) continue;
        memcpy(copy, context->kbdint_password, context->kbdint_password_length);
        copy[context->kbdint_password_length] = 0;
        responses[i].text = copy;
        responses[i].length = (unsigned int)context->kbdint_password_length;
        context->kbdint_prompts_answered += 1;
    }
}

static inline int np_ssh2_userauth_kbdint(LIBSSH2_SESSION *session, const char *user) {
    return libssh2_userauth_keyboard_interactive_ex(session, user, (unsigned int)strlen(user),
                                                    np_ssh2_kbdint_callback);
}

/// `public_key` (a public key file's line, or NULL to have libssh2 derive it from the private key) spares
/// libssh2 one parse of the private key.
static inline int np_ssh2_userauth_publickey_memory(LIBSSH2_SESSION *session, const char *user,
                                                    const char *public_key, size_t public_length,
                                                    const char *private_key, size_t length,
                                                    const char *passphrase) {
    return libssh2_userauth_publickey_frommemory(session, user, strlen(user), public_key, public_length,
                                                 private_key, length, passphrase);
}

static inline char *np_ssh2_userauth_list(LIBSSH2_SESSION *session, const char *user) {
    return libssh2_userauth_list(session, user, (unsigned int)strlen(user));
}

static inline LIBSSH2_CHANNEL *np_ssh2_channel_open_session(LIBSSH2_SESSION *session, unsigned int window) {
    return libssh2_channel_open_ex(session, "session", sizeof("session") - 1, window, LIBSSH2_CHANNEL_PACKET_DEFAULT,
                                   NULL, 0);
}

static inline int np_ssh2_channel_request_pty(LIBSSH2_CHANNEL *channel, int width, int height) {
    return libssh2_channel_request_pty_ex(channel, "vt100", sizeof("vt100") - 1, NULL, 0, width, height, 0, 0);
}

static inline int np_ssh2_channel_shell(LIBSSH2_CHANNEL *channel) {
    return libssh2_channel_process_startup(channel, "shell", sizeof("shell") - 1, NULL, 0);
}

static inline int np_ssh2_channel_exec(LIBSSH2_CHANNEL *channel, const char *command) {
    return libssh2_channel_process_startup(channel, "exec", sizeof("exec") - 1, command,
                                           (unsigned int)strlen(command));
}

static inline ssize_t np_ssh2_channel_read(LIBSSH2_CHANNEL *channel, int stream, void *buffer, size_t length) {
    return libssh2_channel_read_ex(channel, stream, (char *)buffer, length);
}

static inline ssize_t np_ssh2_channel_write(LIBSSH2_CHANNEL *channel, const void *buffer, size_t length) {
    return libssh2_channel_write_ex(channel, 0, (const char *)buffer, length);
}

static inline int np_ssh2_channel_send_eof(LIBSSH2_CHANNEL *channel) { return libssh2_channel_send_eof(channel); }

/// The exit signal's name, or NULL (freed by the caller with `np_ssh2_free`).
static inline char *np_ssh2_channel_exit_signal(LIBSSH2_CHANNEL *channel) {
    char *signal = NULL;
    size_t length = 0;
    if (libssh2_channel_get_exit_signal(channel, &signal, &length, NULL, NULL, NULL, NULL) != 0) return NULL;
    return signal;
}

static inline void np_ssh2_free(LIBSSH2_SESSION *session, void *pointer) {
    if (pointer) libssh2_free(session, pointer);
}

#endif
