extension BrokerReply {
    /// Decodes a message the broker sent to a Corsair client.
    public init(decoding frames: [[UInt8]]) throws(ProtocolError) {
        let count = frames.count
        let base = frames.first?.isEmpty == true ? 1 : 0
        guard count >= base + 2, frames[base] == ClientProtocol.header, frames[base + 1].count == 1 else {
            throw ProtocolError(frame: base, of: count, "expected a CRSC01 header and a one-byte command")
        }
        let body = frames[(base + 2)...]
        switch ClientProtocol.Command(rawValue: frames[base + 1][0]) {
        case .accepted:
            self = .accepted(try Self.decodeAccepted(body, of: count))
        case .rejected:
            self = .rejected(try Self.decodeRejected(body, of: count))
        case .result:
            self = .results(try Self.decodeResults(body, of: count))
        case .pong:
            self = try Self.decodePong(body, of: count)
        case .attached:
            self = .attached(try Self.decodeAttached(body, of: count))
        case .stream:
            let (progress, results) = try Self.decodeStream(body, of: count)
            self = .stream(progress, results)
        case .report:
            guard body.count == 1 else {
                throw ProtocolError(frame: nil, of: count, "REPORT needs one JSON frame")
            }
            self = .report(body[body.startIndex])
        case .error:
            self = .error(body.first.map { String(decoding: $0, as: UTF8.self) } ?? "")
        case .submit, .ping, .query, .attach, .more, .cancel, .shutdown, nil:
            throw ProtocolError(
                frame: base + 1, of: count, "unexpected CRSC01 command \(hex(frames[base + 1][0])) from the broker")
        }
    }

    /// Decodes an ACCEPTED's frames after the command, `body`, of a message of `count` frames.
    private static func decodeAccepted(_ body: ArraySlice<[UInt8]>, of count: Int) throws(ProtocolError) -> [String] {
        guard body.count == 1 else {
            throw ProtocolError(frame: nil, of: count, "ACCEPTED needs one frame of ids, got \(body.count) frames")
        }
        var reader = WireReader(body[body.startIndex], frame: body.startIndex, of: count)
        let idCount = try reader.readCount("ACCEPTED", entryBytes: 2)
        var ids: [String] = []
        ids.reserveCapacity(idCount)
        for index in 0..<idCount {
            ids.append(try reader.readString(lengthAs: UInt16.self, "accepted id \(index)"))
        }
        try reader.expectEnd("\(idCount) ids")
        return ids
    }

    /// Decodes a REJECTED's id and reason frame pairs, `body`, of a message of `count` frames.
    private static func decodeRejected(
        _ body: ArraySlice<[UInt8]>,
        of count: Int
    ) throws(ProtocolError) -> [TaskRejection] {
        guard body.count % 2 == 0 else {
            throw ProtocolError(frame: nil, of: count, "REJECTED needs id and reason frame pairs")
        }
        var rejections: [TaskRejection] = []
        var index = body.startIndex
        while index < body.endIndex {
            rejections.append(
                TaskRejection(
                    id: String(decoding: body[index], as: UTF8.self),
                    reason: String(decoding: body[index + 1], as: UTF8.self)))
            index += 2
        }
        return rejections
    }

    /// Decodes a RESULT's frames after the command, `body`, of a message of `count` frames.
    private static func decodeResults(
        _ body: ArraySlice<[UInt8]>,
        of count: Int
    ) throws(ProtocolError) -> [TaskResult] {
        guard body.count == 1 else {
            throw ProtocolError(frame: nil, of: count, "RESULT needs one frame of results, got \(body.count) frames")
        }
        var reader = WireReader(body[body.startIndex], frame: body.startIndex, of: count)
        let resultCount = try reader.readCount("RESULT", entryBytes: 28, minimum: 1)
        var results: [TaskResult] = []
        results.reserveCapacity(resultCount)
        for index in 0..<resultCount {
            results.append(try decodeResult(index, from: &reader, frame: body.startIndex, of: count))
        }
        try reader.expectEnd("\(resultCount) results")
        return results
    }

    /// Decodes result `index` of a RESULT frame, frame `frame` of `count`, from `reader`.
    static func decodeResult(
        _ index: Int,
        from reader: inout WireReader,
        frame: Int,
        of count: Int
    ) throws(ProtocolError) -> TaskResult {
        let outcomeByte = try reader.read(UInt8.self, "result \(index) outcome")
        guard let outcome = TaskOutcome(rawValue: outcomeByte) else {
            throw ProtocolError(frame: frame, of: count, "result \(index) has unknown outcome \(hex(outcomeByte))")
        }
        let attempts = Int(try reader.read(UInt16.self, "result \(index) attempts"))
        let started = try reader.read(UInt64.self, "result \(index) started")
        let finished = try reader.read(UInt64.self, "result \(index) finished")
        let id = try reader.readString(lengthAs: UInt16.self, "result \(index) task id")
        let category = try reader.readString(lengthAs: UInt8.self, "result \(index) category")
        let worker = try reader.readString(lengthAs: UInt16.self, "result \(index) worker")
        let output = try reader.readBytes(lengthAs: UInt32.self, "result \(index) output")
        return TaskResult(
            id: id, category: category, outcome: outcome, attempts: attempts, worker: worker.isEmpty ? nil : worker,
            started: started == 0 ? nil : started, finished: finished, output: output)
    }
}
