import Foundation

/// The brokers a worker or client may reach, as `--broker` takes them: one endpoint, or several separated by commas
/// (`tcp://a:5555,tcp://b:5555`), the brokers that share one journal. A peer connects to one at a time and moves to
/// the next when the one it has falls silent or answers that it stands by (``StandbyReply``).
public struct BrokerEndpoints: Sendable, Hashable {
    /// The endpoints, in the order given.
    public let all: [String]

    /// Splits `text` at its commas, dropping blanks around each endpoint.
    public init(_ text: String) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        all = parts.isEmpty ? [text] : parts
    }

    /// The endpoint for connection attempt `attempt` (from 0): the first, then each in turn.
    public func endpoint(forAttempt attempt: Int) -> String {
        all[attempt % all.count]
    }
}
