/// Lets an option take its value optionally (`--announce` or `--announce NAME`), which ArgumentParser cannot say:
/// before parsing, a bare occurrence gets the default value inserted after it.
public enum OptionalValue {
    /// `arguments` with `defaultValue` inserted after each `option` that is last or followed by another option
    /// (`-…`); arguments after `--` are left alone.
    public static func expand(_ arguments: [String], option: String, defaultValue: String) -> [String] {
        var result: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            result.append(argument)
            if argument == "--" {
                result += arguments[(index + 1)...]
                break
            }
            let next = arguments.index(after: index)
            if argument == option && (next == arguments.endIndex || arguments[next].hasPrefix("-")) {
                result.append(defaultValue)
            }
            index = next
        }
        return result
    }
}
