import ZeroMQ

@testable import Corsair

/// A broker state machine under test, with instants passed in and helpers to read its actions.
struct BrokerHarness {
    let t0 = ContinuousClock.now
    var machine: BrokerStateMachine

    init(_ configure: (inout BrokerConfiguration) -> Void = { _ in }) {
        var configuration = BrokerConfiguration()
        configure(&configuration)
        machine = BrokerStateMachine(
            configuration: configuration, anchor: WallClockAnchor(instant: t0, unixMilliseconds: 1_000_000), now: t0)
    }

    /// Feeds `frames` from `peer` at `t0 + offset`, as a read pass of its own: the broker loop's pass ends with
    /// ``BrokerStateMachine/readPassEnded(at:)``, so its actions come too.
    @discardableResult
    mutating func receive(_ frames: [[UInt8]], from peer: PeerID, after offset: Duration = .zero) -> [BrokerAction] {
        receive([(frames, peer)], after: offset)
    }

    /// Feeds `messages` at `t0 + offset` as one read pass.
    @discardableResult
    mutating func receive(
        _ messages: [(frames: [[UInt8]], peer: PeerID)], after offset: Duration = .zero
    )
        -> [BrokerAction]
    {
        var actions = messages.flatMap { machine.messageReceived($0.frames, from: $0.peer, at: t0 + offset) }
        actions += machine.readPassEnded(at: t0 + offset)
        return actions
    }

    @discardableResult
    mutating func tick(after offset: Duration) -> [BrokerAction] {
        machine.tick(at: t0 + offset)
    }

    /// Registers a plain MDP worker (delimited framing, as majortomo sends).
    @discardableResult
    mutating func plainWorker(_ peer: PeerID, category: String, after offset: Duration = .zero) -> [BrokerAction] {
        receive(wire(try MDPCodec.encodeFromWorker(.ready(category: category, offer: nil))), from: peer, after: offset)
    }

    /// Registers a Corsair worker offering `credit`.
    @discardableResult
    mutating func corsairWorker(
        _ peer: PeerID,
        category: String,
        credit: Int,
        heartbeat: Duration = .seconds(1),
        batching: Bool = false,
        after offset: Duration = .zero
    ) -> [BrokerAction] {
        let offer = WorkerOffer(credit: credit, heartbeatInterval: heartbeat, name: "w-\(peer)", batching: batching)
        return receive(
            wire(try MDPCodec.encodeFromWorker(.ready(category: category, offer: offer))), from: peer, after: offset)
    }

    /// Submits a batch over CRSC01 in session `session`.
    @discardableResult
    mutating func submit(
        _ tasks: [TaskSpec],
        session: [UInt8] = [7],
        from peer: PeerID = client,
        after offset: Duration = .zero
    ) -> [BrokerAction] {
        receive(wire(try ClientMessage.submit(session: session, tasks: tasks).encoded), from: peer, after: offset)
    }

    /// A worker's FINAL for `request`, plain or extended.
    @discardableResult
    mutating func final(
        _ request: SentRequest,
        outcome: TaskOutcome? = nil,
        body: String = "ok",
        after offset: Duration = .zero
    ) -> [BrokerAction] {
        let frames: [[UInt8]] = outcome.map { [[$0.rawValue], Array(body.utf8)] } ?? [Array(body.utf8)]
        return receive(
            wire(try MDPCodec.encodeFromWorker(.final(envelope: request.envelope, body: frames))), from: request.worker,
            after: offset)
    }

    /// A batching worker's RESULTS message.
    @discardableResult
    mutating func results(
        _ results: [WorkerResult], from peer: PeerID, after offset: Duration = .zero
    ) -> [BrokerAction] {
        receive(wire(try MDPCodec.encodeFromWorker(.results(results))), from: peer, after: offset)
    }
}

/// Receives on `worker` (a DEALER used by the calling thread only) until a TASKS message comes, skipping the others
/// (the answer to its READY comes first), and returns the message's tasks; `nil` when the socket has nothing more to
/// read.
func nextAssignedTasks(at worker: Socket) throws -> [AssignedTask]? {
    while let frames = try worker.receive() {
        if case .tasks(let assigned) = try MDPCodec.decodeAtWorker(frames) {
            return assigned
        }
    }
    return nil
}

/// The first task of the next TASKS message `worker` receives (``nextAssignedTasks(at:)``).
func nextAssignedTask(at worker: Socket) throws -> AssignedTask? {
    try nextAssignedTasks(at: worker)?.first
}

/// The answer `outcome` (success by default) with `output` to a task a TASKS message assigned.
func answer(_ task: AssignedTask, _ outcome: TaskOutcome = .succeeded, _ output: String = "ok") -> WorkerResult {
    WorkerResult(token: task.token, outcome: outcome, output: Array(output.utf8))
}

let client = PeerID([0xc1])
let w1 = PeerID([0x01])
let w2 = PeerID([0x02])
let w3 = PeerID([0x03])

func task(_ id: String, _ category: String? = nil, priority: Int32 = 0, maxAttempts: Int? = nil) -> TaskSpec {
    TaskSpec(
        id: id, category: category ?? String(id.prefix { $0.isLetter }), payload: Array(id.utf8), priority: priority,
        maxAttempts: maxAttempts)
}

/// A REQUEST the broker sent to a worker.
struct SentRequest: Hashable {
    let worker: PeerID
    let envelope: [UInt8]
    let header: TaskHeader?
    let body: [[UInt8]]

    var payload: String { String(decoding: body.joined(), as: UTF8.self) }
    var token: AssignmentToken? { AssignmentToken(decoding: envelope) }
}

extension [BrokerAction] {
    var requests: [SentRequest] {
        compactMap {
            guard case .send(.request(_, let envelope, let header, let body, _), let peer) = $0 else { return nil }
            return SentRequest(worker: peer, envelope: envelope, header: header, body: body)
        }
    }

    /// The TASKS messages sent, with their workers.
    var batches: [(worker: PeerID, tasks: [AssignedTask])] {
        compactMap {
            guard case .send(.tasks(_, let tasks), let peer) = $0 else { return nil }
            return (peer, tasks)
        }
    }

    var events: [BrokerEvent] {
        compactMap {
            guard case .event(let event) = $0 else { return nil }
            return event
        }
    }

    var results: [TaskResult] {
        flatMap { action -> [TaskResult] in
            guard case .send(.batch(_, .results(let results)), _) = action else { return [] }
            return results
        }
    }

    func sent(to peer: PeerID) -> [BrokerOutbound] {
        compactMap {
            guard case .send(let message, peer) = $0 else { return nil }
            return message
        }
    }

    var requeueReasons: [String] {
        events.compactMap {
            guard case .taskRequeued(_, _, let reason, _) = $0 else { return nil }
            return reason
        }
    }
}
