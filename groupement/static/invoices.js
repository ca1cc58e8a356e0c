// Invoice split form: the percentage column is shown only for the "percentages typed" key.
// Without JavaScript the column stays visible (its hint says when it is used).
(function () {
  "use strict";
  var form = document.getElementById("split-form");
  if (!form) { return; }
  var key = form.querySelector("select[name=key]");
  if (!key) { return; }
  function update() {
    var manual = key.value === "manual";
    form.querySelectorAll(".manual-percent").forEach(function (cell) {
      cell.classList.toggle("manual-hidden", !manual);
    });
  }
  key.addEventListener("change", update);
  update();
})();
