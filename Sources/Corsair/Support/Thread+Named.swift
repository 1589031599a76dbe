import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Thread {
    /// Starts a thread that runs `body` under `name`, as `top -H`, `ps -L` and `perf` show it.
    ///
    /// Foundation keeps a name set before `start()` to itself on Linux, so the thread names itself first. Linux keeps
    /// 15 bytes of a thread's name and refuses a longer one.
    static func startNamed(_ name: String, _ body: @escaping @Sendable () -> Void) {
        precondition(name.utf8.count <= 15, "thread name '\(name)' is longer than Linux's 15 bytes")
        let thread = Thread {
            #if canImport(Glibc)
            _ = setName?(pthread_self(), name)
            #endif
            body()
        }
        thread.name = name
        thread.start()
    }

    #if canImport(Glibc)
    /// glibc's `pthread_setname_np`, looked up at run time: Swift's Glibc module leaves out GNU extensions.
    private static let setName = glibcFunction(
        "pthread_setname_np", as: (@convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32).self)
    #endif
}
