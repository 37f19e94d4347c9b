/* network.h: network.mode "none" of the policy, inside the container's
 * network namespace: every interface but loopback is taken down and
 * loopback brought up.  With CAP_NET_ADMIN and CAP_NET_RAW dropped (the
 * policy refuses them with mode none) nothing in the container can undo
 * it, so it can send nothing beyond loopback even when the engine gave it
 * a namespace with a bridge or veth. */
#ifndef SBX_NETWORK_H
#define SBX_NETWORK_H

#include "error.h"

int sbx_network_isolate(struct sbx_error *err);

#endif
