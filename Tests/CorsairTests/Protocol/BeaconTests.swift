import Testing

@testable import Corsair

@Suite struct BeaconTests {
    static let lab = wire(try Beacon(name: "lab", endpoint: "tcp://h:1").encoded)
    static let ipc = wire(try Beacon(name: "lab", endpoint: "ipc:///x").encoded)

    @Test("round-trips a beacon and puts the sender in place of a wildcard host")
    func roundTrip() throws {
        let beacon = Beacon(name: "lab", endpoint: "tcp://0.0.0.0:5555")
        #expect(try Array(beacon.encoded.prefix(5)) == Array("CRSB".utf8) + [1])
        let decoded = try Beacon(decoding: beacon.encoded)
        #expect(decoded == beacon)
        #expect(decoded.endpoint(from: "10.0.0.7") == "tcp://10.0.0.7:5555")
        #expect(Beacon(name: "x", endpoint: "tcp://*:1").endpoint(from: "10.0.0.7") == "tcp://10.0.0.7:1")
        #expect(Beacon(name: "x", endpoint: "tcp://10.0.0.1:1").endpoint(from: "10.0.0.7") == "tcp://10.0.0.1:1")
    }

    @Test(
        "refuses datagrams that are not beacons, saying why",
        arguments: [
            (Array("junk".utf8), "does not start with CRSB"),
            (Array("CRSB".utf8) + [2, 1, 0x61, 0, 1, 0x61], "version 2"),
            (Array(BeaconTests.lab.dropLast()), "truncated"),
            (BeaconTests.lab + [0], "unexpected bytes"),
            (BeaconTests.ipc, "tcp:// endpoint"),
        ])
    func malformed(bytes: [UInt8], reason: String) throws {
        let error = try #require(throws: ProtocolError.self) { try Beacon(decoding: bytes) }
        #expect(error.message.contains(reason), "\(error.message)")
    }
}
