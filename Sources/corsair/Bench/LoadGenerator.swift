import Corsair
import Foundation
import Histogram
import ZeroMQ

/// Drives N echo round trips through an endpoint with at most W in flight and records each one's latency.
///
/// Runs on the calling thread, which owns the generator's one DEALER socket from ``run(tasks:)`` to its return.
struct LoadGenerator {
    /// What the generator speaks to the endpoint.
    enum Wire {
        /// Corsair's batch protocol: SUBMIT messages carrying every task the window has room for.
        case corsairBatch(category: String)
        /// Plain MDP/0.2 client REQUESTs, one task per message, many in flight on one socket.
        case mdpRequests(category: String)
        /// Bare messages through a `zmq_proxy` to echo workers: the baseline.
        case raw
    }

    /// What one run measured.
    struct Outcome {
        var elapsed: Duration
        var latencies: Histogram<UInt64>
        var count: Int
    }

    let endpoint: String
    let wire: Wire
    let payloadSize: Int
    let window: Int

    /// Queues `depth` Corsair tasks at once (waiting until the broker has acknowledged them all) and calls `queued`,
    /// which starts the workers; then keeps the queue that deep, submitting a new task for each result, until `count`
    /// results have arrived after the first. Only for ``Wire/corsairBatch(category:)``.
    ///
    /// - Parameter timing: called when the first result arrives, where the measured stretch starts.
    /// - Returns: the time from the first of those results to the last: the dispatch rate with `depth` tasks queued,
    ///   apart from how long the workers took to start.
    func runPreloaded(
        depth: Int,
        count: Int,
        queued: () async throws -> Void,
        timing: () throws -> Void
    ) async throws -> Duration {
        guard case .corsairBatch(let category) = wire else { throw BenchError("preloading needs Corsair's batch protocol") }
        let context = try Context()
        let socket = try connectedSocket(context)
        defer { socket.close(linger: .zero) }
        let session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: payloadSize)
        var submitted = 0
        func submit(_ tasks: Int) throws {
            var start = submitted
            submitted += tasks
            while start < submitted {
                let end = min(start + 1000, submitted)
                let specs = (start..<end).map { TaskSpec(id: String($0), category: category, payload: payload) }
                try socket.send(ClientMessage.submit(session: session, tasks: specs).encoded)
                start = end
            }
        }
        try submit(depth)
        var accepted = 0
        while accepted < depth {
            guard let frames = try socket.receive() else { continue }
            switch try BrokerReply(decoding: frames) {
            case .accepted(let ids): accepted += ids.count
            case .rejected(let rejections): throw BenchError("the broker rejected tasks: \(rejections.first?.reason ?? "")")
            case .error(let message): throw BenchError("the broker refused a submission: \(message)")
            case .results, .pong, .report: break
            }
        }
        try await queued()
        var first: ContinuousClock.Instant?
        var measured = 0
        let poller = Poller()
        let item = poller.add(socket)
        while measured < count {
            guard try poller.poll(timeout: .seconds(30)) > 0, poller.isReadable(item) else {
                throw BenchError("no result for 30 s with \(depth) tasks queued")
            }
            var finished = 0
            while let frames = try socket.receive(blocking: false) {
                if case .results(let results) = try BrokerReply(decoding: frames) {
                    finished += results.count
                }
            }
            guard finished > 0 else { continue }
            if first == nil {
                try timing()
                first = .now
            } else {
                measured += finished
            }
            try submit(finished)
        }
        return ContinuousClock.now - first!
    }

    /// A DEALER connected to ``endpoint`` with no high-water marks, so the generator's window is the only limit.
    private func connectedSocket(_ context: Context) throws -> Socket {
        let socket = try Socket(context: context, type: .dealer)
        do {
            try socket.setSendHighWaterMark(0)
            try socket.setReceiveHighWaterMark(0)
            try socket.connect(endpoint)
        } catch {
            socket.close(linger: .zero)
            throw error
        }
        return socket
    }

    /// Sends `count` tasks, keeping up to ``window`` in flight, and returns once every one has come back.
    func run(tasks count: Int) throws -> Outcome {
        let context = try Context()
        let socket = try connectedSocket(context)
        defer { socket.close(linger: .zero) }
        let session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let padding = [UInt8](repeating: UInt8(ascii: "x"), count: max(0, payloadSize - 8))
        var sentAt = [ContinuousClock.Instant?](repeating: nil, count: count)
        var latencies = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var next = 0
        var done = 0
        let poller = Poller()
        let item = poller.add(socket)
        let start = ContinuousClock.now

        func payload(_ index: Int) -> [UInt8] {
            withUnsafeBytes(of: UInt64(index).littleEndian) { Array($0) } + padding
        }
        func finished(_ index: Int?) throws {
            guard let index, index >= 0, index < count, let sent = sentAt[index] else {
                throw BenchError("a reply that matches no task in flight")
            }
            sentAt[index] = nil
            let elapsed = ContinuousClock.now - sent
            _ = latencies.record(UInt64(max(1, (elapsed / .microseconds(1)).rounded())))
            done += 1
        }

        while done < count {
            let room = min(window - (next - done), count - next)
            if room > 0 {
                switch wire {
                case .corsairBatch(let category):
                    var tasks: [TaskSpec] = []
                    tasks.reserveCapacity(min(room, 1000))
                    for index in next..<(next + min(room, 1000)) {
                        tasks.append(TaskSpec(id: String(index), category: category, payload: payload(index)))
                        sentAt[index] = .now
                    }
                    try socket.send(ClientMessage.submit(session: session, tasks: tasks).encoded)
                    next += tasks.count
                case .mdpRequests(let category):
                    for index in next..<(next + room) {
                        sentAt[index] = .now
                        try socket.send([MDP.clientHeader, [MDP.ClientCommand.request.rawValue], Array(category.utf8), payload(index)])
                    }
                    next += room
                case .raw:
                    for index in next..<(next + room) {
                        sentAt[index] = .now
                        try socket.send([payload(index)])
                    }
                    next += room
                }
            }
            guard try poller.poll(timeout: .seconds(30)) > 0, poller.isReadable(item) else {
                throw BenchError("no reply for 30 s with \(next - done) tasks in flight")
            }
            while let frames = try socket.receive(blocking: false) {
                switch wire {
                case .corsairBatch:
                    switch try BrokerReply(decoding: frames) {
                    case .results(let results):
                        for result in results {
                            guard result.outcome == .succeeded else {
                                throw BenchError("task \(result.id) failed: \(String(decoding: result.output, as: UTF8.self))")
                            }
                            try finished(Int(result.id))
                        }
                    case .rejected(let rejections):
                        throw BenchError("the broker rejected tasks: \(rejections.first?.reason ?? "")")
                    case .error(let message):
                        throw BenchError("the broker refused a submission: \(message)")
                    case .accepted, .pong, .report:
                        break
                    }
                case .mdpRequests, .raw:
                    guard let body = frames.last, body.count >= 8 else { throw BenchError("a reply without a payload") }
                    try finished(Int(UInt64(littleEndian: body.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })))
                }
            }
        }
        return Outcome(elapsed: ContinuousClock.now - start, latencies: latencies, count: count)
    }
}
