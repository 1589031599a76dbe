import DequeModule

/// Attached clients: ATTACH, the replay of results that finished before (from memory, or from the journal through
/// ``BrokerAction/replayResults(session:after:limit:to:)``), live results as they finish, and MORE.
///
/// The rule that makes each result reach an attachment once: the attachment's replay position
/// (``Attachment/replayed``) only grows; every finished result with a key up to it has been sent. A result that
/// finishes with a key up to it goes out at once; one with a larger key waits, because the replay will reach it.
/// The one exception is a result withheld from a client that was not reading (`+Withhold`): the position then goes
/// back below it, and the client drops by key what the replay sends it again.
extension BrokerStateMachine {
    /// The most results, and output bytes, one replay page carries; the client asks for the next with MORE, so a
    /// large batch never floods its socket. A page looks at no more than ``replayScanLimit`` keys.
    static let replayPage = (count: 1000, bytes: 1 << 20)
    /// The most keys one in-memory replay page steps over, finished or not.
    static let replayScanLimit = 10_000

    /// What the broker says about itself in ATTACHED and a flags-asking PONG.
    var brokerFlags: BrokerFlags { configuration.journaled ? .durable : [] }

    /// Attaches `peer` to the session `bytes` after the client's `cursor`: ATTACHED, then the first replay page.
    mutating func attach(
        session bytes: [UInt8],
        after cursor: UInt64,
        options: AttachOptions,
        framing: Framing,
        from peer: PeerID
    ) {
        var found = sessions[SessionID(bytes)]
        if found == nil, options.contains(.create) {
            found = self.session(bytes)
        }
        guard let session = found else {
            let status = AttachStatus(flags: brokerFlags, tasks: 0, unfinished: 0)
            actions.append(.send(.batch(framing, .attached(status)), to: peer))
            return
        }
        detach(peer)
        let attachment = Attachment(peer: peer, framing: framing, after: cursor)
        session.attachments.append(attachment)
        attachedSessions[peer] = session
        if session.client?.peer == peer {
            session.client = nil
        }
        let status = AttachStatus(
            flags: brokerFlags.union(.sessionKnown), tasks: session.taskCount, unfinished: session.unfinished)
        actions.append(.send(.batch(framing, .attached(status)), to: peer))
        replayPage(attachment, of: session)
    }

    /// Sends `peer` the next replay page of the session it is attached to.
    mutating func more(session bytes: [UInt8], from peer: PeerID) {
        guard let session = attachedSessions[peer], session.bytes == bytes,
            let attachment = session.attachment(of: peer)
        else {
            emit(.unexpectedMessage(peer: peer, what: "MORE from a peer not attached to that session"))
            return
        }
        _ = resume(attachment, of: session)
        replayPage(attachment, of: session)
    }

    /// Ends `peer`'s attachment, if it has one (it attached elsewhere, or it is gone).
    mutating func detach(_ peer: PeerID) {
        guard let session = attachedSessions.removeValue(forKey: peer) else { return }
        session.attachments.removeAll { $0.peer == peer }
    }

    /// Hands the driver's journal read back: `results` are the finished results with keys above `after` (the replay
    /// position when the read was asked for), oldest key first, at most `limit`; fewer means the read reached the end.
    ///
    /// The read vouches for the keys above `after` only. The position may have gone back below `after` while the read
    /// waited (a result withheld behind it, and the client sent again: a newer read from lower down is queued), and
    /// then this read must not move it, or the position would jump over the withheld results that only the newer
    /// read covers. Its results are sent all the same; the client drops by key what the newer read sends again.
    public mutating func resultsReplayed(
        _ results: [KeyedResult],
        session bytes: [UInt8],
        after: UInt64,
        to peer: PeerID,
        limit: Int
    ) -> [BrokerAction] {
        if let session = attachedSessions[peer], session.bytes == bytes, let attachment = session.attachment(of: peer) {
            if after <= attachment.replayed {
                if results.count < limit {
                    attachment.replayed = .max
                } else if let last = results.last {
                    attachment.replayed = max(attachment.replayed, last.key)
                }
            }
            sendStream(results, to: attachment, of: session, more: !attachment.caughtUp)
        }
        return takeActions()
    }

    /// Sends the next page of `attachment`'s replay: from the journal when there is one, else from memory.
    mutating func replayPage(_ attachment: Attachment, of session: BatchSession) {
        if session.lastKey <= attachment.replayed {
            // No task of the session has a key above the position (a new session, an up-to-date cursor).
            attachment.replayed = .max
        }
        if attachment.caughtUp {
            sendStream([], to: attachment, of: session, more: false)
            return
        }
        if configuration.journaled {
            actions.append(
                .replayResults(
                    session: session.bytes, after: attachment.replayed, limit: Self.replayPage.count,
                    to: attachment.peer))
            return
        }
        var page: [KeyedResult] = []
        var bytes = 0
        var index = session.firstIndex(after: attachment.replayed)
        let end = min(session.keys.count, index + Self.replayScanLimit)
        while index < end, page.count < Self.replayPage.count, bytes < Self.replayPage.bytes {
            let key = session.keys[index]
            index += 1
            attachment.replayed = key
            if let task = tasks[TaskKey(rawValue: key)], task.state.isFinished {
                let result = keyedResult(of: task)
                bytes += result.result.output.count
                page.append(result)
            }
        }
        if index == session.keys.count {
            attachment.replayed = .max
        }
        sendStream(page, to: attachment, of: session, more: !attachment.caughtUp)
    }

    /// Queues finished `task`'s result for each attachment of `session` whose replay has passed it.
    mutating func follow(_ task: TaskRecord, of session: BatchSession) {
        var result: KeyedResult?
        for attachment in session.attachments where task.key.rawValue <= attachment.replayed {
            if withholds(task, from: attachment, of: session) {
                continue
            }
            let keyed = result ?? keyedResult(of: task)
            result = keyed
            attachment.unread += keyed.result.output.count
            attachment.outgoing.append(keyed)
        }
        if result != nil, !session.hasResultsToSend {
            session.hasResultsToSend = true
            sessionsWithResults.append(session)
        }
    }

    /// Sends `results` to `attachment` as one STREAM, with where its client stands now.
    mutating func sendStream(
        _ results: [KeyedResult],
        to attachment: Attachment,
        of session: BatchSession,
        more: Bool
    ) {
        let lowest = session.lowestUnfinished { hasFinished($0) }
        var cursor = min(attachment.replayed, session.lastKey)
        if let lowest {
            cursor = min(cursor, lowest - 1)
        }
        // A withheld result keeps the cursor below it, and asks the client for MORE, which sends it.
        if let withheld = attachment.withheldFrom {
            cursor = min(cursor, withheld - 1)
        }
        let progress = StreamProgress(
            cursor: cursor, unfinished: session.unfinished,
            complete: attachment.caughtUp && attachment.withheldFrom == nil && session.unfinished == 0,
            more: more || attachment.withheldFrom != nil)
        actions.append(.send(.batch(attachment.framing, .stream(progress, results)), to: attachment.peer))
    }

    /// Whether the batch task with `key` has finished; a task the broker no longer holds has, since only finished
    /// tasks are forgotten.
    func hasFinished(_ key: UInt64) -> Bool {
        tasks[TaskKey(rawValue: key)].map(\.state.isFinished) ?? true
    }

    /// The result of finished `task` with its key.
    private func keyedResult(of task: TaskRecord) -> KeyedResult {
        KeyedResult(key: task.key.rawValue, result: result(of: task))
    }
}
