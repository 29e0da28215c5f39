/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command line: every option, and the bad values that must give -VMM_EINPUT.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vmm.h"

static int
parse(struct vmm_config *cfg, char **msg, ...)
{
	char *argv[32];
	int argc = 0, ret;
	va_list ap;

	va_start(ap, msg);
	argv[argc++] = "vireo-vmm";
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	free(*msg);
	*msg = NULL;
	vmm_config_free(cfg);
	ret = vmm_config_parse(cfg, argc, argv, msg);
	return ret;
}

int
main(void)
{
	struct vmm_config cfg;
	char *msg = NULL;
	uint64_t v;

	memset(&cfg, 0, sizeof(cfg));
	CHECK(vmm_parse_size("512M", &v) == 0 && v == 512ULL << 20);
	CHECK(vmm_parse_size("2G", &v) == 0 && v == 2ULL << 30);
	CHECK(vmm_parse_size("2GiB", &v) == 0 && v == 2ULL << 30);
	CHECK(vmm_parse_size("64k", &v) == 0 && v == 65536);
	CHECK(vmm_parse_size("1048576", &v) == 0 && v == 1048576);
	CHECK(vmm_parse_size("", &v) < 0);
	CHECK(vmm_parse_size("12X", &v) < 0);
	CHECK(vmm_parse_size("-1G", &v) < 0);
	CHECK(vmm_parse_size("99999999999999T", &v) < 0);

	CHECK(parse(&cfg, &msg, "--kernel", "K", NULL) == 0);
	CHECK(strcmp(cfg.kernel, "K") == 0 && cfg.cpus == 1 && cfg.mem_size == 256ULL << 20);
	CHECK(cfg.shared && cfg.hugepage_size == 0 && !cfg.prealloc && cfg.numa_node == -1);
	CHECK(cfg.halt_poll_ns == -1 && !cfg.exit_stats && cfg.serial == VMM_SERIAL_STDIO);
	CHECK(strstr(cfg.cmdline, "console=ttyS0") != NULL);

	CHECK(parse(&cfg, &msg, "--kernel", "K", "--initramfs", "I", "--cmdline", "quiet",
		"--cpus", "4", "--memory", "1G,hugepages=2M,prealloc=on,shared=on,numa=0",
		"--serial", "file=/tmp/x", "--cpu-pin", "0:1,3:0", "--emulator-pin", "0-1",
		"--halt-poll-ns", "50000", "--api-socket", "/run/vm.sock", "--exit-stats",
		NULL) == 0);
	CHECK(cfg.cpus == 4 && cfg.mem_size == 1ULL << 30 && cfg.hugepage_size == 2ULL << 20);
	CHECK(cfg.prealloc && cfg.shared && cfg.numa_node == 0);
	CHECK(cfg.serial == VMM_SERIAL_FILE && strcmp(cfg.serial_path, "/tmp/x") == 0);
	CHECK(cfg.serial_max == VMM_SERIAL_FILE_MAX);
	CHECK(cfg.nr_pins == 2 && cfg.pins[1].vcpu == 3 && cfg.pins[1].cpu == 0);
	CHECK(cfg.emulator_pin && CPU_ISSET(0, &cfg.emulator_cpus) &&
		CPU_ISSET(1, &cfg.emulator_cpus) && CPU_COUNT(&cfg.emulator_cpus) == 2);
	CHECK(cfg.halt_poll_ns == 50000 && cfg.exit_stats);
	CHECK(strcmp(cfg.api_socket, "/run/vm.sock") == 0 && strcmp(cfg.cmdline, "quiet") == 0);

	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "2G,hugepages=1G,shared=off", NULL) == 0);
	CHECK(cfg.hugepage_size == 1ULL << 30 && !cfg.shared);

	/* Bad input. */
	CHECK(parse(&cfg, &msg, NULL) == -VMM_EINPUT && strstr(msg, "--kernel") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--cpus", "0", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--cpus", "two", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "lots", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "1G,hugepages=4M", NULL) ==
		-VMM_EINPUT && strstr(msg, "4M") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "1G,prealloc=maybe", NULL) ==
		-VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "1G,colour=blue", NULL) ==
		-VMM_EINPUT && strstr(msg, "colour") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "1G,numa=x", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "1G,hugepages=1G", NULL) == 0);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--memory", "1536M,hugepages=1G", NULL) ==
		-VMM_EINPUT && strstr(msg, "multiple") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--serial", "tcp", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--serial", "file=/tmp/a,b,max-size=1M",
		NULL) == 0);
	CHECK(strcmp(cfg.serial_path, "/tmp/a,b") == 0 && cfg.serial_max == 1ULL << 20);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--serial", "file=/tmp/a,max-size=lots",
		NULL) == -VMM_EINPUT && strstr(msg, "max-size") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--serial", "file=,max-size=1M", NULL) ==
		-VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--cpu-pin", "0-1", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--cpus", "2", "--cpu-pin", "2:0", NULL) ==
		-VMM_EINPUT && strstr(msg, "vCPU 2") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--cpus", "2", "--cpu-pin", "1:0,1:1", NULL) ==
		-VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--emulator-pin", "3-1", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--halt-poll-ns", "-5", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "--bogus", NULL) == -VMM_EINPUT &&
		strstr(msg, "--bogus") != NULL);
	CHECK(parse(&cfg, &msg, "--kernel", "K", "extra", NULL) == -VMM_EINPUT);
	CHECK(parse(&cfg, &msg, "--kernel", NULL) == -VMM_EINPUT);
	free(msg);
	vmm_config_free(&cfg);
	return check_report("test_config");
}
