import Corsair

/// Many Corsair clients that each submit one batch at the same moment, and the time until every result is back.
///
/// The clients are DEALER sockets in this process, each with a session of its own, spread over up to ``maxThreads``
/// socket threads named `bench-burst-N`: each thread owns the sockets of its consecutive share of the clients (see
/// ``ClientGroup``). Each thread connects its clients and has each PING the broker; once every thread has its PONGs,
/// all of them send their SUBMITs at once, and the burst is timed from then to the last result.
struct ClientBurst: Sendable {
    /// What the bench tells a burst thread.
    enum Command: Sendable, Equatable {
        /// Every client has its PONG: send the SUBMITs.
        case go
        /// Another thread failed: close the sockets and end.
        case stop
    }

    /// What a burst thread tells the bench.
    private enum Event: Sendable {
        /// Every client of the thread has its PONG.
        case ready
        /// Every result of the thread's clients is back, the last at this instant.
        case done(ContinuousClock.Instant)
        /// The thread failed; its ``Corsair/SocketThread/finished()`` throws why.
        case failed(Int)
    }

    /// What one burst measured.
    struct Outcome: Sendable {
        /// From the SUBMITs going out to the last result back.
        var elapsed: Duration
        /// How far the `brokerCPU` clock given to ``run(brokerCPU:)`` advanced over ``elapsed``.
        var brokerCPU: Duration
        /// The results received: one per task, each exactly once.
        var results: Int
    }

    let endpoint: String
    let clients: Int
    let tasksPerClient: Int
    let payloadSize: Int
    var category = "bench"

    /// Clients per socket thread, up to ``maxThreads`` threads.
    static let clientsPerThread = 250
    /// The most socket threads a burst uses: the machine's cores also run the broker and the workers.
    static let maxThreads = 4
    /// How long a thread waits for a reply before it gives up.
    static let patience: Duration = .seconds(30)
    /// How long a thread keeps listening after its last result, for a result that comes twice.
    static let duplicateWatch: Duration = .milliseconds(200)

    /// Each thread's clients: consecutive ranges of about equal size.
    var shares: [Range<Int>] {
        let threads = min(Self.maxThreads, (clients + Self.clientsPerThread - 1) / Self.clientsPerThread)
        return (0..<threads).map { (clients * $0 / threads)..<(clients * ($0 + 1) / threads) }
    }

    /// One client's batch of ``tasksPerClient`` tasks (ids `0`, `1`, …) as encoded SUBMITs, split as a real client
    /// splits them (``Corsair/SubmitChunker``): at most 1 000 tasks and about 1 MiB each.
    func submits(session: [UInt8]) throws -> [[[UInt8]]] {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: payloadSize)
        let tasks = (0..<tasksPerClient).map { TaskSpec(id: String($0), category: category, payload: payload) }
        return try SubmitChunker.chunks(of: tasks).map { try ClientMessage.submit(session: session, tasks: $0).encoded }
    }

    /// Connects the clients, sends every batch at once and waits until every result has come back exactly once.
    ///
    /// - Parameter brokerCPU: read here when the SUBMITs go out and when the last result is back.
    /// - Throws: a ``BenchError`` when a result is missing after ``patience``, comes twice, belongs to no task
    ///   submitted or failed, or when the broker refuses a task.
    func run(brokerCPU: () throws -> Duration) async throws -> Outcome {
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        // Every thread is made before any starts, so that none is left waiting for a go that cannot come.
        let threads = try shares.indices.map { try SocketThread<Command>(name: "bench-burst-\($0)") }
        for (index, (share, thread)) in zip(shares, threads).enumerated() {
            thread.start { [self] sockets in
                do {
                    var group = try ClientGroup(self, clients: share, sockets: sockets, mailbox: thread.mailbox)
                    guard try group.greet() else { return }
                    continuation.yield(.ready)
                    guard try group.waitForGo(), let last = try group.burst() else { return }
                    continuation.yield(.done(last))
                } catch {
                    continuation.yield(.failed(index))
                    throw error
                }
            }
        }
        do {
            let outcome = try await follow(events, of: threads, brokerCPU: brokerCPU)
            for thread in threads {
                try await thread.finished()
            }
            return outcome
        } catch {
            for thread in threads {
                thread.post(.stop)
            }
            for thread in threads {
                try? await thread.finished()
            }
            throw error
        }
    }

    /// Starts every thread's SUBMITs once all are ready, and times them until every thread is done.
    private func follow(
        _ events: AsyncStream<Event>,
        of threads: [SocketThread<Command>],
        brokerCPU: () throws -> Duration
    ) async throws -> Outcome {
        var ready = 0
        var done = 0
        var start = ContinuousClock.now
        var cpuAtStart = Duration.zero
        var last = start
        for await event in events {
            switch event {
            case .ready:
                ready += 1
                guard ready == threads.count else { continue }
                cpuAtStart = try brokerCPU()
                start = .now
                for thread in threads {
                    thread.post(.go)
                }
            case .done(let instant):
                done += 1
                last = max(last, instant)
            case .failed(let index):
                try await threads[index].finished()
                throw BenchError("burst thread \(index) failed without saying why")
            }
            if done == threads.count {
                return Outcome(
                    elapsed: last - start, brokerCPU: try brokerCPU() - cpuAtStart, results: clients * tasksPerClient)
            }
        }
        throw BenchError("the burst threads ended before every result was back")
    }
}
