// What one system call of a readiness wait costs on this machine, in microseconds: the calls NetPulse
// makes around each wait (setsockopt TCP_QUICKACK, epoll_ctl re-arm, libssh's poll, a recv that finds
// nothing, a zero-timeout epoll_wait), each repeated 200,000 times on a connected loopback TCP pair.
//
//   cc -O2 -o /tmp/syscall-cost scripts/bench/syscall-cost.c && /tmp/syscall-cost
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

#define COUNT 200000
#define MEASURE(label, call)                                              \
    do {                                                                  \
        double start = seconds();                                         \
        for (int i = 0; i < COUNT; i++) (void)(call);                     \
        printf("%-28s %.3f us\n", label, (seconds() - start) / COUNT * 1e6); \
    } while (0)

int main(void) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) != 0) {
        perror("listen on 127.0.0.1");
        return 1;
    }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (client < 0 || connect(client, (struct sockaddr *)&address, sizeof address) != 0) {
        perror("connect to 127.0.0.1");
        return 1;
    }
    int server = accept(listener, NULL, NULL);
    int epoll = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN | EPOLLONESHOT, .data.fd = client};
    if (server < 0 || epoll < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, client, &event) != 0) {
        perror("accept / epoll");
        return 1;
    }
    int one = 1;
    char buffer[64];
    struct pollfd poller = {.fd = client, .events = POLLIN};
    struct epoll_event events[8];
    MEASURE("setsockopt TCP_QUICKACK", setsockopt(client, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one));
    MEASURE("epoll_ctl MOD (re-arm)", epoll_ctl(epoll, EPOLL_CTL_MOD, client, &event));
    MEASURE("poll, timeout 0", poll(&poller, 1, 0));
    MEASURE("recv, nothing there", recv(client, buffer, sizeof buffer, MSG_DONTWAIT));
    MEASURE("epoll_wait, timeout 0", epoll_wait(epoll, events, 8, 0));
    MEASURE("getpid", getpid());
    close(server);
    close(client);
    close(listener);
    close(epoll);
    return 0;
}
