#ifndef WEFTSYS_H
#define WEFTSYS_H
#include <sys/types.h>

/// Linux-only calls Glibc's Swift overlay does not expose without _GNU_SOURCE.
long weft_copy_file_range(int in_fd, int out_fd, unsigned long len);
int weft_syncfs(int fd);

#endif
