/// The UDP datagram a broker started with `--announce` sends every second, in the spirit of czmq's zbeacon: who it
/// is and where to connect. Workers and clients with `--discover` take the first of the right name they hear.
///
/// Layout: `CRSB` · version `u8` (1) · name str8 · endpoint str16 (UTF-8, big-endian lengths), nothing after. An
/// endpoint with a wildcard host (`tcp://0.0.0.0:5555`, `tcp://*:5555`) means the address the datagram came from.
public struct Beacon: Sendable, Hashable {
    /// The first four bytes of every beacon.
    public static let magic: [UInt8] = Array("CRSB".utf8)
    /// The beacon layout's version.
    public static let version: UInt8 = 1
    /// The name brokers announce and clients look for when none is given.
    public static let defaultName = "corsair"
    /// The UDP port beacons go to when none is given.
    public static let defaultPort: UInt16 = 5670

    /// The broker's name (1…255 bytes), chosen with `--announce NAME`.
    public var name: String
    /// The broker's endpoint, for example `tcp://0.0.0.0:5555`.
    public var endpoint: String

    /// Creates a beacon.
    public init(name: String, endpoint: String) {
        self.name = name
        self.endpoint = endpoint
    }

    /// The datagram.
    ///
    /// - Throws: ``WireLengthError`` when the name is over 255 bytes or the endpoint over 65 535.
    public var encoded: [UInt8] {
        get throws(WireLengthError) {
            var writer = WireWriter(capacity: 8 + name.utf8.count + endpoint.utf8.count)
            writer.write(Self.version)
            try writer.write(name, lengthAs: UInt8.self, field: "beacon name")
            try writer.write(endpoint, lengthAs: UInt16.self, field: "beacon endpoint")
            return Self.magic + writer.bytes
        }
    }

    /// Decodes a datagram; throws when it is not a beacon of this version, saying where it went wrong.
    public init(decoding bytes: [UInt8]) throws(ProtocolError) {
        guard bytes.starts(with: Self.magic) else {
            throw ProtocolError(frame: 0, of: 1, "datagram does not start with CRSB")
        }
        var reader = WireReader(Array(bytes.dropFirst(Self.magic.count)), frame: 0, of: 1)
        let version = try reader.read(UInt8.self, "beacon version")
        guard version == Self.version else {
            throw ProtocolError(frame: 0, of: 1, "beacon version \(version), expected \(Self.version)")
        }
        name = try reader.readString(lengthAs: UInt8.self, "beacon name")
        endpoint = try reader.readString(lengthAs: UInt16.self, "beacon endpoint")
        try reader.expectEnd("beacon")
        guard !name.isEmpty, endpoint.hasPrefix("tcp://") else {
            throw ProtocolError(frame: 0, of: 1, "beacon needs a name and a tcp:// endpoint")
        }
    }

    /// The endpoint to connect to, its wildcard host replaced by `sender`, the address the beacon came from.
    public func endpoint(from sender: String) -> String {
        for wildcard in ["tcp://*:", "tcp://0.0.0.0:", "tcp://[::]:"] where endpoint.hasPrefix(wildcard) {
            return "tcp://\(sender):" + endpoint.dropFirst(wildcard.count)
        }
        return endpoint
    }
}
