/// The tasks one dispatch pass assigns to each batching worker, grouped into TASKS messages of at most
/// ``TaskBatch/limit`` entries and payload bytes.
struct PendingBatches {
    private var order: [PeerID] = []
    private var batches: [PeerID: (tasks: [AssignedTask], bytes: Int)] = [:]

    /// Adds `task` to `peer`'s batch; returns the batch when it is full, to be sent now.
    mutating func add(_ task: AssignedTask, for peer: PeerID) -> [AssignedTask]? {
        if batches[peer] == nil {
            order.append(peer)
            batches[peer] = ([], 0)
        }
        batches[peer]!.tasks.append(task)
        batches[peer]!.bytes += task.payload.count
        let batch = batches[peer]!
        guard batch.tasks.count >= TaskBatch.limit.count || batch.bytes >= TaskBatch.limit.bytes else { return nil }
        batches[peer] = ([], 0)
        return batch.tasks
    }

    /// Every non-empty batch, in the order their workers were first given a task, and empties the list.
    mutating func drain() -> [(PeerID, [AssignedTask])] {
        defer {
            order.removeAll()
            batches.removeAll()
        }
        return order.compactMap { peer in
            guard let batch = batches[peer], !batch.tasks.isEmpty else { return nil }
            return (peer, batch.tasks)
        }
    }
}
