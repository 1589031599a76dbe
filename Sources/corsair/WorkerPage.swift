import Corsair
import CorsairCLI
import Foundation

/// `corsair workers ID`: one worker's page as text.
enum WorkerPage {
    /// The page: identity, uptime and counts, then its connections and the tasks it runs now.
    static func render(_ report: WorkerReport) -> String {
        let seconds = Duration.milliseconds(report.uptimeMilliseconds / 1000 * 1000)
        var text = "worker \(report.id)"
        text += report.host.map { " on \($0)" } ?? ""
        text += report.pid.map { ", pid \($0)" } ?? ""
        text += ", version \(report.version ?? "unknown")\n"
        text += "up \(DurationParser.format(seconds)), last heard \(report.lastHeartbeatAgeMilliseconds)ms ago\n"
        text += "tasks: \(report.inFlight) in flight, \(report.completed) completed, \(report.failed) failed\n\n"
        text += TextTable.render(
            [["CATEGORY", "PROTOCOL", "STATE", "CREDIT", "IN FLIGHT", "COMPLETED", "FAILED", "LAST HEARD"]]
                + report.connections.map { connection in
                    [
                        connection.category, connection.protocol, connection.state, "\(connection.credit)",
                        "\(connection.inFlight)", "\(connection.completed)", "\(connection.failed)",
                        "\(connection.lastHeartbeatAgeMilliseconds)ms ago",
                    ]
                })
        guard !report.tasks.isEmpty else { return text + "\nno tasks running\n" }
        text += "\n"
        text += TextTable.render(
            [["TASK", "CATEGORY", "BATCH", "ATTEMPT", "RUNNING FOR"]]
                + report.tasks.map { task in
                    [
                        task.id, task.category, task.batch ?? "", "\(task.attempt)",
                        DurationParser.format(.milliseconds(task.runningMilliseconds)),
                    ]
                })
        return text
    }
}
