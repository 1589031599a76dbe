import CorsairCLI
import Testing

/// Sizes on the command line (`--max-message-size`, `--max-result-size`, `--exec-memory-limit`).
@Suite struct ByteCountTests {
    @Test(
        "reads plain bytes and K, M, G in their spellings as powers of 1024",
        arguments: [
            ("1024", 1024), ("16MiB", 16 << 20), ("16m", 16 << 20), ("512K", 512 << 10), ("4kb", 4 << 10),
            ("3G", 3 << 30), ("4294967295", 4_294_967_295), ("7B", 7), ("0", 0),
        ])
    func parses(text: String, bytes: Int) throws {
        #expect(try ByteCount(parsing: text).bytes == bytes)
        #expect(ByteCount(argument: text)?.bytes == bytes)
    }

    @Test(
        "says what is wrong with a size that is not one",
        arguments: [
            ("", "does not start with a whole number"), ("M", "does not start with a whole number"),
            ("-5", "does not start with a whole number"), ("12X", "has unknown unit 'X'"),
            ("1.5M", "has unknown unit '.5M'"),
            ("16 MiB", "has unknown unit ' MiB'"), ("99999999999999999999", "is too large"),
            ("9999999999999G", "is too large"),
        ])
    func refuses(text: String, problem: String) {
        let error = #expect(throws: ByteCountError.self) { try ByteCount(parsing: text) }
        #expect(error?.description.contains("'\(text)' \(problem)") == true)
        #expect(error?.description.contains("K, M or G") == true)
        #expect(ByteCount(argument: text) == nil)
    }

    @Test("shows a size in the largest unit that divides it")
    func description() {
        #expect(ByteCount(bytes: 16 << 20).description == "16MiB")
        #expect(ByteCount(bytes: 3 << 30).description == "3GiB")
        #expect(ByteCount(bytes: 4_294_967_295).description == "4294967295")
        #expect(ByteCount(bytes: 0).description == "0")
    }
}
