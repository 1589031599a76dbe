/// A message that does not follow the protocol, with where it went wrong.
///
/// The broker counts and logs each one with the peer it came from, and answers where the protocol allows it.
public struct ProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The index of the offending frame (after the routing id), when one frame is to blame.
    public var frame: Int?
    /// How many frames the message had.
    public var frameCount: Int
    /// What was wrong, for example `expected MDPW02 command 0x01…0x06, got 0x09`.
    public var message: String

    /// Creates an error about frame `frame` of a `frameCount`-frame message.
    public init(frame: Int?, of frameCount: Int, _ message: String) {
        self.frame = frame
        self.frameCount = frameCount
        self.message = message
    }

    public var description: String {
        if let frame {
            return "frame \(frame) of \(frameCount): \(message)"
        }
        return "message of \(frameCount) frames: \(message)"
    }
}

extension [UInt8] {
    /// The bytes as lowercase hex, for logs and error messages.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(count * 2)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A short printable rendering of an unexpected frame: text when it is printable ASCII, else hex.
    var printable: String {
        let shown = prefix(32)
        let suffix = count > 32 ? "…" : ""
        if !shown.isEmpty, shown.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
            return "'" + String(decoding: shown, as: UTF8.self) + "'" + suffix
        }
        return "0x" + Array(shown).hexString + suffix
    }
}
