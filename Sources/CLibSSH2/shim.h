#ifndef NETPULSE_CLIBSSH2_SHIM_H
#define NETPULSE_CLIBSSH2_SHIM_H

// libssh2 for Swift: the function-like macros of libssh2.h do not import, so each one NetPulse
// needs has a `static inline` wrapper here, plus the keyboard-interactive callback (a C function
// that answers password prompts from a per-session context, so no Swift closure crosses into C).

#include <libssh2.h>
#include <stdlib.h>
#include <string.h>

/// Per-session data reachable from libssh2 callbacks (the session's "abstract" pointer).
typedef struct np_ssh2_context {
    /// The answer to keyboard-interactive password prompts while one is in progress, else NULL.
    const char *kbdint_password;
    size_t kbdint_password_length;
    /// How many prompts were answered, for diagnostics.
    int kbdint_prompts_answered;
} np_ssh2_context;

static inline LIBSSH2_SESSION *np_ssh2_session_init(np_ssh2_context *context) {
    return libssh2_session_init_ex(NULL, NULL, NULL, context);
}

static inline int np_ssh2_session_disconnect(LIBSSH2_SESSION *session) {
    return libssh2_session_disconnect_ex(session, SSH_DISCONNECT_BY_APPLICATION, "closing", "");
}

static inline int np_ssh2_userauth_password(LIBSSH2_SESSION *session, const char *user, const char *password) {
    return libssh2_userauth_password_ex(session, user, (unsigned int)strlen(user), password,
                                        (unsigned int)strlen(password), NULL);
}

/// Answers every prompt that does not echo (a password prompt) with the context's password, and
/// echoing prompts with an empty line. libssh2 frees the answers.
static void np_ssh2_kbdint_callback(const char *name, int name_len, const char *instruction, int instruction_len,
                                    int num_prompts, const LIBSSH2_USERAUTH_KBDINT_PROMPT *prompts,
                                    LIBSSH2_USERAUTH_KBDINT_RESPONSE *responses, void **abstract) {
    (void)name; (void)name_len; (void)instruction; (void)instruction_len;
    np_ssh2_context *context = abstract ? (np_ssh2_context *)*abstract : NULL;
    for (int i = 0; i < num_prompts; i++) {
        responses[i].text = NULL;
        responses[i].length = 0;
        if (context == NULL || context->kbdint_password == NULL || prompts[i].echo) continue;
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

static inline int np_ssh2_userauth_publickey_file(LIBSSH2_SESSION *session, const char *user,
                                                  const char *private_key, const char *passphrase) {
    return libssh2_userauth_publickey_fromfile_ex(session, user, (unsigned int)strlen(user), NULL, private_key,
                                                  passphrase);
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

static inline int np_ssh2_knownhost_add_line(LIBSSH2_KNOWNHOSTS *hosts, const char *line, size_t length) {
    return libssh2_knownhost_readline(hosts, line, length, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
}

static inline int np_ssh2_knownhost_check(LIBSSH2_KNOWNHOSTS *hosts, const char *host, int port, const char *key,
                                          size_t key_length, int key_type) {
    struct libssh2_knownhost *found = NULL;
    int typemask = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | key_type;
    return libssh2_knownhost_checkp(hosts, host, port, key, key_length, typemask, &found);
}

#endif
