// SPDX-License-Identifier: GPL-2.0
/*
 * Inter-process data paths: 4 MiB through a pipe with a checksum, poll
 * readiness, a socketpair round trip and a TCP loopback round trip.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kt.h"

#define TOTAL (4u << 20)

static unsigned int sum(const unsigned char *p, size_t n, unsigned int s)
{
	while (n--)
		s = s * 31 + *p++;
	return s;
}

static int tcp_roundtrip(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int l, c, s, i;
	char b[8];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &al))
		return 0;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&a, sizeof(a)))
		return 0;
	s = accept(l, NULL, NULL);
	for (i = 0; i < 100; i++) {
		if (write(c, "ping", 4) != 4 || read(s, b, 4) != 4 || memcmp(b, "ping", 4) ||
		    write(s, "pong", 4) != 4 || read(c, b, 4) != 4 || memcmp(b, "pong", 4))
			return 0;
	}
	close(s);
	close(c);
	close(l);
	return 1;
}

int main(void)
{
	static unsigned char buf[65536];
	unsigned int want = 0, got = 0;
	size_t done = 0, i;
	struct pollfd pfd;
	int fds[2], sp[2], st;
	ssize_t r;
	pid_t pid;
	char c;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i ^ (i >> 8));
	for (i = 0; i < TOTAL / sizeof(buf); i++)
		want = sum(buf, sizeof(buf), want);

	kt_check(pipe(fds) == 0, "pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		for (i = 0; i < TOTAL / sizeof(buf); i++)
			if (write(fds[1], buf, sizeof(buf)) != sizeof(buf))
				_exit(1);
		_exit(0);
	}
	close(fds[1]);
	memset(buf, 0, sizeof(buf));
	while ((r = read(fds[0], buf, sizeof(buf))) > 0) {
		got = sum(buf, r, got);
		done += r;
	}
	close(fds[0]);
	waitpid(pid, &st, 0);
	kt_check(done == TOTAL && got == want && WIFEXITED(st) && !WEXITSTATUS(st),
		 "4 MiB through a pipe, checksum %08x", got);

	pipe(fds);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	kt_check(poll(&pfd, 1, 0) == 0, "poll: empty pipe is not readable");
	write(fds[1], "z", 1);
	kt_check(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN), "poll: readable after a write");
	close(fds[0]);
	close(fds[1]);

	kt_check(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "AF_UNIX socketpair");
	pid = fork();
	if (pid == 0) {
		while (read(sp[1], &c, 1) == 1 && c != '\n')
			write(sp[1], &c, 1);
		_exit(0);
	}
	for (i = 0, st = 1; i < 200; i++) {
		c = 'a' + i % 26;
		write(sp[0], &c, 1);
		if (read(sp[0], &c, 1) != 1 || c != 'a' + (char)(i % 26))
			st = 0;
	}
	write(sp[0], "\n", 1);
	waitpid(pid, NULL, 0);
	kt_check(st, "200 AF_UNIX round trips");

	kt_check(tcp_roundtrip(), "100 TCP loopback round trips");
	return kt_done();
}
