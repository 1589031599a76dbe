internal import Foundation

/// The formats a batch file can be written in.
public enum BatchFormat: String, Sendable, CaseIterable {
    /// Whitespace-separated tokens; each token's leading letters name its category.
    case plain
    /// One JSON object per line, with explicit fields.
    case jsonl
}

/// Parses a batch file into the tasks a client submits.
///
/// **Plain** batches are whitespace-separated tokens over any number of lines,
/// such as `a1 a2 c1 b1`. A token's category is its leading ASCII letters
/// (`a` for `a1`), its payload is its UTF-8 bytes and its id is the token
/// itself; repeats get `#2`, `#3`, … appended, skipping any id that appears
/// literally elsewhere in the batch. With a default category every token goes
/// to that category, whatever it starts with.
///
/// **JSON lines** batches hold one object per line with the fields `id`
/// (string, default `line-N`), `category` (string, required unless a default
/// category is given), `payload` (string, required), `priority` (32-bit
/// integer), `timeout` (seconds as a number, or a duration string such as
/// `30s`), `max_attempts` (integer in 1...100), and for a delayed task
/// either `delay` (like `timeout`, zero allowed) or `not_before` (Unix
/// milliseconds, or an RFC 3339 time such as `2026-12-02T15:00:00Z`).
/// Unknown fields, wrong types and duplicate ids are errors.
///
/// In both formats lines whose first non-blank character is `#` are comments,
/// and a batch without any task is an error.
public struct BatchParser: Sendable {
    /// The format to parse, or `nil` to pick one with ``detectFormat(_:)``.
    public var format: BatchFormat?

    /// The category for tasks that name none; in plain batches, for every task.
    public var defaultCategory: String?

    /// Creates a parser.
    ///
    /// - Parameters:
    ///   - format: The format to parse, or `nil` to detect it from the text.
    ///   - defaultCategory: The category for tasks that name none; in plain
    ///     batches it replaces the category derived from every token.
    public init(format: BatchFormat? = nil, defaultCategory: String? = nil) {
        self.format = format
        self.defaultCategory = defaultCategory
    }

    /// Parses a batch.
    ///
    /// - Parameter text: The whole batch file.
    /// - Returns: The tasks in file order; never empty.
    /// - Throws: ``BatchFileError`` locating the first problem.
    public func parse(_ text: String) throws(BatchFileError) -> [TaskSpec] {
        if let defaultCategory, let reason = CategoryName.validate(defaultCategory) {
            throw BatchFileError(
                line: 1, column: 1, token: defaultCategory, message: "invalid default category: \(reason)")
        }
        let lines = Self.lines(of: text)
        let tasks =
            switch format ?? Self.detectFormat(text) {
            case .plain: try parsePlain(lines)
            case .jsonl: try parseJSONLines(lines)
            }
        guard !tasks.isEmpty else {
            throw BatchFileError(line: 1, column: 1, message: "the batch holds no tasks")
        }
        return tasks
    }

    /// Which format `text` is in: jsonl when the first non-whitespace character is `{`, plain otherwise.
    ///
    /// Comment lines (first non-blank character `#`) are skipped while looking.
    ///
    /// - Parameter text: The whole batch file.
    /// - Returns: The detected format.
    public static func detectFormat(_ text: String) -> BatchFormat {
        let first = lines(of: text).lazy.filter { !isSkippable($0) }.first?.first { !$0.isWhitespace }
        return first == "{" ? .jsonl : .plain
    }

    // MARK: - Plain

    private func parsePlain(_ lines: [Substring]) throws(BatchFileError) -> [TaskSpec] {
        var tokens: [(text: String, line: Int, column: Int)] = []
        for (offset, line) in lines.enumerated() where !Self.isComment(line) {
            var current = ""
            var start = 0
            for (index, character) in line.enumerated() {
                if !character.isWhitespace {
                    if current.isEmpty { start = index + 1 }
                    current.append(character)
                } else if !current.isEmpty {
                    tokens.append((current, offset + 1, start))
                    current = ""
                }
            }
            if !current.isEmpty { tokens.append((current, offset + 1, start)) }
        }

        var ids = UniqueIDs(literals: Set(tokens.map(\.text)))
        var tasks: [TaskSpec] = []
        for token in tokens {
            let category: String
            if let defaultCategory {
                category = defaultCategory
            } else {
                let letters = String(token.text.prefix { $0.isASCII && $0.isLetter })
                guard !letters.isEmpty else {
                    throw BatchFileError(
                        line: token.line, column: token.column, token: token.text,
                        message: "category must start with a letter")
                }
                if let reason = CategoryName.validate(letters) {
                    throw BatchFileError(
                        line: token.line, column: token.column, token: token.text,
                        message: "invalid category '\(letters)': \(reason)")
                }
                category = letters
            }
            guard token.text.utf8.count <= TaskSpec.maximumIDLength else {
                throw BatchFileError(
                    line: token.line, column: token.column, token: String(token.text.prefix(40)) + "…",
                    message: "token is longer than \(TaskSpec.maximumIDLength) bytes, the longest task id")
            }
            tasks.append(TaskSpec(id: ids.claim(token.text), category: category, payload: Array(token.text.utf8)))
        }
        return tasks
    }

    // MARK: - JSON lines

    private func parseJSONLines(_ lines: [Substring]) throws(BatchFileError) -> [TaskSpec] {
        var entries: [(task: TaskSpec, hasID: Bool)] = []
        var idLines: [String: Int] = [:]
        for (offset, text) in lines.enumerated() where !Self.isSkippable(text) {
            let line = try JSONBatchLine(text, number: offset + 1)
            let id = try line.id()
            if let id, let first = idLines[id] {
                throw line.error(at: "id", token: id, "duplicate id '\(id)' (already used on line \(first))")
            }
            if let id { idLines[id] = line.number }
            let task = try line.task(id: id ?? "line-\(line.number)", defaultCategory: defaultCategory)
            entries.append((task, id != nil))
        }
        var ids = UniqueIDs(literals: Set(idLines.keys), claimed: Set(idLines.keys))
        return entries.map { $0.hasID ? $0.task : $0.task.withID(ids.claim($0.task.id)) }
    }

    // MARK: - Lines

    private static func lines(of text: String) -> [Substring] {
        text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
    }

    private static func isComment(_ line: Substring) -> Bool {
        line.first { !$0.isWhitespace } == "#"
    }

    private static func isSkippable(_ line: Substring) -> Bool {
        line.allSatisfy(\.isWhitespace) || isComment(line)
    }
}

extension BatchParser {
    /// The task on line `number` (from 1) of a JSON lines batch read a line at a time, or `nil` for a blank or comment
    /// line. A line without an id gets `line-N`; unlike ``parse(_:)``, this does not check that ids are unique.
    public func task(fromJSONLine text: Substring, number: Int) throws(BatchFileError) -> TaskSpec? {
        guard !Self.isSkippable(text) else { return nil }
        let line = try JSONBatchLine(text, number: number)
        return try line.task(id: try line.id() ?? "line-\(number)", defaultCategory: defaultCategory)
    }

    /// Fails when the default category is invalid.
    public func checkDefaultCategory() throws(BatchFileError) {
        if let defaultCategory, let reason = CategoryName.validate(defaultCategory) {
            throw BatchFileError(
                line: 1, column: 1, token: defaultCategory, message: "invalid default category: \(reason)")
        }
    }
}

extension TaskSpec {
    fileprivate func withID(_ id: String) -> TaskSpec {
        var copy = self
        copy.id = id
        return copy
    }
}

/// Hands out ids that are unique within a batch.
///
/// The first claim of a name returns it unchanged; later claims get `#2`, `#3`,
/// … appended, skipping candidates that are literal names or already claimed.
private struct UniqueIDs {
    var literals: Set<String>
    var claimed: Set<String> = []
    var nextSuffix: [String: Int] = [:]

    mutating func claim(_ name: String) -> String {
        if claimed.insert(name).inserted { return name }
        var suffix = nextSuffix[name, default: 2]
        while literals.contains("\(name)#\(suffix)") || claimed.contains("\(name)#\(suffix)") {
            suffix += 1
        }
        nextSuffix[name] = suffix + 1
        let id = "\(name)#\(suffix)"
        claimed.insert(id)
        return id
    }
}

/// One parsed line of a JSON lines batch, with typed field access (its schedule fields in `+Schedule`).
struct JSONBatchLine {
    static let fields = ["id", "category", "payload", "priority", "timeout", "max_attempts", "delay", "not_before"]

    let text: Substring
    let number: Int
    let object: [String: Any]

    init(_ text: Substring, number: Int) throws(BatchFileError) {
        self.text = text
        self.number = number
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            let (reason, column) = Self.describe(error, in: text)
            throw BatchFileError(line: number, column: column, message: "invalid JSON: \(reason)")
        }
        guard let object = value as? [String: Any] else {
            throw BatchFileError(
                line: number, column: 1,
                message: "each line must hold a JSON object, found \(Self.kind(of: value))")
        }
        self.object = object
        let unknown = object.keys.filter { !Self.fields.contains($0) }
            .map { (column: column(ofKey: $0), name: $0) }
            .min { ($0.column, $0.name) < ($1.column, $1.name) }
        if let unknown {
            throw error(
                at: unknown.name,
                "unknown field '\(unknown.name)' (expected \(Self.fields.joined(separator: ", ")))")
        }
    }

    /// The task this line describes, under the given id.
    func task(id: String, defaultCategory: String?) throws(BatchFileError) -> TaskSpec {
        let category: String
        if let given = try string("category") {
            if let reason = CategoryName.validate(given) {
                throw error(at: "category", token: given, "invalid category '\(given)': \(reason)")
            }
            category = given
        } else if let defaultCategory {
            category = defaultCategory
        } else {
            throw missing("category")
        }
        guard let payload = try string("payload") else { throw missing("payload") }
        let priority = try integer("priority", in: Int(Int32.min)...Int(Int32.max)).map { Int32($0) }
        return TaskSpec(
            id: id, category: category, payload: Array(payload.utf8), priority: priority ?? 0,
            timeout: try timeout(), maxAttempts: try integer("max_attempts", in: 1...100), schedule: try schedule())
    }

    func id() throws(BatchFileError) -> String? {
        guard let id = try string("id") else { return nil }
        guard !id.isEmpty else { throw error(at: "id", "field 'id' must not be empty") }
        guard id.utf8.count <= TaskSpec.maximumIDLength else {
            throw error(at: "id", "field 'id' is longer than \(TaskSpec.maximumIDLength) bytes")
        }
        return id
    }

    func error(at key: String, token: String? = nil, _ message: String) -> BatchFileError {
        var error = BatchFileError(line: number, column: column(ofKey: key), token: token ?? key, message: message)
        error.field = key
        return error
    }

    // MARK: Fields

    private func string(_ key: String) throws(BatchFileError) -> String? {
        guard let value = object[key] else { return nil }
        guard let string = value as? String else { throw mistyped(key, expected: "a string", value) }
        return string
    }

    private func integer(_ key: String, in range: ClosedRange<Int>) throws(BatchFileError) -> Int? {
        guard let value = object[key] else { return nil }
        guard let number = Self.number(value) else { throw mistyped(key, expected: "an integer", value) }
        if let integer = Int(exactly: number), range.contains(integer) { return integer }
        let double = number.doubleValue
        guard double.rounded() == double else {
            throw error(at: key, "field '\(key)' must be an integer, found \(double)")
        }
        throw error(at: key, "field '\(key)' must be between \(range.lowerBound) and \(range.upperBound)")
    }

    private func timeout() throws(BatchFileError) -> Duration? {
        guard let value = object["timeout"] else { return nil }
        let duration: Duration
        if let text = value as? String {
            guard let parsed = DurationParser.parse(text) else {
                throw error(
                    at: "timeout",
                    "field 'timeout' is not a valid duration: '\(text)' (try 30s, 250ms, 2m or a number of seconds, at most one year)"
                )
            }
            duration = parsed
        } else if let number = Self.number(value) {
            let seconds = number.doubleValue
            guard seconds <= 365 * 24 * 60 * 60 else {
                throw error(at: "timeout", "field 'timeout' must be at most one year")
            }
            duration = seconds > 0 ? .nanoseconds(max(1, Int64((seconds * 1e9).rounded()))) : .zero
        } else {
            throw mistyped("timeout", expected: "a number of seconds or a duration string", value)
        }
        guard duration > .zero else { throw error(at: "timeout", "field 'timeout' must be greater than zero") }
        return duration
    }

    private func missing(_ key: String) -> BatchFileError {
        var error = BatchFileError(line: number, column: 1, token: key, message: "missing required field '\(key)'")
        error.field = key
        return error
    }

    private func mistyped(_ key: String, expected: String, _ value: Any) -> BatchFileError {
        error(at: key, "field '\(key)' must be \(expected), found \(Self.kind(of: value))")
    }

    /// The 1-based column of `"key"` followed by `:`, or 1 when it cannot be found.
    private func column(ofKey key: String) -> Int {
        let characters = Array(text)
        let needle = Array("\"\(key)\"")
        var start = 0
        while start + needle.count <= characters.count {
            if characters[start..<start + needle.count].elementsEqual(needle) {
                let rest = characters[(start + needle.count)...].drop { $0.isWhitespace }
                if rest.first == ":" { return start + 1 }
            }
            start += 1
        }
        return 1
    }

    // MARK: JSON values

    /// The value as a number, unless it is not one or is a boolean.
    ///
    /// `JSONSerialization` hands booleans out as `NSNumber`s whose `objCType`
    /// is `c` (on Linux and Darwin alike), so those are told apart here.
    private static func number(_ value: Any) -> NSNumber? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return number
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    private static func kind(of value: Any) -> String {
        switch value {
        case let number as NSNumber: isBoolean(number) ? "a boolean" : "a number"
        case is String: "a string"
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        case is NSNull: "null"
        default: "an unexpected value"
        }
    }

    /// A short reason for a `JSONSerialization` error, and the column it points at when known.
    ///
    /// Foundation on Linux reports a 0-based UTF-8 offset as "around character N";
    /// that is turned into a `Character` column. Other wordings keep column 1.
    private static func describe(_ error: any Error, in text: Substring) -> (reason: String, column: Int) {
        var reason =
            (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            ?? error.localizedDescription
        if reason.hasSuffix(".") { reason.removeLast() }
        guard let marker = reason.range(of: " around character ") else { return (reason, 1) }
        guard let offset = Int(reason[marker.upperBound...]) else { return (reason, 1) }
        let prefix = String(decoding: text.utf8.prefix(offset), as: UTF8.self)
        return (String(reason[..<marker.lowerBound]), prefix.count + 1)
    }
}
