internal import CZeroMQ

/// Runs libzmq's built-in proxy (`zmq_proxy`) between `frontend` and `backend` on the calling thread, which must own
/// both sockets, until the context is terminated or the process ends.
///
/// `corsair-bench` uses it as the baseline: a bare ROUTER/DEALER queue with no tracking at all.
public func proxy(frontend: Socket, backend: Socket) throws(ZeroMQError) {
    _ = try zeroMQCall("zmq_proxy") { zmq_proxy(frontend.handle, backend.handle, nil) }
}
