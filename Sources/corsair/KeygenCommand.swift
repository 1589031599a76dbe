import ArgumentParser
import Corsair
import CorsairCLI
import ZeroMQ

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create a CURVE key pair: NAME.key (secret, mode 0600) and NAME.pub (public, to share).",
        discussion: """
            The files are ZPL text in the spirit of czmq's zcert. Neither is ever overwritten: an existing NAME.key \
            or NAME.pub makes keygen exit 65. Give the broker its .key with --curve-secret-key and its .pub to every \
            worker and client (--curve-server-key); put each worker's or client's .pub in the broker's \
            --allow-workers or --allow-clients directory. The file name (NAME) is the name the broker shows.

            \(ExitStatus.helpText)
            """)

    @Argument(help: "The key's name: letters, digits, '-', '_' and '.'; the broker shows it for workers.")
    var name: String

    @Option(help: ArgumentHelp("Directory to write the two files to.", valueName: "dir"))
    var dir: String = "."

    func validate() throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard !name.isEmpty, name.count <= 200, name.allSatisfy(allowed.contains), !name.hasPrefix(".") else {
            throw ValidationError("NAME must be 1…200 of letters, digits, '-', '_' and '.', not starting with '.'")
        }
    }

    func run() throws {
        do {
            let keyPair = try CurveKeyPair.generate()
            let (secret, shared) = try CurveKeyFile.write(keyPair, name: name, directory: dir)
            print("\(secret)\n\(shared)\n\(KeyFingerprint.of(keyPair.publicKey))")
        } catch {
            printError("corsair keygen: \(error)")
            throw ExitStatus.forError(error)
        }
    }
}
