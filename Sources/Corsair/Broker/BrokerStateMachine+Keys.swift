extension BrokerStateMachine {
    /// Notes the CURVE key a registered worker authenticated with, for status (``WorkerStatus/key``) and for
    /// ``workers(withKeysOutside:)``. Does nothing for a peer that is not a registered worker.
    mutating func noteKey(_ identity: PeerIdentity, ofWorker peer: PeerID) {
        guard let worker = workers[peer], worker.keyFingerprint == nil else { return }
        worker.keyName = identity.name
        worker.keyFingerprint = identity.fingerprint
    }

    /// The registered workers whose key `access` no longer allows as a worker.
    func workers(withKeysOutside access: AccessList) -> [PeerID] {
        workers.values.filter { worker in
            worker.keyFingerprint.map { !access.roles(ofFingerprint: $0).contains(.worker) } ?? false
        }.map(\.peer)
    }
}
