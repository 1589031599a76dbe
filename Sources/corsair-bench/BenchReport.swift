import Corsair
import CorsairCLI
import Foundation

/// The figures of `corsair-bench`, as a table or one JSON object: medians over the runs, with their ranges.
struct BenchReport {
    let command: BenchCommand
    let corsair: [RunFigures]
    let baseline: [RunFigures]
    /// With `--journal`: the in-memory runs beside the journal's (which are ``corsair``).
    var journal: JournalFigures?
    /// The CURVE side under `--curve`, run for run with ``corsair``; empty otherwise.
    var curve: [RunFigures] = []

    private func spread(_ runs: [RunFigures], _ figure: (RunFigures) -> Double) -> Spread {
        Spread(runs.map(figure))
    }

    private var ratio: Spread {
        Spread(zip(corsair, baseline).map { $0.perSecond / $1.perSecond })
    }

    /// Corsair's latency at `percentile` over the baseline's, run by run: the issue's latency targets are these.
    private func latencyRatio(_ percentile: Double) -> Spread {
        Spread(zip(corsair, baseline).map { $0.latency(percentile) / $1.latency(percentile) })
    }

    /// CURVE's tasks per second over plaintext's, run by run.
    private var curveRatio: Spread {
        Spread(zip(curve, corsair).map { $0.perSecond / $1.perSecond })
    }

    /// CURVE's latency at `percentile` over plaintext's, run by run.
    private func curveLatencyRatio(_ percentile: Double) -> Spread {
        Spread(zip(curve, corsair).map { $0.latency(percentile) / $1.latency(percentile) })
    }

    var table: String {
        let rows: [(String, (RunFigures) -> Double, Int)] = [
            ("tasks per second", \.perSecond, 0),
            ("latency p50 µs", { $0.latency(50) }, 0),
            ("latency p99 µs", { $0.latency(99) }, 0),
            ("latency p99.9 µs", { $0.latency(99.9) }, 0),
            ("broker CPU µs per task", \.cpuMicrosecondsPerTask, 2),
            ("broker peak RSS MB", { Double($0.brokerPeakResident) / 1_048_576 }, 1),
        ]
        var lines = [
            "corsair-bench: K=\(command.workerCount) workers (\(command.mode.rawValue)), N=\(command.tasks) tasks of "
                + "\(command.bytes) B, W=\(command.window) in flight, \(command.submit.rawValue) submission; "
                + "median (min–max) of \(command.runs) run\(command.runs == 1 ? "" : "s")",
            "",
        ]
        var header = ["", journal.map { "corsair journal \($0.mode.rawValue)" } ?? "corsair"]
        if journal != nil {
            header.append("corsair in-memory")
        }
        if let journal, !journal.postgres.isEmpty {
            header.append("corsair postgresql")
        }
        if !curve.isEmpty {
            header.append("corsair curve")
        }
        var table = [header + ["baseline zmq_proxy"]]
        for (name, figure, digits) in rows {
            var row = [name, spread(corsair, figure).formatted(digits: digits)]
            if let journal {
                row.append(spread(journal.inMemory, figure).formatted(digits: digits))
                if !journal.postgres.isEmpty {
                    row.append(spread(journal.postgres, figure).formatted(digits: digits))
                }
            }
            if !curve.isEmpty {
                row.append(spread(curve, figure).formatted(digits: digits))
            }
            table.append(row + [spread(baseline, figure).formatted(digits: digits)])
        }
        lines.append(TextTable.render(table))
        if let journal {
            lines.append(
                "ratio journal/in-memory tasks per second: \(journalRatio(journal).formatted(digits: 2)); "
                    + "one fsync on the journal's disk: \(Int(journal.fsyncMicroseconds)) µs (median)")
            let budget = p50Budget(journal)
            lines.append(
                "latency p50: journal \(Int(spread(corsair) { $0.latency(50) }.median)) µs, in-memory "
                    + "\(Int(spread(journal.inMemory) { $0.latency(50) }.median)) µs + two fsyncs = \(Int(budget)) µs "
                    + "budget: \(spread(corsair) { $0.latency(50) }.median <= budget ? "within" : "over")")
            if !journal.postgres.isEmpty {
                lines.append(
                    "ratio postgresql/sqlite journal tasks per second: \(postgresRatio(over: corsair).formatted(digits: 2)); "
                        + "postgresql/in-memory: \(postgresRatio(over: journal.inMemory).formatted(digits: 2))")
            }
        }
        if !curve.isEmpty {
            lines.append(
                "ratio curve/plaintext tasks per second: \(curveRatio.formatted(digits: 2)), latency p50: "
                    + curveLatencyRatio(50).formatted(digits: 2))
        }
        lines.append("ratio corsair/baseline tasks per second: \(ratio.formatted(digits: 2))")
        lines.append(
            "ratio corsair/baseline latency p50: \(latencyRatio(50).formatted(digits: 2)), "
                + "p99: \(latencyRatio(99).formatted(digits: 2))")
        lines.append("(the baseline's 'broker' is the proxy process)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The journal's latency target for its p50: the in-memory side's p50 plus two fsyncs on the journal's disk.
    private func p50Budget(_ journal: JournalFigures) -> Double {
        spread(journal.inMemory) { $0.latency(50) }.median + 2 * journal.fsyncMicroseconds
    }

    /// The journal side's tasks per second over the in-memory side's, run by run.
    private func journalRatio(_ journal: JournalFigures) -> Spread {
        Spread(zip(corsair, journal.inMemory).map { $0.perSecond / $1.perSecond })
    }

    /// The PostgreSQL journal's tasks per second over `runs`' (the SQLite journal's or in-memory), run by run.
    private func postgresRatio(over runs: [RunFigures]) -> Spread {
        Spread(zip(journal?.postgres ?? [], runs).map { $0.perSecond / $1.perSecond })
    }

    var json: String {
        func number(_ value: Double) -> Any { (value * 100).rounded() / 100 }
        func ranged(_ spread: Spread) -> [String: Any] {
            ["median": number(spread.median), "min": number(spread.minimum), "max": number(spread.maximum)]
        }
        var object: [String: Any] = [
            "workers": command.workerCount, "tasks": command.tasks, "bytes": command.bytes, "window": command.window,
            "mode": command.mode.rawValue, "submit": command.submit.rawValue, "runs": command.runs,
            "tasks_per_second": number(spread(corsair, \.perSecond).median),
            "baseline_round_trips_per_second": number(spread(baseline, \.perSecond).median),
            "ratio": number(ratio.median),
            "p50_ratio": number(latencyRatio(50).median),
            "p99_ratio": number(latencyRatio(99).median),
            "p50_us": number(spread(corsair) { $0.latency(50) }.median),
            "p99_us": number(spread(corsair) { $0.latency(99) }.median),
            "p999_us": number(spread(corsair) { $0.latency(99.9) }.median),
            "baseline_p50_us": number(spread(baseline) { $0.latency(50) }.median),
            "baseline_p99_us": number(spread(baseline) { $0.latency(99) }.median),
            "broker_cpu_us_per_task": number(spread(corsair, \.cpuMicrosecondsPerTask).median),
            "baseline_proxy_cpu_us_per_task": number(spread(baseline, \.cpuMicrosecondsPerTask).median),
            "broker_peak_rss_mb": number(spread(corsair) { Double($0.brokerPeakResident) / 1_048_576 }.median),
            "ranges": [
                "tasks_per_second": ranged(spread(corsair, \.perSecond)),
                "baseline_round_trips_per_second": ranged(spread(baseline, \.perSecond)),
                "ratio": ranged(ratio),
                "p50_ratio": ranged(latencyRatio(50)),
                "p99_ratio": ranged(latencyRatio(99)),
            ],
        ]
        if let journal {
            object["journal_mode"] = journal.mode.rawValue
            object["in_memory_tasks_per_second"] = number(spread(journal.inMemory, \.perSecond).median)
            object["in_memory_p50_us"] = number(spread(journal.inMemory) { $0.latency(50) }.median)
            object["journal_ratio"] = number(journalRatio(journal).median)
            object["fsync_us"] = number(journal.fsyncMicroseconds)
            object["p50_budget_us"] = number(p50Budget(journal))
            if !journal.postgres.isEmpty {
                object["postgres_tasks_per_second"] = number(spread(journal.postgres, \.perSecond).median)
                object["postgres_p50_us"] = number(spread(journal.postgres) { $0.latency(50) }.median)
                object["postgres_sqlite_ratio"] = number(postgresRatio(over: corsair).median)
                object["postgres_in_memory_ratio"] = number(postgresRatio(over: journal.inMemory).median)
            }
        }
        if !curve.isEmpty {
            object["curve_ratio"] = number(curveRatio.median)
            object["curve_p50_ratio"] = number(curveLatencyRatio(50).median)
            object["curve_tasks_per_second"] = number(spread(curve, \.perSecond).median)
            object["curve_p50_us"] = number(spread(curve) { $0.latency(50) }.median)
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
