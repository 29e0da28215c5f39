/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The kernel's IPv4 routes over rtnetlink, for the control thread (see tnl.h): one route
 * looked up as `ip route get` does, or the main and local tables dumped for ovs/route/show.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
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

/* Fill 'r' from one RTM_NEWROUTE message. */
static void
parse_route(const struct nlmsghdr *h, struct tnl_route *r)
{
	const struct rtmsg *rtm = NLMSG_DATA(h);
	int len = (int)RTM_PAYLOAD(h);

	memset(r, 0, sizeof(*r));
	r->dst_len = rtm->rtm_dst_len;
	r->table = rtm->rtm_table;
	for (const struct rtattr *a = RTM_RTA(rtm); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_DST:
			memcpy(&r->dst, RTA_DATA(a), 4);
			break;
		case RTA_GATEWAY:
			memcpy(&r->gw, RTA_DATA(a), 4);
			break;
		case RTA_PREFSRC:
			memcpy(&r->src, RTA_DATA(a), 4);
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

int
tnl_route_get(uint32_t dst, struct tnl_route *r)
{
	struct {
		struct nlmsghdr h;
		struct rtmsg rtm;
		struct rtattr a;
		uint32_t dst;
	} req;
	char buf[4096];
	int fd = nl_open(), rc = -EIO;
	ssize_t n;

	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETROUTE;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.rtm.rtm_family = AF_INET;
	req.rtm.rtm_dst_len = 32;
	req.a.rta_type = RTA_DST;
	req.a.rta_len = RTA_LENGTH(4);
	req.dst = dst;
	if (send(fd, &req, sizeof(req), 0) < 0) {
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
tnl_route_dump(struct tnl_route *out, unsigned max)
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
	req.rtm.rtm_family = AF_INET;
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
