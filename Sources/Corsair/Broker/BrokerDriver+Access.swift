import Logging

extension BrokerDriver {
    /// Hands a message from the ROUTER to the state machine once ``AccessGuard`` has admitted it; `userID` is the
    /// connection's `User-Id` from the ZAP handler. On the broker I/O thread, under CURVE with allow lists only.
    mutating func received(_ frames: consuming [[UInt8]], userID: String?) {
        guard frames.count >= 2, let verdict = access?.check(frames, from: 1, userID: userID) else {
            received(frames)
            return
        }
        let peer = PeerID(frames[0])
        switch verdict {
        case .admit(let identity):
            let header = frames[1].isEmpty ? 2 : 1
            let isWorker =
                header < frames.count && (frames[header] == MDP.workerHeader || frames[header] == MDP.workerHeader01)
            received(frames)
            if let identity, isWorker {
                machine.noteKey(identity, ofWorker: peer)
            }
        case .refuse(let reason, let identity, let reply):
            refused(reason, identity: identity, peer: peer)
            if let reply {
                perform([.send(reply, to: peer)])
            }
        }
    }

    /// Checks roles against `list` from now on and disconnects the workers whose keys it no longer allows.
    mutating func accessChanged(_ list: AccessList) {
        guard access != nil else { return }
        access?.access = list
        for peer in machine.workers(withKeysOutside: list) {
            let framing = machine.workers[peer]?.framing ?? .rfc18
            let version = machine.workers[peer]?.mdpVersion ?? .v02
            logger.info(
                "worker key no longer allowed, disconnecting",
                metadata: [
                    "peer.identity": "\(peer)", "key.name": "\(machine.workers[peer]?.keyName ?? "")",
                    "key.fingerprint": "\(machine.workers[peer]?.keyFingerprint ?? "")",
                ])
            perform([.send(.disconnect(framing, version: version), to: peer)])
            perform(machine.peerUnreachable(peer, at: .now))
        }
    }

    private mutating func refused(_ reason: AuthMetrics.Reason, identity: PeerIdentity?, peer: PeerID) {
        authMetrics?.refused(reason)
        guard let suppressed = access?.throttle.admit(at: .now) else { return }
        var metadata: Logger.Metadata = [
            "reason": "\(reason.rawValue)", "peer.identity": "\(peer)",
            "peer.address": "\(identity?.address ?? "")", "key.fingerprint": "\(identity?.fingerprint ?? "")",
            "key.name": "\(identity?.name ?? "")",
        ]
        if suppressed > 0 {
            metadata["refusals.suppressed"] = "\(suppressed)"
        }
        logger.info("peer refused", metadata: metadata)
    }
}
