import Corsair
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the allow directories on SIGHUP: the ``ZAPHandler`` reads them again for new handshakes, and the broker
/// loop checks roles against the new list and disconnects workers whose keys it no longer allows. A bad directory
/// or file is logged and the old list stays.
struct AccessReloadService: Service {
    let zap: ZAPHandler
    let loop: BrokerLoop
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                loop.accessChanged(try await zap.reload())
            } catch {
                logger.warning("allowed keys not reloaded, keeping the old ones", metadata: ["error": "\(error)"])
            }
        }
    }
}
