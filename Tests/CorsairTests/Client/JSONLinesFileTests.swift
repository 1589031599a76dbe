import Foundation
import Testing

@testable import Corsair

/// A JSON lines batch read a line at a time: the same tasks and the same errors as parsing it whole.
@Suite struct JSONLinesFileTests {
    func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("corsair-jsonl-\(UUID().uuidString)")
        try text.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    func tasks(of path: String) throws -> [TaskSpec] {
        var source = try JSONLinesFile(path: path, parser: BatchParser())
        var tasks: [TaskSpec] = []
        while let task = try source.next() {
            tasks.append(task)
        }
        return tasks
    }

    @Test("reads the tasks a whole-file parse reads, skipping comments and blank lines, CRLF or not")
    func sameTasks() throws {
        let text =
            "# nightly\r\n{\"id\":\"x\",\"category\":\"a\",\"payload\":\"1\"}\r\n\n"
            + "{\"category\":\"b\",\"payload\":\"2\",\"priority\":3}\n{\"id\":\"z\",\"category\":\"a\",\"payload\":\"3\"}"
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try tasks(of: path) == BatchParser().parse(text))
        #expect(try JSONLinesFile.validate(path: path, parser: BatchParser()) == 3)
    }

    @Test("reads lines across its buffer's refills")
    func longFile() throws {
        let lines = (1...30_000).map {
            "{\"id\":\"t\($0)\",\"category\":\"a\",\"payload\":\"\(String(repeating: "p", count: 40))\"}"
        }
        let path = try file(lines.joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let read = try tasks(of: path)
        #expect(read.count == 30_000)
        #expect(read.last?.id == "t30000")
        #expect(try JSONLinesFile.validate(path: path, parser: BatchParser()) == 30_000)
    }

    @Test("names the line of a malformed task and of a repeated id")
    func errors() throws {
        let bad = try file("{\"category\":\"a\",\"payload\":\"1\"}\n{\"category\":\"a\"}\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let missing = try #require(throws: BatchFileError.self) {
            try JSONLinesFile.validate(path: bad, parser: BatchParser())
        }
        #expect(missing.line == 2)
        #expect(missing.message.contains("missing required field 'payload'"))
        let repeated = try file(
            "{\"id\":\"a\",\"category\":\"a\",\"payload\":\"1\"}\n{\"id\":\"b\",\"category\":\"a\",\"payload\":\"1\"}\n"
                + "{\"id\":\"a\",\"category\":\"a\",\"payload\":\"1\"}\n")
        defer { try? FileManager.default.removeItem(atPath: repeated) }
        let duplicate = try #require(throws: BatchFileError.self) {
            try JSONLinesFile.validate(path: repeated, parser: BatchParser())
        }
        #expect(duplicate.line == 3)
        #expect(duplicate.message == "duplicate id 'a' (already used on line 1)")
        let empty = try file("# nothing\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect(throws: BatchFileError.self) { try JSONLinesFile.validate(path: empty, parser: BatchParser()) }
    }
}
