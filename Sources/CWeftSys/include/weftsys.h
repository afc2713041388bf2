#ifndef WEFTSYS_H
#define WEFTSYS_H
#include <sys/types.h>

/// Linux-only calls Glibc's Swift overlay does not expose without _GNU_SOURCE.
long weft_copy_file_range(int in_fd, int out_fd, unsigned long len);
int weft_syncfs(int fd);
/// pipe2(fds, O_CLOEXEC).
int weft_pipe_cloexec(int fds[2]);



/// Starts `argv[0]` (a full path) in its own process group, in `cwd`, with
/// stdin from /dev/null and stdout+stderr on `out_fd`. Returns the pid, or -errno.
int weft_spawn(const char *const argv[], const char *const envp[], const char *cwd, int out_fd);
#endif
