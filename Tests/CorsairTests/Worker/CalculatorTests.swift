import Testing

@testable import Corsair

@Suite struct CalculatorTests {
    @Test(arguments: [
        ("4 * (2 + 3)", "20"),
        ("2 + 3 * 4", "14"),
        ("(2 + 3) * 4", "20"),
        ("10 - 2 * 3", "4"),
        ("1 + 6 / 2", "4"),
        ("(1+2)*(3+4)", "21"),
        ("((((1))))", "1"),
    ])
    func precedenceAndParentheses(expression: String, expected: String) throws {
        #expect(try Calculator.run(expression) == expected)
    }

    @Test(arguments: [
        ("8 - 3 - 2", "3"),
        ("100 / 10 / 5", "2"),
        ("2 * 3 % 4", "2"),
        ("17 % 5 * 2", "4"),
        ("2 - 3 + 4", "3"),
    ])
    func leftAssociativity(expression: String, expected: String) throws {
        #expect(try Calculator.run(expression) == expected)
    }

    @Test(arguments: [
        ("-(-3)", "3"),
        ("-3", "-3"),
        ("--3", "3"),
        ("+4", "4"),
        ("- - -1", "-1"),
        ("-2 * 3", "-6"),
        ("2 * -3", "-6"),
        ("-0", "0"),
    ])
    func unaryOperators(expression: String, expected: String) throws {
        #expect(try Calculator.run(expression) == expected)
    }

    @Test(arguments: [
        ("7 / 2", "3.5"),
        ("1 / 3", "0.333333333333"),
        ("2 / 3", "0.666666666667"),
        ("0.1 + 0.2", "0.3"),
        (".5 + 2.", "2.5"),
        ("2.5 * 2", "5"),
        ("1e3", "1000"),
        ("1.5E-3 * 2", "0.003"),
        ("2e+2", "200"),
    ])
    func decimalsAndExponents(expression: String, expected: String) throws {
        #expect(try Calculator.run(expression) == expected)
    }

    @Test(arguments: [
        ("7 % 3", "1"),
        ("-7 % 3", "-1"),
        ("7 % -3", "1"),
        ("7.5 % 2", "1.5"),
    ])
    func truncatingRemainder(expression: String, expected: String) throws {
        #expect(try Calculator.run(expression) == expected)
    }

    @Test(arguments: [
        ("  \t1 +\n 2  ", "3"),
        ("4*(2+3)", "20"),
        (" ( 4 ) * ( 2 + 3 ) ", "20"),
        ("1\r\n+\r\n2", "3"),
    ])
    func whitespace(expression: String, expected: String) throws {
        #expect(try Calculator.run(expression) == expected)
    }

    @Test func evaluateReturnsTheRawValue() throws {
        #expect(try Calculator.evaluate("4 * (2 + 3)") == 20)
        #expect(try Calculator.evaluate("1 / 4") == 0.25)
    }

    @Test(arguments: [
        (20.0, "20"),
        (-3.0, "-3"),
        (3.5, "3.5"),
        (-1.25, "-1.25"),
        (1.0 / 3, "0.333333333333"),
        (-0.0, "0"),
        (999_999_999_999_999, "999999999999999"),
        (1e15, "1e+15"),
        (1e20, "1e+20"),
        (1.5e-7, "1.5e-07"),
        (0.0001, "0.0001"),
        (12_345_678_901.25, "12345678901.3"),
        (99_999.999_999_999_99, "100000"),
    ])
    func format(value: Double, expected: String) {
        #expect(Calculator.format(value) == expected)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var input: String
        var message: String
        var column: Int

        var testDescription: String {
            input.count > 40 ? "\(input.prefix(8))… (\(input.count) characters)" : input.debugDescription
        }
    }

    @Test(arguments: [
        Malformed(input: "", message: "empty expression", column: 1),
        Malformed(input: "   ", message: "empty expression", column: 1),
        Malformed(input: "4 * ", message: "expected a number or '(', got end of expression", column: 5),
        Malformed(input: "4 * )", message: "expected a number or '(', got ')'", column: 5),
        Malformed(input: "()", message: "expected a number or '(', got ')'", column: 2),
        Malformed(input: "(1 + 2", message: "expected ')' to match '(' at column 1, got end of expression", column: 7),
        Malformed(input: "(1 + 2 3", message: "expected ')' to match '(' at column 1, got '3'", column: 8),
        Malformed(input: "1 + 2)", message: "expected an operator or end of expression, got ')'", column: 6),
        Malformed(input: "2 3", message: "expected an operator or end of expression, got '3'", column: 3),
        Malformed(input: "2 $ 3", message: "unexpected character '$'", column: 3),
        Malformed(input: "2 ^ 3", message: "unexpected character '^'", column: 3),
        Malformed(input: "é + x", message: "unexpected character 'é'", column: 1),
        Malformed(input: "1 🙂", message: "unexpected character '🙂'", column: 3),
        Malformed(input: "1 \u{7} 2", message: "unexpected character U+0007", column: 3),
        Malformed(input: "1 / 0", message: "division by zero", column: 3),
        Malformed(input: "5 % 0", message: "division by zero", column: 3),
        Malformed(input: "1 / (2 - 2)", message: "division by zero", column: 3),
        Malformed(input: "1e", message: "expected a digit in exponent", column: 3),
        Malformed(input: ".", message: "expected a digit after '.'", column: 2),
        Malformed(input: "1e999", message: "number is too large", column: 1),
        Malformed(input: String(repeating: "9", count: 400), message: "number is too large", column: 1),
        Malformed(input: "1e308 * 10", message: "result is not a finite number", column: 7),
        Malformed(input: "-1e308 - 1e308", message: "result is not a finite number", column: 8),
        Malformed(input: String(repeating: "(", count: 10_000), message: "expression nested too deeply", column: 257),
        Malformed(
            input: String(repeating: "(", count: 257) + "1" + String(repeating: ")", count: 257),
            message: "expression nested too deeply",
            column: 257
        ),
        Malformed(
            input: String(repeating: " ", count: 64 * 1024) + "1",
            message: "expression is longer than 65536 bytes",
            column: 1
        ),
    ])
    func rejectsMalformedInput(_ malformed: Malformed) {
        let error = #expect(throws: CalculatorError.self) {
            try Calculator.evaluate(malformed.input)
        }
        #expect(error?.message.contains(malformed.message) == true, "got \(String(describing: error))")
        #expect(error?.column == malformed.column, "got \(String(describing: error))")
    }

    @Test func runRejectsLikeEvaluate() {
        #expect(throws: CalculatorError(message: "division by zero", column: 3)) {
            try Calculator.run("5 % 0")
        }
    }

    @Test func nestingAndSignsUpToTheLimitsAreAccepted() throws {
        let nested = String(repeating: "(", count: 256) + "1" + String(repeating: ")", count: 256)
        #expect(try Calculator.run(nested) == "1")
        // Unary signs are consumed iteratively, so a long run of them cannot overflow the stack.
        #expect(try Calculator.run(String(repeating: "-", count: 60_000) + "1") == "1")
    }

    @Test func descriptionNamesTheColumn() {
        let error = CalculatorError(message: "expected a number or '(', got ')'", column: 5)
        #expect(error.description == "column 5: expected a number or '(', got ')'")
        #expect(throws: error) { try Calculator.evaluate("4 * )") }
    }
}
