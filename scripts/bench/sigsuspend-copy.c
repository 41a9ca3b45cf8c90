// Preloaded under valgrind 3.19 (scripts/bench/callgrind.sh, fakenos-profile.sh): libdispatch's main thread
// (Swift's async main) parks in sigsuspend() on a mask in read-only memory, and valgrind's rt_sigsuspend
// wrapper writes into that mask (SIGSEGV inside valgrind). This sigsuspend hands the kernel a copy; the
// main thread only sleeps there, so it adds nothing to the work measured.
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, 8);
}
