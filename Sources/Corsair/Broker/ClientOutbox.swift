/// What the broker loop holds for batch clients so that many messages go out as few.
///
/// Results are gathered over one pass over the socket and leave together at its end, as one RESULT message per
/// client, or sooner when ``resultLimit`` is reached. Acknowledgements (ACCEPTED) are held up to
/// ``acknowledgementDelay``, like TCP's delayed ACK: a task that finishes sooner has its acknowledgement travel with
/// its result. A result also tells the client its task was accepted, so when few are held the acknowledgements of
/// answered ids are left out, and a quick task costs the client one wake-up and one message instead of two. Held
/// acknowledgements always leave before any other message to their client, and before any result, so a client never
/// sees a result for a task it was not told was accepted, one way or the other.
///
/// A value used by the broker loop's thread only; it reads no clock, so its rules are tested with given instants.
struct ClientOutbox {
    /// The longest an acknowledgement waits for company.
    static let acknowledgementDelay: Duration = .milliseconds(20)
    /// The most results, and output bytes, one RESULT message carries. Results leave as soon as this many are held,
    /// not only at the end of a pass: a client that keeps a window of tasks in flight refills it while the rest are
    /// still being worked on, so client, broker and workers overlap instead of taking turns. Under `corsair-bench`
    /// (W=1000) 256 gave the most tasks per second of 64, 128, 200, 256, 500 and 1000: smaller costs a message per
    /// few tasks, larger leaves the client idle.
    static let resultLimit = (count: 256, bytes: 1 << 20)

    /// Acknowledgements times results beyond which acknowledgements are sent without leaving out answered ids.
    private static let elisionLimit = 4096

    private struct Held {
        var framing: Framing
        var accepted: [String] = []
        var acceptedSince: ContinuousClock.Instant?
        var results: [TaskResult] = []
        var bytes = 0

        /// The held messages in the order they must leave, and empties the holder.
        mutating func take() -> [BrokerOutbound] {
            var messages: [BrokerOutbound] = []
            // A result tells the client its task was accepted; only the others need saying. This matters when a few
            // tasks are in flight (each acknowledgement would cost the client a wake-up); under load both messages
            // leave together anyway, so large holds are not searched.
            if !results.isEmpty, accepted.count * results.count <= ClientOutbox.elisionLimit {
                accepted.removeAll { id in results.contains { $0.id == id } }
            }
            if !accepted.isEmpty {
                messages.append(.batch(framing, .accepted(accepted)))
            }
            if !results.isEmpty {
                messages.append(.batch(framing, .results(results)))
            }
            self = Held(framing: framing)
            return messages
        }
    }

    private var held: [PeerID: Held] = [:]

    /// When the oldest held acknowledgement is due, if one is held.
    var nextDeadline: ContinuousClock.Instant? {
        var oldest: ContinuousClock.Instant?
        for batch in held.values {
            if let since = batch.acceptedSince, oldest.map({ since < $0 }) ?? true {
                oldest = since
            }
        }
        return oldest.map { $0 + Self.acknowledgementDelay }
    }

    /// Holds an acknowledgement of `ids` for `peer`; returns what must leave now because the batch is full.
    mutating func hold(
        accepted ids: [String],
        framing: Framing,
        for peer: PeerID,
        at now: ContinuousClock.Instant
    ) -> [BrokerOutbound] {
        add(for: peer, framing: framing) { batch in
            batch.accepted.append(contentsOf: ids)
            if batch.acceptedSince == nil {
                batch.acceptedSince = now
            }
            return batch.accepted.count >= ClientProtocol.maximumTasksPerSubmit
        }
    }

    /// Holds results for `peer`; returns what must leave now because the batch is full.
    mutating func hold(results: [TaskResult], framing: Framing, for peer: PeerID) -> [BrokerOutbound] {
        add(for: peer, framing: framing) { batch in
            if batch.results.isEmpty {
                batch.results = results
            } else {
                batch.results.append(contentsOf: results)
            }
            batch.bytes += results.reduce(0) { $0 + $1.output.count }
            return batch.results.count >= Self.resultLimit.count || batch.bytes >= Self.resultLimit.bytes
        }
    }

    /// Adds to what is held for `peer` with `add`, which returns whether the batch is now full; a full batch leaves
    /// at once. The batch is taken out of the table while it changes, so its arrays are not copied.
    private mutating func add(
        for peer: PeerID,
        framing: Framing,
        _ add: (inout Held) -> Bool
    ) -> [BrokerOutbound] {
        var batch = held.removeValue(forKey: peer) ?? Held(framing: framing)
        batch.framing = framing
        guard add(&batch) else {
            held[peer] = batch
            return []
        }
        return batch.take()
    }

    /// Everything held for `peer`, acknowledgements first: what must leave before any other message to it.
    mutating func release(_ peer: PeerID) -> [BrokerOutbound] {
        held.removeValue(forKey: peer).map {
            var batch = $0
            return batch.take()
        } ?? []
    }

    /// What leaves at the end of a pass: every client's results, with its acknowledgements, and acknowledgements
    /// held for ``acknowledgementDelay``. With `everything`, all that is held (the loop is stopping).
    mutating func due(at now: ContinuousClock.Instant, everything: Bool = false) -> [(PeerID, [BrokerOutbound])] {
        guard !held.isEmpty else { return [] }
        // Peers first, then release them: releasing while iterating would copy the whole table.
        let peers = held.compactMap { peer, batch in
            let acknowledgementDue = batch.acceptedSince.map { now - $0 >= Self.acknowledgementDelay } ?? false
            return everything || !batch.results.isEmpty || acknowledgementDue ? peer : nil
        }
        return peers.map { ($0, release($0)) }
    }
}
