internal import CZeroMQ

/// Z85, ZeroMQ's printable encoding of binary keys (RFC 32): 5 characters for every 4 bytes.
public enum Z85 {
    /// `bytes` in Z85, or `nil` when their count is not a multiple of 4.
    public static func encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)
        let encoded = bytes.withUnsafeBufferPointer { source in
            text.withUnsafeMutableBufferPointer { zmq_z85_encode($0.baseAddress, source.baseAddress, source.count) }
        }
        guard encoded != nil else { return nil }
        return String(decoding: text.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The bytes `text` encodes, or `nil` when it is not Z85: a length that is not a multiple of 5, or a character
    /// outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 5 == 0, characters.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else { return nil }
        var bytes = [UInt8](repeating: 0, count: characters.count / 5 * 4)
        let decoded = bytes.withUnsafeMutableBufferPointer { target in
            text.withCString { zmq_z85_decode(target.baseAddress, $0) }
        }
        return decoded == nil ? nil : bytes
    }
}
