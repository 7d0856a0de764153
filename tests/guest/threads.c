// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX threads (dynamically linked): a mutex-protected counter shared by
 * four threads, thread-local storage, a condition variable, and a
 * thread blocked in a futex woken by another.  The blocking is not left
 * to luck: main holds the mutex until workers wait for it in a futex, and
 * signals the condition only once the waiter sleeps in one
 * (/proc/self/task/TID/syscall).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kt.h"

#define NT 4
#define ITER 100000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int ready;
static __thread long tls = 1000;
static pid_t tids[NT], waiter_tid;

static void *worker(void *arg)
{
	long id = (long)arg, i;

	tls += id;
	tids[id] = syscall(SYS_gettid);
	for (i = 0; i < ITER; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	return (void *)tls;
}

/* Threads of this process blocked in futex() now, @not excluded. */
static int in_futex(pid_t not)
{
	char path[64], buf[64];
	int n = 0, i, fd;
	ssize_t r;

	for (i = 0; i < NT + 1; i++) {
		pid_t t = i < NT ? tids[i] : waiter_tid;

		if (t <= 0 || t == not)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", t);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r > 0) {
			buf[r] = 0;
			n += atoi(buf) == SYS_futex;
		}
	}
	return n;
}

/* Waits up to 10 s for @want threads in futex(); returns how many. */
static int wait_in_futex(int want)
{
	int n = 0, i;

	for (i = 0; i < 10000 && (n = in_futex(0)) < want; i++)
		usleep(1000);
	return n;
}

static void *waiter(void *arg)
{
	waiter_tid = syscall(SYS_gettid);
	pthread_mutex_lock(&mu);
	while (!ready)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return (void *)7;
}

int main(void)
{
	pthread_t t[NT], w;
	void *ret;
	long i;
	int ok = 1, distinct = 1, blocked;

	/* The workers start while main holds the mutex: they block on it. */
	pthread_mutex_lock(&mu);
	for (i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	blocked = wait_in_futex(2);
	pthread_mutex_unlock(&mu);
	kt_check(blocked >= 2, "workers blocked in futex() on the held mutex (%d)", blocked);
	for (i = 0; i < NT; i++) {
		pthread_join(t[i], &ret);
		ok &= (long)ret == 1000 + i;
	}
	kt_check(counter == NT * ITER, "mutex counter %ld == %d", counter, NT * ITER);
	kt_check(ok && tls == 1000, "thread-local storage is per thread");
	for (i = 1; i < NT; i++)
		distinct &= tids[i] != tids[0] && tids[i] != getpid();
	kt_check(distinct, "threads have their own TIDs");

	memset(tids, 0, sizeof(tids));	/* the workers are gone */
	pthread_create(&w, NULL, waiter, NULL);
	blocked = wait_in_futex(1);
	kt_check(blocked == 1, "the waiter sleeps in futex() before it is signalled");
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(w, &ret);
	kt_check((long)ret == 7, "condition variable wakes a sleeping thread");
	return kt_done();
}
