#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H

#include <zmq.h>

/// Whether libzmq was built with CURVE security (`zmq_has("curve")`).
static inline int CZeroMQ_hasCurve(void) {
    return zmq_has("curve");
}

/// The routing id option, named `ZMQ_ROUTING_ID` since libzmq 4.2 and `ZMQ_IDENTITY` before.
static inline int CZeroMQ_routingIDOption(void) {
#ifdef ZMQ_ROUTING_ID
    return ZMQ_ROUTING_ID;
#else
    return ZMQ_IDENTITY;
#endif
}

#endif
