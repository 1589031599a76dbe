import ArgumentParser
import CorsairCLI

@main
struct CorsairCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corsair",
        abstract: "Submit batches of tasks to a Corsair broker and watch them run.",
        discussion: ExitStatus.helpText,
        subcommands: [
            SubmitCommand.self, WaitCommand.self, StatusCommand.self, WorkersCommand.self, TasksCommand.self,
            CancelCommand.self, ShutdownCommand.self, KeygenCommand.self,
        ])

    /// Ignores SIGPIPE (``BrokenPipe``) before anything else runs, then parses the arguments and runs the command.
    static func main() async {
        BrokenPipe.ignore()
        await main(DiscoveryOptions.expand(Array(CommandLine.arguments.dropFirst())))
    }
}
