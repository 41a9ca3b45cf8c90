// The raw C floor of benchmark (a): a blocking libssh loop doing what one device of the fleet costs at
// the least, against one NetPulseLab device: a fresh TCP connection, key exchange, password login, one
// exec of the command, read to end of file, close. No Swift, no scheduler, no host-key check.
//
//   cc -O2 -o .build/libssh-lab-floor scripts/bench/libssh-lab-floor.c -lssh
//   .build/libssh-lab-floor HOST PORT USER PASSWORD CONNECTIONS "show version"
//
// Prints one JSON object: client CPU per connection (getrusage, after 10 warm-up connections).
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static double wall(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: host port user password connections command\n");
        return 2;
    }
    const char *host = argv[1], *user = argv[3], *password = argv[4], *command = argv[6];
    int port = atoi(argv[2]), n = atoi(argv[5]), one = 1, zero = 0;
    ssh_init();
    double c0 = 0, w0 = 0;
    long bytes = 0;
    for (int i = 0; i < n + 10; i++) {
        if (i == 10) {
            c0 = cpu();
            w0 = wall();
        }
        ssh_session s = ssh_new();
        ssh_options_set(s, SSH_OPTIONS_HOST, host);
        ssh_options_set(s, SSH_OPTIONS_PORT, &port);
        ssh_options_set(s, SSH_OPTIONS_USER, user);
        ssh_options_set(s, SSH_OPTIONS_NODELAY, &one);
        ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &zero);
        if (ssh_connect(s) != SSH_OK) {
            fprintf(stderr, "connect: %s\n", ssh_get_error(s));
            return 1;
        }
        if (ssh_userauth_password(s, NULL, password) != SSH_AUTH_SUCCESS) {
            fprintf(stderr, "auth: %s\n", ssh_get_error(s));
            return 1;
        }
        ssh_channel c = ssh_channel_new(s);
        if (ssh_channel_open_session(c) != SSH_OK || ssh_channel_request_exec(c, command) != SSH_OK) {
            fprintf(stderr, "exec: %s\n", ssh_get_error(s));
            return 1;
        }
        char buffer[4096];
        int count;
        while ((count = ssh_channel_read(c, buffer, sizeof buffer, 0)) > 0) bytes += count;
        ssh_channel_send_eof(c);
        ssh_channel_close(c);
        ssh_channel_free(c);
        ssh_disconnect(s);
        ssh_free(s);
    }
    printf("{\"floor\": \"raw C libssh, blocking, fresh exec connection with password login\", "
           "\"cpu_per_connection_ms\": %.3f, \"wall_per_connection_ms\": %.3f, \"connections\": %d, "
           "\"output_bytes\": %ld}\n",
           (cpu() - c0) / n * 1000, (wall() - w0) / n * 1000, n, bytes);
    return 0;
}
