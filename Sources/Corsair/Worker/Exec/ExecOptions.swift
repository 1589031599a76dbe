/// Limits and isolation for the program an ``ExecHandler`` runs per task. Each is off by default.
public struct ExecOptions: Sendable, Hashable {
    /// The most address space, in bytes, each process of the command may map (`RLIMIT_AS`): an allocation past it
    /// fails inside the program. `nil`: no limit.
    public var memoryLimit: Int?
    /// The most CPU time each process of the command may use (`RLIMIT_CPU`, in whole seconds rounded up): past it
    /// the process gets SIGXCPU, and SIGKILL one second later. `nil`: no limit.
    public var cpuLimit: Duration?
    /// When set, each attempt runs in a fresh directory made under this one and removed with everything in it
    /// afterwards. `nil`: the command runs in the worker's directory.
    public var workdirRoot: String?
    /// When set, the command sees only these variables of the worker's environment (plus `CORSAIR_TASK_ID`,
    /// `CORSAIR_ATTEMPT` and `CORSAIR_DEADLINE`, which it always gets). `nil`: the whole environment.
    public var environmentAllowList: [String]?
    /// How long the command's pipes stay open for reading once the command itself has exited. A background process
    /// it left holding them (`cmd &` in a script) has this long to finish; then the process group is killed and
    /// the task ends with what was read.
    public var pipeGrace: Duration = .milliseconds(250)
    /// How much of standard error a failure message keeps (its end).
    public var errorTailBytes = 2048

    /// Creates options with everything off.
    public init() {}
}
