// The raw libssh2 floor, for calibrating netpulse-sshbench under the machine's current load.
// Blocking mode, TCP_NODELAY, no Swift: what the C library itself costs on this machine.
//
//   cc -O2 -o /tmp/libssh2-floor scripts/bench/libssh2-floor.c -lssh2
//   NETPULSE_FLOOR=/tmp/libssh2-floor swift run -c release netpulse-sshbench 300 3000
//
// Arguments (given by the bench): port device-port key-file connections commands.
// 1. `connections` times: connect, handshake, public-key login, exec `true`, read to EOF, close.
// 2. One pty shell on the device port: `commands` times `show terminal`, read until the prompt.
//
// NETPULSE_FLOOR_WORK_US=N (environment; 0 to 1000) adds N microseconds of busy user-space work between
// each prompt and the next command, as a client that does that much work per command would. It shows
// what such work costs in all on this machine: on a VM, a client that answers later finds sshd asleep
// and its vCPU halted, so its send pays a cross-CPU wake-up that a quicker client does not.
#include <libssh2.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double wall(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static LIBSSH2_SESSION *login(int port, const char *key, int *fd_out) {
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (connect(fd, (void *)&a, sizeof a)) { perror("connect"); exit(1); }
    LIBSSH2_SESSION *s = libssh2_session_init();
    if (libssh2_session_handshake(s, fd)) { fprintf(stderr, "handshake failed\n"); exit(1); }
    if (libssh2_userauth_publickey_fromfile(s, "nptest", NULL, key, NULL)) { fprintf(stderr, "auth failed\n"); exit(1); }
    *fd_out = fd;
    return s;
}

static void until_prompt(LIBSSH2_CHANNEL *c) {
    char buf[4096], tail[8] = {0};
    for (;;) {
        ssize_t n = libssh2_channel_read(c, buf, sizeof buf);
        if (n <= 0) { fprintf(stderr, "shell read failed\n"); exit(1); }
        for (ssize_t i = 0; i < n; i++) { memmove(tail, tail + 1, 2); tail[2] = buf[i]; }
        if (memcmp(tail, "R1#", 3) == 0) return;
    }
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: port device-port key connections commands\n"); return 2; }
    int port = atoi(argv[1]), device = atoi(argv[2]), n = atoi(argv[4]), commands = atoi(argv[5]);
    const char *key = argv[3];
    const char *work_text = getenv("NETPULSE_FLOOR_WORK_US");
    char *end = NULL;
    double work = work_text ? strtod(work_text, &end) : 0;
    if (work_text && (end == work_text || *end != 0 || work < 0 || work > 1000)) {
        fprintf(stderr, "NETPULSE_FLOOR_WORK_US must be a number of microseconds from 0 to 1000\n");
        return 2;
    }
    libssh2_init(0);
    double start = 0, started = 0;
    for (int i = 0; i < n + 10; i++) {
        if (i == 10) {
            start = cpu();
            started = wall();
        }
        int fd;
        LIBSSH2_SESSION *s = login(port, key, &fd);
        LIBSSH2_CHANNEL *c = libssh2_channel_open_session(s);
        libssh2_channel_exec(c, "true");
        char b[256];
        while (libssh2_channel_read(c, b, sizeof b) > 0) {}
        libssh2_channel_close(c);
        libssh2_channel_free(c);
        libssh2_session_disconnect(s, "bye");
        libssh2_session_free(s);
        close(fd);
    }
    printf("raw C libssh2 fresh connection (connect+auth+exec+close): %.3f ms client CPU, %.2f ms wall, n=%d\n",
           (cpu() - start) / n * 1000, (wall() - started) / n * 1000, n);

    int fd;
    LIBSSH2_SESSION *s = login(device, key, &fd);
    LIBSSH2_CHANNEL *c = libssh2_channel_open_session(s);
    libssh2_channel_request_pty_ex(c, "vt100", 5, NULL, 0, 511, 24, 0, 0);
    libssh2_channel_shell(c);
    until_prompt(c);
    const char *setup = "terminal length 0\r";
    libssh2_channel_write(c, setup, strlen(setup));
    until_prompt(c);
    const char *cmd = "show terminal\r";
    for (int i = 0; i < commands + 50; i++) {
        if (i == 50) {
            start = cpu();
            started = wall();
        }
        if (work > 0) {
            double begun = wall();
            while ((wall() - begun) * 1e6 < work) {}
        }
        libssh2_channel_write(c, cmd, strlen(cmd));
        until_prompt(c);
    }
    if (work > 0) printf("(the figure below with %.0f us of added work per command)\n", work);
    printf("raw C libssh2 command on a reused shell: %.1f us client CPU, %.1f us wall, n=%d\n",
           (cpu() - start) / commands * 1e6, (wall() - started) / commands * 1e6, commands);
    libssh2_channel_free(c);
    libssh2_session_disconnect(s, "bye");
    libssh2_session_free(s);
    close(fd);
    return 0;
}
