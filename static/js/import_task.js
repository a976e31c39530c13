/* The background import's page: poll its JSON every 2 s, move the <progress> bar and the phase text, and
   reload the page once the task has finished (the server then renders the report). No inline script (CSP). */
(function () {
  "use strict";
  var box = document.getElementById("import-task");
  if (!box || box.dataset.finished === "true") { return; }
  var url = box.dataset.statusUrl;
  var bar = box.querySelector("progress");
  var phase = box.querySelector("[data-testid=task-phase]");
  var badge = box.querySelector("[data-testid=task-state]");
  var failures = 0;

  function show(status) {
    if (status.total) {
      bar.max = status.total;
      bar.value = Math.min(status.done, status.total);
    } else if (status.finished) {
      bar.max = 1; bar.value = 1;
    } else {
      bar.removeAttribute("value");  /* indeterminate while the total is not known */
    }
    bar.textContent = String(status.done);
    if (status.phase_text) { phase.textContent = status.phase_text; }
    badge.textContent = status.state_label;
    if (status.state === "berjalan") { badge.classList.replace("text-bg-secondary", "text-bg-primary"); }
    box.dataset.state = status.state;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (resp) {
        if (resp.status === 404 || resp.status === 403) { throw new Error("gone"); }
        if (!resp.ok) { throw new Error("status " + resp.status); }
        return resp.json();
      })
      .then(function (status) {
        failures = 0;
        show(status);
        if (status.finished) {
          box.dataset.finished = "true";
          window.location.reload();
          return;
        }
        window.setTimeout(poll, 2000);
      })
      .catch(function (err) {
        if (err && err.message === "gone") { return; }
        failures += 1;  /* a network hiccup: try again, a little later each time */
        window.setTimeout(poll, Math.min(2000 * (failures + 1), 30000));
      });
  }

  window.setTimeout(poll, 2000);
}());
