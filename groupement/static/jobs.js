// The job page (templates/jobs/show.html): polls the job's JSON state and moves the progress bar;
// reloads the page once the job is over (the download link or the French error then shows).
// Without JavaScript the page refreshes itself (<noscript><meta http-equiv="refresh">).
(function () {
  "use strict";
  var section = document.getElementById("job");
  if (!section) { return; }
  var url = section.getAttribute("data-status-url");
  var bar = document.getElementById("job-progress");
  var step = document.getElementById("job-step");
  var label = document.getElementById("job-label");
  var delay = 1000;

  function show(state) {
    if (label) { label.textContent = state.label; }
    if (bar && state.total > 0) {
      bar.max = state.total;
      bar.value = state.done;
      bar.textContent = state.done + " sur " + state.total;
    }
    if (step && state.total > 0) {
      step.textContent = state.done + " sur " + state.total + (state.step ? " — " + state.step : "");
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (!state.active) { window.location.reload(); return; }
        delay = 1000;
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
