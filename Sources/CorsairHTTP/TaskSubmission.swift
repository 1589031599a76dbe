import Corsair
import Foundation
import HTTPTypes

/// Reads the body of `POST /v1/tasks`: one task object, or an array of them, with the fields of the JSON lines
/// batch format (`id`, `category`, `payload`, `priority`, `timeout`, `max_attempts`).
///
/// Each object is checked by the same ``BatchParser`` that reads batch files, so the rules and messages match; a task
/// without an id gets a random UUID. Nothing is queued unless every task is valid.
enum TaskSubmission {
    /// The most tasks one request may carry.
    static let maximumTasks = 100_000

    static func parse(_ body: [UInt8]) throws(GatewayError) -> [TaskSpec] {
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        } catch {
            throw GatewayError(.badRequest, "body is not valid JSON: \(Self.reason(error))", field: "body")
        }
        let objects: [Any]
        let isArray: Bool
        if let array = value as? [Any] {
            objects = array
            isArray = true
        } else {
            objects = [value]
            isArray = false
        }
        guard !objects.isEmpty else { throw GatewayError(.badRequest, "body holds no tasks", field: "body") }
        guard objects.count <= maximumTasks else {
            throw GatewayError(
                .contentTooLarge, "body holds \(objects.count) tasks; at most \(maximumTasks) per request",
                field: "body")
        }
        var lines: [String] = []
        lines.reserveCapacity(objects.count)
        for (index, object) in objects.enumerated() {
            guard var task = object as? [String: Any] else {
                throw GatewayError(
                    .badRequest, "\(position(index, isArray))must be a JSON object", field: isArray ? "tasks" : "body",
                    index: isArray ? index : nil)
            }
            if task["id"] == nil {
                task["id"] = UUID().uuidString.lowercased()
            }
            let line = try? JSONSerialization.data(withJSONObject: task, options: [.sortedKeys])
            lines.append(line.map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
        do {
            return try BatchParser(format: .jsonl).parse(lines.joined(separator: "\n"))
        } catch {
            let index = error.line - 1
            throw GatewayError(
                .badRequest, position(index, isArray) + error.message, field: error.field ?? "body",
                index: isArray ? index : nil)
        }
    }

    /// `tasks[3]: ` for an element of an array body, nothing for a single object.
    private static func position(_ index: Int, _ isArray: Bool) -> String {
        isArray ? "tasks[\(index)]: " : ""
    }

    private static func reason(_ error: any Error) -> String {
        (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
    }
}
