/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vireo-vmm command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch.h"
#include "util.h"
#include "vmm.h"

#define DEFAULT_CMDLINE "console=ttyS0 panic=-1"
#define DEFAULT_MEM (256ULL << 20)

static const char usage_text[] =
	"usage: vireo-vmm --kernel BZIMAGE [--initramfs FILE] [--cmdline STR] [--cpus N]\n"
	"         [--kernel-boot auto|decompressed|bzimage]\n"
	"         [--memory SIZE[,hugepages=2M|1G][,prealloc=on][,shared=on][,numa=NODE]]\n"
	"         [--serial stdio|file=PATH[,max-size=SIZE]] [--cpu-pin VCPU:CPU,...]\n"
	"         [--emulator-pin CPUS]\n"
	"         [--halt-poll-ns N] [--api-socket PATH] [--exit-stats]\n"
	"         [--net vhost-user=PATH[,mode=client|server][,mac=MAC][,queues=N]"
	"[,reconnect=SECONDS]]...\n";

/* --serial stdio or file=PATH[,max-size=SIZE] (PATH ends at the last ",max-size="). */
static int
parse_serial(struct vmm_config *cfg, const char *arg, char **err)
{
	const char *opt, *p;

	if (strcmp(arg, "stdio") == 0) {
		cfg->serial = VMM_SERIAL_STDIO;
		return 0;
	}
	if (strncmp(arg, "file=", 5) != 0 || arg[5] == '\0')
		return vmm_err(err, -VMM_EINPUT,
			"--serial: '%s' (stdio or file=PATH[,max-size=SIZE])", arg);
	for (opt = NULL, p = arg + 5; (p = strstr(p, ",max-size=")) != NULL; p++)
		opt = p;
	free(cfg->serial_path_buf);
	cfg->serial_path_buf = strndup(arg + 5, opt != NULL ? (size_t)(opt - arg - 5) :
		strlen(arg + 5));
	if (cfg->serial_path_buf == NULL)
		return -ENOMEM;
	cfg->serial = VMM_SERIAL_FILE;
	cfg->serial_path = cfg->serial_path_buf;
	cfg->serial_max = VMM_SERIAL_FILE_MAX;
	if (cfg->serial_path[0] == '\0')
		return vmm_err(err, -VMM_EINPUT, "--serial: '%s': no file name", arg);
	if (opt != NULL && vmm_parse_size(opt + 10, &cfg->serial_max) < 0)
		return vmm_err(err, -VMM_EINPUT, "--serial: max-size '%s' is not a size "
			"(such as 16M)", opt + 10);
	return 0;
}

int
vmm_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' && shift != 0)
		end++;
	if ((*end == 'b' || *end == 'B') && shift != 0)
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift != 0 && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool
parse_onoff(const char *v, bool *out)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0) {
		*out = true;
		return true;
	}
	if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0) {
		*out = false;
		return true;
	}
	return false;
}

static int
parse_memory(struct vmm_config *cfg, const char *arg, char **err)
{
	char *copy = strdup(arg);
	char *save = NULL, *tok;
	int ret = 0;
	bool first = true;

	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *val = strchr(tok, '=');
		unsigned long node;

		if (first && val == NULL) {
			first = false;
			if (vmm_parse_size(tok, &cfg->mem_size) < 0 || cfg->mem_size == 0) {
				ret = vmm_err(err, -VMM_EINPUT, "--memory: bad size '%s'", tok);
				break;
			}
			continue;
		}
		first = false;
		if (val == NULL) {
			ret = vmm_err(err, -VMM_EINPUT, "--memory: '%s' is not KEY=VALUE", tok);
			break;
		}
		*val++ = '\0';
		if (strcmp(tok, "hugepages") == 0) {
			if (strcmp(val, "2M") == 0 || strcmp(val, "2m") == 0) {
				cfg->hugepage_size = 2ULL << 20;
			} else if (strcmp(val, "1G") == 0 || strcmp(val, "1g") == 0) {
				cfg->hugepage_size = 1ULL << 30;
			} else if (strcmp(val, "off") == 0) {
				cfg->hugepage_size = 0;
			} else {
				ret = vmm_err(err, -VMM_EINPUT,
					"--memory: hugepages='%s' (expected 2M or 1G)", val);
				break;
			}
		} else if (strcmp(tok, "prealloc") == 0) {
			if (!parse_onoff(val, &cfg->prealloc)) {
				ret = vmm_err(err, -VMM_EINPUT, "--memory: prealloc='%s' (on|off)", val);
				break;
			}
		} else if (strcmp(tok, "shared") == 0) {
			if (!parse_onoff(val, &cfg->shared)) {
				ret = vmm_err(err, -VMM_EINPUT, "--memory: shared='%s' (on|off)", val);
				break;
			}
		} else if (strcmp(tok, "numa") == 0) {
			if (parse_uint(val, 1023, &node) < 0) {
				ret = vmm_err(err, -VMM_EINPUT, "--memory: numa='%s' is not a node", val);
				break;
			}
			cfg->numa_node = (int)node;
		} else {
			ret = vmm_err(err, -VMM_EINPUT, "--memory: unknown option '%s'", tok);
			break;
		}
	}
	free(copy);
	return ret;
}

static int
parse_cpu_pin(struct vmm_config *cfg, const char *arg, char **err)
{
	char *copy = strdup(arg);
	char *save = NULL, *tok;
	int ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		unsigned long vcpu, cpu;
		struct vmm_cpu_pin *p;

		if (colon == NULL) {
			ret = vmm_err(err, -VMM_EINPUT, "--cpu-pin: '%s' is not VCPU:CPU", tok);
			break;
		}
		*colon = '\0';
		if (parse_uint(tok, 4095, &vcpu) < 0 || parse_uint(colon + 1, CPU_SETSIZE - 1, &cpu) < 0) {
			ret = vmm_err(err, -VMM_EINPUT, "--cpu-pin: bad pair '%s:%s'", tok, colon + 1);
			break;
		}
		p = realloc(cfg->pins, (cfg->nr_pins + 1) * sizeof(*p));
		if (p == NULL) {
			ret = -ENOMEM;
			break;
		}
		cfg->pins = p;
		p[cfg->nr_pins].vcpu = vcpu;
		p[cfg->nr_pins].cpu = (int)cpu;
		cfg->nr_pins++;
	}
	free(copy);
	return ret;
}

/* "0-3,6" into a cpu set. */
static int
parse_cpu_list(const char *arg, cpu_set_t *set)
{
	char *copy = strdup(arg);
	char *save = NULL, *tok;
	int ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	CPU_ZERO(set);
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');
		unsigned long lo, hi;

		if (dash != NULL)
			*dash = '\0';
		if (parse_uint(tok, CPU_SETSIZE - 1, &lo) < 0 ||
		    parse_uint(dash != NULL ? dash + 1 : tok, CPU_SETSIZE - 1, &hi) < 0 || hi < lo) {
			ret = -EINVAL;
			break;
		}
		for (; lo <= hi; lo++)
			CPU_SET(lo, set);
	}
	free(copy);
	if (ret == 0 && CPU_COUNT(set) == 0)
		ret = -EINVAL;
	return ret;
}

enum {
	OPT_KERNEL = 256, OPT_INITRAMFS, OPT_CMDLINE, OPT_CPUS, OPT_MEMORY, OPT_SERIAL,
	OPT_CPU_PIN, OPT_EMU_PIN, OPT_HALT_POLL, OPT_API, OPT_EXIT_STATS, OPT_HELP, OPT_VERSION,
	OPT_NET, OPT_KERNEL_BOOT,
};

static const struct option long_opts[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "kernel-boot", required_argument, NULL, OPT_KERNEL_BOOT },
	{ "initramfs", required_argument, NULL, OPT_INITRAMFS },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "cpu-pin", required_argument, NULL, OPT_CPU_PIN },
	{ "emulator-pin", required_argument, NULL, OPT_EMU_PIN },
	{ "halt-poll-ns", required_argument, NULL, OPT_HALT_POLL },
	{ "api-socket", required_argument, NULL, OPT_API },
	{ "exit-stats", no_argument, NULL, OPT_EXIT_STATS },
	{ "net", required_argument, NULL, OPT_NET },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static int
apply_option(struct vmm_config *cfg, int opt, const char *arg, char **err)
{
	unsigned long v;

	switch (opt) {
	case OPT_KERNEL:
		cfg->kernel = arg;
		return 0;
	case OPT_KERNEL_BOOT:
		if (strcmp(arg, "auto") == 0)
			cfg->kernel_boot = VMM_KERNEL_BOOT_AUTO;
		else if (strcmp(arg, "bzimage") == 0)
			cfg->kernel_boot = VMM_KERNEL_BOOT_BZIMAGE;
		else if (strcmp(arg, "decompressed") == 0)
			cfg->kernel_boot = VMM_KERNEL_BOOT_DECOMPRESSED;
		else
			return vmm_err(err, -VMM_EINPUT,
				"--kernel-boot: '%s' (auto, decompressed or bzimage)", arg);
		return 0;
	case OPT_INITRAMFS:
		cfg->initramfs = arg;
		return 0;
	case OPT_CMDLINE:
		cfg->cmdline = arg;
		return 0;
	case OPT_CPUS:
		if (parse_uint(arg, 1UL << 20, &v) < 0 || v == 0)
			return vmm_err(err, -VMM_EINPUT, "--cpus: '%s' is not a positive count", arg);
		cfg->cpus = v;
		return 0;
	case OPT_MEMORY:
		return parse_memory(cfg, arg, err);
	case OPT_SERIAL:
		return parse_serial(cfg, arg, err);
	case OPT_CPU_PIN:
		return parse_cpu_pin(cfg, arg, err);
	case OPT_EMU_PIN:
		if (parse_cpu_list(arg, &cfg->emulator_cpus) < 0)
			return vmm_err(err, -VMM_EINPUT, "--emulator-pin: bad CPU list '%s'", arg);
		cfg->emulator_pin = true;
		return 0;
	case OPT_HALT_POLL:
		if (parse_uint(arg, 0xffffffffUL, &v) < 0)
			return vmm_err(err, -VMM_EINPUT, "--halt-poll-ns: '%s' is not a number", arg);
		cfg->halt_poll_ns = (long long)v;
		return 0;
	case OPT_API:
		cfg->api_socket = arg;
		return 0;
	case OPT_EXIT_STATS:
		cfg->exit_stats = true;
		return 0;
	case OPT_NET:
		return vmm_net_parse(cfg, arg, err);
	default:
		return vmm_err(err, -VMM_EINPUT, "unknown option\n%s", usage_text);
	}
}

static int
check_config(struct vmm_config *cfg, char **err)
{
	unsigned int i, j;

	if (cfg->kernel == NULL)
		return vmm_err(err, -VMM_EINPUT, "--kernel is required\n%s", usage_text);
	for (i = 0; i < cfg->nr_pins; i++) {
		if (cfg->pins[i].vcpu >= cfg->cpus)
			return vmm_err(err, -VMM_EINPUT, "--cpu-pin: vCPU %u does not exist (--cpus %u)",
				cfg->pins[i].vcpu, cfg->cpus);
		for (j = 0; j < i; j++)
			if (cfg->pins[j].vcpu == cfg->pins[i].vcpu)
				return vmm_err(err, -VMM_EINPUT, "--cpu-pin: vCPU %u pinned twice",
					cfg->pins[i].vcpu);
	}
	if (cfg->hugepage_size != 0 && cfg->mem_size % cfg->hugepage_size != 0)
		return vmm_err(err, -VMM_EINPUT,
			"--memory: %" PRIu64 " MiB is not a multiple of the %s hugepage size",
			cfg->mem_size >> 20, cfg->hugepage_size == (1ULL << 30) ? "1 GiB" : "2 MiB");
	if (cfg->nr_nets > 0 && !cfg->shared && cfg->hugepage_size == 0)
		return vmm_err(err, -VMM_EINPUT,
			"--net vhost-user needs shared guest RAM: drop shared=off from --memory");
	if (cfg->nr_nets > 0 && vmm_arch_pci.cmdline != NULL &&
	    strstr(cfg->cmdline, "pci=") == NULL) {
		/* How the guest finds the PCI host bridge, where its firmware tables do not say
		 * (pci.h). */
		if (asprintf(&cfg->cmdline_buf, "%s %s", cfg->cmdline, vmm_arch_pci.cmdline) < 0)
			return -ENOMEM;
		cfg->cmdline = cfg->cmdline_buf;
	}
	return 0;
}

int
vmm_config_parse(struct vmm_config *cfg, int argc, char **argv, char **err)
{
	const char *dev = getenv("VIREO_KVM_DEV");
	int opt, ret;

	memset(cfg, 0, sizeof(*cfg));
	cfg->cmdline = DEFAULT_CMDLINE;
	cfg->cpus = 1;
	cfg->mem_size = DEFAULT_MEM;
	cfg->numa_node = -1;
	cfg->shared = true;
	cfg->halt_poll_ns = -1;
	cfg->serial = VMM_SERIAL_STDIO;
	cfg->kvm_dev = dev != NULL && *dev != '\0' ? dev : "/dev/kvm";

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage_text, stdout);
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("vireo-vmm %s\n", VIREO_VERSION);
			return 1;
		}
		if (opt == '?' || opt == ':') {
			const char *bad = argv[optind - 1];

			return vmm_err(err, -VMM_EINPUT, "bad option '%s'\n%s", bad, usage_text);
		}
		ret = apply_option(cfg, opt, optarg, err);
		if (ret < 0)
			return ret;
	}
	if (optind < argc)
		return vmm_err(err, -VMM_EINPUT, "unexpected argument '%s'\n%s", argv[optind],
			usage_text);
	return check_config(cfg, err);
}

void
vmm_config_free(struct vmm_config *cfg)
{
	unsigned int i;

	free(cfg->pins);
	cfg->pins = NULL;
	for (i = 0; i < cfg->nr_nets; i++)
		free(cfg->nets[i].path);
	cfg->nr_nets = 0;
	free(cfg->cmdline_buf);
	cfg->cmdline_buf = NULL;
	free(cfg->serial_path_buf);
	cfg->serial_path_buf = NULL;
	cfg->nr_pins = 0;
}
