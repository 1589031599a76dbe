#if canImport(Glibc)
import Glibc
#endif

/// The C function `name` of the running process, looked up at run time, or `nil` where the C library has none: for
/// glibc functions Swift's Glibc module does not export (GNU extensions, `<malloc.h>`).
func glibcFunction<Function>(_ name: String, as type: Function.Type) -> Function? {
    #if canImport(Glibc)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
    return unsafeBitCast(symbol, to: type)
    #else
    return nil
    #endif
}
