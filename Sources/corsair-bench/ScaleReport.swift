import CorsairCLI
import Foundation

/// The figures of a `--preload`, `--idle-workers`, `--late-batch` or `--clients` measurement, as a table or one JSON object:
/// medians over the runs, with their ranges in the table.
struct ScaleReport {
    let command: BenchCommand
    /// Each figure's values over the runs, by its JSON key.
    let figures: [String: [Double]]

    /// The table, or the JSON object, as ``BenchCommand/json`` asks; ends with a newline.
    var text: String {
        command.json ? json : table
    }

    /// What each figure is called in the table.
    private static let names = [
        "queued_rss_mb": "broker RSS with the queue, idle, MB",
        "dispatch_tasks_per_second": "dispatch rate with the queue, tasks per second",
        "dispatch_broker_cpu_us_per_task": "broker CPU while dispatching, µs per task",
        "dispatch_queued_median": "queued while dispatching, median of samples",
        "dispatch_queued_min": "queued while dispatching, fewest sampled",
        "broker_cpu_percent": "broker CPU, % of a core",
        "late_batch_ms": "late batch, first task sent to last result, ms",
        "big_batch_tasks_per_second_alone": "big batch alone, tasks per second",
        "big_batch_tasks_per_second_with_late": "big batch with the late batch, tasks per second",
        "big_batch_throughput_ratio": "big batch throughput, with the late batch over alone",
        "all_results_ms": "SUBMITs sent to every result back, ms",
        "results_per_second": "results per second over that time",
        "broker_cpu_us_per_task": "broker CPU meanwhile, µs per task",
        "broker_peak_rss_mb": "broker peak RSS, MB",
    ]

    private var json: String {
        var object: [String: Any] = ["runs": command.runs, "workers": command.workerCount, "bytes": command.bytes]
        object["preload"] = command.preload
        object["idle_workers"] = command.idleWorkers
        object["late_batch"] = command.lateBatch
        object["clients"] = command.clients
        if command.clients != nil {
            object["tasks_per_client"] = command.tasksPerClient
        }
        object["tasks"] = command.tasks
        object["window"] = command.window
        for (key, values) in figures {
            object[key] = (Spread(values).median * 100).rounded() / 100
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private var table: String {
        let lateBatch = command.lateBatch.map {
            "\(command.tasks) tasks of \(command.bytes) B, \(command.window) in flight, on \(command.workerCount) echo "
                + "workers, alone and with \($0) tasks of a second client submitted a quarter of the way in"
        }
        let clients = command.clients.map {
            "\($0) clients, each its own session, submitting \(command.tasksPerClient) tasks of \(command.bytes) B each "
                + "at once to \(command.workerCount) echo workers; every result came back exactly once"
        }
        let what =
            clients ?? lateBatch ?? command.preload.map {
                "\($0) tasks of \(command.bytes) B queued (plus \(BenchCommand.preloadCredit) per worker for their "
                    + "credit) before \(command.workerCount) echo workers start, and about that many kept queued for "
                    + "\(command.tasks) more"
            } ?? "\(command.idleWorkers ?? 0) idle plain MDP workers heartbeating every second"
        let runs = command.runs
        let heading = "corsair-bench: \(what); median (min–max) of \(runs) run\(runs == 1 ? "" : "s")\n\n"
        let rows = figures.sorted { $0.key < $1.key }.map { key, values in
            [Self.names[key] ?? key, Spread(values).formatted(digits: 1)]
        }
        return heading + TextTable.render(rows)
    }
}
