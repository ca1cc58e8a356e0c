// Needs grid: keyboard moves between quantity cells, live amounts and totals, instant search,
// a warning before leaving with unsaved changes. The page works without it.
(function () {
  "use strict";
  var form = document.getElementById("needs-form");
  if (!form) { return; }
  var euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" });
  var dirty = false;

  // Prices carry up to 4 decimals: compute in ten-thousandths with BigInt, never in floats.
  function priceUnits(text) {
    var parts = String(text).split(".");
    var decimals = (parts[1] || "").padEnd(4, "0").slice(0, 4);
    return BigInt(parts[0] + decimals);
  }
  function formatUnits(units) {
    var cents = (units + 50n) / 100n; // half up, amounts are never negative here
    return euros.format(Number(cents) / 100);
  }
  function quantityOf(row) {
    var input = row.querySelector("input.qty");
    if (input) {
      var value = input.value.trim();
      return /^\d+$/.test(value) ? BigInt(value) : 0n;
    }
    var shown = row.querySelector("[data-qty]");
    return shown ? BigInt(shown.getAttribute("data-qty") || "0") : 0n;
  }
  function recompute() {
    var grand = 0n;
    form.querySelectorAll(".family-block").forEach(function (block) {
      var familyTotal = 0n;
      block.querySelectorAll("tr[data-price]").forEach(function (row) {
        var amount = priceUnits(row.getAttribute("data-price")) * quantityOf(row);
        familyTotal += amount;
        var cell = row.querySelector("[data-amount]");
        if (cell) { cell.textContent = formatUnits(amount); }
      });
      var label = block.querySelector("[data-family-total]");
      if (label) { label.textContent = formatUnits(familyTotal); }
      grand += familyTotal;
    });
    var total = form.querySelector("[data-grand-total]");
    if (total) { total.textContent = formatUnits(grand); }
  }

  var inputs = function () {
    return Array.prototype.filter.call(form.querySelectorAll("input.qty"), function (input) {
      return input.closest("tr").hidden !== true;
    });
  };
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target.classList || !target.classList.contains("qty")) { return; }
    var step = { ArrowDown: 1, Enter: 1, ArrowUp: -1 }[event.key];
    if (event.key === "Enter" && event.shiftKey) { step = -1; }
    if (!step) { return; }
    event.preventDefault(); // arrows would change the number, Enter would submit
    var list = inputs();
    var next = list[list.indexOf(target) + step];
    if (next) { next.focus(); next.select(); }
  });
  form.addEventListener("input", function (event) {
    if (event.target.matches("input.qty, input.comment")) {
      dirty = true;
      recompute();
    }
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  var search = document.querySelector("[data-grid-search]");
  var family = document.querySelector("[data-grid-family]");
  function filter() {
    var words = (search ? search.value : "").toLowerCase().split(/\s+/).filter(Boolean);
    var chosen = family ? family.value : "";
    form.querySelectorAll(".family-block").forEach(function (block) {
      var blockVisible = !chosen || block.getAttribute("data-family") === chosen;
      block.hidden = !blockVisible;
      block.querySelectorAll("tr[data-search]").forEach(function (row) {
        var text = row.getAttribute("data-search");
        row.hidden = !words.every(function (w) { return text.indexOf(w) !== -1; });
      });
    });
  }
  if (search) { search.addEventListener("input", filter); }
  if (family) { family.addEventListener("change", filter); }
})();
