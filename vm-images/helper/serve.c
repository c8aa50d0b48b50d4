/*
 * `serve`: a session on stdin/stdout. Each line `ID VERB ARGS...` gets exactly one reply
 * line with that id; asynchronous SIGBUS events go out as soon as they arrive, even while
 * the helper waits for input.
 *
 * SIGBUS stays blocked while the loop is idle and is unblocked atomically inside ppoll():
 * a signal that lands between printing the pending events and going to sleep still wakes
 * the loop (plain read() could sleep with an event unreported). Requests run with it
 * unblocked, because a synchronous SIGBUS that is blocked kills the process outright.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "events.h"
#include "targets.h"

#define INPUT_MAX (64 * 1024)
#define MAX_WORDS 1024

int helper_serving;

void cmd_quit(struct reply *r, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	r->quit = 1;
}

static int parse_id(const char *word, long long *id)
{
	size_t n = strlen(word);
	if (n == 0 || n > 15)
		return -1;
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (word[i] < '0' || word[i] > '9')
			return -1;
		v = v * 10 + (word[i] - '0');
	}
	*id = v;
	return 0;
}

/* Handles one request line; returns 1 when the session should end. */
static int handle_line(char *line)
{
	char *words[MAX_WORDS];
	int n = 0;
	long long id;

	for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS) {
			n = -1;
			break;
		}
		words[n++] = w;
	}
	if (n == 0)
		return 0; /* blank lines are allowed */
	if (n < 0 || parse_id(words[0], &id)) {
		event_error(n < 0 ? "request has too many words" :
				    "request line must start with a decimal id: ID VERB ARGS...");
		return 0;
	}

	struct reply r;
	reply_init(&r, id);
	if (n < 2) {
		reply_usage(&r, "missing verb after id");
	} else if (strcmp(words[1], "serve") == 0) {
		reply_usage(&r, "already serving");
	} else {
		const struct command *c = command_find(words[1]);
		if (c)
			command_run(c, &r, n - 2, words + 2);
		else
			reply_usage(&r, "unknown verb '%s'", words[1]);
	}
	/* Events caused by the request (an AO during it) go out before its reply, so they are
	 * in the harness's log by the time the reply resolves. */
	events_flush();
	reply_emit(&r);
	int quit = r.quit;
	reply_free(&r);
	return quit;
}

int serve(void)
{
	static char input[INPUT_MAX];
	size_t len = 0;
	int discarding = 0; /* inside an over-long line: drop bytes until its newline */
	sigset_t bus, idle_mask, run_mask;

	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	sigprocmask(SIG_BLOCK, &bus, &run_mask); /* run_mask: SIGBUS unblocked */
	sigprocmask(SIG_BLOCK, NULL, &idle_mask);

	helper_serving = 1;
	event_ready();
	for (;;) {
		events_flush();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		if (ppoll(&pfd, 1, NULL, &run_mask) < 0) {
			if (errno == EINTR)
				continue;
			perror("memharness-helper: ppoll");
			break;
		}
		ssize_t got = read(STDIN_FILENO, input + len, sizeof(input) - 1 - len);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			perror("memharness-helper: read");
			break;
		}
		if (got == 0) {
			/* EOF: the harness went away. A last line without newline still counts. */
			if (len && !discarding) {
				input[len] = '\0';
				sigprocmask(SIG_SETMASK, &run_mask, NULL);
				handle_line(input);
				sigprocmask(SIG_SETMASK, &idle_mask, NULL);
			}
			break;
		}
		len += (size_t)got;

		size_t start = 0;
		for (char *nl; (nl = memchr(input + start, '\n', len - start)) != NULL;) {
			*nl = '\0';
			int quit = 0;
			if (discarding) {
				discarding = 0;
			} else {
				sigprocmask(SIG_SETMASK, &run_mask, NULL);
				quit = handle_line(input + start);
				sigprocmask(SIG_SETMASK, &idle_mask, NULL);
			}
			start = (size_t)(nl - input) + 1;
			if (quit) {
				target_destroy_all();
				return 0;
			}
		}
		memmove(input, input + start, len - start);
		len -= start;
		if (len == sizeof(input) - 1) {
			if (!discarding)
				event_error("request line too long; ignored");
			discarding = 1;
			len = 0;
		}
	}
	target_destroy_all();
	return 0;
}
