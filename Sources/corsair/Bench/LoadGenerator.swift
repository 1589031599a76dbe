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

    /// What a preloaded run measured.
    struct PreloadOutcome {
        /// The results of the measured stretch, and how long they took to arrive.
        var count: Int
        var elapsed: Duration
        /// The category's queue in the broker, sampled through the measured stretch.
        var queued: [Int]
    }

    /// How often a preloaded run asks the broker how many tasks wait.
    static let queueSampleInterval: Duration = .milliseconds(20)
    /// Results a preloaded run lets pass before its measured stretch, at most: the workers start and the window
    /// settles. Shorter runs warm up for as many results as they measure.
    static let preloadWarmUp = 50_000

    /// Queues `depth` Corsair tasks plus `credit` more for the workers to take (waiting until the broker has
    /// acknowledged them all) and calls `queued`, which starts the workers. Then keeps about `depth` waiting in the
    /// broker while ``preloadWarmUp`` results and then `count` more arrive: it submits new tasks as results come, asks
    /// the broker for its queue every ``queueSampleInterval``, and sizes its window to the answers. Only for
    /// ``Wire/corsairBatch(category:)``.
    ///
    /// - Parameters:
    ///   - started: called where the measured stretch starts, after the warm-up.
    ///   - ended: called where it ends, when `count` results have arrived.
    /// - Returns: the measured stretch, whose rate is the dispatch rate with `depth` tasks queued, and the queue
    ///   depths sampled meanwhile.
    func runPreloaded(
        depth: Int,
        credit: Int,
        count: Int,
        queued: () async throws -> Void,
        started: () throws -> Void,
        ended: () throws -> Void
    ) async throws -> PreloadOutcome {
        guard case .corsairBatch(let category) = wire else { throw BenchError("preloading needs Corsair's batch protocol") }
        let warmUp = min(Self.preloadWarmUp, count)
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
        try submit(depth + credit)
        var accepted = 0
        while accepted < depth + credit {
            guard let frames = try socket.receive() else { continue }
            switch try BrokerReply(decoding: frames) {
            case .accepted(let ids): accepted += ids.count
            case .rejected(let rejections): throw BenchError("the broker rejected tasks: \(rejections.first?.reason ?? "")")
            case .error(let message): throw BenchError("the broker refused a submission: \(message)")
            case .results, .pong, .report: break
            }
        }
        try await queued()
        // Tasks on their way between client, broker and workers count against the window but do not wait in the
        // queue, so the window follows the sampled queue: it grows by half of any shortfall and shrinks by half of
        // any excess, never below `depth + credit`.
        var window = depth + credit
        // New tasks go out in SUBMITs of at least `chunk`: the broker takes one message per peer in turn, so many
        // small SUBMITs would wait behind the workers' RESULTS while the queue ran dry.
        let chunk = min(1000, depth)
        var finished = 0
        var stretch: (start: ContinuousClock.Instant, finished: Int)?
        var measured: PreloadOutcome?
        var samples: [Int] = []
        var lastResult = ContinuousClock.now
        var nextSample = ContinuousClock.now
        var sampling = false
        let poller = Poller()
        let item = poller.add(socket)
        // Runs until the stretch has its results and at least one sample of the queue.
        while measured == nil || samples.isEmpty {
            if !sampling && ContinuousClock.now >= nextSample {
                try socket.send(ClientMessage.query(.status).encoded)
                sampling = true
            }
            try poller.poll(timeout: sampling ? .seconds(1) : nextSample - .now)
            while poller.isReadable(item), let frames = try socket.receive(blocking: false) {
                switch try BrokerReply(decoding: frames) {
                case .results(let results):
                    finished += results.count
                    lastResult = .now
                case .report(let json):
                    let status = try JSONDecoder().decode(BrokerStatus.self, from: Data(json))
                    let waiting = status.categories.first { $0.name == category }?.queued ?? 0
                    if stretch != nil && (measured == nil || samples.isEmpty) {
                        samples.append(waiting)
                    }
                    window = max(depth + credit, window + (depth - waiting) / 2)
                    sampling = false
                    nextSample = .now + Self.queueSampleInterval
                case .rejected(let rejections):
                    throw BenchError("the broker rejected tasks: \(rejections.first?.reason ?? "")")
                case .error(let message):
                    throw BenchError("the broker refused a submission: \(message)")
                case .accepted, .pong:
                    break
                }
            }
            if ContinuousClock.now - lastResult > .seconds(30) {
                throw BenchError("no result for 30 s with \(depth) tasks queued")
            }
            if stretch == nil && finished >= warmUp {
                try started()
                stretch = (.now, finished)
            }
            if let stretch, measured == nil, finished - stretch.finished >= count {
                try ended()
                measured = PreloadOutcome(count: finished - stretch.finished, elapsed: .now - stretch.start, queued: [])
            }
            let room = window - (submitted - finished)
            if room >= chunk {
                try submit(room)
            }
        }
        measured!.queued = samples
        return measured!
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
