import ArgumentParser
import CorsairCLI
import Testing

@testable import Corsair

/// Every length-prefixed field refuses, with a ``WireLengthError`` naming it, a value longer than its length carries,
/// instead of stopping the process. `u8` and `u16` fields are tried with real data at their boundary; `u32` fields
/// with a lowered limit, so that no test allocates 4 GiB.
@Suite struct WireLengthTests {
    let id16 = String(repeating: "i", count: 65_535)
    let id17 = String(repeating: "i", count: 65_536)

    @Test("the writer takes a field at its limit and refuses one byte more, naming the field, the size and the limit")
    func writerBoundary() throws {
        var writer = WireWriter()
        try writer.write(bytes: [UInt8](repeating: 1, count: 10), lengthAs: UInt32.self, field: "f", limit: 10)
        #expect(writer.bytes.count == 14)
        #expect(throws: WireLengthError(field: "f", length: 11, limit: 10)) {
            try writer.write(bytes: [UInt8](repeating: 1, count: 11), lengthAs: UInt32.self, field: "f", limit: 10)
        }
        try writer.write(String(repeating: "c", count: 255), lengthAs: UInt8.self, field: "name")
        #expect(throws: WireLengthError(field: "name", length: 256, limit: 255)) {
            try writer.write(String(repeating: "c", count: 256), lengthAs: UInt8.self, field: "name")
        }
        let error = WireLengthError(field: "task 'a' payload", length: 11, limit: 10)
        #expect(error.description == "task 'a' payload is 11 bytes, over the 10 bytes its length field carries")
    }

    @Test("a task header takes a 65535-byte id and refuses a 65536-byte one")
    func taskHeaderID() throws {
        let header = TaskHeader(id: id16, attempt: 1, timeout: .seconds(1))
        #expect(try TaskHeader(decoding: header.encoded, frame: 4, of: 6) == header)
        let error = try #require(throws: WireLengthError.self) {
            try TaskHeader(id: id17, attempt: 1, timeout: .seconds(1)).encoded
        }
        #expect(error.length == 65_536 && error.limit == 65_535)
        #expect(error.field == "task '\(String(repeating: "i", count: 64))…' id")
    }

    @Test("SUBMIT names the task whose id or category does not fit; nothing is sent")
    func submit() throws {
        let long = TaskSpec(id: id17, category: "a", payload: [])
        let error = try #require(throws: WireLengthError.self) {
            try ClientMessage.submit(session: [1], tasks: [TaskSpec(id: "ok", category: "a", payload: []), long])
                .encoded
        }
        #expect(error.field.hasSuffix("id") && error.length == 65_536)
        let category = TaskSpec(id: "t7", category: String(repeating: "c", count: 256), payload: [])
        #expect(throws: WireLengthError(field: "task 't7' category", length: 256, limit: 255)) {
            try ClientMessage.submit(session: [1], tasks: [category]).encoded
        }
        #expect(ExitStatus.forError(error) == ExitStatus.dataError)
    }

    @Test("TASKS, RESULTS and RESULT refuse what their fields cannot carry, naming the task")
    func batches() throws {
        let token = AssignmentToken(task: TaskKey(rawValue: 5), attempt: 1)
        #expect(throws: WireLengthError.self) {
            try TaskBatch.encode([AssignedTask(token: token, id: id17, timeout: .seconds(1), payload: [])])
        }
        let result = WorkerResult(token: token, outcome: .succeeded, output: [UInt8](repeating: 0, count: 11))
        #expect(try TaskBatch.encode([result], limit: 11).count == 5 + 17 + 11)
        #expect(throws: WireLengthError(field: "result of task #5 output", length: 11, limit: 10)) {
            try TaskBatch.encode([result], limit: 10)
        }
        let reply = TaskResult(
            id: "r1", category: "a", outcome: .succeeded, attempts: 1, worker: String(repeating: "w", count: 65_536),
            started: nil, finished: 1, output: [])
        #expect(throws: WireLengthError(field: "task 'r1' worker name", length: 65_536, limit: 65_535)) {
            try BrokerReply.results([reply]).encoded(framing: .delimited)
        }
        var writer = WireWriter()
        #expect(throws: WireLengthError(field: "task 'r1' result", length: 11, limit: 10)) {
            var fits = reply
            fits.worker = "w"
            fits.output = [UInt8](repeating: 0, count: 11)
            try writer.write(result: fits, limit: 10)
        }
    }

    @Test("a beacon refuses a name over 255 bytes")
    func beacon() {
        #expect(throws: WireLengthError(field: "beacon name", length: 256, limit: 255)) {
            try Beacon(name: String(repeating: "n", count: 256), endpoint: "tcp://h:1").encoded
        }
    }
}
