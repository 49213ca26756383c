/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vctl: the commands, the context they share, and the helpers they use.
 *
 * A command is one struct vctl_cmd in the table of commands.c: its name,
 * its handler, its arguments and options, its help and examples. Help,
 * the man page and the bash completion are all made from that table, so
 * adding a command (vctl trace, say) is one entry there and one file.
 *
 * A handler builds one jansson value per result and hands it to
 * vctl_emit() with its text printer: -j/-p print the JSON, otherwise the
 * printer renders it as text. Errors go through vctl_fail() or
 * vctl_usage(); main() alone turns them into output and an exit code.
 */
#ifndef VCTL_H
#define VCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tel.h"

/* Exit codes. */
#define VCTL_EXIT_OK 0
#define VCTL_EXIT_RUNTIME 1
#define VCTL_EXIT_USAGE 2

struct vctl_ctx {
	bool json;        /* -j: one JSON document per result */
	bool pretty;      /* -p: the same, indented */
	const char *prefix; /* --prefix, or NULL: the only application */
	int timeout_ms;
	struct tel tel;   /* connected on first use */
	bool connected;
	const struct vctl_cmd *cmd; /* the command running */
	bool usage_error; /* the error is the caller's: exit 2 */
	char err[TEL_ERR_LEN];
};

/** An option of one command, beside the --help every command has. */
struct vctl_opt {
	const char *name; /* long name, without "--" */
	int key;          /* what getopt_long returns for it; below 0x100, also -KEY */
	const char *arg;  /* its argument's name, or NULL for a flag */
	const char *help;
};

/** What a positional argument is, for completion. */
enum vctl_arg_kind {
	VCTL_ARG_NONE,
	VCTL_ARG_PORT,
	VCTL_ARG_QUEUE,
	VCTL_ARG_DIR,     /* rx|tx */
	VCTL_ARG_COMMAND, /* a vctl command (help) */
};

#define VCTL_ARGS_MAX 4

struct vctl_cmd {
	const char *name;
	int (*run)(struct vctl_ctx *ctx, int argc, char **argv);
	const char *synopsis;    /* arguments after the name, e.g. "PORT QUEUE rx|tx" */
	const char *summary;     /* one line */
	const char *description; /* a paragraph: --help and the man page */
	enum vctl_arg_kind args[VCTL_ARGS_MAX]; /* positional, in order */
	const struct vctl_opt *opts; /* ends with a zeroed entry; NULL: none */
	const char *const *examples; /* "command line", "what it shows", ..., NULL */
};

/* commands.c: the table, NULL-terminated. */
extern const struct vctl_cmd *const vctl_commands[];
const struct vctl_cmd *vctl_cmd_find(const char *name);

/* main.c */
/*
 * The key of the global --prefix. A command may list --prefix in its own
 * table, with this key, to say what it means there (trace: the process
 * to attach to); vctl_getopt applies it as the global option.
 */
#define VCTL_OPT_PREFIX 0x100
extern const struct vctl_opt vctl_global_opts[];
void vctl_print_global_usage(FILE *f);

/* out.c */
/** Record a runtime error (exit 1); returns @rc (negative). */
int vctl_fail(struct vctl_ctx *ctx, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Record a usage error (exit 2); returns -EINVAL. */
int vctl_usage(struct vctl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Print @v as JSON (-j, -p) or with @text; consumes @v. */
void vctl_emit(struct vctl_ctx *ctx, json_t *v, void (*text)(const json_t *v, FILE *f));
/** @text from column @col, wrapped at @width, continued at @indent; ends the line. */
void vctl_wrap(FILE *f, const char *text, int indent, int col, int width);
/** The command's usage lines, to @f. */
void vctl_print_usage(const struct vctl_cmd *cmd, FILE *f);
/** A rate in a table cell: "123", "45.6k", "7.89M", "1.23G"; "-" for NaN. */
void vctl_fmt_rate(char *buf, size_t len, double v);
/** A duration in a table cell: "850ns", "12.3us", "4.56ms", "1.23s"; "-" for NaN. */
void vctl_fmt_ns(char *buf, size_t len, double ns);
/** Seconds on CLOCK_MONOTONIC, for rates over an interval. */
double vctl_now(void);

/*
 * args.c: parsing. Each returns 0 or a usage error.
 * vctl_getopt runs getopt_long over the command's options and --help:
 * returns the option key, -1 at the end, or -EINVAL (usage error set);
 * VCTL_HELP when --help was given (the caller prints help and returns 0).
 */
#define VCTL_HELP 0x10000
int vctl_getopt(struct vctl_ctx *ctx, int argc, char **argv, char **optarg_out);
int vctl_parse_u16(struct vctl_ctx *ctx, const char *what, const char *s, uint16_t *out);
int vctl_parse_u32(struct vctl_ctx *ctx, const char *what, const char *s, uint32_t *out);
int vctl_parse_dir(struct vctl_ctx *ctx, const char *s, bool *rx);
int vctl_help(struct vctl_ctx *ctx);
/** The option loop of a command with no options of its own: 0, VCTL_HELP (help shown), or an error. */
int vctl_plain_args(struct vctl_ctx *ctx, int argc, char **argv);
/** @s as a port, checked against /vpmd/list; its list entry in @entry if not NULL. */
int vctl_port_check(struct vctl_ctx *ctx, const char *s, uint16_t *port, json_t **entry);
/** vctl_plain_args, then exactly one argument: a port, checked. 0, VCTL_HELP, or an error. */
int vctl_port_arg(struct vctl_ctx *ctx, int argc, char **argv, uint16_t *port);

/* client.c: requests, with the explanation of a null reply. */
int vctl_connect(struct vctl_ctx *ctx);
/** @cmd with printf-style params; the reply's value in @out (not null). */
int vctl_request(struct vctl_ctx *ctx, json_t **out, const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/** The /vpmd/list entry of @port; a runtime error naming the ports when there is none. */
/* /vpmd/list, checked to be a port list (-EBADMSG, said, if not). */
int vctl_request_list(struct vctl_ctx *ctx, json_t **out);
int vctl_port_lookup(struct vctl_ctx *ctx, uint16_t port, json_t **entry);

/* table.c: aligned text tables. Numbers are right-aligned. */
struct table;
struct table *table_new(unsigned int ncols, const char *const *headers);
void table_add(struct table *t, const char *const *cells);
void table_addf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3))); /* cells separated by '\t' */
void table_print(struct table *t, FILE *f);
void table_free(struct table *t);

/* Getters that never fail: 0, "" or false for what is missing. */
json_int_t jint(const json_t *obj, const char *key);
const char *jstr(const json_t *obj, const char *key);
const json_t *jobj(const json_t *obj, const char *key);

/* gen.c */
void vctl_gen_man(FILE *f);
void vctl_gen_completion(FILE *f);

#endif /* VCTL_H */
