/* SPDX-License-Identifier: Apache-2.0 OR BSD-3-Clause */
/*
 * mshv-sim, preload layer: the simulator's configuration from the
 * environment (MSHV_SIM_KERNEL, its alias MSHV_SIM_ABI, MSHV_SIM_HV_SHORT,
 * MSHV_SIM_DEPOSIT_FAIL, MSHV_SIM_TRACE). The preload layer reads it once
 * at start-up; the simulator's tests include this file too, so that what
 * they expect is what the simulator was told.
 */
#ifndef MSHV_SIM_ENV_H
#define MSHV_SIM_ENV_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

/* Every accepted MSHV_SIM_KERNEL value: a release names its family. */
static const struct {
	const char *name;
	enum sim_kernel kernel;
} sim_env_kernels[] = {
	{ "6.6", SIM_KERNEL_6_6 },   { "6.15", SIM_KERNEL_6_15 }, { "6.16", SIM_KERNEL_6_15 },
	{ "6.17", SIM_KERNEL_6_15 }, { "6.18", SIM_KERNEL_6_15 }, { "6.19", SIM_KERNEL_6_19 },
	{ "7.0", SIM_KERNEL_7_0 },   { "7.1", SIM_KERNEL_7_0 },   { "7.2", SIM_KERNEL_7_0 },
	{ "vtl", SIM_KERNEL_VTL },
};

/* A family's own name, as MSHV_SIM_KERNEL takes it. */
static inline const char *sim_env_kernel_name(enum sim_kernel k)
{
	switch (k) {
	case SIM_KERNEL_6_6:
		return "6.6";
	case SIM_KERNEL_6_15:
		return "6.15";
	case SIM_KERNEL_6_19:
		return "6.19";
	case SIM_KERNEL_7_0:
		return "7.0";
	case SIM_KERNEL_VTL:
		return "vtl";
	}
	return "?";
}

static inline int sim_env_kernel(const char *value, enum sim_kernel *out)
{
	size_t i;

	for (i = 0; i < sizeof(sim_env_kernels) / sizeof(sim_env_kernels[0]); i++)
		if (!strcmp(value, sim_env_kernels[i].name)) {
			*out = sim_env_kernels[i].kernel;
			return 0;
		}
	return -1;
}

/* A whole number (decimal, or hex with 0x); -1 when value is not one. */
static inline int sim_env_number(const char *value, unsigned long long *out)
{
	char *end;

	if (!*value || *value == '-')
		return -1;
	*out = strtoull(value, &end, 0);
	return *end ? -1 : 0;
}

/* MSHV_SIM_HV_SHORT=N[:STATUS]; -1 when malformed or STATUS is no memory status. */
static inline int sim_env_short(const char *value, struct sim_config *cfg)
{
	char pages[32];
	const char *colon = strchr(value, ':');
	size_t n = colon ? (size_t)(colon - value) : strlen(value);
	unsigned long long v;

	if (n >= sizeof(pages))
		return -1;
	memcpy(pages, value, n);
	pages[n] = 0;
	if (sim_env_number(pages, &v))
		return -1;
	cfg->hv_short_pages = v;
	cfg->hv_short_status = 0xb; /* HV_STATUS_INSUFFICIENT_MEMORY */
	if (!colon)
		return 0;
	if (sim_env_number(colon + 1, &v) || (v != 0xb && v != 0x73 && v != 0x75 && v != 0x83))
		return -1;
	cfg->hv_short_status = (uint16_t)v;
	return 0;
}

/*
 * The configuration the environment asks for: 0, or -1 with the reason in
 * msg (the preload layer prints it and exits 2). Unset or empty variables
 * take the defaults: the newest release, no shortage, deposits succeed.
 */
static inline int sim_config_from_env(struct sim_config *cfg, char *msg, size_t len)
{
	const char *kernel = getenv("MSHV_SIM_KERNEL"), *abi = getenv("MSHV_SIM_ABI");
	const char *hv_short = getenv("MSHV_SIM_HV_SHORT"), *dep = getenv("MSHV_SIM_DEPOSIT_FAIL");
	const char *trace = getenv("MSHV_SIM_TRACE");
	enum sim_kernel by_abi = SIM_KERNEL_7_0;

	memset(cfg, 0, sizeof(*cfg));
	cfg->kernel = SIM_KERNEL_7_0;
	cfg->hv_short_status = 0xb;
	if (kernel && *kernel && sim_env_kernel(kernel, &cfg->kernel)) {
		snprintf(msg, len,
			 "MSHV_SIM_KERNEL=%s: expected 6.6, 6.15 (or 6.16, 6.17, 6.18), 6.19, 7.0 (or 7.1, 7.2) or vtl",
			 kernel);
		return -1;
	}
	if (abi && *abi) {
		/* the older name: the two generations it knew, as their releases */
		if (!strcmp(abi, "legacy")) {
			by_abi = SIM_KERNEL_6_6;
		} else if (strcmp(abi, "upstream")) {
			snprintf(msg, len, "MSHV_SIM_ABI=%s: expected upstream (= MSHV_SIM_KERNEL=7.0) or legacy (= 6.6)",
				 abi);
			return -1;
		}
		if (kernel && *kernel && by_abi != cfg->kernel) {
			snprintf(msg, len, "MSHV_SIM_ABI=%s and MSHV_SIM_KERNEL=%s name different kernels", abi, kernel);
			return -1;
		}
		cfg->kernel = by_abi;
	}
	if (hv_short && *hv_short && sim_env_short(hv_short, cfg)) {
		snprintf(msg, len,
			 "MSHV_SIM_HV_SHORT=%s: expected PAGES[:STATUS], STATUS one of 0xb, 0x73, 0x75, 0x83", hv_short);
		return -1;
	}
	if (dep && *dep && strcmp(dep, "0") && strcmp(dep, "1")) {
		snprintf(msg, len, "MSHV_SIM_DEPOSIT_FAIL=%s: expected 0 or 1", dep);
		return -1;
	}
	cfg->deposit_fail = dep && !strcmp(dep, "1");
	cfg->trace = trace && *trace && strcmp(trace, "0");
	return 0;
}

#endif
