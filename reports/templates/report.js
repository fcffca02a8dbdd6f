/* seenby HTML report: sort and filter tables, keep the filter in the URL fragment, open every path to print.
   Inlined into the page and allowed by its hash in the CSP. Reads only the page's own data-* attributes. */
(function () {
  "use strict";

  function setup(form) {
    var table = document.getElementById(form.getAttribute("data-controls-for"));
    if (!table) { return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.filter.call(body.rows, function (r) { return !r.classList.contains("empty"); });
    var empty = body.querySelector("tr.empty");
    var search = form.querySelector("[data-search]");
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-filter]"));
    var count = form.querySelector("[data-count]");

    function apply() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var ok = selects.every(function (s) { return !s.value || row.getAttribute("data-" + s.getAttribute("data-filter")) === s.value; });
        var text = row.getAttribute("data-search") || "";
        ok = ok && words.every(function (w) { return text.indexOf(w) !== -1; });
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (empty) { empty.hidden = shown !== 0; }
      count.value = shown === rows.length ? "all " + rows.length + " shown" : shown + " of " + rows.length + " shown";
      table.setAttribute("data-shown", String(shown));
    }

    function saveState() {
      var params = new URLSearchParams();
      if (search.value) { params.set("q", search.value); }
      selects.forEach(function (s) { if (s.value) { params.set(s.getAttribute("data-filter"), s.value); } });
      var text = params.toString();
      history.replaceState(null, "", text ? "#" + text : location.pathname + location.search);
    }

    function loadState() {
      var hash = location.hash.slice(1);
      if (hash.indexOf("=") === -1) { return; }  /* an anchor such as #f-3, not a filter */
      var params = new URLSearchParams(hash);
      search.value = params.get("q") || "";
      selects.forEach(function (s) {
        var want = params.get(s.getAttribute("data-filter")) || "";
        var known = Array.prototype.some.call(s.options, function (o) { return o.value === want; });
        s.value = known ? want : "";
      });
    }

    function sortBy(th) {
      var key = th.getAttribute("data-sort-key");
      var numeric = th.getAttribute("data-sort-type") === "num";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      if (key === "rank" || key === "people") { ascending = th.getAttribute("aria-sort") === "descending"; }
      Array.prototype.forEach.call(table.querySelectorAll("th[data-sort-key]"), function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var sorted = rows.slice().sort(function (a, b) {
        var x = a.getAttribute("data-" + key) || "", y = b.getAttribute("data-" + key) || "";
        var c = numeric ? Number(x) - Number(y) : x.localeCompare(y);
        if (c === 0) { c = Number(a.getAttribute("data-n")) - Number(b.getAttribute("data-n")); return c; }
        return ascending ? c : -c;
      });
      sorted.forEach(function (r) { body.insertBefore(r, empty); });
    }

    form.addEventListener("input", function () { apply(); saveState(); });
    form.addEventListener("change", function () { apply(); saveState(); });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("reset", function () { setTimeout(function () { apply(); saveState(); }, 0); });
    Array.prototype.forEach.call(table.querySelectorAll("th[data-sort-key] button"), function (b) {
      b.addEventListener("click", function () { sortBy(b.parentNode); });
    });
    window.addEventListener("hashchange", function () { loadState(); apply(); });
    loadState();
    apply();
    form.hidden = false;
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-controls-for]"), setup);

  /* Printing shows every path: open all, and close again the ones that were closed. */
  var opened = [];
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details:not([open])"), function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  /* Following a link to a finding or a row opens nothing by itself; a link into a closed path opens it. */
  function openTarget() {
    var id = location.hash.slice(1);
    if (!id || id.indexOf("=") !== -1) { return; }
    var target = document.getElementById(id);
    var details = target && target.closest("details");
    if (details) { details.open = true; }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
}());
