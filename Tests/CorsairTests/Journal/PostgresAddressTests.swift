import Testing

@testable import Corsair

/// `--journal postgresql://…`: what an address holds, and what is wrong with a bad one.
@Suite struct PostgresAddressTests {
    @Test("user, host, port, database and schema; the password from the address or PGPASSWORD, never printed")
    func parts() throws {
        let full = try PostgresAddress(parsing: "postgresql://broker:s%40cret@db.example:6543/jobs?schema=night")
        #expect(full.user == "broker" && full.password == "s@cret")
        #expect(full.host == "db.example" && full.port == 6543 && full.database == "jobs" && full.schema == "night")
        #expect(full.description == "postgresql://broker@db.example:6543/jobs?schema=night")
        let plain = try PostgresAddress(parsing: "postgres://broker@[::1]/jobs", environment: ["PGPASSWORD": "p"])
        #expect(plain.host == "::1" && plain.port == 5432 && plain.schema == "corsair" && plain.password == "p")
        #expect(plain.description == "postgresql://broker@[::1]:5432/jobs")
        #expect(PostgresAddress.isAddress("postgresql://x") && !PostgresAddress.isAddress("corsair.journal"))
    }

    @Test(
        "a bad address says which part is wrong",
        arguments: [
            ("mysql://a@b/c", "must start with postgresql://"),
            ("postgresql://a@b", "needs a database"),
            ("postgresql://b/c", "needs a user"),
            ("postgresql://@b/c", "empty user"),
            ("postgresql://a@/c", "needs a host"),
            ("postgresql://a@b:0/c", "a port is 1…65535"),
            ("postgresql://a@b:x/c", "a port is 1…65535"),
            ("postgresql://a@[::1/c", "closing ']'"),
            ("postgresql://a@b/c?sslmode=require", "the only one known is schema=NAME"),
            ("postgresql://a@b/c?schema=Night", "a schema name is 1…63 of a-z"),
            ("postgresql://a@b/c?schema=1x", "a schema name is 1…63 of a-z"),
            ("postgresql://a@b/c/d", "needs a database"),
        ])
    func refused(address: String, says: String) {
        let error = #expect(throws: PostgresAddressError.self) { try PostgresAddress(parsing: address) }
        #expect(error?.description.contains(says) == true, "\(address): \(String(describing: error))")
    }
}
