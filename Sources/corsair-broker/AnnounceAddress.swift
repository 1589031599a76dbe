import ArgumentParser
import Glibc

/// `--announce-to IP:PORT`: the IPv4 address and UDP port beacons go to.
struct AnnounceAddress {
    var host: String
    var port: UInt16

    /// Parses `IP:PORT`, saying what is wrong.
    init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":") else {
            throw ValidationError("--announce-to '\(text)' has no port (expected IP:PORT)")
        }
        host = String(text[..<colon])
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw ValidationError("--announce-to '\(text)': '\(host)' is not an IPv4 address")
        }
        guard let port = UInt16(text[text.index(after: colon)...]), port > 0 else {
            throw ValidationError("--announce-to '\(text)': the port must be in 1…65535")
        }
        self.port = port
    }
}
