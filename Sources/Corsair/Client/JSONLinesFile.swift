/// A JSON lines batch file read a line at a time as a ``TaskSource``: what `corsair submit` streams to a durable
/// broker, so the client never holds the batch.
///
/// ``validate(path:parser:)`` reads the whole file once first, so that a malformed line or a repeated id is refused
/// before anything is sent, as for a batch parsed in memory; a line without an id gets `line-N`.
public struct JSONLinesFile: TaskSource {
    private let reader: LineReader
    private let parser: BatchParser
    private var number = 0

    /// Opens `path` for reading with `parser`'s default category.
    ///
    /// - Throws: ``BatchFileError`` when the file cannot be opened.
    public init(path: String, parser: BatchParser) throws(BatchFileError) {
        self.reader = try LineReader(path: path)
        self.parser = parser
    }

    public mutating func next() throws -> TaskSpec? {
        while let bytes = try reader.nextLine() {
            number += 1
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw BatchFileError(line: number, column: 1, message: "the line is not valid UTF-8")
            }
            if let task = try parser.task(fromJSONLine: text[...], number: number) {
                return task
            }
        }
        return nil
    }

    /// Reads the whole file once and returns how many tasks it holds, in memory of about 4 bytes a task.
    ///
    /// Each id's 32-bit hash is kept; ids whose hashes meet are compared on a second read, which names the lines
    /// of a repeated id.
    ///
    /// - Throws: ``BatchFileError`` for the first malformed line, a repeated id, or a file without tasks.
    public static func validate(path: String, parser: BatchParser) throws -> Int {
        try parser.checkDefaultCategory()
        var file = try JSONLinesFile(path: path, parser: parser)
        var hashes: [UInt32] = []
        while let task = try file.next() {
            hashes.append(hash(task.id))
        }
        guard !hashes.isEmpty else {
            throw BatchFileError(line: 1, column: 1, message: "the batch holds no tasks")
        }
        let count = hashes.count
        hashes.sort()
        var shared = Set<UInt32>()
        for index in hashes.indices.dropFirst() where hashes[index] == hashes[index - 1] {
            shared.insert(hashes[index])
        }
        hashes = []
        if !shared.isEmpty {
            try findRepeatedID(path: path, parser: parser, among: shared)
        }
        return count
    }

    /// Reads the file again, comparing the ids whose hashes are in `shared`; throws at the first repeated one.
    private static func findRepeatedID(path: String, parser: BatchParser, among shared: Set<UInt32>) throws {
        var file = try JSONLinesFile(path: path, parser: parser)
        var lines: [String: Int] = [:]
        while let task = try file.next() {
            guard shared.contains(hash(task.id)) else { continue }
            if let first = lines[task.id] {
                throw BatchFileError(
                    line: file.number, column: 1, token: task.id,
                    message: "duplicate id '\(task.id)' (already used on line \(first))")
            }
            lines[task.id] = file.number
        }
    }

    /// A 32-bit hash of `id`, the same for the whole process.
    private static func hash(_ id: String) -> UInt32 {
        UInt32(truncatingIfNeeded: id.hashValue)
    }
}
