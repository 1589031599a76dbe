public import Foundation

/// The PostgreSQL server `Tests/run.sh` starts for the tests (`Tests/postgres.sh`), named by `CORSAIR_TEST_POSTGRES`.
public enum TestPostgres {
    /// The server's address, `postgresql://USER@HOST:PORT/DATABASE`, or `nil` when none was started.
    public static let server = ProcessInfo.processInfo.environment["CORSAIR_TEST_POSTGRES"]

    /// Whether the PostgreSQL tests run: where a server was started, and always under CI, where a missing server then
    /// fails them instead of skipping them unseen.
    public static let enabled = server != nil || ProcessInfo.processInfo.environment["CI"] != nil

    /// The address of a journal in a schema of its own, named from `name` and a random suffix, so tests that run side
    /// by side never share one.
    public static func journal(_ name: String) throws -> String {
        guard let server else {
            throw HarnessError(
                "CORSAIR_TEST_POSTGRES is not set: run the tests through Tests/run.sh, which starts PostgreSQL")
        }
        let suffix = UInt32.random(in: .min ... .max)
        return server + "?schema=\(name.lowercased())_\(String(suffix, radix: 16))"
    }
}
