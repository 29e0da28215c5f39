/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness of vireo-vmm's vhost-user frontend (vhost/vu_*.c): what a backend
 * answers.  The frontend listens (server mode); the harness connects as the backend and,
 * before the frontend reads anything, writes the input's bytes as everything the backend
 * will ever say on that connection, then shuts its sending side (the frontend sees the end
 * of the stream where the input ends: no waiting on timeouts).  The frontend then lives a
 * device's whole life: handshake, features, memory table, two rings, status, call fd
 * change, ring enable, poll, stop; then a second connection and a restore.  An input is
 *   byte 0:        bit 0: an fd (of /dev/null) comes with the first connection's bytes,
 *                  bit 1: one with the second connection's;
 *   bytes 1-2:     how many of the rest the first connection carries (little endian);
 *   the rest:      the first connection's bytes, then the second's.
 * Checked: nothing crashes or reads out of bounds (ASan, UBSan); every call returns 0 or a
 * negative errno with a message; no fd is left open once the device is destroyed (fds a
 * backend passes are closed by the frontend).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vhost_user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE (64u << 10)

static char sock_path[108];
static int ram_fd = -1;
static uint8_t *ram;

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		abort();
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
setup_once(void)
{
	char dir[] = "/tmp/fuzz-frontend.XXXXXX";

	if (ram != NULL)
		return;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sock_path, sizeof(sock_path), "%s/vu.sock", dir);
	ram_fd = memfd_create("fuzz-frontend-ram", MFD_CLOEXEC);
	if (ram_fd < 0 || ftruncate(ram_fd, RAM_SIZE) < 0)
		abort();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	if (ram == MAP_FAILED)
		abort();
}

/* Connect to the frontend as the backend and say 'len' bytes of 'p' (with an fd if
 * 'with_fd'), then stop sending.  Returns the backend's socket (the frontend's requests
 * pile up there unread; they are small), or -1. */
static int
backend_say(const uint8_t *p, size_t len, int with_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)p, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd, extra = -1;

	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	if (with_fd && len > 0) {
		struct cmsghdr *c;

		extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &extra, sizeof(int));
	}
	/* The input is at most a few KiB: one send fits the socket buffer. */
	if (len > 0 && sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		abort();
	if (extra >= 0)
		close(extra);
	shutdown(fd, SHUT_WR);
	return fd;
}

static void
check_rc(struct vu_dev *dev, int rc)
{
	/* Every failure is a negative errno and says what failed. */
	if (rc > 0 || (rc < 0 && vu_dev_error(dev)[0] == '\0'))
		abort();
}

static void
ring_at(struct vu_ring *r, unsigned int i)
{
	uint8_t *base = ram + i * 8192;

	memset(r, 0, sizeof(*r));
	r->size = 64;
	r->desc = base;
	r->avail = base + 16 * 64;
	r->used = base + 4096;
	r->kick_fd = -1;
	r->call_fd = -1;
	r->enabled = true;
}

/* A device's life on the first connection. */
static void
live(struct vu_dev *dev)
{
	struct vu_mem_region region = {
		.gpa = 0, .size = RAM_SIZE, .hva = ram, .fd = ram_fd, .fd_offset = 0,
	};
	struct vu_ring ring;
	uint16_t base;

	check_rc(dev, vu_dev_connect(dev, 0));
	check_rc(dev, vu_dev_set_features(dev, vu_net_offer(dev, ~0ull)));
	check_rc(dev, vu_dev_set_mem_table(dev, &region, 1));
	for (unsigned int i = 0; i < 2; i++) {
		ring_at(&ring, i);
		check_rc(dev, vu_ring_start(dev, i, &ring));
	}
	check_rc(dev, vu_dev_set_status(dev, 0x0f));
	check_rc(dev, vu_ring_set_call(dev, 1, -1));
	check_rc(dev, vu_ring_enable(dev, 0, false));
	check_rc(dev, vu_ring_stop(dev, 1, &base));
	/* Whatever the backend said beyond the replies is unsolicited. */
	if (vu_dev_fd(dev) >= 0)
		check_rc(dev, vu_dev_poll(dev));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vu_opts opts = { .server = true, .timeout_ms = 100, .queue_pairs = 2 };
	uint16_t bases[2] = { 0, 0 };
	struct vu_dev *dev;
	size_t first;
	char *err = NULL;
	int fds_before, b;

	setup_once();
	if (size < 3)
		return 0;
	first = (size_t)data[1] | (size_t)data[2] << 8;
	if (first > size - 3)
		first = size - 3;
	fds_before = count_fds();
	opts.path = sock_path;
	if (vu_dev_create(&dev, &opts, &err) < 0) {
		fprintf(stderr, "vu_dev_create: %s\n", err);
		abort();
	}
	b = backend_say(data + 3, first, data[0] & 1);
	live(dev);
	close(b);
	/* The backend comes back and the frontend restores what the guest set up. */
	vu_dev_disconnect(dev);
	b = backend_say(data + 3 + first, size - 3 - first, data[0] & 2);
	check_rc(dev, vu_dev_connect(dev, 0));
	if (vu_dev_connected(dev))
		check_rc(dev, vu_dev_restore(dev, bases, 2));
	check_rc(dev, vu_dev_stop(dev));
	close(b);
	vu_dev_destroy(dev);
	if (count_fds() != fds_before) {
		fprintf(stderr, "fds: %d before, %d after\n", fds_before, count_fds());
		abort();
	}
	return 0;
}
