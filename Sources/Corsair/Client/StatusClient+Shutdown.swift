import Foundation

extension StatusClient {
    /// Asks the broker to stop workers, and perhaps itself, as `request` says (`corsair shutdown`).
    ///
    /// - Returns: whom the broker told to stop; they leave on their own time, after finishing or handing back their
    ///   tasks.
    /// - Throws: ``BrokerUnavailable`` when the broker does not answer within the timeout.
    public func shutdown(_ request: ShutdownRequest) async throws -> ShutdownReport {
        try JSONDecoder().decode(ShutdownReport.self, from: Data(try await ask(message: .shutdown(request))))
    }
}
