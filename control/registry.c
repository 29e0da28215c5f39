/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table, the built-in commands and request dispatch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control-private.h"

struct control_command {
	char *name;
	char *usage;
	int min_args;
	int max_args;
	control_cb *cb;
	void *aux;
};

static struct control_command *commands;
static size_t n_commands;

static void builtin_list_commands(struct control_conn *conn, int argc, const char *argv[],
		void *aux);
static void builtin_version(struct control_conn *conn, int argc, const char *argv[],
		void *aux);
static void builtin_set_options(struct control_conn *conn, int argc, const char *argv[],
		void *aux);

/* Always present; a registered command of the same name takes precedence. */
static const struct control_command builtins[] = {
	{ .name = "list-commands", .usage = "", .min_args = 0, .max_args = 0,
		.cb = builtin_list_commands },
	{ .name = "version", .usage = "", .min_args = 0, .max_args = 0,
		.cb = builtin_version },
	{ .name = "set-options", .usage = "[--format text|json]", .min_args = 0,
		.max_args = 2, .cb = builtin_set_options },
};

static struct control_command *
command_find_registered(const char *name)
{
	for (size_t i = 0; i < n_commands; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static const struct control_command *
command_find(const char *name)
{
	const struct control_command *c = command_find_registered(name);

	if (c != NULL)
		return c;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		abort();
	return d;
}

static void
command_set(const char *name, const char *usage, int min_args, int max_args,
		control_cb *cb, void *aux)
{
	struct control_command *c = command_find_registered(name);

	if (c == NULL) {
		c = realloc(commands, (n_commands + 1) * sizeof(*commands));
		if (c == NULL)
			abort();
		commands = c;
		c = &commands[n_commands++];
		c->name = xstrdup(name);
	} else {
		free(c->usage);
	}
	c->usage = xstrdup(usage ? usage : "");
	c->min_args = min_args;
	c->max_args = max_args;
	c->cb = cb;
	c->aux = aux;
}

void
control_command_register(const char *name, const char *usage, int min_args, int max_args,
		control_cb *cb, void *aux)
{
	command_set(name, usage, min_args, max_args, cb, aux);
}

void
control_command_alias(const char *alias, const char *name)
{
	const struct control_command *c = command_find(name);

	if (c == NULL) {
		fprintf(stderr, "control: alias \"%s\" names unknown command \"%s\"\n",
			alias, name);
		return;
	}
	/* 'c' may move when the table grows: copy what command_set needs first. */
	struct control_command copy = *c;
	char *usage = xstrdup(copy.usage);

	command_set(alias, usage, copy.min_args, copy.max_args, copy.cb, copy.aux);
	free(usage);
}

void
control_commands_clear(void)
{
	for (size_t i = 0; i < n_commands; i++) {
		free(commands[i].name);
		free(commands[i].usage);
	}
	free(commands);
	commands = NULL;
	n_commands = 0;
}

static int
command_cmp(const void *a, const void *b)
{
	const struct control_command *const *x = a;
	const struct control_command *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static void
builtin_list_commands(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	size_t nb = sizeof(builtins) / sizeof(builtins[0]);
	const struct control_command **all = calloc(n_commands + nb, sizeof(*all));
	struct control_buf b = { 0 };
	size_t n = 0;

	(void)argc;
	(void)argv;
	(void)aux;
	if (all == NULL)
		abort();
	for (size_t i = 0; i < n_commands; i++)
		all[n++] = &commands[i];
	for (size_t i = 0; i < nb; i++)
		if (command_find_registered(builtins[i].name) == NULL)
			all[n++] = &builtins[i];
	qsort(all, n, sizeof(*all), command_cmp);
	control_buf_printf(&b, "The available commands are:\n");
	for (size_t i = 0; i < n; i++)
		control_buf_printf(&b, "  %-23s %s\n", all[i]->name, all[i]->usage);
	free(all);
	char *text = control_buf_steal(&b);

	control_reply(conn, text);
	free(text);
}

static void
builtin_version(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	(void)argc;
	(void)argv;
	(void)aux;
	control_replyf(conn, "%s (vireo) %s", program_invocation_short_name, VIREO_VERSION);
}

static void
builtin_set_options(struct control_conn *conn, int argc, const char *argv[], void *aux)
{
	enum control_format fmt = control_conn_format(conn);

	(void)aux;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") != 0) {
			control_reply_errorf(conn, "invalid option -- %s", argv[i]);
			return;
		}
		if (i + 1 == argc) {
			control_reply_errorf(conn, "option requires an argument -- %s", argv[i]);
			return;
		}
		i++;
		if (strcasecmp(argv[i], "json") == 0) {
			fmt = CONTROL_FMT_JSON;
		} else if (strcasecmp(argv[i], "text") == 0) {
			fmt = CONTROL_FMT_TEXT;
		} else {
			control_reply_errorf(conn, "option %s has invalid value %s",
				argv[i - 1], argv[i]);
			return;
		}
	}
	control_conn_set_format(conn, fmt);
	control_reply(conn, NULL);
}

void
control_dispatch(struct control_conn *conn, const char *method, json_t *params)
{
	const struct control_command *c = command_find(method);
	int argc = (int)json_array_size(params);
	const char **argv;

	if (c == NULL) {
		control_reply_errorf(conn, "\"%s\" is not a valid command (use "
			"\"list-commands\" to see a list of valid commands)", method);
		return;
	}
	if (argc < c->min_args) {
		control_reply_errorf(conn, "\"%s\" command requires at least %d arguments",
			method, c->min_args);
		return;
	}
	if (argc > c->max_args) {
		control_reply_errorf(conn, "\"%s\" command takes at most %d arguments",
			method, c->max_args);
		return;
	}
	argv = calloc((size_t)argc + 2, sizeof(*argv));
	if (argv == NULL)
		abort();
	argv[0] = method;
	for (int i = 0; i < argc; i++) {
		argv[i + 1] = json_string_value(json_array_get(params, (size_t)i));
		if (argv[i + 1] == NULL) {
			free(argv);
			control_reply_errorf(conn, "\"%s\" command has non-string argument",
				method);
			return;
		}
	}
	/* The callback may re-register commands: keep what it needs out of the table. */
	control_cb *cb = c->cb;
	void *aux = c->aux;

	cb(conn, argc + 1, argv, aux);
	free(argv);
}
