import Histogram

/// What one run of one side measured.
struct RunFigures {
    var outcome: LoadGenerator.Outcome
    /// CPU time of the broker (or the proxy) during the timed run.
    var brokerCPU: Duration
    /// The broker's (or the proxy's) peak resident set size at the end of the timed run, in bytes.
    var brokerPeakResident: Int

    /// Round trips per second over the timed run.
    var perSecond: Double { Double(outcome.count) / (outcome.elapsed / .seconds(1)) }
    /// The broker's CPU time per task, in microseconds.
    var cpuMicrosecondsPerTask: Double { brokerCPU / .microseconds(1) / Double(outcome.count) }

    /// The round-trip latency at `percentile` (0–100), in microseconds.
    func latency(_ percentile: Double) -> Double {
        Double(outcome.latencies.valueAtPercentile(percentile))
    }
}
