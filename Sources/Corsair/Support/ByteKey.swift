/// Bytes as a hash key, hashed in one call: the synthesized `[UInt8]` hash feeds the hasher one byte at a time, which
/// showed in profiles wherever a key is hashed per message or per task (batch sessions in the broker, running tasks'
/// envelopes in the worker).
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
