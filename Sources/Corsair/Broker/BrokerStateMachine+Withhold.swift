/// Clients that stop reading: the broker sends a client at most ``BrokerConfiguration/unreadResultBytes`` of result
/// output between two messages from it, and withholds the rest instead of queueing it in the client's socket.
///
/// The rules:
/// - Output bytes sent to a session's client (RESULT) or to an attachment (live STREAM) count against the limit;
///   any message from that peer for the session (PING, SUBMIT, MORE) shows that its loop runs again and starts the
///   count afresh. A replay page is not counted: the client asked for it with MORE.
/// - Past the limit a result is withheld: it stays finished in the task table (and the journal) and is not sent. For
///   a session's client the broker notes its key; for an attachment, the lowest withheld key, below which the cursor
///   it is sent stays, so a client that attaches again after its cursor is replayed every withheld result.
/// - When the client sends again, the withheld results go: a session's client is sent those still in memory, oldest
///   first, within the limit again; if some were forgotten meanwhile (retention), its next PING is answered PONG 0, so
///   that it submits again what it lacks (de-duplication answers what the broker or its journal still holds, and runs
///   the rest again). An attachment's replay restarts below its lowest withheld key and reads memory or the journal.
/// - Each result withheld is counted (`results.withheld` in the stop summary, `corsair_results_withheld_total`), and a
///   peer's first withheld result and its resumption are reported as events.
extension BrokerStateMachine {
    /// Withholds the result of the task with `key` (`nil`: a result read from the journal, which memory does not
    /// hold) from `client`, the session's peer, which has not read what it was sent.
    mutating func withhold(_ key: UInt64?, from client: ClientSession, of session: BatchSession) {
        if session.withheld.isEmpty && !session.withheldForgotten {
            emit(.resultsWithheld(session: session.name, peer: client.peer, unreadBytes: client.unread))
        }
        countWithheld(session: session, peer: client.peer)
        if let key {
            session.withheld.append(key)
        } else {
            session.withheldForgotten = true
        }
    }

    /// Whether the result of `task` is withheld from `attachment`, whose client has not read what it was sent; if so
    /// it is noted, and the attachment's cursor stays below it.
    mutating func withholds(_ task: TaskRecord, from attachment: Attachment, of session: BatchSession) -> Bool {
        guard attachment.withheldFrom != nil || attachment.unread >= configuration.unreadResultBytes else {
            return false
        }
        if attachment.withheldFrom == nil {
            emit(.resultsWithheld(session: session.name, peer: attachment.peer, unreadBytes: attachment.unread))
        }
        countWithheld(session: session, peer: attachment.peer)
        attachment.withheldFrom = min(attachment.withheldFrom ?? .max, task.key.rawValue)
        return true
    }

    /// The session's client (newly bound, so its count starts afresh) sent something: sends it the results withheld
    /// from it that memory still holds, oldest first, within the limit again.
    mutating func resumeWithheld(of session: BatchSession) {
        guard let client = session.client, !session.withheld.isEmpty else { return }
        var forgotten = 0
        var sent = 0
        while let key = session.withheld.first, let unread = session.client?.unread,
            unread < configuration.unreadResultBytes
        {
            session.withheld.removeFirst()
            guard let task = tasks[TaskKey(rawValue: key)], task.state.isFinished else {
                forgotten += 1
                continue
            }
            send(result(of: task), toClientOf: session)
            sent += 1
        }
        if forgotten > 0 {
            session.withheldForgotten = true
        }
        emit(.resultsResumed(session: session.name, peer: client.peer, sent: sent, forgotten: forgotten))
    }

    /// `attachment`'s client sent something: its count starts afresh, and if results were withheld from it the
    /// replay restarts below the lowest of them. Returns whether it did; the caller then sends the next page.
    mutating func resume(_ attachment: Attachment, of session: BatchSession) -> Bool {
        attachment.unread = 0
        guard let lowest = attachment.withheldFrom else { return false }
        attachment.withheldFrom = nil
        attachment.replayed = min(attachment.replayed, lowest - 1)
        emit(.resultsResumed(session: session.name, peer: attachment.peer, sent: 0, forgotten: 0))
        return true
    }
}
