import Logging

/// The journal look-ups that de-duplication by (batch, id) asks for after a restart (`BrokerStateMachine+JournalLookup`).
extension BrokerDriver {
    /// Carries out the look-ups the machine asked for, then hands it their messages back; once every record of the
    /// pass is committed (else on a later pass), so a read sees each task the machine has finished and forgotten.
    /// Look-ups that these ask for in turn (the next slice of ids) wait for the next pass, so the loop serves its
    /// other peers in between.
    mutating func runLookups() {
        guard journal?.pending.isEmpty ?? true else { return }
        var due = lookups.count
        while due > 0 {
            due -= 1
            let (lookup, message) = lookups.removeFirst()
            if machine.needs(lookup) {
                read(lookup)
            }
            perform(machine.lookedUp(message, at: .now))
        }
    }

    /// How many task ids one look-up reads: about a quarter of a second of the broker's loop.
    static let idSlice = 200_000

    /// Reads what the machine needs before it takes an HTTP submission of `tasks` into `session`.
    mutating func lookUp(forSubmitting tasks: [TaskSpec], session: [UInt8]) {
        while let lookup = machine.journalLookup(forSubmitting: tasks, session: session) {
            read(lookup)
        }
    }

    /// Reads `lookup` from the journal and hands it to the machine; a read that fails is logged and handed over as
    /// finding nothing (the ids it would have found run again, at least once as ever).
    private mutating func read(_ lookup: JournalLookup) {
        let reader = journal?.journal as? any JournaledTaskLookup
        switch lookup {
        case .ids(let session, let create, let after):
            var forgotten: [(hash: UInt64, key: UInt64)] = []
            var (newest, readThrough, rows) = (UInt64(0), after, 0)
            do {
                rows =
                    try reader?.forEachFinishedID(batch: session, afterKey: after, limit: Self.idSlice) { key, id in
                        readThrough = key
                        guard !machine.holds(key) else { return }
                        forgotten.append((TaskIDIndex.hash(id), key))
                        newest = key
                    } ?? 0
            } catch {
                logger.error("cannot read task ids from the journal", metadata: ["error": "\(error)"])
                (forgotten, newest, rows) = ([], 0, 0)
            }
            let complete = rows < Self.idSlice
            if !forgotten.isEmpty || !complete {
                logger.info(
                    "task ids read from the journal",
                    metadata: [
                        "client.session": "\(BatchName.display(session))", "tasks": "\(forgotten.count)",
                        "complete": "\(complete)",
                    ])
            }
            machine.journaledIDsRead(
                forgotten, newest: newest, readThrough: readThrough, complete: complete, session: session,
                create: create)
        case .results(let session, let keys):
            var results: [KeyedResult] = []
            do {
                results = try reader?.finishedResults(keys: keys) ?? []
            } catch {
                logger.error("cannot read results from the journal", metadata: ["error": "\(error)"])
            }
            machine.journaledResultsRead(results, keys: keys, session: session)
        }
    }
}
