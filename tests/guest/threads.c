// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX threads (dynamically linked): a mutex-protected counter shared by
 * four threads, thread-local storage, a condition variable, and a
 * thread blocked in a futex woken by another.
 */
#define _GNU_SOURCE
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
static pid_t tids[NT];

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

static void *waiter(void *arg)
{
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
	int ok = 1, distinct = 1;

	for (i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (i = 0; i < NT; i++) {
		pthread_join(t[i], &ret);
		ok &= (long)ret == 1000 + i;
	}
	kt_check(counter == NT * ITER, "mutex counter %ld == %d", counter, NT * ITER);
	kt_check(ok && tls == 1000, "thread-local storage is per thread");
	for (i = 1; i < NT; i++)
		distinct &= tids[i] != tids[0] && tids[i] != getpid();
	kt_check(distinct, "threads have their own TIDs");

	pthread_create(&w, NULL, waiter, NULL);
	usleep(50 * 1000);
	pthread_mutex_lock(&mu);
	ready = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(w, &ret);
	kt_check((long)ret == 7, "condition variable wakes a sleeping thread");
	return kt_done();
}
