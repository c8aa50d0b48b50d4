/* write-file: one write(2) to a sysfs/debugfs file, so the kernel's errno comes back exactly
 * (a shell's `echo >` only prints a message, and may split or retry the write). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

void cmd_write_file(struct reply *r, int argc, char **argv)
{
	const char *path = argv[0], *value = argv[1];
	size_t length = strlen(value);
	ssize_t n;
	int err = 0;
	(void)argc;

	/* No O_CREAT/O_TRUNC: the files this is for exist, and a typo must not create one. */
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		reply_syscall(r, -1, err);
		reply_fail(r, err, "cannot open %s for writing", path);
		return;
	}
	/* EINTR means the write never happened (an asynchronous SIGBUS came first). */
	do {
		n = write(fd, value, length);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno;
	int close_err = close(fd) != 0 ? errno : 0;

	reply_syscall(r, n, err);
	if (n < 0)
		reply_fail(r, err, "write of '%s' to %s failed", value, path);
	else if ((size_t)n != length)
		reply_fail(r, 0, "short write to %s: %zd of %zu bytes", path, n, length);
	else if (close_err)
		reply_fail(r, close_err, "close of %s failed after the write", path);
}
