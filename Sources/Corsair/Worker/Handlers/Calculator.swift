/// Evaluates arithmetic expressions such as `4 * (2 + 3)` for the worker's `--calc` handler.
///
/// The input is parsed by hand with recursive descent; nothing is ever handed to an interpreter.
///
///     expression := term (('+' | '-') term)*
///     term       := unary (('*' | '/' | '%') unary)*
///     unary      := ('+' | '-')* primary
///     primary    := number | '(' expression ')'
///     number     := digits ['.' digits] [('e' | 'E') ['+' | '-'] digits]
///
/// Either side of a number's `.` may be empty (`.5`, `2.`), but not both. Whitespace may appear
/// between any two tokens. Binary operators are left-associative; `%` is the truncating remainder
/// (like C's `fmod`). Input is limited to 64 KiB and to 256 levels of nested parentheses, so hostile
/// payloads fail with a ``CalculatorError`` instead of exhausting the stack.
public enum Calculator {
    /// The longest expression accepted, in UTF-8 bytes.
    static let maximumLength = 64 * 1024
    /// The deepest nesting of parentheses accepted.
    static let maximumDepth = 256
    /// How many significant digits ``format(_:)`` keeps for non-integral values.
    static let significantDigits = 12

    /// Parses and evaluates `expression`.
    ///
    /// - Throws: ``CalculatorError`` naming the problem and its column, for malformed input,
    ///   division or remainder by zero, and results that are not finite.
    public static func evaluate(_ expression: String) throws(CalculatorError) -> Double {
        guard expression.utf8.count <= maximumLength else {
            throw CalculatorError(message: "expression is longer than \(maximumLength) bytes", column: 1)
        }
        var parser = Parser(characters: Array(expression))
        return try parser.parse()
    }

    /// Formats a result: integral values without a fraction ("20", "-3"), others with up to 12
    /// significant digits ("3.5", "0.333333333333").
    ///
    /// Integral values of magnitude 10^15 and above are treated like non-integral ones. As with C's
    /// `%.12g`, values whose rounded decimal exponent is below -4 or at least 12 use exponent notation
    /// ("1e+20", "1.5e-07").
    public static func format(_ value: Double) -> String {
        guard value.isFinite else { return value.description }
        if value.magnitude < 1e15, let integral = Int64(exactly: value) {
            return String(integral)
        }
        // Swift's shortest round-trip description, taken apart into decimal digits d.ddd × 10^exponent.
        var text = Substring(value.magnitude.description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        exponent += text.distance(from: text.startIndex, to: text.firstIndex(of: ".") ?? text.endIndex) - 1
        var digits = text.compactMap(\.wholeNumberValue)
        while digits.count > 1, digits[0] == 0 {
            digits.removeFirst()
            exponent -= 1
        }
        if digits.count > significantDigits {
            let roundUp = digits[significantDigits] >= 5
            digits.removeLast(digits.count - significantDigits)
            if roundUp, let last = digits.lastIndex(where: { $0 != 9 }) {
                digits[last] += 1
                for index in (last + 1)..<digits.count { digits[index] = 0 }
            } else if roundUp {
                digits = [1]
                exponent += 1
            }
        }
        while digits.count > 1, digits.last == 0 { digits.removeLast() }

        let all = digits.map(String.init).joined()
        let sign = value < 0 ? "-" : ""
        if exponent < -4 || exponent >= significantDigits {
            let mantissa = digits.count > 1 ? "\(all.prefix(1)).\(all.dropFirst())" : all
            let magnitude = exponent.magnitude < 10 ? "0\(exponent.magnitude)" : "\(exponent.magnitude)"
            return "\(sign)\(mantissa)e\(exponent < 0 ? "-" : "+")\(magnitude)"
        }
        if exponent < 0 {
            return sign + "0." + String(repeating: "0", count: -exponent - 1) + all
        }
        if digits.count > exponent + 1 {
            return sign + all.prefix(exponent + 1) + "." + all.dropFirst(exponent + 1)
        }
        return sign + all + String(repeating: "0", count: exponent + 1 - digits.count)
    }

    /// Evaluates and formats in one step (what the worker calls with a task payload).
    public static func run(_ expression: String) throws(CalculatorError) -> String {
        format(try evaluate(expression))
    }

    /// The recursive-descent parser; `position` indexes `characters`, so columns are `position + 1`.
    private struct Parser {
        let characters: [Character]
        var position = 0
        var depth = 0

        mutating func parse() throws(CalculatorError) -> Double {
            guard peek() != nil else { throw CalculatorError(message: "empty expression", column: 1) }
            let value = try parseExpression()
            if let next = peek() { throw unexpected(next, expecting: "an operator or end of expression") }
            return value
        }

        private mutating func parseExpression() throws(CalculatorError) -> Double {
            var value = try parseTerm()
            while let op = peek(), op == "+" || op == "-" {
                let column = advance()
                let rhs = try parseTerm()
                value = try finite(op == "+" ? value + rhs : value - rhs, column: column)
            }
            return value
        }

        private mutating func parseTerm() throws(CalculatorError) -> Double {
            var value = try parseUnary()
            while let op = peek(), op == "*" || op == "/" || op == "%" {
                let column = advance()
                let rhs = try parseUnary()
                if op != "*", rhs == 0 { throw CalculatorError(message: "division by zero", column: column) }
                let result =
                    switch op {
                    case "*": value * rhs
                    case "/": value / rhs
                    default: value.truncatingRemainder(dividingBy: rhs)
                    }
                value = try finite(result, column: column)
            }
            return value
        }

        /// Signs are consumed in a loop rather than by recursion, so `------1` cannot overflow the stack.
        private mutating func parseUnary() throws(CalculatorError) -> Double {
            var negate = false
            while let sign = peek(), sign == "+" || sign == "-" {
                if sign == "-" { negate.toggle() }
                _ = advance()
            }
            let value = try parsePrimary()
            return negate ? -value : value
        }

        private mutating func parsePrimary() throws(CalculatorError) -> Double {
            guard let next = peek() else {
                throw CalculatorError(message: "expected a number or '(', got end of expression", column: position + 1)
            }
            if Self.isDigit(next) || next == "." { return try parseNumber() }
            guard next == "(" else { throw unexpected(next, expecting: "a number or '('") }
            guard depth < Calculator.maximumDepth else {
                throw CalculatorError(message: "expression nested too deeply", column: position + 1)
            }
            let open = advance()
            depth += 1
            let value = try parseExpression()
            guard let close = peek(), close == ")" else {
                let got = peek().map { "'\($0)'" } ?? "end of expression"
                throw CalculatorError(
                    message: "expected ')' to match '(' at column \(open), got \(got)", column: position + 1)
            }
            _ = advance()
            depth -= 1
            return value
        }

        private mutating func parseNumber() throws(CalculatorError) -> Double {
            let start = position
            var digitCount = scanDigits()
            if position < characters.count, characters[position] == "." {
                position += 1
                digitCount += scanDigits()
            }
            guard digitCount > 0 else {
                throw CalculatorError(message: "expected a digit after '.'", column: position + 1)
            }
            if position < characters.count, characters[position] == "e" || characters[position] == "E" {
                position += 1
                if position < characters.count, characters[position] == "+" || characters[position] == "-" {
                    position += 1
                }
                guard scanDigits() > 0 else {
                    throw CalculatorError(message: "expected a digit in exponent", column: position + 1)
                }
            }
            let text = String(characters[start..<position])
            guard let value = Double(text) else {
                throw CalculatorError(message: "malformed number '\(text)'", column: start + 1)
            }
            guard value.isFinite else { throw CalculatorError(message: "number is too large", column: start + 1) }
            return value
        }

        /// Skips whitespace and returns the next character without consuming it.
        private mutating func peek() -> Character? {
            while position < characters.count, characters[position].isWhitespace { position += 1 }
            return position < characters.count ? characters[position] : nil
        }

        /// Consumes the current character and returns its column.
        private mutating func advance() -> Int {
            position += 1
            return position
        }

        private mutating func scanDigits() -> Int {
            let start = position
            while position < characters.count, Self.isDigit(characters[position]) { position += 1 }
            return position - start
        }

        private func finite(_ value: Double, column: Int) throws(CalculatorError) -> Double {
            guard value.isFinite else {
                throw CalculatorError(message: "result is not a finite number", column: column)
            }
            return value
        }

        /// An error for `character` at the current position: a known token in the wrong place, or a stray character.
        private func unexpected(_ character: Character, expecting expected: String) -> CalculatorError {
            if Self.isDigit(character) || "+-*/%().".contains(character) {
                return CalculatorError(message: "expected \(expected), got '\(character)'", column: position + 1)
            }
            let isControl = character.unicodeScalars.contains { $0.properties.generalCategory == .control }
            let name =
                isControl ? character.unicodeScalars.map(Self.codePoint).joined(separator: " ") : "'\(character)'"
            return CalculatorError(message: "unexpected character \(name)", column: position + 1)
        }

        /// `U+0007` style, for characters that would not show up in a log line.
        private static func codePoint(_ scalar: Unicode.Scalar) -> String {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }

        private static func isDigit(_ character: Character) -> Bool {
            guard let ascii = character.asciiValue else { return false }
            return (0x30...0x39).contains(ascii)
        }
    }
}

/// What went wrong and where (1-based column in the expression, counted in Characters).
public struct CalculatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, e.g. "division by zero".
    public var message: String
    /// The 1-based column of the offending character, counted in `Character`s; one past the end for
    /// errors at the end of input.
    public var column: Int

    /// Creates an error with `message` at `column`.
    public init(message: String, column: Int) {
        self.message = message
        self.column = column
    }

    /// The column and message, e.g. "column 5: expected a number or '(', got ')'".
    public var description: String { "column \(column): \(message)" }
}
