// Needs grid: keyboard moves between quantity cells, live amounts and totals, instant search
// (accents and case ignored, as on the server), a message beside a quantity that is not a whole
// number, the first faulty row focused after a refused save, a warning before leaving with
// unsaved changes. The page works without it.
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
  // The server's reading (campaigns/rules.parse_quantity): digits, spaces between thousands.
  function digitsOf(text) {
    return String(text).replace(/[\s\u00a0\u202f]/g, "");
  }
  function quantityOf(row) {
    var input = row.querySelector("input.qty");
    if (input) {
      var value = digitsOf(input.value);
      return /^\d+$/.test(value) && value.length <= 7 ? BigInt(value) : 0n;
    }
    var shown = row.querySelector("[data-qty]");
    return shown ? BigInt(shown.getAttribute("data-qty") || "0") : 0n;
  }
  // A page of a long grid: the totals also count the lines of the other pages, as the server
  // summed them (data-rest: the family's, data-rest-total: everything outside this page).
  function restOf(element, name) {
    var value = element.getAttribute(name);
    return value && /^-?\d+$/.test(value) ? BigInt(value) : 0n;
  }
  function recompute() {
    var grand = restOf(form, "data-rest-total");
    form.querySelectorAll(".family-block").forEach(function (block) {
      var onPage = 0n;
      block.querySelectorAll("tr[data-price]").forEach(function (row) {
        var amount = priceUnits(row.getAttribute("data-price")) * quantityOf(row);
        onPage += amount;
        var cell = row.querySelector("[data-amount]");
        if (cell) { cell.textContent = formatUnits(amount); }
      });
      var label = block.querySelector("[data-family-total]");
      if (label) { label.textContent = formatUnits(restOf(block, "data-rest") + onPage); }
      grand += onPage;
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
  // A letter in a quantity is not dropped: it stays, with a message beside the field (the
  // server refuses it too, with the same message, if it is saved).
  function checkQuantity(input) {
    var id = "live-" + input.id;
    var message = document.getElementById(id);
    var value = digitsOf(input.value);
    var problem = "";
    if (value && !/^\d+$/.test(value)) {
      problem = "« " + input.value.trim() + " » n'est pas un nombre entier";
    } else if (value && Number(value) > 1000000) {
      problem = "quantité invraisemblable (" + value + " > 1 000 000)";
    }
    if (!problem) {
      if (message) {
        message.remove();
        if (!input.closest("tr").classList.contains("row-error")) {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        }
      }
      return;
    }
    if (!message) {
      message = document.createElement("p");
      message.className = "cell-error";
      message.id = id;
      message.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", message);
    }
    message.textContent = problem;
    input.setAttribute("aria-invalid", "true");
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (described.indexOf(id) === -1) { described.push(id); }
    input.setAttribute("aria-describedby", described.join(" "));
  }
  form.addEventListener("input", function (event) {
    if (event.target.matches("input.qty, input.comment")) {
      dirty = true;
      if (event.target.matches("input.qty")) { checkQuantity(event.target); }
      recompute();
    }
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  var search = document.querySelector("[data-grid-search]");
  var family = document.querySelector("[data-grid-family]");
  // The catalog's search key (catalog/rules.search_key): NFKD, combining marks dropped, lower case.
  function plain(text) {
    return String(text).normalize("NFKD").replace(/\p{Mn}/gu, "").toLowerCase();
  }
  function filter() {
    var words = plain(search ? search.value : "").split(/\s+/).filter(Boolean);
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
  // On one unfiltered page the search filters as one types; a paged or filtered grid is
  // searched by the server (the form's « Filtrer »), which sees every page.
  if (form.getAttribute("data-paged") !== "true") {
    if (search) { search.addEventListener("input", filter); }
    if (family) { family.addEventListener("change", filter); }
  }

  // After a refused save: the first faulty row is brought into view and its quantity focused.
  var summary = document.getElementById("grid-errors");
  var first = summary && document.getElementById(summary.getAttribute("data-first-error"));
  if (first) {
    var row = first.closest("tr");
    var block = first.closest(".family-block");
    if (row) { row.hidden = false; }
    if (block) { block.hidden = false; }
    first.scrollIntoView({ block: "center" });
    first.focus({ preventScroll: true });
    first.select();
  }
  // The summary's links move the focus to the quantity they name.
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#q-']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });
  }
})();
