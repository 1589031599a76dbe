import Corsair
import Foundation
import ZeroMQ

/// The `--clients` measurement: many clients submitting one batch each at the same moment.
extension BenchCommand {
    /// The most sockets each bench process may open (`ZMQ_MAX_SOCKETS`, libzmq's default being 1 023): the
    /// `--clients` DEALERs beside the status queries, with room to spare.
    static let socketLimit = 8192

    /// Raises the shared context's socket limit to ``socketLimit``. Called before the process's first socket.
    static func raiseSocketLimit() throws {
        try Context.shared.setMaxSockets(socketLimit)
    }

    /// Runs the `--clients` measurement ``runs`` times and returns each figure's values, by its JSON key.
    func runClientBursts(_ clients: Int) async throws -> [String: [Double]] {
        var figures: [String: [Double]] = [:]
        for _ in 0..<runs {
            let (burst, peakResident) = try await runClientBurst(clients)
            let seconds = burst.elapsed / .seconds(1)
            figures["all_results_ms", default: []].append(burst.elapsed / .milliseconds(1))
            figures["results_per_second", default: []].append(Double(burst.results) / seconds)
            figures["broker_cpu_us_per_task", default: []].append(
                burst.brokerCPU / .microseconds(1) / Double(burst.results))
            figures["broker_peak_rss_mb", default: []].append(Double(peakResident) / 1_048_576)
        }
        return figures
    }

    /// A broker and K credit workers; `clients` clients each submit ``tasksPerClient`` tasks at once.
    ///
    /// - Returns: the burst, and the broker's peak resident memory (bytes) once every result is back.
    private func runClientBurst(_ clients: Int) async throws -> (ClientBurst.Outcome, Int) {
        let processes = BenchProcesses()
        defer { processes.stopAll() }
        let (broker, endpoint) = try await startEchoCluster(processes)
        let burst = ClientBurst(
            endpoint: endpoint, clients: clients, tasksPerClient: tasksPerClient, payloadSize: bytes)
        let brokerID = broker.processIdentifier
        let outcome = try await burst.run { try ProcessUsage(of: brokerID).cpu }
        return (outcome, try ProcessUsage(of: brokerID).peakResident)
    }
}
