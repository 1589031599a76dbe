import Foundation
package import ZeroMQ

extension Socket {
    /// Binds `endpoint`, trying again for up to `patience` while the address is in use: a broker that steps from
    /// standby to active, or back, binds ports its other ROUTER has just closed, and libzmq closes a listener on its
    /// I/O thread a moment after the socket is closed.
    ///
    /// - Throws: ``ZeroMQ/ZeroMQError`` when the endpoint cannot be bound, or is still in use after `patience`.
    package func bindRetrying(_ endpoint: String, patience: Duration = .seconds(2)) throws(ZeroMQError) {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try bind(endpoint)
            } catch let error where error.code == .addressInUse && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }
}
