import Foundation
import Testing
import ZeroMQ

@testable import Corsair

/// Key files: what `corsair keygen` writes reads back, and every malformed file is refused naming the file.
@Suite struct CurveKeyFileTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keyfile-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ text: String, to name: String, mode: Int = 0o600) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test("reads back what it writes: the key pair from NAME.key, the public key from NAME.pub, 0600 on the secret")
    func roundTrip() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try CurveKeyPair.generate()
        let (secret, shared) = try CurveKeyFile.write(pair, name: "alice", directory: directory)
        #expect(try CurveKeyFile.readKeyPair(at: secret) == pair)
        #expect(try CurveKeyFile.readPublicKey(at: shared) == pair.publicKey)
        let mode = try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(throws: KeyFileError.self) { try CurveKeyFile.write(pair, name: "alice", directory: directory) }
    }

    @Test("reads a file that holds one bare Z85 key, also one holding `=`, itself a Z85 digit")
    func bareKey() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try CurveKeyPair.generate()
        let withEquals: [UInt8] = [0, 0, 0, 66] + Array(pair.publicKey.dropFirst(4))
        let encoded = try #require(Z85.encode(withEquals))
        #expect(encoded.hasPrefix("0000="))
        for key in [pair.publicKey, withEquals] {
            let path = try write((Z85.encode(key) ?? "") + "\n", to: "bare.pub")
            #expect(try CurveKeyFile.readPublicKey(at: path) == key)
        }
    }

    @Test(
        "refuses a malformed key file with a reason that names the problem",
        arguments: [
            ("", "empty"), ("garbage garbage\n", "not a key file"),
            ("public-key = \"HelloWorld\"\n", "8 bytes, not 32"),
            ("public-key = \"not~z85~text~at~all~~~~~~~~~~~~~~~~~~~~~\"\n", "not Z85"),
        ])
    func malformed(text: String, reason: String) throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try write(text, to: "bad.pub")
        let error = try #require(throws: KeyFileError.self) { try CurveKeyFile.readPublicKey(at: path) }
        #expect(error.path == path)
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test("refuses a secret key file that group or others can read, and a public key that does not match")
    func secretKeyChecks() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        let secret = "secret-key = \"\(Z85.encode(pair.secretKey) ?? "")\"\n"
        let open = try write(secret, to: "open.key", mode: 0o640)
        let error = try #require(throws: KeyFileError.self) { try CurveKeyFile.readKeyPair(at: open) }
        #expect(error.reason.contains("open to group or others"))
        let mismatched = try write(
            secret + "public-key = \"\(Z85.encode(other.publicKey) ?? "")\"\n", to: "mismatch.key")
        #expect(throws: KeyFileError.self) { try CurveKeyFile.readKeyPair(at: mismatched) }
        let publicOnly = try write("public-key = \"\(Z85.encode(pair.publicKey) ?? "")\"\n", to: "pub.key")
        #expect(throws: KeyFileError.self) { try CurveKeyFile.readKeyPair(at: publicOnly) }
    }
}
