import SystemPackage
import Testing

@testable import Corsair

@Suite("FilePath's directory and name")
struct FilePathDirectoryTests {
    @Test(
        "the directory holding a path, `.` for a bare name of any length",
        arguments: [
            ("j", ".", "j"), ("corsair.journal", ".", "corsair.journal"), ("./j", ".", "j"), ("/j", "/", "j"),
            ("state/j", "state", "j"), ("/var/lib/corsair/corsair.journal", "/var/lib/corsair", "corsair.journal"),
        ])
    func directory(path: String, directory: String, name: String) {
        #expect(FilePath(path).directory == directory)
        #expect(FilePath(path).name == name)
    }
}
