import Hummingbird

/// `GET /`: one self-contained page that polls `/v1/status` and `/v1/tasks` every second and redraws, with the charts
/// of ``DashboardCharts``; an unfinished task's row has buttons that cancel it or its whole batch.
///
/// Text from the broker is set with `textContent` only, so a task id or error can never inject markup.
enum Dashboard {
    static var response: Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
    }

    static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Corsair broker</title>
        <style>
          body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d232a; background: #f7f8fa; }
          h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
          h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
          #summary { display: flex; flex-wrap: wrap; gap: .6rem; margin-top: 1rem; }
          .stat { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: .5rem .9rem; min-width: 6rem; }
          .stat b { display: block; font-size: 1.4rem; }
          table { border-collapse: collapse; background: #fff; width: 100%; }
          th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #e6e9ed; font-variant-numeric: tabular-nums; }
          th { background: #eef1f4; font-weight: 600; }
          .failed { color: #b42318; }
          button.cancel { font: inherit; font-size: .8rem; padding: 0 .4rem; margin-right: .3rem; cursor: pointer; }
          #state { color: #5b6570; }
          #state.down { color: #b42318; }
        \#(DashboardCharts.style)
        </style>
        </head>
        <body>
        <h1>Corsair broker</h1>
        <div id="state">connecting…</div>
        <div id="summary">
          <div class="stat">uptime<b id="uptime">–</b></div>
          <div class="stat">workers<b id="workers-count">–</b></div>
          <div class="stat">submitted<b id="submitted">–</b></div>
          <div class="stat">succeeded<b id="succeeded">–</b></div>
          <div class="stat">failed<b id="failed">–</b></div>
          <div class="stat">cancelled<b id="cancelled">–</b></div>
          <div class="stat">retried<b id="retried">–</b></div>
          <div class="stat">scheduled<b id="scheduled">–</b></div>
          <div class="stat">queued<b id="queued">–</b></div>
          <div class="stat">running<b id="running">–</b></div>
          <div class="stat">bad messages<b id="bad-messages">–</b></div>
        </div>
        \#(DashboardCharts.markup)
        <h2>Categories</h2>
        <table id="categories"><thead><tr><th>category</th><th>workers</th><th>queued</th><th>running</th><th>ordered</th></tr></thead><tbody></tbody></table>
        <h2>Workers</h2>
        <table id="workers"><thead><tr><th>id</th><th>host</th><th>pid</th><th>category</th><th>protocol</th><th>in flight</th><th>completed</th><th>failed</th><th>last heard</th></tr></thead><tbody></tbody></table>
        <h2>Recent tasks</h2>
        <table id="recent"><thead><tr><th>id</th><th>category</th><th>batch</th><th>state</th><th>worker</th><th>attempts</th><th>last error</th><th></th></tr></thead><tbody></tbody></table>
        <h2>Failed tasks</h2>
        <table id="failed-tasks"><thead><tr><th>id</th><th>category</th><th>batch</th><th>state</th><th>worker</th><th>attempts</th><th>last error</th><th></th></tr></thead><tbody></tbody></table>
        <script>
        "use strict";
        function fill(table, rows) {
          const body = document.querySelector("#" + table + " tbody");
          body.replaceChildren(...rows.map(cells => {
            const row = document.createElement("tr");
            for (const cell of cells) {
              const td = document.createElement("td");
              if (cell instanceof Node) td.append(cell);
              else td.textContent = cell === null || cell === undefined ? "" : String(cell);
              row.append(td);
            }
            return row;
          }));
        }
        function set(id, value) { document.getElementById(id).textContent = String(value); }
        function duration(ms) {
          const s = Math.floor(ms / 1000);
          return s < 60 ? s + "s" : s < 3600 ? Math.floor(s / 60) + "m " + (s % 60) + "s" : Math.floor(s / 3600) + "h " + Math.floor(s % 3600 / 60) + "m";
        }
        // DELETE cancels a task or a whole batch; the next refresh shows the result.
        function cancelButton(label, path) {
          const button = document.createElement("button");
          button.className = "cancel";
          button.textContent = label;
          button.dataset.path = path;
          button.addEventListener("click", async () => {
            button.disabled = true;
            await fetch(path, { method: "DELETE" });
            refresh();
          });
          return button;
        }
        const unfinished = new Set(["scheduled", "queued", "running"]);
        function taskRow(t) {
          const actions = document.createElement("span");
          if (unfinished.has(t.state)) {
            const batch = t.batch ? "?batch=" + encodeURIComponent(t.batch) : "";
            actions.append(cancelButton("cancel", "/v1/tasks/" + encodeURIComponent(t.id) + batch));
            if (t.batch) actions.append(cancelButton("cancel batch", "/v1/batches/" + encodeURIComponent(t.batch)));
          }
          return [t.id, t.category, t.batch, t.state, t.worker, t.attempts, (t.lastError || "").split("\n")[0], actions];
        }
        async function json(path) {
          const response = await fetch(path, { cache: "no-store" });
          if (!response.ok) throw new Error(path + ": HTTP " + response.status);
          return response.json();
        }
        async function refresh() {
          const state = document.getElementById("state");
          try {
            const [status, recent, failed] = await Promise.all([
              json("/v1/status"), json("/v1/tasks?limit=20"), json("/v1/tasks?state=failed&limit=20")]);
            set("uptime", duration(status.uptimeMilliseconds));
            set("workers-count", status.workers.length);
            set("submitted", status.submitted);
            set("succeeded", status.succeeded);
            set("failed", status.failed);
            set("cancelled", status.cancelled || 0);
            set("scheduled", status.tasks.scheduled || 0);
            set("retried", Object.values(status.retried).reduce((a, b) => a + b, 0));
            set("queued", status.tasks.queued || 0);
            set("running", status.tasks.running || 0);
            set("bad-messages", status.badMessages);
            fill("categories", status.categories.map(c => [c.name, c.workers, c.queued, c.running, c.ordered ? "yes" : ""]));
            fill("workers", status.workers.map(w => [w.id, w.host, w.pid, w.category, w.protocol, w.inFlight, w.completed, w.failed, duration(w.lastHeartbeatAgeMilliseconds) + " ago"]));
            fill("recent", recent.map(taskRow));
            fill("failed-tasks", failed.map(taskRow));
            state.className = "";
            state.textContent = "live, updated " + new Date().toLocaleTimeString();
            document.body.dataset.ready = "true";
          } catch (error) {
            state.className = "down";
            state.textContent = "broker unreachable: " + error.message;
          }
        }
        refresh();
        setInterval(refresh, 1000);
        </script>
        <script>
        \#(DashboardCharts.script)
        </script>
        </body>
        </html>
        """#
}
