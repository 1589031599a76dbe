/// The dashboard's charts: tasks finished per second and queue depth per category over the last minutes
/// (`/v1/history`), a progress bar per batch (`/v1/batches`), and a histogram of the last finished tasks' run times
/// (`/v1/tasks`). Drawn as SVG by the page's own script, no library and nothing from outside the broker; every chart
/// also writes the numbers it draws into `data-` attributes, which the browser test reads. A batch with unfinished
/// tasks gets the page's `cancelButton` (``Dashboard``), which sends `DELETE /v1/batches/{name}`.
enum DashboardCharts {
    /// The charts' styles, inside the page's `<style>`.
    static let style = """
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: .8rem; }
        .chart { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .5rem .8rem; }
        .chart h3 { font-size: .9rem; margin: 0 0 .3rem; }
        .chart svg { width: 100%; height: 170px; display: block; }
        .chart svg text { font-size: 11px; fill: #5b6570; }
        .caption { color: #5b6570; font-size: .85rem; }
        .legend { list-style: none; padding: 0; margin: .3rem 0 0; display: flex; flex-wrap: wrap; gap: .8rem; }
        .legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; border-radius: 2px; }
        .batch { margin: .4rem 0; }
        .bar { display: flex; height: .9rem; background: #e6e9ed; border-radius: 4px; overflow: hidden; }
        .bar span.done { background: #16a34a; } .bar span.failed { background: #dc2626; }
        .bar span.running { background: #2563eb; } .bar span.cancelled { background: #9ca3af; }
        .batch .cancel { float: right; }
        """

    /// The charts' section, after the summary tiles.
    static let markup = """
        <h2>Activity</h2>
        <div class="charts">
          <div class="chart"><h3>Tasks finished per second</h3><svg id="throughput-chart" viewBox="0 0 600 170"></svg>
            <div class="caption" id="throughput-summary">waiting for samples…</div></div>
          <div class="chart"><h3>Queue depth per category</h3><svg id="queue-chart" viewBox="0 0 600 170"></svg>
            <ul class="legend" id="queue-legend"></ul></div>
          <div class="chart"><h3>Run time of the last finished tasks</h3><svg id="latency-chart" viewBox="0 0 600 170"></svg>
            <div class="caption" id="latency-summary"></div></div>
          <div class="chart"><h3>Batches</h3><div id="batches"><div class="caption">no batches yet</div></div></div>
        </div>
        """

    /// The script that fetches the data and draws, every second.
    static let script = #"""
        (() => {
        "use strict";
        const SVG = "http://www.w3.org/2000/svg", W = 600, H = 170, LEFT = 44, BOTTOM = 22, TOP = 8;
        const COLORS = ["#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"];
        const BUCKETS = [[1, "<1ms"], [10, "1–10ms"], [100, "10–100ms"], [1000, "0.1–1s"], [10000, "1–10s"],
          [Infinity, "≥10s"]];
        function node(name, attributes, text) {
          const element = document.createElementNS(SVG, name);
          for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
          if (text !== undefined) element.textContent = String(text);
          return element;
        }
        function axes(svg, maximum, left, right) {
          svg.append(node("line", { x1: LEFT, y1: H - BOTTOM, x2: W, y2: H - BOTTOM, stroke: "#aab2bb" }));
          svg.append(node("text", { x: LEFT - 6, y: TOP + 10, "text-anchor": "end" }, maximum));
          svg.append(node("text", { x: LEFT - 6, y: H - BOTTOM, "text-anchor": "end" }, 0));
          if (left !== undefined) svg.append(node("text", { x: LEFT, y: H - 6 }, left));
          if (right !== undefined) svg.append(node("text", { x: W, y: H - 6, "text-anchor": "end" }, right));
        }
        function lines(svg, series) {
          svg.replaceChildren();
          const points = series.flatMap(s => s.points);
          if (points.length === 0) return 0;
          const first = Math.min(...points.map(p => p[0])), last = Math.max(...points.map(p => p[0]));
          const maximum = Math.max(1, ...points.map(p => p[1]));
          const x = t => LEFT + (last === first ? W - LEFT : (t - first) / (last - first) * (W - LEFT));
          const y = v => H - BOTTOM - v / maximum * (H - BOTTOM - TOP);
          axes(svg, Math.round(maximum * 10) / 10, "-" + Math.round((last - first) / 1000) + "s", "now");
          series.forEach((s, index) => {
            const path = s.points.map(p => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
            svg.append(node("polyline", { points: path, fill: "none", stroke: s.color || COLORS[index % COLORS.length],
              "stroke-width": 2, "data-series": s.name, "data-last": s.points.length ? s.points[s.points.length - 1][1] : 0 }));
          });
          return maximum;
        }
        function throughput(history) {
          const rates = [];
          for (let i = 1; i < history.length; i++) {
            const seconds = Math.max(0.001, (history[i].time - history[i - 1].time) / 1000);
            rates.push([history[i].time, (history[i].finished - history[i - 1].finished) / seconds]);
          }
          const peak = lines(document.getElementById("throughput-chart"), [{ name: "finished", points: rates }]);
          const finished = history.length ? history[history.length - 1].finished - history[0].finished : 0;
          const span = history.length ? Math.round((history[history.length - 1].time - history[0].time) / 1000) : 0;
          const summary = document.getElementById("throughput-summary");
          summary.dataset.finished = finished;
          summary.dataset.peak = peak;
          summary.textContent = finished + " finished in the last " + span + "s, peak " +
            (Math.round(peak * 10) / 10) + "/s";
        }
        function queues(history) {
          const names = [...new Set(history.flatMap(sample => Object.keys(sample.queued)))].sort();
          const series = names.map((name, index) => ({ name, color: COLORS[index % COLORS.length],
            points: history.map(sample => [sample.time, sample.queued[name] || 0]) }));
          lines(document.getElementById("queue-chart"), series);
          const current = history.length ? history[history.length - 1].queued : {};
          document.getElementById("queue-legend").replaceChildren(...series.map(s => {
            const item = document.createElement("li");
            item.dataset.category = s.name;
            item.dataset.depth = current[s.name] || 0;
            const swatch = document.createElement("i");
            swatch.style.background = s.color;
            item.append(swatch, document.createTextNode(s.name + ": " + (current[s.name] || 0)));
            return item;
          }));
        }
        function latency(tasks) {
          const times = tasks.filter(t => t.started && t.finished).map(t => Math.max(0, t.finished - t.started));
          const counts = BUCKETS.map(([limit], index) =>
            times.filter(ms => ms < limit && (index === 0 || ms >= BUCKETS[index - 1][0])).length);
          const svg = document.getElementById("latency-chart");
          svg.replaceChildren();
          const maximum = Math.max(1, ...counts);
          axes(svg, maximum);
          const width = (W - LEFT) / BUCKETS.length;
          counts.forEach((count, index) => {
            const height = count / maximum * (H - BOTTOM - TOP), x = LEFT + index * width;
            svg.append(node("rect", { x: x + 4, y: H - BOTTOM - height, width: width - 8, height, fill: "#2563eb",
              "data-bucket": BUCKETS[index][1], "data-count": count }));
            svg.append(node("text", { x: x + width / 2, y: H - 6, "text-anchor": "middle" }, BUCKETS[index][1]));
            svg.append(node("text", { x: x + width / 2, y: H - BOTTOM - height - 3, "text-anchor": "middle" }, count));
          });
          document.getElementById("latency-summary").textContent = times.length + " finished tasks";
        }
        function batches(list) {
          const box = document.getElementById("batches");
          if (list.length === 0) return;
          box.replaceChildren(...list.map(b => {
            const row = document.createElement("div");
            row.className = "batch";
            Object.assign(row.dataset, { batch: b.name, total: b.total, succeeded: b.succeeded, failed: b.failed,
              cancelled: b.cancelled, running: b.running, queued: b.queued, scheduled: b.scheduled });
            const label = document.createElement("div");
            label.textContent = b.name + ": " + b.succeeded + " done, " + b.failed + " failed, " +
              (b.cancelled ? b.cancelled + " cancelled, " : "") + b.total + " total";
            if (b.scheduled + b.queued + b.running > 0) {
              label.append(cancelButton("cancel batch", "/v1/batches/" + encodeURIComponent(b.name)));
            }
            const bar = document.createElement("div");
            bar.className = "bar";
            const parts = [["done", b.succeeded], ["failed", b.failed], ["cancelled", b.cancelled],
              ["running", b.running]];
            for (const [part, count] of parts) {
              const span = document.createElement("span");
              span.className = part;
              span.style.width = (b.total ? count / b.total * 100 : 0) + "%";
              bar.append(span);
            }
            row.append(label, bar);
            return row;
          }));
        }
        async function get(path) {
          const response = await fetch(path, { cache: "no-store" });
          if (!response.ok) throw new Error(path + ": HTTP " + response.status);
          return response.json();
        }
        async function draw() {
          try {
            const [history, list, tasks] = await Promise.all([
              get("/v1/history"), get("/v1/batches"), get("/v1/tasks?limit=1000")]);
            throughput(history);
            queues(history);
            batches(list);
            latency(tasks);
            document.body.dataset.charts = "true";
          } catch (error) {
            document.getElementById("throughput-summary").textContent = "charts unavailable: " + error.message;
          }
        }
        draw();
        setInterval(draw, 1000);
        })();
        """#
}
