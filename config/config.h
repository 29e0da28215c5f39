/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef VIREO_CONFIG_H
#define VIREO_CONFIG_H

/*
 * config: the desired state of vireo-dp, whatever its source.
 *
 * What?
 * =====
 * A 'struct vconf' is a plain, self-contained value: other_config keys, bridges, their ports
 * (OVSDB's Interface columns: type, options, ofport_request, mtu_request) and, for bridges
 * configured from YAML, the flow rules as ovs-ofctl text.  Two sources fill it:
 *   - vconf_load_yaml(): a YAML file whose keys are OVSDB's own names (config/yaml.c);
 *   - the OVSDB client (config/ovsdb/), from Open vSwitch's ovsdb-server.
 * The dataplane compares the running vconf with a new one and applies the difference
 * (dp_reconfigure() in dataplane/dp.c), so a change never restarts what did not change.
 *
 * Every string is owned by the vconf and freed by vconf_free().  Each item remembers where
 * it came from ('line', 0 when unknown) so that errors can name the file and line.
 *
 * Thread-safety: none.  Only the main thread builds, reads and frees a vconf.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One "key: value" pair of an options or other_config map. */
struct vconf_kv {
	char *key;
	char *value;
	int line;
};

/** A string map (OVSDB map<string,string>), kept in insertion order. */
/** Longest bridge or port name (OVSDB has no limit; vireo-dp keeps names whole). */
#define VCONF_NAME_MAX 255

struct vconf_map {
	struct vconf_kv *kv;
	size_t n;
};

/**
 * True when 'name' may name a bridge or a port: 1 to VCONF_NAME_MAX characters, no '/' (a
 * name becomes a file name: RUNDIR/BRIDGE.mgmt, a vhost-user socket).
 */
bool vconf_name_ok(const char *name);

/** VLAN settings of a port (OVSDB Port columns tag, trunks, vlan_mode). */
struct vconf_vlan {
	bool has_tag;          /**< false: no tag (zeroed means unset everywhere) */
	uint16_t tag;          /**< 0..4095 when has_tag */
	char *mode;            /**< "access", "trunk", "native-tagged", ...; NULL: OVS's default */
	uint16_t *trunks;      /**< ascending, no duplicates */
	size_t n_trunks;       /**< 0: every VLAN */
	int line;
};

/** One interface of a bond (an OVSDB Interface of a Port that has several). */
struct vconf_iface {
	char *name;
	char *type;            /**< "dpdk" (the only type a bond member may have) */
	struct vconf_map options;
	struct vconf_map extra; /**< its other Interface settings, keyed as vconf_port.extra */
	int line;
};

/**
 * One port (OVSDB Port + its single Interface), or a bond: an OVSDB Port of several
 * Interfaces, with 'type' "bond", the Port's name, its bond settings in 'extra' ("Port:
 * bond_mode", "Port:lacp", "Port:other_config:lacp-time", ...) and its members in 'ifaces'.
 */
#define VCONF_BOND_MAX 8	/* interfaces of one bond */

struct vconf_port {
	char *name;
	char *type;            /**< "dpdk", "dpdkvhostuser", "dpdkvhostuserclient", "internal" */
	struct vconf_map options;
	int64_t ofport_request; /**< 0 when not set */
	/**
	 * The OpenFlow port number it had (OVSDB's Interface ofport), preferred after
	 * ofport_request when free; 0 when unknown.  Not a setting: vconf_port_equal() ignores
	 * it, so that the number written back does not make the port change.
	 */
	int64_t ofport_last;
	/**
	 * OVSDB: the uuid of the row whose number the port has (its Interface; a bond's first
	 * Interface), "" otherwise.  The dataplane gives a port closed and opened again while
	 * that row lives the number it had, even before the row's ofport has come back.  Not a
	 * setting: vconf_port_equal() ignores it.
	 */
	char row_uuid[40];
	int64_t mtu_request;    /**< 0 when not set */
	struct vconf_vlan vlan;
	/**
	 * Every other Port and Interface setting that was given a value other than its
	 * default, as "Port:COLUMN", "Interface:COLUMN" or "TABLE:other_config:KEY" -> the
	 * value as text.  vconf_check_port() refuses and vconf_port_warnings() names those
	 * vireo-dp does not implement, so that none is ignored silently.
	 */
	struct vconf_map extra;
	struct vconf_iface *ifaces; /**< a bond's interfaces (2 or more); NULL otherwise */
	size_t n_ifaces;
	int line;
};

/** One flow rule in ovs-ofctl syntax, with its origin. */
struct vconf_flow {
	char *text;
	int line;
};

/** An OpenFlow controller of a bridge (Open vSwitch's Controller row). */
struct vconf_controller {
	char *target;          /**< tcp:IP[:PORT], unix:PATH, ptcp:[PORT][:IP] or punix:PATH */
	int64_t inactivity_probe;  /**< ms; -1: default (5000); 0: no probes */
	int64_t max_backoff;   /**< ms; -1: default (8000) */
	char *uuid;            /**< the OVSDB row (status is written back there); NULL from YAML */
};

/** True when 'target' has one of the forms of vconf_controller.target (not resolved). */
bool vconf_controller_target_ok(const char *target);

/**
 * Parse a datapath ID as Open vSwitch's Bridge other_config:datapath-id: 16 hex digits, or
 * "0x" and up to 16 of them; never all zero.
 * @return 0 with '*out' set, or -EINVAL.
 */
int vconf_dpid_parse(const char *s, uint64_t *out);

/**
 * A mirror of a bridge (Open vSwitch's Mirror row): the packets a port receives ('src'),
 * a port sends ('dst') or every port ('select_all'), in the VLANs 'vlans' (none: all), are
 * copied to 'output_port'.  Port names that are not the bridge's select nothing.
 */
#define VCONF_MIRROR_MAX 32	/* mirrors of one bridge, as Open vSwitch's MAX_MIRRORS */

struct vconf_mirror {
	char *name;
	bool select_all;
	char **src;            /**< select_src_port, sorted */
	size_t n_src;
	char **dst;            /**< select_dst_port, sorted */
	size_t n_dst;
	uint16_t *vlans;       /**< select_vlan, ascending */
	size_t n_vlans;
	char *output_port;     /**< NULL: none */
	struct vconf_map extra; /**< other Mirror columns ("Mirror:output_vlan", ...) */
	char *uuid;            /**< the OVSDB row (statistics are written there); NULL from YAML */
	int line;
};

struct vconf_bridge {
	char *name;
	char *datapath_type;   /**< "netdev" or NULL */
	struct vconf_port *ports;
	size_t n_ports;
	struct vconf_flow *flows;
	size_t n_flows;
	bool has_flows;        /**< a 'flows:' key was present (even empty) */
	char *fail_mode;       /**< "standalone", "secure" or NULL (standalone) */
	struct vconf_controller *controllers;
	size_t n_controllers;
	struct vconf_map extra; /**< other Bridge settings, as in vconf_port */
	struct vconf_mirror *mirrors; /**< sorted by name */
	size_t n_mirrors;
	int line;
};

struct vconf {
	char *source;          /**< file name or "ovsdb:unix:PATH", for messages */
	/**
	 * The source remembers each port's OpenFlow number (OVSDB's Interface ofport, given
	 * back in vconf_port.ofport_last), as Open vSwitch's database does: a port deleted and
	 * added again is a new row without one, and gets a new number.  False for YAML, where
	 * the dataplane remembers numbers by port name instead.
	 */
	bool ofports_in_source;
	struct vconf_map other_config;
	struct vconf_bridge *bridges;
	size_t n_bridges;
};

/**
 * Load and validate the YAML file 'path' into 'out'.
 *
 * @return 0 on success; on failure -1 and a malloc'd message in '*err' of the form
 *         "FILE:LINE: key 'KEY': what is wrong".
 */
int vconf_load_yaml(const char *path, struct vconf *out, char **err);

/** Parse YAML text held in memory ('name' is used in messages). Same contract. */
int vconf_parse_yaml(const char *name, const char *text, size_t len, struct vconf *out,
		char **err);

/** Free everything 'c' holds and zero it. */
void vconf_free(struct vconf *c);

/** Deep copy 'src' into 'dst'. Returns 0 or -ENOMEM. */
int vconf_copy(struct vconf *dst, const struct vconf *src);

/** Value of 'key' in 'm', or NULL. */
const char *vconf_map_get(const struct vconf_map *m, const char *key);

/** Set 'key' to 'value' in 'm' (replacing). Returns 0 or -ENOMEM. */
int vconf_map_set(struct vconf_map *m, const char *key, const char *value, int line);

/** True when the two maps hold the same pairs (in any order). */
bool vconf_map_equal(const struct vconf_map *a, const struct vconf_map *b);

void vconf_map_free(struct vconf_map *m);

/** Deep copy one port. Returns 0 or -ENOMEM. */
int vconf_port_copy(struct vconf_port *dst, const struct vconf_port *src);

/** Free one port's contents. */
void vconf_port_free(struct vconf_port *p);

/** Find a bridge or a port (in any bridge) by name; NULL when absent. */
struct vconf_bridge *vconf_find_bridge(const struct vconf *c, const char *name);
struct vconf_port *vconf_find_port(const struct vconf *c, const char *name,
		struct vconf_bridge **bridge);

/**
 * Check one other_config pair (known key, well-formed value).
 * @return 0; 1 when vireo-dp accepts the key but does not apply it, with '*err' saying
 *         so; or -EINVAL with '*err' = "key 'other_config:KEY': why" (malloc'd).
 */
int vconf_check_other_config(const struct vconf_kv *kv, char **err);

/**
 * Check a port's type, options, ofport_request, mtu_request, VLAN settings and the
 * settings in 'extra' (vireo-dp refuses those it does not implement when they matter).
 * @return 0, or -EINVAL with '*err' = "port 'NAME': key 'K': why" and '*line' the line of
 *         the offending key (0 when unknown).
 */
int vconf_check_port(const struct vconf_port *p, int *line, char **err);

/**
 * Parse 'val', the value of 'key', as a decimal integer in ['min', 'max']: digits only (no
 * sign, blanks or base prefix), never truncated or wrapped.
 *
 * @return 0 with '*out' set, or -EINVAL with '*err' = "key 'KEY': 'VAL' is not a decimal
 *         integer" or "key 'KEY': 'VAL' is out of range MIN..MAX" (malloc'd; NULL when out
 *         of memory).
 */
int vconf_parse_uint(const char *key, const char *val, unsigned long min, unsigned long max,
		unsigned long *out, char **err);

/**
 * What a port sets that vireo-dp accepts but does not apply ("port 'NAME': key 'K': why"
 * lines, malloc'd), or NULL.  Call after vconf_check_port() succeeded.
 */
char *vconf_port_warnings(const struct vconf_port *p);

/**
 * Check a bridge's fail_mode and 'extra' settings.
 * @return 0, or -EINVAL with '*err' naming every refused setting ("bridge 'NAME': key 'K':
 *         why", several joined by "; ").  '*warn' receives the accepted-but-not-applied
 *         ones (malloc'd lines) or NULL.
 */
int vconf_check_bridge(const struct vconf_bridge *b, char **err, char **warn);

/**
 * The datapath ID bridge 'b' is given (other_config:datapath-id, in 'extra' as
 * "Bridge:other_config:datapath-id"): 0 with '*out' set, -ENOENT when none is set, -EINVAL
 * when the value does not parse (vconf_check_bridge() refuses it).
 */
int vconf_bridge_dpid(const struct vconf_bridge *b, uint64_t *out);

/** True when two ports are configured alike (every field but 'line'). */
bool vconf_port_equal(const struct vconf_port *a, const struct vconf_port *b);

/** Deep copy VLAN settings ('dst' uninitialised). Returns 0 or -ENOMEM ('dst' then empty). */
int vconf_vlan_copy(struct vconf_vlan *dst, const struct vconf_vlan *src);
void vconf_vlan_free(struct vconf_vlan *v);

/** True when the VLAN settings of two ports are equal. */
bool vconf_vlan_equal(const struct vconf_vlan *a, const struct vconf_vlan *b);

/** Deep copy one mirror ('dst' uninitialised). Returns 0 or -ENOMEM (free 'dst' anyway). */
int vconf_mirror_copy(struct vconf_mirror *dst, const struct vconf_mirror *src);

/** Free one mirror's contents. */
void vconf_mirror_free(struct vconf_mirror *m);

/** True when two mirrors are configured alike (every field but 'line'). */
bool vconf_mirror_equal(const struct vconf_mirror *a, const struct vconf_mirror *b);

/** True when two bridges' own settings (fail_mode, mirrors, extra) are equal; ports and flows
 *  aside. */
bool vconf_bridge_settings_equal(const struct vconf_bridge *a, const struct vconf_bridge *b);

/** One core's own maximum sleep in pmd-sleep-max; at most VCONF_SLEEP_CORES of them. */
#define VCONF_SLEEP_CORES 64
struct vconf_core_sleep {
	unsigned core;
	unsigned long us;
};

/**
 * Parse a pmd-sleep-max value (Open vSwitch 3.3's form; 3.2's is the single value):
 * comma-separated items, each either a maximum sleep in microseconds for every PMD ("50")
 * or one for the PMD on a core ("3:300"): "50,3:300,5:0".  '*dflt' receives the last plain
 * value (left as it was without one), 'per' up to 'max' core items ('*n' of them; a core
 * named again replaces its value).  Values are not capped here.  Stricter than Open
 * vSwitch, which skips blanks and bad items: here a blank or a bad item refuses the value.
 * @return 0, or -EINVAL for anything else (an empty item, a sign, a blank, a core above
 *         1023, more than 'max' cores), '*dflt' and '*n' then untouched.
 */
int vconf_sleep_max_parse(const char *s, unsigned long *dflt, struct vconf_core_sleep *per,
		unsigned max, unsigned *n);

/**
 * Parse Interface other_config:pmd-rxq-affinity "QUEUE:CORE[,QUEUE:CORE...]" into 'core'
 * (indexed by queue, 'n' queues; -1 where a queue is not pinned).
 * @return 0, or -EINVAL (malformed, a queue >= 'n').
 */
int vconf_rxq_affinity_parse(const char *s, int16_t *core, size_t n);

/**
 * Parse a VLAN list "100,200,300-310" (OVSDB trunks as text) into a sorted array.
 * @return 0, or -EINVAL (a bad number or range) / -ENOMEM.
 */
int vconf_vlan_parse_list(const char *s, uint16_t **out, size_t *n);

/**
 * A bond's setting 'key' ("bond_mode", "lacp", "lacp-time", "bond_updelay",
 * "bond_downdelay", "bond-primary") as the value in force: what the port sets, else Open
 * vSwitch's default ("" for bond-primary: none).
 */
const char *vconf_bond_setting(const struct vconf_port *p, const char *key);

/** A port's policing (Interface ingress_policing_*, QoS egress-policer); 0: none. */
struct vconf_policing {
	uint64_t in_kbps, in_burst_kb;		/**< kbit/s, kbit */
	uint64_t in_kpps, in_burst_kpkts;	/**< kpkt/s, kpkt */
	uint64_t out_cir, out_cbs;		/**< bytes/s, bytes */
};

/** The policing 'p' sets (call after vconf_check_port() succeeded). */
void vconf_port_policing(const struct vconf_port *p, struct vconf_policing *out);

/** NULL-terminated list of the port types vireo-dp knows. */
const char *const *vconf_port_types(void);

#endif /* VIREO_CONFIG_H */
