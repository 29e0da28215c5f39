/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vireoctl: send one command to a vireo daemon's control socket, as ovs-appctl does.
 *
 * Exit status: 0 on success, 2 when the server replied with an error or could not be
 * reached, 1 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

#define VIREOCTL_RUNDIR "/run/vireo"
#define VIREOCTL_DEFAULT_TARGET "vireo-dp"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: vireoctl [OPTIONS] COMMAND [ARG...] [--json]\n"
		"Send COMMAND to a running vireo daemon (OVS unixctl protocol).\n"
		"\n"
		"  -t, --target=SOCKET  control socket: a path, or a NAME for %s/NAME.ctl\n"
		"                       (default: $VIREO_CTL, else vireo-dp's default socket,\n"
		"                       found as ovs-appctl finds ovs-vswitchd's: the pid in\n"
		"                       $OVS_RUNDIR/ovs-vswitchd.pid names\n"
		"                       $OVS_RUNDIR/ovs-vswitchd.PID.ctl; without that pidfile\n"
		"                       %s/%s.ctl)\n"
		"  -T, --timeout=SECS   give up after SECS seconds (default: no limit)\n"
		"  -j, --json           ask for a JSON reply (set-options --format json)\n"
		"  -h, --help           show this help\n"
		"\n"
		"\"vireoctl list-commands\" lists the daemon's commands.  A command the daemon\n"
		"does not know is retried as dpif-netdev/COMMAND.\n",
		VIREOCTL_RUNDIR, VIREOCTL_RUNDIR, VIREOCTL_DEFAULT_TARGET);
}

/*
 * vireo-dp's default socket, found as ovs-appctl finds ovs-vswitchd's (malloc'd), or NULL
 * when there is no pidfile to read.
 */
static char *
ovs_default_path(void)
{
	const char *rundir = getenv("OVS_RUNDIR");
	char *pidfile, *path = NULL;
	long pid = 0;
	FILE *f;

	if (rundir == NULL || rundir[0] == '\0')
		rundir = "/var/run/openvswitch";
	if (asprintf(&pidfile, "%s/ovs-vswitchd.pid", rundir) < 0)
		return NULL;
	f = fopen(pidfile, "r");
	free(pidfile);
	if (f == NULL)
		return NULL;
	if (fscanf(f, "%ld", &pid) == 1 && pid > 0 &&
			asprintf(&path, "%s/ovs-vswitchd.%ld.ctl", rundir, pid) < 0)
		path = NULL;
	fclose(f);
	return path;
}

/* The socket path for 'target' (malloc'd): a path is used as is, a name goes in the rundir. */
static char *
target_path(const char *target)
{
	const char *rundir = getenv("VIREO_RUNDIR");
	size_t n = strlen(target);
	char *path;

	if (strchr(target, '/') != NULL)
		return strdup(target);
	if (rundir == NULL || rundir[0] == '\0')
		rundir = VIREOCTL_RUNDIR;
	if (asprintf(&path, "%s/%s%s", rundir, target,
			n > 4 && strcmp(target + n - 4, ".ctl") == 0 ? "" : ".ctl") < 0)
		return NULL;
	return path;
}

static bool
is_unknown_command(const char *err, const char *cmd)
{
	size_t n = strlen(cmd);

	return err[0] == '"' && strncmp(err + 1, cmd, n) == 0 &&
		strncmp(err + 1 + n, "\" is not a valid command", 24) == 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *target = getenv("VIREO_CTL");
	bool default_target = target == NULL || target[0] == '\0';
	int timeout_ms = 0;
	bool json = false;
	char *path, *result, *end;
	int c, r, nargs;

	if (target == NULL || target[0] == '\0')
		target = VIREOCTL_DEFAULT_TARGET;
	while ((c = getopt_long(argc, argv, "+t:T:jh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			target = optarg;
			default_target = false;
			break;
		case 'T': {
			double secs;

			errno = 0;
			secs = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || secs < 0 ||
					secs > 86400) {
				fprintf(stderr, "vireoctl: --timeout: invalid value \"%s\"\n",
					optarg);
				return 1;
			}
			timeout_ms = secs > 0 && secs < 0.001 ? 1 : (int)(secs * 1000);
			break;
		}
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	nargs = argc - optind;
	if (nargs > 1 && strcmp(argv[argc - 1], "--json") == 0) {
		json = true;
		nargs--;
	}
	if (nargs < 1) {
		fprintf(stderr, "vireoctl: at least one non-option argument is required "
			"(use --help for help)\n");
		return 1;
	}
	path = default_target ? ovs_default_path() : NULL;
	if (path == NULL)
		path = target_path(target);
	if (path == NULL) {
		fprintf(stderr, "vireoctl: out of memory\n");
		return 2;
	}

	const char *cmd = argv[optind];
	const char **args = (const char **)&argv[optind + 1];

	r = control_call(path, cmd, nargs - 1, args, json, timeout_ms, &result);
	if (r == 1 && strchr(cmd, '/') == NULL && is_unknown_command(result, cmd)) {
		char *full, *result2;
		int r2;

		if (asprintf(&full, "dpif-netdev/%s", cmd) < 0) {
			fprintf(stderr, "vireoctl: out of memory\n");
			return 2;
		}
		r2 = control_call(path, full, nargs - 1, args, json, timeout_ms, &result2);
		if (r2 == 1 && is_unknown_command(result2, full)) {
			free(result2);
		} else {
			free(result);
			result = result2;
			r = r2;
		}
		free(full);
	}
	if (r == 0) {
		size_t n = strlen(result);

		fputs(result, stdout);
		if (n > 0 && result[n - 1] != '\n')
			fputc('\n', stdout);
	} else if (r == 1) {
		size_t n = strlen(result);

		fputs(result, stderr);
		if (n > 0 && result[n - 1] != '\n')
			fputc('\n', stderr);
		fprintf(stderr, "vireoctl: %s: server returned an error\n", path);
	} else {
		fprintf(stderr, "vireoctl: %s\n", result ? result : strerror(-r));
	}
	free(result);
	free(path);
	return r == 0 ? 0 : 2;
}
