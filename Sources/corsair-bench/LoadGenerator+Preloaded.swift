import Corsair

extension LoadGenerator {
    /// What a preloaded run measured.
    struct PreloadOutcome: Sendable {
        /// The results of the measured stretch.
        var count: Int
        /// How long they took to arrive.
        var elapsed: Duration
        /// The category's queue in the broker, sampled through the measured stretch.
        var queued: [Int]
        /// How far the `brokerCPU` clock given to ``LoadGenerator/runPreloaded(depth:credit:count:brokerCPU:queued:)``
        /// advanced over the measured stretch.
        var brokerCPU: Duration
    }

    /// What the bench tells the socket thread of a preloaded run while it waits with the queue full.
    enum PreloadCommand: Sendable {
        /// The workers are starting: go on to the measured stretch.
        case workersStarted
        /// Close the socket and end, measuring nothing.
        case stop
    }

    /// What the socket thread of a preloaded run tells the bench.
    enum PreloadEvent: Sendable {
        /// The broker has acknowledged every task of the full queue.
        case filled
        /// The measured stretch is over.
        case measured(PreloadOutcome)
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
    /// The socket lives on the run's socket thread; `queued` runs here, while that thread waits for it.
    ///
    /// - Parameters:
    ///   - brokerCPU: read on the socket thread where the measured stretch starts, after the warm-up, and where it
    ///     ends, when `count` results have arrived.
    ///   - queued: starts the workers.
    /// - Returns: the measured stretch, whose rate is the dispatch rate with `depth` tasks queued, and the queue
    ///   depths sampled meanwhile.
    func runPreloaded(
        depth: Int,
        credit: Int,
        count: Int,
        brokerCPU: @escaping @Sendable () throws -> Duration,
        queued: () async throws -> Void
    ) async throws -> PreloadOutcome {
        guard case .corsairBatch(let category) = wire else {
            throw BenchError("preloading needs Corsair's batch protocol")
        }
        let plan = PreloadedRun.Plan(
            category: category, depth: depth, credit: credit, count: count, payloadSize: payloadSize,
            brokerCPU: brokerCPU)
        let thread = try SocketThread<PreloadCommand>(name: Self.threadName)
        let (events, continuation) = AsyncStream.makeStream(of: PreloadEvent.self, bufferingPolicy: .bufferingOldest(2))
        thread.start { [self] sockets in
            defer { continuation.finish() }
            var run = PreloadedRun(plan, socket: try connectedSocket(sockets))
            try run.fill()
            continuation.yield(.filled)
            guard try run.waitForWorkers(thread.mailbox) else { return }
            continuation.yield(.measured(try run.measure()))
        }
        var measured: PreloadOutcome?
        for await event in events {
            switch event {
            case .filled:
                do {
                    try await queued()
                } catch {
                    thread.post(.stop)
                    try? await thread.finished()
                    throw error
                }
                thread.post(.workersStarted)
            case .measured(let outcome):
                measured = outcome
            }
        }
        try await thread.finished()
        guard let measured else { throw BenchError("the preloaded run ended without a measurement") }
        return measured
    }
}
