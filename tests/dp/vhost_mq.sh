#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Queue pairs a vhost-user guest may use are the ones vireo-dp polls.  rte_vhost alone
# offers 128 queue pairs; a port that polled fewer than the guest took left the rest
# undrained (a traffic black hole above 8 queue pairs).  A raw frontend (vhost_mq.py) asks
# GET_QUEUE_NUM, sets up the last ring offered and the first beyond; vireo-dp must list
# every offered queue in pmd-rxq-show.
. "$(dirname "$0")/lib.sh"

vhost_bridge_yaml 1
check "vireo-dp starts" start_dp "$RUN/dp.yaml"
out=$(timeout 20 python3 "$(dirname "$0")/vhost_mq.py" "$RUN/vhu0" 2>&1)
echo "$out" | sed 's/^/    frontend: /'
qn=$(sed -n 's/^queue_num //p' <<<"$out")
check "the port offers 16 queue pairs (GET_QUEUE_NUM: ${qn:-none})" test "${qn:-0}" -eq 16
check "the last ring offered (31) is accepted" grep -q "^ring 31 ack" <<<"$out"
check "a ring beyond the offer (32) is refused" grep -qE "^ring 32 (nack|closed)" <<<"$out"
check "the refusal is logged" grep -q "ring 32: 16 queue pairs were offered: refused" "$RUN/dp.log"
check "vireo-dp polls all 16 queues of the port" \
	test "$(ctl dpif-netdev/pmd-rxq-show | grep -c 'port: vhu0 ')" -eq 16
check "vireo-dp still answers" ctl version
finish
