import Corsair
import Histogram
import ZeroMQ

extension LoadGenerator {
    /// One ``LoadGenerator/run(tasks:)``: its socket, the tasks in flight and the latencies recorded so far.
    ///
    /// - Note: Owned by the generator's socket thread, like its socket.
    struct WindowedRun {
        private let generator: LoadGenerator
        private let count: Int
        /// Owned by the generator's socket thread.
        private let socket: Socket
        private let poller = Poller()
        private let item: Int
        private let session = ClientProtocol.randomSession()
        /// What follows the task number in each payload, to make it ``LoadGenerator/payloadSize`` bytes.
        private let padding: [UInt8]
        /// When each task in flight was sent, by task number.
        private var sentAt: [ContinuousClock.Instant?]
        private var latencies = Histogram<UInt64>(
            highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        /// The next task number to send.
        private var next = 0
        /// The tasks that have come back.
        private var done = 0

        init(_ generator: LoadGenerator, count: Int, socket: Socket) {
            self.generator = generator
            self.count = count
            self.socket = socket
            item = poller.add(socket)
            padding = [UInt8](repeating: UInt8(ascii: "x"), count: max(0, generator.payloadSize - 8))
            sentAt = [ContinuousClock.Instant?](repeating: nil, count: count)
        }

        /// Sends the tasks and reads the replies until every task has come back.
        ///
        /// - Throws: a ``BenchError`` when no reply comes for 30 s, a task fails or the broker refuses one.
        mutating func complete() throws -> Outcome {
            if generator.connectsFirst {
                try connect()
            }
            let start = ContinuousClock.now
            while done < count {
                try send(min(generator.window - (next - done), count - next))
                guard try poller.poll(timeout: .seconds(30)) > 0, poller.isReadable(item) else {
                    throw BenchError("no reply for 30 s with \(next - done) tasks in flight")
                }
                while let frames = try socket.receive(blocking: false) {
                    try received(frames)
                }
            }
            return Outcome(elapsed: ContinuousClock.now - start, latencies: latencies, count: count)
        }

        /// PINGs the broker and waits for its PONG: the connection is up before anything is timed.
        ///
        /// - Throws: a ``BenchError`` when no PONG comes for 30 s.
        private func connect() throws {
            try socket.send(ClientMessage.ping(session: session).encoded)
            while true {
                guard try poller.poll(timeout: .seconds(30)) > 0, poller.isReadable(item) else {
                    throw BenchError("no PONG for 30 s from \(generator.endpoint)")
                }
                while let frames = try socket.receive(blocking: false) {
                    if case .pong = try BrokerReply(decoding: frames) { return }
                }
            }
        }

        /// Sends the next `room` tasks, if any: in SUBMITs split by ``submits(_:category:session:payload:)``, or one
        /// message each.
        private mutating func send(_ room: Int) throws {
            guard room > 0 else { return }
            switch generator.wire {
            case .corsairBatch(let category):
                let range = next..<(next + room)
                let messages = Self.submits(range, category: category, session: session) { payload($0) }
                for index in range {
                    sentAt[index] = .now
                }
                for message in messages {
                    try socket.send(message.encoded)
                }
                next += room
            case .mdpRequests(let category):
                for index in next..<(next + room) {
                    sentAt[index] = .now
                    try socket.send([
                        MDP.clientHeader, [MDP.ClientCommand.request.rawValue], Array(category.utf8), payload(index),
                    ])
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

        /// SUBMITs of the tasks numbered `range` (ids their numbers, payloads by `payload`), split as a real client
        /// splits them (``Corsair/SubmitChunker``): at most 1 000 tasks and about 1 MiB each, so that a window of large
        /// tasks does not cross the broker's `--max-message-size`.
        static func submits(
            _ range: Range<Int>, category: String, session: [UInt8], payload: (Int) -> [UInt8]
        ) -> [ClientMessage] {
            let tasks = range.map { TaskSpec(id: String($0), category: category, payload: payload($0)) }
            return SubmitChunker.chunks(of: tasks).map { ClientMessage.submit(session: session, tasks: $0) }
        }

        /// Task `index`'s payload: its number, little-endian, then the padding.
        private func payload(_ index: Int) -> [UInt8] {
            withUnsafeBytes(of: UInt64(index).littleEndian) { Array($0) } + padding
        }

        /// Records the tasks that `frames` brings back.
        private mutating func received(_ frames: Multipart) throws {
            guard case .corsairBatch = generator.wire else {
                guard let body = frames.last, body.count >= 8 else { throw BenchError("a reply without a payload") }
                try finished(Int(UInt64(littleEndian: body.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })))
                return
            }
            switch try BrokerReply(decoding: frames) {
            case .results(let results):
                for result in results {
                    guard result.outcome == .succeeded else {
                        throw BenchError("task \(result.id) failed: \(String(decoding: result.output, as: UTF8.self))")
                    }
                    try finished(Int(result.id))
                }
            case .rejected(let rejections):
                throw BenchError.rejected(rejections)
            case .error(let message):
                throw BenchError.refused(message)
            case .accepted, .pong, .report, .attached, .stream:
                break
            }
        }

        /// Records the latency of task `index`, which has come back.
        private mutating func finished(_ index: Int?) throws {
            guard let index, index >= 0, index < count, let sent = sentAt[index] else {
                throw BenchError("a reply that matches no task in flight")
            }
            sentAt[index] = nil
            let elapsed = ContinuousClock.now - sent
            _ = latencies.record(UInt64(max(1, (elapsed / .microseconds(1)).rounded())))
            done += 1
        }
    }
}
