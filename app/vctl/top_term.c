/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl top's terminal: plain termios and ANSI escapes (no curses: one
 * screen of text rewritten in place needs nothing more). Keys come one
 * at a time without echo; Ctrl-C still signals (ISIG kept), so the
 * command's handler ends the loop and the terminal is given back on the
 * way out. An atexit() hook gives it back too, should anything exit()
 * while it is raw.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "top.h"

/* The alternate screen (the shell's screen comes back at the end), cursor hidden. */
#define ENTER_SEQ "\033[?1049h\033[?25l\033[H\033[2J"
#define LEAVE_SEQ "\033[?25h\033[?1049l"

static struct termios saved;
static bool raw_keys;  /* stdin set raw: saved holds its settings */
static bool on_screen; /* the alternate screen is shown */

void top_term_leave(void)
{
	if (raw_keys)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	raw_keys = false;
	if (on_screen) {
		fputs(LEAVE_SEQ, stdout);
		fflush(stdout);
	}
	on_screen = false;
}

int top_term_enter(void)
{
	static bool hooked;
	struct termios raw;

	if (!hooked && atexit(top_term_leave) == 0)
		hooked = true;
	/* Keys only when they come from a terminal: "vctl top </dev/null" just shows. */
	if (isatty(STDIN_FILENO)) {
		if (tcgetattr(STDIN_FILENO, &saved) < 0)
			return -errno;
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		/* Ctrl-Z would stop us with the terminal raw: it does nothing here. */
		raw.c_cc[VSUSP] = _POSIX_VDISABLE;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
			return -errno;
		raw_keys = true;
	}
	fputs(ENTER_SEQ, stdout);
	fflush(stdout);
	on_screen = true;
	return 0;
}

void top_term_size(int *rows, int *cols)
{
	struct winsize ws;

	/* Asked at each frame: a resize shows at the next one, or at once after SIGWINCH. */
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
		*rows = ws.ws_row;
		*cols = ws.ws_col;
	} else {
		*rows = 24;
		*cols = 80;
	}
}

int top_term_key(int ms)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	unsigned char c;
	ssize_t n;
	int rc;

	if (!raw_keys) {
		/* poll() with no descriptor: a sleep that a signal cuts short. */
		rc = poll(NULL, 0, ms);
		return rc < 0 && errno != EINTR ? -errno : 0;
	}
	rc = poll(&p, 1, ms);
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return 0;
	if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
		return -EIO; /* the terminal went away: nobody is looking */
	n = read(STDIN_FILENO, &c, 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	return n == 1 ? c : -EIO;
}
