#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include "weftsys.h"

long weft_copy_file_range(int in_fd, int out_fd, unsigned long len) {
    return (long)copy_file_range(in_fd, NULL, out_fd, NULL, (size_t)len, 0);
}

int weft_syncfs(int fd) { return syncfs(fd); }

int weft_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int weft_spawn(const char *const argv[], const char *const envp[], const char *cwd, int out_fd) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    pid_t pid = 0;
    int rc;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
    if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
    /* Nothing weft holds open (logs, the workspace lock, pipes of other stages)
       leaks into the command. */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    /* Own process group, so the whole tree a command starts can be signalled;
       default signal dispositions, since the engine ignores SIGINT itself. */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    rc = posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, (char *const *)envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? (int)pid : -rc;
}
