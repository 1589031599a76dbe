import ArgumentParser
import Corsair
import CorsairCLI

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel tasks: queued or scheduled ones never run, running ones are stopped on their worker.",
        discussion: """
            A cancelled task ends in state cancelled: a running attempt's handler is cancelled on its worker (an \
            --exec command is killed with its process group), a result that arrives afterwards is refused, and \
            `corsair submit` reports the task as cancelled and exits 1. A task that has already finished stays as \
            it was.
            An id names a task of --batch when it is given; without --batch, the task with that id in any batch (or \
            a plain MDP request's mdp-N). An id that several batches hold is ambiguous and is not cancelled.
            Exits 1 when some id was not found or was ambiguous.

            \(ExitStatus.helpText)
            """)

    @OptionGroup var options: StatusOptions

    @Argument(help: "Ids of the tasks to cancel.")
    var ids: [String] = []

    @Option(help: "The batch the ids belong to: its --batch name, or the session in hex for an unnamed one.")
    var batch: String?

    @Flag(help: "Cancel every unfinished task of --batch.")
    var all = false

    func validate() throws {
        if all {
            guard batch != nil else { throw ValidationError("--all needs --batch") }
            guard ids.isEmpty else { throw ValidationError("give task ids or --all, not both") }
        } else if ids.isEmpty {
            throw ValidationError("name the tasks to cancel, or give --batch B --all")
        }
    }

    func run() async throws {
        var answers: [CancelAnswer] = []
        try await options.run {
            answers = try await options.client.cancel(CancelRequest(batch: batch, ids: ids, all: all))
            print(options.json ? json(answers) : Self.render(answers, batch: batch), terminator: "")
        }
        if answers.contains(where: { $0.outcome == .notFound || $0.outcome == .ambiguous }) {
            throw ExitStatus.tasksFailed
        }
    }

    static func render(_ answers: [CancelAnswer], batch: String?) -> String {
        guard !answers.isEmpty else {
            return "batch '\(batch ?? "")': no unfinished task to cancel\n"
        }
        let rows = answers.map { answer -> [String] in
            let result: String
            switch answer.outcome {
            case .cancelled: result = "cancelled (was \(answer.state ?? "?"))"
            case .finished: result = "already \(answer.state ?? "finished")"
            case .notFound: result = "not found"
            case .ambiguous: result = "ambiguous: in batches \((answer.batches ?? []).joined(separator: ", "))"
            }
            return [answer.id, answer.batch ?? "", result]
        }
        let cancelled = answers.count { $0.outcome == .cancelled }
        return TextTable.render([["ID", "BATCH", "RESULT"]] + rows) + "\(cancelled) of \(answers.count) cancelled\n"
    }
}
