import Corsair
import Foundation
import ZeroMQ

/// The socket thread's side of ``LoadGenerator/runPreloaded(depth:credit:count:brokerCPU:queued:)``: the socket, what
/// it has submitted, what has come back and the queue depths the broker reported.
///
/// - Note: Owned by the preloaded run's socket thread, like its socket.
struct PreloadedRun {
    /// What the run is asked to do.
    struct Plan: Sendable {
        var category: String
        /// Tasks to keep waiting in the broker.
        var depth: Int
        /// Tasks the workers take at once, all told, queued beyond `depth` before they start.
        var credit: Int
        /// Results to measure, after the warm-up.
        var count: Int
        var payloadSize: Int
        /// Read where the measured stretch starts and ends.
        var brokerCPU: @Sendable () throws -> Duration
    }

    /// Where the measured stretch started.
    private struct Stretch {
        var start: ContinuousClock.Instant
        var finished: Int
        var brokerCPU: Duration
    }

    private let plan: Plan
    /// Owned by the preloaded run's socket thread.
    private let socket: Socket
    private let session = ClientProtocol.randomSession()
    private let payload: [UInt8]
    /// Results let pass before the measured stretch.
    private let warmUp: Int
    /// New tasks go out in SUBMITs of at least this many: the broker takes one message per peer in turn, so many
    /// small SUBMITs would wait behind the workers' RESULTS while the queue ran dry.
    private let chunk: Int
    /// Tasks on their way between client, broker and workers count against the window but do not wait in the queue,
    /// so the window follows the sampled queue: it grows by half of any shortfall and shrinks by half of any excess,
    /// never below `depth + credit`.
    private var window: Int
    private var submitted = 0
    private var finished = 0
    private var stretch: Stretch?
    private var measured: LoadGenerator.PreloadOutcome?
    private var samples: [Int] = []
    private var lastResult = ContinuousClock.now
    private var nextSample = ContinuousClock.now
    /// Whether a status query is on its way.
    private var sampling = false

    init(_ plan: Plan, socket: Socket) {
        self.plan = plan
        self.socket = socket
        payload = [UInt8](repeating: UInt8(ascii: "x"), count: plan.payloadSize)
        warmUp = min(LoadGenerator.preloadWarmUp, plan.count)
        chunk = min(1000, plan.depth)
        window = plan.depth + plan.credit
    }

    /// Submits `depth + credit` tasks and waits until the broker has acknowledged them all.
    mutating func fill() throws {
        try submit(plan.depth + plan.credit)
        var accepted = 0
        while accepted < plan.depth + plan.credit {
            guard let frames = try socket.receive() else { continue }
            switch try BrokerReply(decoding: frames) {
            case .accepted(let ids): accepted += ids.count
            case .rejected(let rejections): throw BenchError.rejected(rejections)
            case .error(let message): throw BenchError.refused(message)
            case .results, .pong, .report, .attached, .stream: break
            }
        }
    }

    /// Waits, reading nothing from the broker, until the bench has started the workers.
    ///
    /// - Returns: `false` when the bench says stop instead.
    func waitForWorkers(_ mailbox: Mailbox<LoadGenerator.PreloadCommand>) throws -> Bool {
        let poller = Poller()
        let item = poller.add(fileDescriptor: mailbox.fileDescriptor)
        while true {
            _ = try poller.poll(timeout: nil)
            if poller.isReadable(item), let command = mailbox.drain().first {
                return command == .workersStarted
            }
        }
    }

    /// Keeps the queue about `depth` deep through the warm-up and the measured stretch, until the stretch has its
    /// results and at least one sample of the queue.
    ///
    /// - Throws: a ``BenchError`` when no result comes for 30 s or the broker refuses tasks.
    mutating func measure() throws -> LoadGenerator.PreloadOutcome {
        let poller = Poller()
        let item = poller.add(socket)
        lastResult = .now
        nextSample = .now
        while measured == nil || samples.isEmpty {
            if !sampling && ContinuousClock.now >= nextSample {
                try socket.send(ClientMessage.query(.status).encoded)
                sampling = true
            }
            _ = try poller.poll(timeout: sampling ? .seconds(1) : nextSample - .now)
            while poller.isReadable(item), let frames = try socket.receive(blocking: false) {
                try received(BrokerReply(decoding: frames))
            }
            if ContinuousClock.now - lastResult > .seconds(30) {
                throw BenchError("no result for 30 s with \(plan.depth) tasks queued")
            }
            try advanceStretch()
            let room = window - (submitted - finished)
            if room >= chunk {
                try submit(room)
            }
        }
        guard var outcome = measured else { throw BenchError("the measured stretch has no outcome") }
        outcome.queued = samples
        return outcome
    }

    /// Starts the measured stretch after the warm-up, and ends it once it has `count` results.
    private mutating func advanceStretch() throws {
        guard let stretch else {
            if finished >= warmUp {
                stretch = Stretch(start: .now, finished: finished, brokerCPU: try plan.brokerCPU())
            }
            return
        }
        if measured == nil, finished - stretch.finished >= plan.count {
            measured = LoadGenerator.PreloadOutcome(
                count: finished - stretch.finished, elapsed: .now - stretch.start, queued: [],
                brokerCPU: try plan.brokerCPU() - stretch.brokerCPU)
        }
    }

    /// Handles one reply from the broker: results, or a status report that sizes the window.
    private mutating func received(_ reply: BrokerReply) throws {
        switch reply {
        case .results(let results):
            finished += results.count
            lastResult = .now
        case .report(let json):
            let status = try JSONDecoder().decode(BrokerStatus.self, from: Data(json))
            let waiting = status.categories.first { $0.name == plan.category }?.queued ?? 0
            if stretch != nil && (measured == nil || samples.isEmpty) {
                samples.append(waiting)
            }
            window = max(plan.depth + plan.credit, window + (plan.depth - waiting) / 2)
            sampling = false
            nextSample = .now + LoadGenerator.queueSampleInterval
        case .rejected(let rejections):
            throw BenchError.rejected(rejections)
        case .error(let message):
            throw BenchError.refused(message)
        case .accepted, .pong, .attached, .stream:
            break
        }
    }

    /// Submits `tasks` more, in SUBMITs of up to 1000.
    private mutating func submit(_ tasks: Int) throws {
        var start = submitted
        submitted += tasks
        while start < submitted {
            let end = min(start + 1000, submitted)
            let specs = (start..<end).map { TaskSpec(id: String($0), category: plan.category, payload: payload) }
            try socket.send(ClientMessage.submit(session: session, tasks: specs).encoded)
            start = end
        }
    }
}
