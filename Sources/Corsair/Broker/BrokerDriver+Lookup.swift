import Logging

/// The journal look-ups that de-duplication by (batch, id) asks for after a restart (`BrokerStateMachine+JournalLookup`).
extension BrokerDriver {
    /// Carries out the look-ups the machine asked for, then hands it their messages back; once every record of the
    /// pass is committed (else on a later pass), so a read sees each task the machine has finished and forgotten.
    mutating func runLookups() {
        guard journal?.pending.isEmpty ?? true else { return }
        while !lookups.isEmpty {
            let (lookup, message) = lookups.removeFirst()
            if machine.needs(lookup) {
                read(lookup)
            }
            perform(machine.lookedUp(message, at: .now))
        }
    }

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
        case .ids(let session, let create):
            var ids = JournaledIDs()
            var count: UInt64 = 0
            var newest: UInt64 = 0
            do {
                try reader?.forEachFinishedID(batch: session) { key, id in
                    guard !machine.holds(key) else { return }
                    ids.insert(hash: TaskIDIndex.hash(id), key: key)
                    count += 1
                    newest = key
                }
            } catch {
                logger.error("cannot read task ids from the journal", metadata: ["error": "\(error)"])
                (ids, count, newest) = (JournaledIDs(), 0, 0)
            }
            if count > 0 {
                logger.info(
                    "task ids read from the journal",
                    metadata: ["client.session": "\(BatchName.display(session))", "tasks": "\(count)"])
            }
            machine.journaledIDsRead(ids, count: count, lastKey: newest, session: session, create: create)
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
