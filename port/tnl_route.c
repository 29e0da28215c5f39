/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's IPv4 and IPv6 routes over rtnetlink, for the control thread (see tnl.h): one
 * route looked up as `ip route get` does, or the main and local tables dumped for
 * ovs/route/show.  Also an internal port's MAC and addresses (tnl_local_read()), and the
 * socket that says when they may have changed.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tnl.h"

#define NL_BUF 32768

static int
nl_open(void)
{
	struct timeval tv = { 1, 0 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* An address attribute into the IPv4 ('v4') or IPv6 ('v6') field, by its length. */
static void
route_addr(const struct rtattr *a, uint32_t *v4, struct in6_addr *v6)
{
	if (RTA_PAYLOAD(a) == 4)
		memcpy(v4, RTA_DATA(a), 4);
	else if (RTA_PAYLOAD(a) == 16)
		memcpy(v6, RTA_DATA(a), 16);
}

/* Fill 'r' from one RTM_NEWROUTE message. */
static void
parse_route(const struct nlmsghdr *h, struct tnl_route *r)
{
	const struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)RTM_PAYLOAD(h);

	memset(r, 0, sizeof(*r));
	r->family = rtm->rtm_family;
	r->dst_len = rtm->rtm_dst_len;
	r->table = rtm->rtm_table;
	for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_DST:
			route_addr(a, &r->dst, &r->dst6);
			break;
		case RTA_GATEWAY:
			route_addr(a, &r->gw, &r->gw6);
			break;
		case RTA_PREFSRC:
			route_addr(a, &r->src, &r->src6);
			break;
		case RTA_TABLE:
			memcpy(&r->table, RTA_DATA(a), 4);
			break;
		case RTA_OIF: {
			int ifi;

			memcpy(&ifi, RTA_DATA(a), sizeof(ifi));
			if (if_indextoname((unsigned)ifi, r->dev) == NULL)
				snprintf(r->dev, sizeof(r->dev), "if%d", ifi);
			break;
		}
		default:
			break;
		}
	}
}

/* The route to 'dst' ('alen' bytes: 4 for IPv4, 16 for IPv6). */
static int
route_get(int family, const void *dst, unsigned alen, struct tnl_route *r)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rtm;
		struct rtattr a;
		uint8_t dst[16];
	} req;
	char buf[4096];
	int fd = nl_open(), rc = -EIO;
	ssize_t n;

	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = (uint32_t)(offsetof(__typeof__(req), dst) + alen);
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.rtm.rtm_family = (uint8_t)family;
	req.rtm.rtm_dst_len = (uint8_t)(alen * 8);
	req.a.rta_type = RTA_DST;
	req.a.rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(req.dst, dst, alen);
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0) {
		rc = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
			h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			rc = e->error < 0 ? e->error : -EIO;
			break;
		}
		if (h->nlmsg_type == RTM_NEWROUTE) {
			const struct rtmsg *rtm = NLMSG_DATA(h);

			parse_route(h, r);
			rc = rtm->rtm_type == RTN_UNICAST || rtm->rtm_type == RTN_LOCAL ? 0 :
				-ENETUNREACH;
			break;
		}
	}
out:
	close(fd);
	return rc;
}

int
tnl_route_get(uint32_t dst, struct tnl_route *r)
{
	return route_get(AF_INET, &dst, 4, r);
}

int
tnl_route_get6(const struct in6_addr *dst, struct tnl_route *r)
{
	return route_get(AF_INET6, dst, 16, r);
}

/* The routes of 'family' in the main and local tables into 'out' (at most 'max'). */
static int
route_dump(int family, struct tnl_route *out, unsigned max)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rtm;
	} req;
	static char buf[NL_BUF];
	int fd = nl_open();
	unsigned k = 0;
	bool done = false;

	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.rtm.rtm_family = (uint8_t)family;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		close(fd);
		return -errno;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
				h = NLMSG_NEXT(h, n)) {
			const struct rtmsg *rtm = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (h->nlmsg_type != RTM_NEWROUTE || k == max ||
					(rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL))
				continue;
			parse_route(h, &out[k]);
			if (out[k].table == RT_TABLE_MAIN || out[k].table == RT_TABLE_LOCAL)
				k++;
		}
	}
	close(fd);
	return (int)k;
}

int
tnl_route_dump(struct tnl_route *out, unsigned max)
{
	int n4 = route_dump(AF_INET, out, max), n6;

	if (n4 < 0)
		return n4;
	n6 = route_dump(AF_INET6, out + n4, max - (unsigned)n4);
	return n6 < 0 ? n4 : n4 + n6;
}

/* One RTM_NEWADDR message of device 'ifindex' into 'l' (IPv4's IFA_LOCAL: IFA_ADDRESS is
 * the peer's on a point-to-point link). */
static void
parse_addr(const struct nlmsghdr *h, int ifindex, struct tnl_local *l)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)IFA_PAYLOAD(h);
	unsigned short want = ifa->ifa_family == AF_INET ? IFA_LOCAL : IFA_ADDRESS;

	if ((int)ifa->ifa_index != ifindex)
		return;
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != want)
			continue;
		if (ifa->ifa_family == AF_INET && RTA_PAYLOAD(a) == 4 && l->n4 < TNL_LOCAL_MAX)
			memcpy(&l->ip4[l->n4++], RTA_DATA(a), 4);
		else if (ifa->ifa_family == AF_INET6 && RTA_PAYLOAD(a) == 16 &&
				l->n6 < TNL_LOCAL_MAX)
			memcpy(&l->ip6[l->n6++], RTA_DATA(a), 16);
	}
}

/* The addresses of device 'ifindex' into 'l' (one dump of every device's: RTM_GETADDR). */
static int
addr_dump(int ifindex, struct tnl_local *l)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req;
	static char buf[NL_BUF];
	int fd = nl_open(), rc = -EIO;

	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETADDR;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.ifa.ifa_family = AF_UNSPEC;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		rc = -errno;
		goto out;
	}
	while (rc == -EIO) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
				h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				rc = e->error < 0 ? e->error : -EIO;
				break;
			}
			if (h->nlmsg_type == RTM_NEWADDR)
				parse_addr(h, ifindex, l);
		}
	}
out:
	close(fd);
	return rc;
}

int
tnl_dev_mac(const char *dev, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return rc;
}

int
tnl_local_read(const char *dev, struct tnl_local *l)
{
	int ifindex = (int)if_nametoindex(dev), rc;

	memset(l, 0, sizeof(*l));
	if (ifindex == 0)
		return -errno;
	rc = tnl_dev_mac(dev, l->mac);
	if (rc < 0)
		return rc;
	rc = addr_dump(ifindex, l);
	if (rc < 0)
		memset(l, 0, sizeof(*l));
	return rc;
}

int
tnl_local_monitor(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

bool
tnl_local_changed(int fd)
{
	static char buf[NL_BUF];
	bool changed = false;

	if (fd < 0)
		return true;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n > 0 || (n < 0 && errno == ENOBUFS))	/* ENOBUFS: some were lost */
			changed = true;
		else if (n == 0 || errno != EINTR)
			return changed || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
	}
}
