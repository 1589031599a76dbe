import Foundation
import Testing

@testable import Corsair

/// The parts of `--exec` that need no process: bounded output, the error tail, the environment, and the outcome and
/// message a run's ending comes to.
@Suite struct ExecPiecesTests {
    func report(
        _ termination: ExecTermination,
        stop: ExecStop? = nil,
        output: [UInt8] = [],
        errors: String = "",
        cpuTime: Duration = .zero,
        _ configure: (inout ExecOptions) -> Void = { _ in }
    ) -> ExecReport {
        var options = ExecOptions()
        configure(&options)
        var bounded = BoundedOutput(limit: 10)
        _ = bounded.append(output)
        var tail = OutputTail(capacity: 64)
        tail.append(Array(errors.utf8))
        return ExecReport(
            command: ["sh", "-c", "x"], termination: termination, stop: stop, output: bounded, errors: tail,
            cpuTime: cpuTime, options: options)
    }

    func failure(_ report: ExecReport) throws -> TaskFailure {
        guard case .failure(let failure) = report.result else {
            Issue.record("expected a failure, got \(report.result)")
            throw CancellationError()
        }
        return failure
    }

    @Test("keeps output up to its limit and notices the first byte past it")
    func boundedOutput() {
        var output = BoundedOutput(limit: 10)
        #expect(output.readSize(chunk: 4) == 4)
        let first = output.append([1, 2, 3, 4, 5, 6])
        #expect(first)
        #expect(output.readSize(chunk: 64) == 5, "what fits plus one")
        let second = output.append([7, 8, 9, 10])
        #expect(second)
        #expect(!output.overflowed)
        let third = output.append([11])
        #expect(!third)
        #expect(output.overflowed)
        #expect(output.bytes == Array(1...10))
    }

    @Test("keeps only the last bytes of standard error, however much is written")
    func errorTail() {
        var tail = OutputTail(capacity: 9)
        for chunk in 0..<1000 {
            tail.append(Array("line \(chunk)\n".utf8))
        }
        #expect(tail.text == "line 999")
        #expect(tail.bytes.count == 9)
        tail.append([UInt8](repeating: 65, count: 100))
        #expect(tail.text == "AAAAAAAAA")
    }

    @Test("passes the allowed variables and the task's id, attempt and deadline")
    func environment() {
        let task = WorkerTask(id: "t1", category: "a", attempt: 2, timeout: .milliseconds(1500), payload: [])
        let now = Date(timeIntervalSince1970: 1_000_000)
        let base = ["PATH": "/bin", "HOME": "/root", "SECRET": "x", "CORSAIR_ATTEMPT": "9"]
        let allowed = ExecEnvironment.entries(base: base, allowList: ["PATH", "CORSAIR_ATTEMPT"], task: task, now: now)
        #expect(allowed == ["CORSAIR_ATTEMPT=2", "CORSAIR_DEADLINE=1000001.500", "CORSAIR_TASK_ID=t1", "PATH=/bin"])
        let everything = ExecEnvironment.entries(base: base, allowList: nil, task: task, now: now)
        #expect(everything.contains("SECRET=x") && everything.contains("HOME=/root"))
        let plain = WorkerTask(id: nil, category: "a", attempt: nil, timeout: nil, payload: [])
        #expect(ExecEnvironment.entries(base: base, allowList: [], task: plain, now: now).isEmpty)
    }

    @Test("decodes wait statuses")
    func waitStatus() {
        #expect(ExecTermination(waitStatus: 0) == .exited(0))
        #expect(ExecTermination(waitStatus: 3 << 8) == .exited(3))
        #expect(ExecTermination(waitStatus: SIGKILL) == .signaled(SIGKILL))
        #expect(ExecTermination(waitStatus: SIGSEGV | 0x80) == .signaled(SIGSEGV), "core dumped")
    }

    @Test("succeeds with the output when the command exits 0")
    func success() throws {
        #expect(try report(.exited(0), output: [1, 2]).result.get() == [1, 2])
    }

    @Test("fails with the exit status and the end of standard error, retryably")
    func nonZeroExit() throws {
        let failure = try failure(report(.exited(3), errors: "boom\n"))
        #expect(failure.message == "'sh -c x' exited with status 3: boom")
        #expect(failure.isRetryable)
    }

    @Test("names the signal that killed the command")
    func signal() throws {
        #expect(try failure(report(.signaled(SIGSEGV))).message == "'sh -c x' was killed by signal 11 (SIGSEGV)")
    }

    @Test("says the CPU limit killed it, with SIGXCPU or with SIGKILL once its CPU time reached the limit")
    func cpuLimit() throws {
        let xcpu = try failure(report(.signaled(SIGXCPU)) { $0.cpuLimit = .seconds(1) })
        #expect(xcpu.message.contains("(SIGXCPU); over its CPU time limit of 1s (--exec-cpu-limit)"))
        #expect(!xcpu.isRetryable)
        let killed = try failure(report(.signaled(SIGKILL), cpuTime: .seconds(2)) { $0.cpuLimit = .seconds(1) })
        #expect(killed.message.contains("--exec-cpu-limit"))
        let otherKill = try failure(
            report(.signaled(SIGKILL), cpuTime: .milliseconds(10)) { $0.cpuLimit = .seconds(1) })
        #expect(!otherKill.message.contains("--exec-cpu-limit"))
    }

    @Test("mentions the memory limit when a limited command fails")
    func memoryLimit() throws {
        let failure = try failure(report(.exited(1), errors: "out of memory") { $0.memoryLimit = 1 << 26 })
        #expect(
            failure.message
                == "'sh -c x' exited with status 1; it ran with its address space limited to 67108864 bytes "
                + "(--exec-memory-limit): out of memory")
    }

    @Test("fails for good with result_too_large naming the limit, whatever the exit status")
    func resultTooLarge() throws {
        let failure = try failure(report(.signaled(SIGKILL), stop: .resultTooLarge, output: Array(1...10)))
        #expect(failure.message.hasPrefix("result_too_large: 'sh -c x' wrote more than 10 bytes to standard output"))
        #expect(failure.message.contains("10-byte result limit"))
        #expect(!failure.isRetryable)
    }
}
