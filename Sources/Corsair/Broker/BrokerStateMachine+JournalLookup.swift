/// De-duplication against the journal: a durable broker restarted with more finished tasks in its journal than
/// `--retain-finished` restores still knows their (batch, id) pairs, so a resubmitted id does not run again.
///
/// The machine reads nothing itself. Before it takes a SUBMIT or an ATTACH of a session whose ids it has not read
/// yet, or a SUBMIT that repeats an id the journal holds, it holds the message back and asks its driver with
/// ``BrokerAction/lookUp(_:then:)``; the driver reads the journal (after the pass's commit, so the read sees every
/// record before it), hands what it found to ``journaledIDsRead(_:newest:readThrough:complete:session:create:)`` or
/// ``journaledResultsRead(_:keys:session:)``, then the message back to ``lookedUp(_:at:)``. A session's ids are
/// read once, in slices of ``BrokerDriver`` `idSlice` between which the broker serves its other peers; a SUBMIT of
/// new ids to a session that has been read costs one more hash probe per id and no read.
extension BrokerStateMachine {
    /// Notes, once ``restore(_:at:)`` has taken back `finished` finished tasks, whether the journal may hold more
    /// that it did not restore: then every session's ids are read from it when a client first uses the session.
    mutating func noteRestored(finished: Int) {
        // The journal hands back the newest --retain-finished; their outputs may hold more than the byte limit.
        let overBytes = retainedBytes > configuration.retainFinishedBytes
        forgetBeyondRetention()
        guard configuration.journaled, finished >= configuration.retainFinished || overBytes else { return }
        journalMayHoldMore = true
        for session in sessions.values {
            session.journaled.state = .unread
        }
    }

    /// Takes a SUBMIT at once, or holds it back for a look-up in the journal.
    mutating func submitOrLookUp(
        _ specs: [TaskSpec],
        session: [UInt8],
        framing: Framing,
        from peer: PeerID,
        at now: ContinuousClock.Instant
    ) {
        if let lookup = journalLookup(forSubmitting: specs, session: session) {
            let message = PendingMessage(kind: .submit(specs: specs), session: session, framing: framing, peer: peer)
            actions.append(.lookUp(lookup, then: message))
        } else {
            submit(specs, session: session, framing: framing, from: peer, at: now)
        }
    }

    /// Takes an ATTACH at once, or holds it back until the session's ids are read from the journal.
    mutating func attachOrLookUp(
        session bytes: [UInt8],
        after cursor: UInt64,
        options: AttachOptions,
        framing: Framing,
        from peer: PeerID
    ) {
        let session = sessions[SessionID(bytes)]
        guard configuration.journaled, (session?.journaled.state ?? unknownState) == .unread else {
            attach(session: bytes, after: cursor, options: options, framing: framing, from: peer)
            return
        }
        let message = PendingMessage(
            kind: .attach(cursor: cursor, options: options), session: bytes, framing: framing, peer: peer)
        let lookup = JournalLookup.ids(
            session: bytes, create: options.contains(.create), after: session?.journaled.readThrough ?? 0)
        actions.append(.lookUp(lookup, then: message))
    }

    /// Where a session the machine does not hold stands.
    private var unknownState: JournaledIDs.State { journalMayHoldMore ? .unread : .none }

    /// What must be read from the journal before `specs` are submitted to `bytes`: the session's ids, when not read
    /// yet, or the tasks whose id hashes the submission repeats; `nil` when nothing must.
    public func journalLookup(forSubmitting specs: [TaskSpec], session bytes: [UInt8]) -> JournalLookup? {
        guard configuration.journaled else { return nil }
        guard let session = sessions[SessionID(bytes)] else {
            return unknownState == .unread ? .ids(session: bytes, create: true, after: 0) : nil
        }
        switch session.journaled.state {
        case .none:
            return nil
        case .unread:
            return .ids(session: bytes, create: true, after: session.journaled.readThrough)
        case .read:
            var keys: [UInt64] = []
            for spec in specs {
                let hash = TaskIDIndex.hash(spec.id)
                guard let key = session.journaled.key(ofHash: hash),
                    session.journaled.confirmed.index(forKey: key) == nil,
                    session.ids.key(of: spec.id, hash: hash, idOf: { tasks[$0]?.id }) == nil
                else { continue }
                keys.append(key)
            }
            return keys.isEmpty ? nil : .results(session: bytes, keys: keys)
        }
    }

    /// Whether `lookup`, asked for earlier in the pass, still needs reading: another message's look-up may have read
    /// that slice of the session's ids since.
    func needs(_ lookup: JournalLookup) -> Bool {
        guard case .ids(let bytes, _, let after) = lookup, let session = sessions[SessionID(bytes)] else { return true }
        return session.journaled.state == .unread && session.journaled.readThrough == after
    }

    /// Whether the machine holds the task with `key`.
    func holds(_ key: UInt64) -> Bool {
        tasks[TaskKey(rawValue: key)] != nil
    }

    /// Takes a slice of the ids the journal holds of session `bytes` (``JournalLookup/ids(session:create:after:)``):
    /// `forgotten`, those the machine does not hold, the newest with key `newest`; `readThrough`, the last key read;
    /// `complete` when the slice reached the end. Creates the session when `create` is set or the journal holds some.
    mutating func journaledIDsRead(
        _ forgotten: [(hash: UInt64, key: UInt64)],
        newest: UInt64,
        readThrough: UInt64,
        complete: Bool,
        session bytes: [UInt8],
        create: Bool
    ) {
        guard !forgotten.isEmpty || create || sessions[SessionID(bytes)] != nil || !complete else { return }
        let session = self.session(bytes)
        for entry in forgotten {
            session.journaled.insert(hash: entry.hash, key: entry.key)
        }
        session.journaled.readThrough = max(session.journaled.readThrough, readThrough)
        session.noteJournaled(count: UInt64(forgotten.count), lastKey: newest)
        if complete {
            session.journaled.state = session.journaled.count > 0 ? .read : .none
        } else {
            session.journaled.state = .unread
        }
    }

    /// Takes the results the journal holds of the tasks of `bytes` with `keys` (``JournalLookup/results``); a key
    /// without one names a task that has left the journal.
    public mutating func journaledResultsRead(_ results: [KeyedResult], keys: [UInt64], session bytes: [UInt8]) {
        guard let session = sessions[SessionID(bytes)] else { return }
        for key in keys {
            session.journaled.confirmed.updateValue(nil, forKey: key)
        }
        for keyed in results {
            session.journaled.confirmed[keyed.key] = keyed.result
        }
    }

    /// Takes back a message held for a look-up whose results the machine now has.
    public mutating func lookedUp(_ message: PendingMessage, at now: ContinuousClock.Instant) -> [BrokerAction] {
        switch message.kind {
        case .submit(let specs):
            submitOrLookUp(specs, session: message.session, framing: message.framing, from: message.peer, at: now)
        case .attach(let cursor, let options):
            // Another slice of the session's ids to read; a session still unknown has none in the journal.
            if let session = sessions[SessionID(message.session)], session.journaled.state == .unread {
                let lookup = JournalLookup.ids(
                    session: message.session, create: options.contains(.create),
                    after: session.journaled.readThrough)
                actions.append(.lookUp(lookup, then: message))
            } else {
                attach(
                    session: message.session, after: cursor, options: options, framing: message.framing,
                    from: message.peer)
            }
        }
        return takeActions()
    }

    /// The stored result of the task with `id` (its hash `hash`) that the journal holds and `session` no longer
    /// does, as read for this submission; `nil` when the id is new. Drops the entry of a task that has left the
    /// journal.
    func journaledDuplicate(_ id: String, hash: UInt64, in session: BatchSession) -> TaskResult? {
        guard let key = session.journaled.key(ofHash: hash), let entry = session.journaled.confirmed[key] else {
            return nil
        }
        guard let result = entry else {
            session.journaled.remove(key: key, hash: hash)
            return nil
        }
        return result.id == id ? result : nil
    }
}
