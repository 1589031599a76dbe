import Corsair
import Synchronization

/// The last minutes of the broker, one sample a second, for the dashboard's charts (`GET /v1/history`): tasks
/// finished so far and each category's queue depth. Sampled by ``HTTPGatewayService`` while it runs; the page turns
/// the finished totals into tasks per second.
final class DashboardHistory: Sendable {
    /// One moment of the broker.
    struct Sample: Codable, Sendable, Hashable {
        /// When, in Unix milliseconds.
        var time: UInt64
        /// Tasks that succeeded, failed for good or were cancelled since the broker started.
        var finished: Int
        /// Tasks waiting for a worker, by category.
        var queued: [String: Int]
    }

    /// How many samples are kept: five minutes at one a second.
    static let capacity = 300
    /// How often the service samples.
    static let interval: Duration = .seconds(1)

    private let samples = Mutex<[Sample]>([])

    /// Adds a sample of `status`, taken at `time` (Unix milliseconds), dropping the oldest past ``capacity``.
    func record(_ status: BrokerStatus, at time: UInt64) {
        let sample = Sample(
            time: time, finished: status.succeeded + status.failed + (status.cancelled ?? 0),
            queued: Dictionary(status.categories.map { ($0.name, $0.queued) }) { $1 })
        samples.withLock { samples in
            samples.append(sample)
            if samples.count > Self.capacity {
                samples.removeFirst(samples.count - Self.capacity)
            }
        }
    }

    /// Every sample kept, oldest first.
    var all: [Sample] { samples.withLock { $0 } }
}
