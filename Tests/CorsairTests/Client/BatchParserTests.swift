import Testing

@testable import Corsair

@Suite struct BatchParserTests {
    /// One batch that must fail, and where and how.
    struct Malformed: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var line: Int
        var column: Int
        var message: String
        var token: String?
        var testDescription: String { name }
    }

    private func summary(_ tasks: [TaskSpec]) -> [String] {
        tasks.map { "\($0.id)|\($0.category)|\(String(decoding: $0.payload, as: UTF8.self))" }
    }

    // MARK: Plain

    @Test func seedBatchKeepsOrderAndCategories() throws {
        let tasks = try BatchParser().parse("a1 a2 c1 b1 c2 b3 b2 b4 a3")
        #expect(tasks.count == 9)
        #expect(tasks.map(\.category) == ["a", "a", "c", "b", "c", "b", "b", "b", "a"])
        #expect(tasks.map(\.id) == ["a1", "a2", "c1", "b1", "c2", "b3", "b2", "b4", "a3"])
        #expect(tasks.first?.payload == Array("a1".utf8))
        #expect(tasks.allSatisfy { $0.priority == 0 && $0.timeout == nil && $0.maxAttempts == nil })
    }

    @Test func plainSpansLinesAndSkipsComments() throws {
        let text = "# header\na1 a2\n\n  # indented comment\n\tc1   b1\r\nc2 b3 b2\rb4 a3\n"
        let tasks = try BatchParser().parse(text)
        #expect(tasks.map(\.id) == ["a1", "a2", "c1", "b1", "c2", "b3", "b2", "b4", "a3"])
    }

    @Test(arguments: [
        ("a1 a1 a1 b2 a1", ["a1", "a1#2", "a1#3", "b2", "a1#4"]),
        ("a1 a1 a1#2 a1", ["a1", "a1#3", "a1#2", "a1#4"]),
        ("a1#2 a1 a1", ["a1#2", "a1", "a1#3"]),
        ("a1#2 a1#2 a1 a1", ["a1#2", "a1#2#2", "a1", "a1#3"]),
        ("build test build", ["build", "test", "build#2"]),
    ])
    func repeatedTokensGetUniqueIDs(text: String, ids: [String]) throws {
        let tasks = try BatchParser().parse(text)
        #expect(tasks.map(\.id) == ids)
        #expect(Set(tasks.map(\.id)).count == tasks.count)
        #expect(
            tasks.map { String(decoding: $0.payload, as: UTF8.self) } == text.split(separator: " ").map(String.init))
    }

    @Test func defaultCategoryTakesEveryToken() throws {
        let tasks = try BatchParser(defaultCategory: "misc").parse("a1 42 -x")
        #expect(summary(tasks) == ["a1|misc|a1", "42|misc|42", "-x|misc|-x"])
    }

    @Test(arguments: ["mmi.echo", "", "a b"])
    func invalidDefaultCategoryIsRejected(category: String) throws {
        let error = try #require(throws: BatchFileError.self) {
            try BatchParser(defaultCategory: category).parse("a1")
        }
        #expect(error.line == 1 && error.column == 1)
        #expect(error.message.hasPrefix("invalid default category: "))
        #expect(error.token == category)
    }

    // MARK: Detection

    @Test(arguments: [
        ("{\"a\":1}", BatchFormat.jsonl),
        ("  \n {", .jsonl),
        ("# comment\n{\"x\":1}", .jsonl),
        ("a1 {", .plain),
        ("#{\n a1", .plain),
        ("", .plain),
    ])
    func detectsFormat(text: String, format: BatchFormat) {
        #expect(BatchParser.detectFormat(text) == format)
    }

    @Test func explicitFormatOverridesDetection() throws {
        let plain = #expect(throws: BatchFileError.self) {
            try BatchParser(format: .plain).parse(#"{"category":"a"}"#)
        }
        #expect(plain?.message == "category must start with a letter")
        let tasks = try BatchParser(format: .jsonl).parse(#"   {"category":"a","payload":"p"}"#)
        #expect(summary(tasks) == ["line-1|a|p"])
    }

    // MARK: JSON lines

    @Test func jsonLinesWithAllFields() throws {
        let text = """
            {"id":"t1","category":"render","payload":"frame 1","priority":5,"timeout":"1.5s","max_attempts":3}
            {"category":"render","payload":"frame 2","timeout":30,"priority":-2}

            # a comment
            {"category":"x.y","payload":"","timeout":0.25}
            """
        let tasks = try BatchParser().parse(text)
        #expect(
            tasks == [
                TaskSpec(
                    id: "t1", category: "render", payload: Array("frame 1".utf8), priority: 5,
                    timeout: .milliseconds(1500), maxAttempts: 3),
                TaskSpec(
                    id: "line-2", category: "render", payload: Array("frame 2".utf8), priority: -2,
                    timeout: .seconds(30)),
                TaskSpec(id: "line-5", category: "x.y", payload: [], timeout: .milliseconds(250)),
            ])
    }

    @Test func jsonLinesEdgeValues() throws {
        let tasks = try BatchParser().parse(
            #"{"category":"a","payload":"héllo ✓","priority":2147483647,"max_attempts":100}"# + "\r\n"
                + #"{"category":"a","payload":"p","priority":1.0,"max_attempts":1e1}"# + "\r\n")
        #expect(tasks.map(\.priority) == [Int32.max, 1])
        #expect(tasks.map(\.maxAttempts) == [100, 10])
        #expect(tasks.first?.payload == Array("héllo ✓".utf8))
    }

    @Test func jsonLinesDefaultCategory() throws {
        let tasks = try BatchParser(defaultCategory: "a").parse(
            #"{"payload":"p"}"# + "\n" + #"{"payload":"q","category":"b"}"#)
        #expect(summary(tasks) == ["line-1|a|p", "line-2|b|q"])
    }

    @Test func defaultIDsAvoidExplicitOnes() throws {
        let tasks = try BatchParser().parse(
            #"{"category":"a","payload":"p"}"# + "\n" + #"{"id":"line-1","category":"a","payload":"q"}"#)
        #expect(tasks.map(\.id) == ["line-1#2", "line-1"])
    }

    // MARK: Malformed

    static let plainCases: [Malformed] = [
        .init(
            name: "no leading letter", text: "a1 a2\nb1 c2 42", line: 2, column: 7,
            message: "category must start with a letter", token: "42"),
        .init(
            name: "underscore first", text: "a1 _x", line: 1, column: 4,
            message: "category must start with a letter", token: "_x"),
        .init(
            name: "non-ASCII letter", text: "é a1", line: 1, column: 1,
            message: "category must start with a letter", token: "é"),
        .init(
            name: "category too long", text: String(repeating: "q", count: 256) + "1", line: 1, column: 1,
            message: "at most 255 bytes long (this one has 256)", token: String(repeating: "q", count: 256) + "1"),
        .init(name: "empty", text: "", line: 1, column: 1, message: "the batch holds no tasks"),
        .init(name: "only comments", text: "# a\n   # b\n\n", line: 1, column: 1, message: "the batch holds no tasks"),
    ]

    @Test(arguments: plainCases)
    func rejectsMalformedPlain(_ bad: Malformed) {
        expectFailure(bad, parser: BatchParser(format: .plain))
    }

    static let jsonCases: [Malformed] = {
        let ok = #"{"category":"a","payload":"p"}"#
        func field(_ name: String, _ value: String) -> String {
            #"{"category":"a","payload":"p",""# + name + #"":"# + value + "}"
        }
        /// Field `name` set to `value` on an otherwise good line, refused with `message` after the field's name.
        func bad(_ name: String, _ value: String, _ message: String) -> Malformed {
            .init(
                name: "\(name) \(value)", text: field(name, value), line: 1, column: 31,
                message: "field '\(name)' \(message)", token: name)
        }
        return [
            .init(
                name: "array", text: "[1,2]", line: 1, column: 1,
                message: "each line must hold a JSON object, found an array"),
            .init(
                name: "string", text: ok + "\n\"hello\"", line: 2, column: 1,
                message: "each line must hold a JSON object, found a string"),
            .init(
                name: "null", text: ok + "\nnull", line: 2, column: 1,
                message: "each line must hold a JSON object, found null"),
            .init(
                name: "number", text: ok + "\n" + ok + "\n  42", line: 3, column: 1,
                message: "each line must hold a JSON object, found a number"),
            .init(
                name: "unknown field", text: #"{"category":"a","payload":"p","colour":"red"}"#, line: 1, column: 31,
                message: "unknown field 'colour'", token: "colour"),
            .init(
                name: "first unknown field", text: #"{"zz":1,"category":"a","aa":2,"payload":"p"}"#, line: 1, column: 2,
                message: "unknown field 'zz'", token: "zz"),
            .init(
                name: "missing category", text: #"{"payload":"p"}"#, line: 1, column: 1,
                message: "missing required field 'category'", token: "category"),
            .init(
                name: "missing payload", text: #"{"category":"a"}"#, line: 1, column: 1,
                message: "missing required field 'payload'", token: "payload"),
            .init(
                name: "category type", text: #"{"category":7,"payload":"p"}"#, line: 1, column: 2,
                message: "field 'category' must be a string, found a number", token: "category"),
            .init(
                name: "reserved category", text: #"{"payload":"p", "category":"mmi.echo"}"#, line: 1, column: 17,
                message: "invalid category 'mmi.echo': names starting with 'mmi.' are reserved", token: "mmi.echo"),
            .init(
                name: "bad category", text: #"{"category":"a b","payload":"p"}"#, line: 1, column: 2,
                message: "invalid category 'a b'", token: "a b"),
            .init(
                name: "payload array", text: #"{"category":"a","payload":[1,2]}"#, line: 1, column: 17,
                message: "field 'payload' must be a string, found an array", token: "payload"),
            .init(
                name: "payload null", text: #"{"category":"a","payload":null}"#, line: 1, column: 17,
                message: "field 'payload' must be a string, found null", token: "payload"),
            .init(
                name: "id type", text: #"{"id":5,"category":"a","payload":"p"}"#, line: 1, column: 2,
                message: "field 'id' must be a string, found a number", token: "id"),
            .init(
                name: "id empty", text: #"{"id":"","category":"a","payload":"p"}"#, line: 1, column: 2,
                message: "field 'id' must not be empty", token: "id"),
            .init(
                name: "duplicate id",
                text: #"{"id":"x","category":"a","payload":"p"}"# + "\n" + ok + "\n"
                    + #"{"category":"a", "id":"x","payload":"p"}"#,
                line: 3, column: 18, message: "duplicate id 'x' (already used on line 1)", token: "x"),
            bad("priority", #""high""#, "must be an integer, found a string"),
            bad("priority", "true", "must be an integer, found a boolean"),
            bad("priority", "1.5", "must be an integer, found 1.5"),
            bad("priority", "2147483648", "must be between -2147483648 and 2147483647"),
            bad("priority", "9223372036854775808", "must be between -2147483648 and 2147483647"),
            bad("priority", "-2147483649", "must be between -2147483648 and 2147483647"),
            bad("max_attempts", "0", "must be between 1 and 100"),
            bad("max_attempts", "101", "must be between 1 and 100"),
            bad("max_attempts", "false", "must be an integer, found a boolean"),
            bad("max_attempts", #""3""#, "must be an integer, found a string"),
            bad("timeout", "0", "must be greater than zero"),
            bad("timeout", "-1", "must be greater than zero"),
            bad("timeout", "true", "must be a number of seconds or a duration string, found a boolean"),
            bad("timeout", "[]", "must be a number of seconds or a duration string, found an array"),
            bad("timeout", #""soon""#, "is not a valid duration: 'soon'"),
            bad("timeout", #""0s""#, "must be greater than zero"),
            bad("timeout", "40000000", "must be at most one year"),
            bad("timeout", #""9000h""#, "is not a valid duration: '9000h'"),
            .init(
                name: "key quoted in a value", text: #"{"payload":"\"priority\": ","category":"a","priority":"x"}"#,
                line: 1, column: 44, message: "field 'priority' must be an integer", token: "priority"),
            .init(
                name: "value spelled like a key", text: #"{"payload":"priority","category":"a", "priority" : "x"}"#,
                line: 1, column: 39, message: "field 'priority' must be an integer", token: "priority"),
            .init(
                name: "blank and comments only", text: "\n   \n# x\n", line: 1, column: 1,
                message: "the batch holds no tasks"),
        ]
    }()

    @Test(arguments: jsonCases)
    func rejectsMalformedJSONLines(_ bad: Malformed) {
        expectFailure(bad, parser: BatchParser(format: .jsonl))
    }

    /// Syntax errors; the column comes from Foundation's wording, which only Linux's Foundation gives as an offset.
    @Test(arguments: [
        ("{\"category\":\"a\",\"payload\":}", 1, 27),
        ("{\"é\":xx}", 1, 6),
        ("{\"category\":\"a\",\"payload\":\"p\"}}", 1, 31),
        ("{\"category\":\"a\",\"payload\":\"p\"}\n{nope}", 2, 2),
        ("{\"category\":\"a\"", 1, 1),
    ])
    func rejectsInvalidJSON(text: String, line: Int, column: Int) throws {
        let error = try #require(throws: BatchFileError.self) { try BatchParser().parse(text) }
        #expect(error.line == line)
        #expect(error.message.hasPrefix("invalid JSON: "))
        #expect(error.token == nil)
        #if os(Linux)
        #expect(error.column == column)
        #endif
    }

    @Test func descriptionQuotesTheTokenOnce() throws {
        let plain = try #require(throws: BatchFileError.self) { try BatchParser().parse("a1 a2\nb1 c2 42") }
        #expect(plain.description == "line 2, column 7: category must start with a letter (token '42')")
        let json = try #require(throws: BatchFileError.self) {
            try BatchParser().parse(#"{"category":"a","payload":"p","priority":true}"#)
        }
        #expect(json.description == "line 1, column 31: field 'priority' must be an integer, found a boolean")
    }

    private func expectFailure(_ bad: Malformed, parser: BatchParser, sourceLocation: SourceLocation = #_sourceLocation)
    {
        do {
            let tasks = try parser.parse(bad.text)
            Issue.record("expected an error, parsed \(tasks.count) tasks", sourceLocation: sourceLocation)
        } catch {
            #expect(error.line == bad.line, sourceLocation: sourceLocation)
            #expect(error.column == bad.column, sourceLocation: sourceLocation)
            #expect(error.message.contains(bad.message), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.token == bad.token, sourceLocation: sourceLocation)
        }
    }
}
